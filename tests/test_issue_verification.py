"""Issue bodies, comments and the dashboard are verified like the worklog before they are sent.

Each is rendered twice, with its log text and with every log text a stand-in of the same length
(``redact.shadow_of``), and both are read with GitHub's parser (``commonmark.verify``): a
difference outside code, or raw HTML that is not the gardener's own, refuses the document.
Correct neutralization never produces one, so the refusals below come from a fault injected
into the renderer's neutralizer (``issue_render.code_span`` / ``code_block``, the names the
renderer calls): the bug the verification exists to catch.  A refused document is not planned,
the rest of the run is, and the run ends with exit code 3 and says why in the worklog.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from log_gardener.core.judging.rules import IssuePolicy
from log_gardener.core.planning.plan import Changes, DashboardRow, PlanInput, RunLinks, plan_issues
from log_gardener.core.publishing import commonmark, issue_render, markdown
from log_gardener.core.shared.redact import RedactionPolicy, for_one_run, redact, shadow_of
from log_gardener.core.shared.state import GardenerState
from log_gardener.errors import EXIT_UNEXPECTED, UnsafeDocumentError
from log_gardener.model import ClusterStatus, IssueState, JudgedCluster, OperationKind, Priority
from tests.exposure import exposed_text, markdown_documents, publish_through_action
from tests.planning_factory import T0, cluster, issue, judgement, record

RED = RedactionPolicy()
LINKS = RunLinks(run_id="1234-1", run_url="https://github.com/acme/shop/actions/runs/1234")
TAG = "ESCAPE-ME"
# Escapes into live markdown and HTML wherever it is not in code: an image that runs script, a
# mention, a link, a closing reference.
CRAFTED = f"{TAG} <img src=x onerror=alert(1)> @octocat [win](https://evil.example) fixes #1"
NO_HTML = f"{TAG} **bold** @octocat [win](https://evil.example)"


def _broken_span(text: str) -> str:
    """A neutralizer with the bug verification is for: the tagged text is left as it is."""
    return text if TAG in text else markdown.code_span(text)


def _broken_block(text: str, info: str = "") -> str:
    """A fence one backtick too short for the tagged text's own fences."""
    return f"```{info}\n{text}\n```" if TAG in text else markdown.code_block(text, info)


def _broken_inline(text: str) -> str:
    return text if TAG in text else markdown.inline_text(text)


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setattr(issue_render, "code_span", _broken_span)
    monkeypatch.setattr(issue_render, "code_block", _broken_block)
    yield monkeypatch


def _judged(value: str = "bad input 42", **overrides: object) -> JudgedCluster:
    status = overrides.pop("status", ClusterStatus.ONGOING)
    return JudgedCluster(
        cluster(exception_type="ValueError", exception_value=value, **overrides),
        judgement(),
        status=status,  # type: ignore[arg-type]
    )


def _documents(value: str, policy: RedactionPolicy) -> dict[str, Callable[[], str]]:
    judged = _judged(value, revisions={value: 3})
    row = DashboardRow(Priority.P1, ClusterStatus.ONGOING, value, 3, (1, 3), T0, 12)
    return {
        "issue body": lambda: issue_render.issue_body(judged, None, LINKS, policy),
        "change comment": lambda: issue_render.change_comment(
            judged, Changes(new_revisions=(value,)), LINKS, policy
        ),
        "folded comment": lambda: issue_render.folded_comment(12, value, LINKS, policy),
        "dashboard": lambda: issue_render.dashboard_body([row], LINKS, T0, policy),
    }


@pytest.mark.parametrize("name", ["issue body", "change comment", "folded comment", "dashboard"])
@pytest.mark.parametrize("value", [CRAFTED, NO_HTML], ids=["html", "markdown"])
def test_a_document_whose_log_text_escaped_is_refused(
    broken: pytest.MonkeyPatch, name: str, value: str
) -> None:
    broken.setattr(issue_render, "inline_text", _broken_inline)  # the dashboard's titles
    with pytest.raises(UnsafeDocumentError):
        _documents(value, RED)[name]()


def test_the_fault_only_breaks_tagged_text(broken: pytest.MonkeyPatch) -> None:
    """The same faulty renderer passes every document whose log text holds no tag word."""
    broken.setattr(issue_render, "inline_text", _broken_inline)
    for render in _documents("bad input 42 <b> @octocat", RED).values():
        assert render()


def test_a_fence_breakout_in_a_sample_is_refused(broken: pytest.MonkeyPatch) -> None:
    sample = f"{TAG}\n```\n# Owned <script>alert(1)</script>\n@octocat"
    judged = JudgedCluster(cluster(samples=(record(sample),)), judgement(), ClusterStatus.NEW)
    with pytest.raises(UnsafeDocumentError):
        issue_render.issue_body(judged, None, LINKS, RED)


