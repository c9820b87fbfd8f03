"""Issue 9 through the real pipeline: several simulated runs with a controlled clock, the real
PyGithub against the fake GitHub server, and ``state.json`` carried between runs the way the
CLI carries it (read back from the branch: the committed one).

Escalation by a volume spike (once, never past a rule-pinned priority), auto-resolve by
silence and the regression that reopens, a muted issue and one closed as not planned left
alone, the dashboard issue created once then edited in place, the worklog index, budgets, and
all of it in dry-run plans and in the report.

The harness at the top (``LogStore``, ``Garden``) is shared with ``test_replay_matrix``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from log_gardener.core.judging.rules import IssuePolicy, Match, Rule, RulesConfig
from log_gardener.core.judging.windowing import parse_rfc3339, plan_window
from log_gardener.core.planning.plan import RunLinks
from log_gardener.core.shared.marker import parse_issue_marker
from log_gardener.core.shared.state import parse_state
from log_gardener.model import (
    MalformedEntry,
    OperationResult,
    Priority,
    Severity,
    Window,
)
from log_gardener.pipeline import Feed, RunOutcome, RunSettings, run, worklog_file_path
from log_gardener.ports import FetchReport, IssueTracker
from tests.fakes.github import FakeClock, FakeGitHub, RecordedRequest, make_tracker

BOT = "log-gardener-bot"
TOKEN = "gardening-" + "token"
TARGET = "shop-api"
WORKLOG_DIR = "worklog"
STATE_PATH = "worklog/state.json"
INDEX_PATH = "worklog/README.md"
OVERLAP = timedelta(minutes=5)  # what the CLI re-reads for late entries
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
COMMIT_MESSAGE = "log-gardener: worklog and state"

# -- the harness --------------------------------------------------------------------------------


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry(
    insert_id: str,
    at: datetime,
    text: str,
    severity: str = "ERROR",
    revision: str = "shop-api-00001-abc",
) -> dict[str, Any]:
    """One raw Cloud Logging entry (the API's camelCase shape) from a Cloud Run service."""
    return {
        "insertId": insert_id,
        "timestamp": stamp(at),
        "receiveTimestamp": stamp(at + timedelta(milliseconds=150)),
        "severity": severity,
        "logName": "projects/demo-project/logs/run.googleapis.com%2Fstderr",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "service_name": TARGET,
                "revision_name": revision,
                "location": "us-central1",
                "project_id": "demo-project",
            },
        },
        "textPayload": text,
    }


