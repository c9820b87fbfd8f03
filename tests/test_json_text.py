"""dumps_indented writes exactly json.dumps(indent=2, ensure_ascii=False), with or without orjson."""

from __future__ import annotations

import json

import pytest

from log_gardener.core.shared import json_text
from log_gardener.core.shared.json_text import dumps_indented

CASES: list[object] = [
    {"b": [1, 2, {}], "a": {"nested": [[], {"x": None}]}, "t": True},
    {"small": 1e-05, "big": 1e16, "tiny": 5e-324, "neg": -0.0, "plain": 0.25},  # orjson: 0.00001
    {"text": 'é\u2028\x00\x1f\x7f"\\ \n\t', "emoji": "\U0001f600"},
    {"huge": 2**70},  # orjson refuses integers past 64 bits
    {"nan": float("nan"), "inf": float("inf")},  # orjson writes null
    {"pair": (1, "two")},
    {3: "int key", 1: "another"},  # written as strings by json
    [],
    {},
    "just text",
    1.5,
]


@pytest.mark.parametrize("value", CASES)
@pytest.mark.parametrize("sort_keys", [False, True])
@pytest.mark.parametrize("fast", [True, False])
def test_same_text_as_json_dumps(
    value: object, sort_keys: bool, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(json_text, "_orjson_dumps", None)
    expected = json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=False)
    assert dumps_indented(value, sort_keys=sort_keys) == expected


@pytest.mark.parametrize(
    "value",
    [{"lone": "\ud800"}, {"when": object()}, {1: "a", "b": "mixed keys"}],
)
def test_same_error_or_text_as_json_dumps(value: object) -> None:
    try:
        expected: object = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    except Exception as error:  # the same exception type is the contract
        with pytest.raises(type(error)):
            dumps_indented(value, sort_keys=True)
        return
    assert dumps_indented(value, sort_keys=True) == expected