def test_the_shadow_keeps_the_documents_layout_and_run_key() -> None:
    """Stand-ins as long as the redacted texts: the same cuts, the same "cut to" note, the
    same run marker; the documents that pass are the ones rendered before verification."""
    policy = for_one_run(RED)
    long_sample = "ValueError: " + "y" * 9_000
    judged = JudgedCluster(cluster(samples=(record(long_sample),)), judgement(), ClusterStatus.NEW)
    body = issue_render.issue_body(judged, None, LINKS, policy)
    assert "Cut to its first 8000 characters" in body
    shadow = shadow_of(policy)
    assert redact(long_sample, shadow) == "x" * len(redact(long_sample, policy))
    comment = issue_render.change_comment(
        _judged(revisions={"rev-7": 2}), Changes(new_revisions=("rev-7",)), LINKS, policy
    )
    assert "rev-7" in comment  # the document itself, not its shadow


def test_raw_html_that_is_not_ours_is_refused_even_when_the_shadow_has_it() -> None:
    own = re.compile(r"<!-- log-gardener:[a-z=0-9 -]* -->")
    ours = "<!-- log-gardener:run=c-12 -->\n\nText.\n"
    assert commonmark.verify(ours, lambda: ours, own) == ours
    theirs = "<!-- other-bot:marker -->\n\nText <b>bold</b>.\n"
    with pytest.raises(UnsafeDocumentError, match="raw HTML"):
        commonmark.verify(theirs, lambda: theirs, own)
    with pytest.raises(UnsafeDocumentError, match="raw HTML"):
        commonmark.verify(ours, lambda: ours)  # the worklog allows none


def test_comments_without_log_text_are_checked_too() -> None:
    assert "#12" in issue_render.duplicate_comment(12, LINKS)
    assert "Not seen for 7 days" in issue_render.silence_comment(T0, 7, LINKS)


# --- the planner ----------------------------------------------------------------------------


def _plan(judged: list[JudgedCluster], existing: tuple[Any, ...] = ()) -> Any:
    return plan_issues(
        PlanInput(
            judged,
            existing,
            GardenerState(),
            IssuePolicy(),
            RED,
            T0,
            LINKS,
            texts=issue_render,
        )
    )


def test_a_refused_create_is_left_out_and_the_rest_is_planned(broken: pytest.MonkeyPatch) -> None:
    crafted = _judged(CRAFTED, fp="c0ffee00c0ffee00", status=ClusterStatus.NEW)
    plain = _judged("bad input 42", fp="0ddba11000000000", status=ClusterStatus.NEW)
    plan = _plan([crafted, plain])
    creates = [op for op in plan.operations if op.kind is OperationKind.CREATE_ISSUE]
    assert [op.fingerprint for op in creates if op.fingerprint] == ["0ddba11000000000"]
    assert all(TAG not in (op.body + op.title) for op in plan.operations)
    assert plan.refused == (
        "the new issue of problem c0ffee00c0ff was not published: log text would have shown "
        "outside code in it (a bug in log-gardener, reported as the run's error)",
    )
    assert plan.refused[0] in plan.notes


def test_a_refused_update_leaves_out_its_comment_and_its_notes(broken: pytest.MonkeyPatch) -> None:
    """A regression's reopen, its comment and its "reopened" note go together, or not at all."""
    fp = "c0ffee00c0ffee00"
    crafted = _judged(CRAFTED, fp=fp, status=ClusterStatus.REGRESSION)
    closed = issue(7, fp=fp, state=IssueState.CLOSED_COMPLETED)
    plan = _plan([crafted], (closed,))
    assert [op for op in plan.operations if op.issue_number == 7] == []
    assert not any("reopened" in note for note in plan.notes)
    assert plan.refused and "issue 7" in plan.refused[0]


# --- the whole action -----------------------------------------------------------------------


def _entries(path: Path) -> None:
    """Two problems; the first's service name and message carry the crafted text (a fence in
    the message, so the short fence of the faulty renderer breaks)."""
    crafted = (f"{TAG} <img src=x onerror=alert(1)>", f"ValueError: {TAG}\n```\n# {NO_HTML}")
    lines = []
    for n, (service, message) in enumerate([crafted, ("plain-svc", "ValueError: bad input 42")]):
        for i in range(3):
            lines.append(
                {
                    "insertId": f"id-{n}-{i}",
                    "timestamp": f"2024-05-01T11:5{i}:0{n}Z",
                    "severity": "ERROR",
                    "resource": {
                        "type": "cloud_run_revision",
                        "labels": {"service_name": service, "revision_name": f"rev-{n}"},
                    },
                    "textPayload": message,
                }
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def test_the_action_does_not_publish_a_refused_body_and_says_so(
    broken: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "entries.jsonl"
    _entries(source)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    published = publish_through_action(workspace, source)
    assert published["code"] == EXIT_UNEXPECTED
    for document in markdown_documents(published):
        assert TAG not in exposed_text(document)  # in the worklog's code at most
    assert not any(TAG in body for body in published["bodies"])  # nor "being created"
    assert not any(TAG in title for title in published["titles"])
    assert any("plain-svc" in body for body in published["bodies"])  # the rest was published
    assert not any("rev-0" in body for body in published["bodies"])
    (worklog,) = [t for p, t in published["files"].items() if p.startswith("worklog/")]
    assert "was not published: log text would have shown outside code in it" in worklog
    assert "UnsafeDocumentError" in published["stdout"]
    assert "1 issue document(s) of this run failed their verification" in published["stdout"]
    assert "state.json" not in " ".join(published["files"])  # the window is replayed