class LogStore:
    """The service's log: every entry ever written.  A run reads the slice its window covers,
    as a Cloud Logging query with ``timestamp >= start AND timestamp < end`` would."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._next = 0

    def write(
        self,
        text: str,
        count: int,
        last: datetime,
        *,
        severity: str = "ERROR",
        spread: timedelta = timedelta(hours=4),
        revision: str = "shop-api-00001-abc",
    ) -> list[str]:
        """``count`` entries with ``text``, evenly spread over ``spread`` up to ``last``."""
        ids = []
        step = spread / max(count, 1)
        for i in range(count):
            self._next += 1
            insert_id = f"e{self._next:06d}"
            at = last - spread + step * (i + 1)
            self.entries.append(entry(insert_id, at, text, severity, revision))
            ids.append(insert_id)
        return ids

    def source(self) -> MemorySource:
        return MemorySource(self)


@dataclass
class MemorySource:
    """``ports.EntrySource`` over a ``LogStore``: entries in the window, oldest first."""

    store: LogStore
    read: int = 0

    def entries(self, window: Window | None) -> Iterator[tuple[int, object | MalformedEntry]]:
        self.read = 0
        ordered = sorted(self.store.entries, key=lambda e: (e["timestamp"], e["insertId"]))
        for position, raw in enumerate(ordered, start=1):
            moment = parse_rfc3339(raw["timestamp"])
            if window is None or (moment is not None and window.contains(moment)):
                self.read += 1
                yield position, raw

    def report(self) -> FetchReport:
        return FetchReport(pages=1, entries=self.read)


@dataclass
class Garden:
    """Drives ``pipeline.run`` like the CLI's ``garden()``: state from the branch, the window
    from its cursor, one feed with the CLI's overlap, links built by the composition root."""

    fake: FakeGitHub
    config: RulesConfig
    logs: LogStore = field(default_factory=LogStore)
    lookback: timedelta = timedelta(days=1)
    outcomes: list[RunOutcome] = field(default_factory=list)

    def tracker(self) -> Any:
        return make_tracker(self.fake, FakeClock(), token=TOKEN)

    def run(
        self,
        now: datetime,
        run_id: str,
        *,
        dry_run: bool = False,
        max_operations: int | None = None,
        max_new_issues: int | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        tracker: IssueTracker | None = None,
    ) -> RunOutcome:
        tracker = tracker or self.tracker()
        state_text = tracker.read_file(STATE_PATH)
        cursor = parse_state(state_text)[0].cursors.get(TARGET)
        window = plan_window(now, cursor, lookback=self.lookback, overlap=OVERLAP)
        feed = Feed(TARGET, self.logs.source(), window, Severity.WARNING, OVERLAP)
        path = worklog_file_path(WORKLOG_DIR, now, TARGET)
        links = RunLinks(
            run_id=run_id,
            run_url=f"https://github.example/acme/shop/actions/runs/{run_id}",
            worklog_url=f"https://github.example/acme/shop/blob/main/{path}",
            worklog_path=path,
            logs_explorer_project="demo-project",
            window_end=window.end,
        )
        settings = RunSettings(
            config=self.config,
            now=now,
            target_label=TARGET,
            worklog_dir=WORKLOG_DIR,
            links=links,
            dry_run=dry_run,
            max_new_issues=max_new_issues,
            max_operations=max_operations,
            should_stop=should_stop,
        )
        outcome = run(settings, [feed], tracker, state_text)
        self.outcomes.append(outcome)
        return outcome


def committed_state(fake: FakeGitHub) -> dict[str, Any]:
    text = fake.file_at(STATE_PATH)
    assert text is not None, "state.json is committed"
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def marked_issues(fake: FakeGitHub) -> dict[str, dict[str, Any]]:
    """fingerprint -> issue, for the issues carrying a problem marker (several: a list)."""
    found: dict[str, dict[str, Any]] = {}
    for issue in sorted(fake.issues.values(), key=lambda i: i["number"]):
        parsed = parse_issue_marker(issue["body"])
        if parsed is not None:
            found.setdefault(parsed.fingerprint, issue)
    return found


def dashboards(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in fake.issues.values() if i["body"].startswith("<!-- log-gardener:dashboard")]


ISSUE_WRITES = (
    ("POST", r"/labels$"),
    ("POST", r"/issues$"),
    ("PATCH", r"/issues/\d+$"),
    ("POST", r"/issues/\d+/comments$"),
)


def is_issue_write(request: RecordedRequest) -> bool:
    return any(
        request.method == method and re.search(pattern, request.path)
        for method, pattern in ISSUE_WRITES
    )


