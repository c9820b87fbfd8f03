"""A file run's span (cli.file_span, FileSource.bounds) decodes only the lines that decide it;
it must equal the span over every decoded entry (cli.span_of) whatever the lines hold."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from log_gardener.adapters.file_source import FileSource
from log_gardener.cli import file_span, span_of

NOW = datetime(2024, 5, 2, tzinfo=UTC)


def _line(ts: str | None, **extra: object) -> str:
    entry: dict[str, object] = {"insertId": "x", "textPayload": "hello"}
    if ts is not None:
        entry["timestamp"] = ts
    entry.update(extra)
    return json.dumps(entry)


def _both(tmp_path: Path, lines: list[str], newline: str = "\n") -> None:
    path = tmp_path / "entries.jsonl"
    path.write_text(newline.join(lines) + newline, encoding="utf-8")
    expected = span_of(FileSource(str(path)).entries(None), NOW)
    assert file_span(FileSource(str(path)), NOW) == expected


ORDINARY = [_line(f"2024-05-01T12:{m:02d}:00Z") for m in range(10, 50)]

CASES = {
    "ordinary": ORDINARY,
    "nested timestamp is no timestamp": [
        *ORDINARY,
        _line(None, jsonPayload={"timestamp": "2024-05-01T23:00:00Z"}),
        _line(None, jsonPayload={"timestamp": "2024-05-01T01:00:00Z"}),
    ],
    "broken latest line": [*ORDINARY, _line("2024-05-01T23:00:00Z")[:-1]],
    "broken earliest line": [_line("2024-05-01T01:00:00Z")[:-2], *ORDINARY],
    "escaped key": [*ORDINARY, '{"\\u0074imestamp":"2024-05-01T23:00:00Z","textPayload":"a"}'],
    "duplicate key, escaped": [
        *ORDINARY,
        '{"timestamp":"2024-05-01T12:20:00Z","\\u0074imestamp":"2024-05-01T23:00:00Z"}',
    ],
    "duplicate key": [
        *ORDINARY,
        '{"timestamp":"2024-05-01T12:20:00Z","timestamp":"2024-05-01T23:00:00Z"}',
    ],
    "key as a value": [*ORDINARY, _line("2024-05-01T23:00:00Z", kind="timestamp")],
    "seconds and nanos": [*ORDINARY, _line(None)[:-1] + ',"timestamp":{"seconds":1714600000}}'],
    "future": [*ORDINARY, _line("2031-01-01T00:00:00Z")],
    "unparseable": [*ORDINARY, _line("yesterday"), _line("2024-05-01")],
    "offsets and case": [
        *ORDINARY,
        _line("2024-05-01t23:00:00+02:00"),
        _line("2024-05-01 02:00:00"),
    ],
    "escaped value": [*ORDINARY, '{"timestamp":"2024-05-01T23:00:00\\u005a","textPayload":"a"}'],
    "spaces around the colon": [*ORDINARY, '{"timestamp" : "2024-05-01T23:00:00Z"}'],
    "blank lines and non-objects": ["", *ORDINARY[:3], "   ", "[1,2]", "42", *ORDINARY[3:], ""],
    "no timestamp at all": [_line(None), _line(None)],
    "first line is an array": [json.dumps([json.loads(x) for x in ORDINARY[:3]]), *ORDINARY],
    "first line broken": ["{oops", *ORDINARY],
    "receive timestamp only": [*ORDINARY, _line(None, receiveTimestamp="2024-05-01T23:00:00Z")],
    "timestamp in the text": [
        *ORDINARY,
        _line("2024-05-01T12:30:00Z", textPayload='"timestamp":"x"'),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_file_span_equals_the_span_of_every_entry(tmp_path: Path, name: str) -> None:
    _both(tmp_path, CASES[name])


def test_crlf_and_random_order(tmp_path: Path) -> None:
    rng = random.Random(3)
    lines = [*ORDINARY, _line("2024-05-01T03:00:00.5Z"), _line("2024-05-01T22:00:00.000001Z")]
    rng.shuffle(lines)
    _both(tmp_path, lines, newline="\r\n")


def test_a_json_array_file(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([json.loads(x) for x in ORDINARY], indent=2), encoding="utf-8")
    expected = span_of(FileSource(str(path)).entries(None), NOW)
    assert expected is not None
    assert file_span(FileSource(str(path)), NOW) == expected


def test_an_empty_file(tmp_path: Path) -> None:
    _both(tmp_path, [])
