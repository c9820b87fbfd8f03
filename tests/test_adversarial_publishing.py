"""Adversarial variants of every untrusted-input category, end to end.

The cases of ``tests/adversarial_cases.py`` (secret-shaped values built at run time) run through
``log-gardener action`` with the real PyGithub against the fake GitHub, twice: once with a
service per case (each case its own problem, issue and sample) and once with every case in one
service (so clusters merge and templates carry wildcards).  Everything published is checked:
issue titles, bodies, comments and labels, the commit message, every committed file, the report,
the job summary, the outputs and stdout.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial_cases import CASES, Case, entries_jsonl, tag
from tests.exposure import (
    everything_published,
    exposed_text,
    markdown_documents,
    publish_through_action,
)

ISSUE_MARKER = re.compile(
    r"\A<!-- log-gardener:issue fingerprint=[0-9a-f]{8,64} grouping=v[0-9]+ -->\n"
)
LIVE_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][\w-]*")  # a fullwidth at sign never mentions
REFERENCE = re.compile(
    r"(?<![\w&\]])#\d+\b|\bGH-\d+\b|[\w.-]+/[\w.-]+[#@][0-9a-f]+|github\.com/[\w.-]+/[\w.-]+/(?:issues|pull)/\d+",
    re.IGNORECASE,
)
SYNTAX = re.compile(r"[<>\[\]#@`|*_~!&]|::|GH-\d|\b(?:close|fix|resolve)", re.IGNORECASE)
OUR_REFERENCE = re.compile(r"\[issue \d+\]\([^)]*\)|issue \d+")
WORKFLOW_COMMAND = re.compile(r"^\s*(?:::[\w-]+(?:\s[^:]*)?::|.*##\[[\w-]+)")
OUR_COMMANDS = re.compile(r"^::(?:group|endgroup|add-mask|error|warning|notice|debug)\b")


def _run(tmp: Path, service: str | None) -> dict[str, Any]:
    source = tmp / "entries.jsonl"
    source.write_text(entries_jsonl(service), encoding="utf-8")
    workspace = tmp / "workspace"
    workspace.mkdir()
    inputs = {
        "PROJECT-ID": "lg-fixture-prod",  # so bodies carry Logs Explorer links
        "MAX-NEW-ISSUES": "400",
        "MAX-OPERATIONS": "1600",
    }
    return publish_through_action(workspace, source, inputs)


@pytest.fixture(scope="module")
def apart(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _run(tmp_path_factory.mktemp("apart"), None)


@pytest.fixture(scope="module")
def together(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _run(tmp_path_factory.mktemp("together"), "shared-svc")


def _readings(published: dict[str, Any]) -> tuple[str, list[str]]:
    """Everything published, and each document's live text: computed once per run, as each
    of the hundreds of cases reads the same documents."""
    if "_readings" not in published:
        exposed = [exposed_text(doc) for doc in markdown_documents(published)]
        published["_readings"] = (everything_published(published), exposed)
    readings: tuple[str, list[str]] = published["_readings"]
    return readings


def _check(case: Case, published: dict[str, Any], *, own_service: bool) -> None:
    everything, exposed_texts = _readings(published)
    leaked = [n for n, secret in enumerate(case.must_not_appear) if secret in everything]
    assert leaked == [], f"{case.case_id}: must_not_appear items leaked"  # never echo them
    for text in case.must_be_inside_code:
        for exposed in exposed_texts:
            assert text not in exposed, f"{case.case_id}: {text!r} outside code"
        if SYNTAX.search(text):  # titles render no markdown: only syntax must not survive
            assert all(text not in title for title in published["titles"]), case.case_id
    for pattern in case.stdout_must_not_match:
        for line in published["stdout"].splitlines():
            assert not re.search(pattern, line), f"{case.case_id}: workflow command {line!r}"
    if own_service:
        for text in case.should_appear:
            assert text in everything, f"{case.case_id}: over-redacted {text!r}"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.case_id)
def test_case_holds_with_a_service_per_case(case: Case, apart: dict[str, Any]) -> None:
    _check(case, apart, own_service=True)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.case_id)
def test_case_holds_when_clusters_merge(case: Case, together: dict[str, Any]) -> None:
    _check(case, together, own_service=False)


def test_every_short_case_is_published_with_its_tag_word(apart: dict[str, Any]) -> None:
    """Each case became a problem and its text survived (a guard against over-redaction and
    against a test that passes because nothing was published)."""
    assert apart["code"] == 0, apart["stdout"]
    bodies = "\n".join(apart["bodies"])
    missing = [
        case.case_id
        for index, case in enumerate(CASES)
        if case.tagged
        and (case.text is not None or case.payload is not None)
        and len(case.text or json.dumps(case.payload)) < 1500
        and tag(index) not in bodies
    ]
    assert missing == []


@pytest.mark.parametrize("which", ["apart", "together"])
def test_no_live_mention_reference_marker_or_command(
    which: str, request: pytest.FixtureRequest
) -> None:
    published = request.getfixturevalue(which)
    assert published["code"] == 0, published["stdout"]
    for document in markdown_documents(published):
        exposed = exposed_text(document)
        assert not LIVE_MENTION.findall(exposed)
        assert not REFERENCE.findall(OUR_REFERENCE.sub(" ", exposed))
        assert "<!--" not in exposed.replace(document.split("\n", 1)[0], "", 1) or not document
    for body in published["bodies"]:
        dashboard = body.startswith("<!-- log-gardener:dashboard -->\n")
        assert dashboard or ISSUE_MARKER.match(body), body.split("\n", 1)[0]
        assert body.count("<!--") == 1, "exactly one marker, ours, on line one"
    for title in published["titles"]:
        assert not LIVE_MENTION.search(title)
        assert not REFERENCE.search(title)
        assert "<" not in title and "`" not in title
    for comment in published["comments"]:
        assert comment.count("<!--") == 1
    for line in published["stdout"].splitlines():
        assert OUR_COMMANDS.match(line) or not WORKFLOW_COMMAND.match(line), line
        assert "##[" not in line, line


@pytest.mark.parametrize("which", ["apart", "together"])
def test_only_constant_words_reach_labels_commits_and_outputs(
    which: str, request: pytest.FixtureRequest
) -> None:
    published = request.getfixturevalue(which)
    assert set(published["labels"]) <= {"log-gardener", "P0", "P1", "P2", "P3", "P4"} | {
        label for label in published["labels"] if re.fullmatch(r"[a-z0-9:/-]+", label)
    }
    for message in published["commit_messages"]:
        assert "zq" not in message and "adv" not in message and "@" not in message, message
    for line in published["outputs"].splitlines():
        assert re.fullmatch(
            r"[\w-]+<<ghadelimiter_[0-9a-f-]+|ghadelimiter_[0-9a-f-]+|[\w./ :-]*", line
        ), line
    assert "zq" not in published["outputs"]