def issue_writes(requests: Sequence[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if is_issue_write(r)]


def writes_to(requests: Sequence[RecordedRequest], number: int) -> list[RecordedRequest]:
    suffix = re.compile(rf"/issues/{number}(/comments)?$")
    return [r for r in issue_writes(requests) if suffix.search(r.path)]


def comment_bodies(fake: FakeGitHub, number: int) -> list[str]:
    return [c["body"] for c in fake.comments[number]]


def journal_kinds(outcome: RunOutcome, fingerprint: str) -> list[tuple[str, str]]:
    return [
        (e.operation.kind.value, e.result.value)
        for e in outcome.journal
        if e.operation.fingerprint == fingerprint
    ]


def report_cluster(outcome: RunOutcome, fingerprint: str) -> dict[str, Any]:
    clusters = outcome.report["clusters"]
    assert isinstance(clusters, list)
    [found] = [c for c in clusters if c["fingerprint"] == fingerprint]
    assert isinstance(found, dict)
    return found


def labels_of(issue: dict[str, Any]) -> set[str]:
    return set(issue["labels"])


# -- the scenario -------------------------------------------------------------------------------

DB = "Database connection timeout while reserving stock"
PAY = "Payment provider declined the charge request"
CACHE = "Cache refresh failed for the catalogue warmer"
THUMB = "Thumbnail render failed in the image pipeline"
EXPORT = "Legacy export job skipped because the feature is disabled"

PAY_RULE = Rule(
    name="payments",
    match=Match(message=re.compile("Payment provider")),
    priority=Priority.P2,  # pinned: a spike never raises it past P2
    labels=("payments",),
    title="Payment provider declines charges",
)


def gardening_config(**policy: Any) -> RulesConfig:
    return RulesConfig(rules=(PAY_RULE,), issues=IssuePolicy(auto_resolve_days=3, **policy))


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def write_day(logs: LogStore, n: int, counts: dict[str, int]) -> None:
    severities = {CACHE: "WARNING", EXPORT: "WARNING"}
    for text, count in counts.items():
        # An hour before the run: well inside its window.
        logs.write(text, count, day(n) - timedelta(hours=1), severity=severities.get(text, "ERROR"))


CALM = {DB: 5, PAY: 5, THUMB: 4, EXPORT: 2}


def fingerprints(outcome: RunOutcome) -> dict[str, str]:
    """problem text -> fingerprint, from the run's clusters (by their template)."""
    found = {}
    for judged in outcome.judged:
        for text in (DB, PAY, CACHE, THUMB, EXPORT):
            if judged.cluster.template.startswith(text.split()[0]):
                found[text] = judged.cluster.fingerprint
    return found


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: BOT}) as server:
        yield server


