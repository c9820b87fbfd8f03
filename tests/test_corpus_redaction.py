"""The public attack corpus (../shared/corpus), unit level: redact, wrap, check every expectation.

Each entry's raw text fields are redacted and published three ways (a fenced block, a table cell
and an issue title); what the expectations forbid must be absent everywhere, text that must stay
in code must be confined to code tokens, and text that should survive must still be there.  The
end-to-end corpus test runs the whole pipeline; this one pins the redaction and markdown layer.
Skips cleanly where ../shared/corpus is absent (a fresh clone has no ../shared).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from log_gardener.core.publishing.markdown import (
    code_block,
    inline_text,
    plain_title,
)
from log_gardener.core.shared import marker
from log_gardener.core.shared.redact import redact
from tests.exposure import exposed_text
from tests.fragment_oracle import verify_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ENTRIES = CORPUS / "untrusted_entries.jsonl"
EXPECTATIONS = CORPUS / "untrusted_expectations.jsonl"
TEXT_FIELDS = ("textPayload", "jsonPayload", "protoPayload", "httpRequest")

pytestmark = pytest.mark.skipif(
    not (ENTRIES.is_file() and EXPECTATIONS.is_file()), reason="../shared/corpus is absent"
)


def _expectations() -> list[dict[str, Any]]:
    if not EXPECTATIONS.is_file():
        return []
    lines = EXPECTATIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def entries() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for line in ENTRIES.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except (RecursionError, ValueError):
            continue  # the loader's problem (and test), not redaction's
        found[entry.get("labels", {}).get("corpus_case", "")] = entry
    return found


def _raw_text(entry: dict[str, Any]) -> str:
    parts: list[str] = []
    for field in TEXT_FIELDS:
        if field in entry:
            value = entry[field]
            parts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "\n".join(parts)


def _publish(raw: str) -> tuple[str, str]:
    redacted = redact(raw)
    document = "\n\n".join(
        [
            marker.issue_marker("0123abcd", "v1"),
            "## Sample",
            code_block(redacted, "text"),
            f"| first line | count |\n|---|---|\n| {inline_text(redacted.split(chr(10))[0])} | 1 |",
            marker.run_marker("7"),
        ]
    )
    verify_document(document, [redacted])
    return document, plain_title(redacted)


@pytest.mark.parametrize("case", _expectations(), ids=lambda case: case["case_id"])
def test_corpus_case(case: dict[str, Any], entries: dict[str, dict[str, Any]]) -> None:
    entry = entries.get(case["case_id"])
    if entry is None:
        pytest.skip("entry does not load as JSON")
    document, title = _publish(_raw_text(entry))
    for forbidden in case["must_not_appear"]:
        assert forbidden not in document, f"{case['case_id']}: {forbidden!r} in the document"
        assert forbidden not in title, f"{case['case_id']}: {forbidden!r} in the title"
    exposed = exposed_text(document)
    for confined in case["must_be_inside_code"]:
        assert confined not in exposed, f"{case['case_id']}: {confined!r} outside code"
        assert confined not in title, f"{case['case_id']}: {confined!r} in the title"
    if case["expected_outcome"].startswith(("publish", "process")):
        for kept in case["should_appear"]:
            assert kept in document, f"{case['case_id']}: {kept!r} over-redacted"
