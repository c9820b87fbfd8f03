"""The public attack corpus (../shared/corpus) end to end: the real pipeline, the real PyGithub
against the fake GitHub, and every published thing checked (issue titles, bodies, comments,
committed files, the report, the job summary, outputs and stdout).

Skips cleanly where ../shared/corpus is absent (a fresh clone has no ../shared).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.exposure import (
    everything_published,
    exposed_text,
    markdown_documents,
    publish_through_action,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ENTRIES = CORPUS / "untrusted_entries.jsonl"
EXPECTATIONS = CORPUS / "untrusted_expectations.jsonl"

pytestmark = pytest.mark.skipif(
    not (ENTRIES.is_file() and EXPECTATIONS.is_file()), reason="../shared/corpus is absent"
)


def _expectations() -> list[dict[str, Any]]:
    if not EXPECTATIONS.is_file():
        return []
    lines = EXPECTATIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the corpus once through the action entrypoint; returns everything it published."""
    workspace = tmp_path_factory.mktemp("workspace")
    inputs = {"MAX-NEW-ISSUES": "100", "MAX-OPERATIONS": "400"}
    return publish_through_action(workspace, ENTRIES, inputs)


def test_the_corpus_run_succeeds_and_publishes(published: dict[str, Any]) -> None:
    assert published["code"] == 0, published["stdout"]
    assert len(published["bodies"]) >= 20
    assert any(path.endswith("state.json") for path in published["files"])


@pytest.mark.parametrize("case", _expectations(), ids=lambda case: case["case_id"])
def test_expectation_holds_everywhere(case: dict[str, Any], published: dict[str, Any]) -> None:
    everything = everything_published(published)
    # Booleans first: a failing assertion must not print the secret it looked for.
    for secret in case["must_not_appear"]:
        leaked = secret in everything
        assert not leaked, f"{case['case_id']}: leaked"
    for text in case["must_be_inside_code"]:
        exposed = any(text in exposed_text(document) for document in markdown_documents(published))
        assert not exposed, f"{case['case_id']}: outside code"
        in_title = any(text in title for title in published["titles"])
        assert not in_title, f"{case['case_id']}: in a title"
    for pattern in case["stdout_must_not_match"]:
        for line in published["stdout"].splitlines():
            assert not re.search(pattern, line), f"{case['case_id']}: workflow command"
    if case["expected_outcome"].startswith(("publish", "process")):
        for text in case["should_appear"]:
            assert text in everything, f"{case['case_id']}: over-redacted"


def test_no_live_mentions_references_or_forged_markers(published: dict[str, Any]) -> None:
    for document in markdown_documents(published):
        exposed = exposed_text(document)
        assert not re.search(r"(?<![\w`])@[A-Za-z0-9][\w-]*", exposed)
        assert not re.search(r"(?<![\w&])#\d+\b", exposed.replace("](", " ")) or _only_ours(exposed)
    for body in published["bodies"]:
        assert body.count("<!-- log-gardener:") == 1, "exactly one marker, ours, on line one"
        assert body.startswith("<!-- log-gardener:")


def _only_ours(exposed: str) -> bool:
    """Issue references we write ourselves look like "[#12](url)" or "issue #12" in our words."""
    return all(
        re.search(rf"(issue|\[)#{n}\b", exposed) for n in re.findall(r"(?<![\w&])#(\d+)\b", exposed)
    )