def test_a_week_of_gardening(fake: FakeGitHub) -> None:
    garden = Garden(fake, gardening_config())

    # Day 1: five problems, each gets an issue; the dashboard issue is created.
    write_day(garden.logs, 1, {**CALM, CACHE: 3})
    first = garden.run(day(1), "run-1")
    assert first.error is None
    fp = fingerprints(first)
    assert len(fp) == 5 and len(set(fp.values())) == 5, "five distinct problems"
    issues = marked_issues(fake)
    assert set(issues) == set(fp.values())
    number = {text: issues[f]["number"] for text, f in fp.items()}
    [board] = dashboards(fake)
    assert fake.count("POST", r"/issues$") == 6
    assert labels_of(issues[fp[DB]]) == {"log-gardener", "P1"}
    assert labels_of(issues[fp[PAY]]) == {"log-gardener", "P2", "payments"}
    assert labels_of(issues[fp[CACHE]]) == {"log-gardener", "P3"}

    # People act: one issue is muted, one is closed as not planned.
    fake.issues[number[THUMB]]["labels"].append("log-gardener:muted")
    fake.issues[number[EXPORT]].update(state="closed", state_reason="not_planned")

    # Days 2 and 3: calm; the cache problem is silent.
    for n in (2, 3):
        write_day(garden.logs, n, CALM)
        assert garden.run(day(n), f"run-{n}").error is None
    assert fake.issues[number[CACHE]]["state"] == "open"  # 2 days silent: not yet

    # Day 4, first as a dry run: the spike and the silence are planned, nothing is written.
    write_day(garden.logs, 4, {DB: 60, PAY: 60, THUMB: 60, EXPORT: 2})
    before = len(fake.requests)
    plan = garden.run(day(4), "run-4-dry", dry_run=True)
    dry_requests = fake.requests[before:]
    assert [r for r in dry_requests if r.method != "GET"] == []
    assert plan.files and plan.commit is None
    assert journal_kinds(plan, fp[DB]) == [("comment", "dry-run"), ("update-issue", "dry-run")]
    assert journal_kinds(plan, fp[CACHE]) == [("close-completed", "dry-run")]
    assert journal_kinds(plan, fp[THUMB]) == journal_kinds(plan, fp[EXPORT]) == []
    assert report_cluster(plan, fp[DB])["escalated_from"] == "P1"
    assert report_cluster(plan, fp[DB])["priority"] == "P0"
    assert report_cluster(plan, fp[DB])["issue_action"] == ["comment", "update-issue"]
    assert report_cluster(plan, fp[PAY])["priority"] == "P2"
    assert f"issue {number[CACHE]} closed: not seen for 3 days" in plan.report["notes"]
    assert "planned (dry run)" in plan.worklog_text
    assert "(raised from P1: volume spike)" in plan.worklog_text

    # Day 4 for real.
    spike = garden.run(day(4), "run-4")
    assert spike.error is None
    db_issue = fake.issues[number[DB]]
    assert labels_of(db_issue) == {"log-gardener", "P0"}
    assert db_issue["title"].startswith("GCP-ongoing | P0 | ")
    [db_comment] = comment_bodies(fake, number[DB])
    assert "**Priority raised** from P1 to P0." in db_comment
    assert "**Volume spike**: 60 events in this run, against a usual 5.0" in db_comment
    assert "(raised from P1 by a volume spike)" in db_issue["body"]
    # Pinned: the spike is told once, the priority stays where the rule put it.
    pay_issue = fake.issues[number[PAY]]
    assert labels_of(pay_issue) == {"log-gardener", "P2", "payments"}
    [pay_comment] = comment_bodies(fake, number[PAY])
    assert "**Volume spike**: 60 events" in pay_comment and "Priority raised" not in pay_comment
    assert report_cluster(spike, fp[PAY])["escalated_from"] is None
    # Silence: closed as completed, with the label and a short comment giving the last sighting.
    cache_issue = fake.issues[number[CACHE]]
    assert (cache_issue["state"], cache_issue["state_reason"]) == ("closed", "completed")
    assert "log-gardener:resolved-by-silence" in labels_of(cache_issue)
    [silence] = comment_bodies(fake, number[CACHE])
    assert silence.startswith("Not seen for 3 days or more (last seen 2024-05-02 11:00 UTC)")
    assert "(escalated)" not in spike.worklog_text
    assert "(raised from P1: volume spike)" in spike.worklog_text

    # Day 5: the spike goes on (no second comment, no second raise); the cache problem returns.
    write_day(garden.logs, 5, {DB: 60, PAY: 60, THUMB: 60, EXPORT: 2, CACHE: 3})
    again = garden.run(day(5), "run-5")
    assert again.error is None
    assert len(comment_bodies(fake, number[DB])) == 1
    assert len(comment_bodies(fake, number[PAY])) == 1
    assert labels_of(fake.issues[number[DB]]) == {"log-gardener", "P0"}
    cache_issue = fake.issues[number[CACHE]]
    assert cache_issue["state"] == "open"
    assert cache_issue["title"].startswith("GCP-regression | P3 | ")
    assert labels_of(cache_issue) == {"log-gardener", "P3"}
    regression = comment_bodies(fake, number[CACHE])[1]
    assert regression.startswith("**Regression**: seen again at 2024-05-06 08:20 UTC")
    assert journal_kinds(again, fp[CACHE]) == [("comment", "done"), ("reopen", "done")]
    assert f"issue {number[CACHE]} reopened: the problem came back" in again.report["notes"]

    # Day 6: calm again; the priority comes back down without a comment.
    write_day(garden.logs, 6, CALM)
    calm = garden.run(day(6), "run-6")
    assert calm.error is None
    assert labels_of(fake.issues[number[DB]]) == {"log-gardener", "P1"}
    assert len(comment_bodies(fake, number[DB])) == 1

    # Muted and not planned: counted every run, never written to after day 1.
    runs = [o for o in garden.outcomes if o is not plan]
    for text in (THUMB, EXPORT):
        counts = [report_cluster(o, fp[text])["count"] for o in runs]
        assert counts == ([4, 4, 4, 60, 60, 4] if text == THUMB else [2] * 6)
        assert [report_cluster(o, fp[text])["status"] for o in runs[1:]] == ["muted"] * 5
    assert comment_bodies(fake, number[THUMB]) == comment_bodies(fake, number[EXPORT]) == []
    assert fake.issues[number[EXPORT]]["state"] == "closed"
    assert labels_of(fake.issues[number[THUMB]]) == {"log-gardener", "P1", "log-gardener:muted"}
    muted_writes = [
        r
        for r in fake.requests
        if is_issue_write(r)
        and re.search(rf"/issues/({number[THUMB]}|{number[EXPORT]})(/comments)?$", r.path)
    ]
    assert muted_writes == []

    # The dashboard: created once, then edited in place every run, never commented on.
    assert dashboards(fake) == [board]
    assert fake.count("PATCH", rf"/issues/{board['number']}$") == 5
    assert comment_bodies(fake, board["number"]) == []
    assert board["state"] == "open"
    assert "Open problems as of 2024-05-07 12:00 UTC: 3." in board["body"]
    for text in (DB, PAY, CACHE):
        assert f"[issue {number[text]}]({number[text]})" in board["body"]
    for text in (THUMB, EXPORT):
        assert f"[issue {number[text]}]" not in board["body"]

    # The index: every run, newest first, and the problems.
    index = fake.file_at(INDEX_PATH)
    assert index is not None
    lines = [line for line in index.splitlines() if line.startswith("| 2024-")]
    assert [line.split(" | ")[0] for line in lines] == [
        f"| {day(n):%Y-%m-%dT%H:%M:%S}Z" for n in (6, 5, 4, 3, 2, 1)
    ]
    open_section = index[index.index("## Open problems") :]
    for text in (DB, PAY, CACHE):
        assert f"| issue {number[text]} |" in open_section
    for text in (THUMB, EXPORT):  # muted, closed as not planned: not open problems
        assert f"| issue {number[text]} |" not in open_section
    ours = [c for c in fake.branch_commits() if c["message"] == COMMIT_MESSAGE]
    assert len(ours) == 6, "one commit per real run, none for the dry run"
    state = committed_state(fake)
    assert [r["run_id"] for r in state["runs"]] == [f"run-{n}" for n in (6, 5, 4, 3, 2, 1)]
    assert [h["count"] for h in state["clusters"][fp[DB]]["history"]] == [5, 5, 5, 60, 60, 5]


def is_problem_create(request: RecordedRequest) -> bool:
    return (
        request.method == "POST"
        and request.path.endswith("/issues")
        and parse_issue_marker(request.body["body"]) is not None
    )


def test_budgets_hold_on_every_run_and_deferred_work_is_done_later(fake: FakeGitHub) -> None:
    garden = Garden(fake, gardening_config())
    every_day = {**CALM, CACHE: 3}
    spent = []
    for n in range(1, 6):
        write_day(garden.logs, n, every_day)
        start = len(fake.requests)
        outcome = garden.run(day(n), f"run-{n}", max_operations=8, max_new_issues=2)
        assert outcome.error is None
        writes = issue_writes(fake.requests[start:])
        creates = [r for r in writes if is_problem_create(r)]
        assert len(writes) <= 8 and len(creates) <= 2
        deferred = [e for e in outcome.journal if e.result is OperationResult.DEFERRED_BUDGET]
        pending = committed_state(fake)["pending"]
        assert len(pending) == len(deferred)
        if deferred:
            assert "did not fit this run's budget; the next run does them" in outcome.worklog_text
        spent.append((len(writes), len(creates), len(deferred)))
    # (issue writes, problem issues created, operations deferred) per run: labels count too.
    assert spent == [(8, 2, 4), (6, 2, 1), (6, 1, 0), (6, 0, 0), (6, 0, 0)]
    assert len(marked_issues(fake)) == 5
    markers = [i["body"].split("\n", 1)[0] for i in fake.issues.values()]
    assert len(markers) == len(set(markers)), "never a duplicate"
    assert len(dashboards(fake)) == 1


def test_a_deferred_create_is_done_even_if_the_problem_stays_quiet(fake: FakeGitHub) -> None:
    garden = Garden(fake, gardening_config())
    write_day(garden.logs, 1, {DB: 5, PAY: 5, CACHE: 3})
    first = garden.run(day(1), "run-1", max_new_issues=2)
    assert [p["kind"] for p in committed_state(fake)["pending"]] == ["create-issue"]
    assert first.error is None
    write_day(garden.logs, 2, {DB: 5, PAY: 5})  # the cache problem does not come back
    assert garden.run(day(2), "run-2").error is None
    assert len(marked_issues(fake)) == 3
