"""Small builders for the planning tests: clusters, judgements, issues and a run simulator.

The simulator applies a plan to an in-memory list of issues the way GitHub would (numbers
given in order, comments recorded with their run marker), so several runs can be chained
without the GitHub adapter.  It is a model of GitHub for the pure core, not a fake server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from log_gardener.core.judging.lifecycle import assess, record_run
from log_gardener.core.judging.rules import IssuePolicy
from log_gardener.core.planning.plan import Plan, PlanInput, RunLinks, plan_issues
from log_gardener.core.publishing import issue_render
from log_gardener.core.shared.marker import comment_run_id, is_dashboard, parse_issue_marker
from log_gardener.core.shared.redact import RedactionPolicy
from log_gardener.core.shared.state import GardenerState, KnownCluster, RunCount
from log_gardener.model import (
    ClusterSummary,
    ExistingIssue,
    GroupingKind,
    IssueState,
    Judgement,
    LogRecord,
    Operation,
    OperationKind,
    Priority,
    Severity,
    StackFrame,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def record(text: str = "ValueError: bad input 42", **overrides: object) -> LogRecord:
    values: dict[str, object] = {
        "insert_id": "id-1",
        "timestamp": T0,
        "severity": Severity.ERROR,
        "message": text.split("\n", 1)[0],
        "text": text,
        "resource_type": "cloud_run_revision",
        "service": "checkout",
        "revision": "checkout-00042-abc",
    }
    values.update(overrides)
    return LogRecord(**values)  # type: ignore[arg-type]


def cluster(fp: str = "a1b2c3d4e5f60718", count: int = 5, **overrides: object) -> ClusterSummary:
    first = overrides.pop("first_seen", T0)
    assert isinstance(first, datetime)
    values: dict[str, object] = {
        "fingerprint": fp,
        "kind": GroupingKind.STACK,
        "template": "bad input <NUM>",
        "exception_type": "ValueError",
        "exception_value": "bad input 42",
        "top_frames": (
            StackFrame("app.handlers", "checkout", "app/handlers.py", 10),
            StackFrame("app.payment", "charge", "app/payment.py", 88),
        ),
        "logger": "app.payment",
        "count": count,
        "severity_counts": {Severity.ERROR: count},
        "first_seen": first,
        "last_seen": first + timedelta(minutes=30),
        "services": ("checkout",),
        "revisions": {"checkout-00042-abc": count},
        "locations": ("europe-west1",),
        "samples": (record(),),
        "buckets": (count,),
    }
    values.update(overrides)
    return ClusterSummary(**values)  # type: ignore[arg-type]


def judgement(priority: Priority = Priority.P2, **overrides: object) -> Judgement:
    values: dict[str, object] = {
        "priority": priority,
        "labels": (),
        "title": "",
        "impact": "",
        "rule": "default",
    }
    values.update(overrides)
    return Judgement(**values)  # type: ignore[arg-type]


def issue(number: int, fp: str = "a1b2c3d4e5f60718", **overrides: object) -> ExistingIssue:
    values: dict[str, object] = {
        "number": number,
        "state": IssueState.OPEN,
        "title": f"GCP-ongoing | P2 | issue {number}",
        "body": f"<!-- log-gardener:issue fingerprint={fp} grouping=v1 -->\nbody",
        "labels": ("log-gardener", "P2"),
        "fingerprint": fp,
        "grouping_version": "v1",
    }
    values.update(overrides)
    return ExistingIssue(**values)  # type: ignore[arg-type]


def known(
    fp: str = "a1b2c3d4e5f60718", counts: tuple[int, ...] = (), **overrides: object
) -> KnownCluster:
    history = tuple(
        RunCount(f"run-{i}", T0 - timedelta(hours=len(counts) - i), c) for i, c in enumerate(counts)
    )
    values: dict[str, object] = {
        "fingerprint": fp,
        "kind": GroupingKind.STACK,
        "template": "bad input <NUM>",
        "history": history,
        "first_seen": T0 - timedelta(days=1),
        "last_seen": T0 - timedelta(hours=1),
    }
    values.update(overrides)
    return KnownCluster(**values)  # type: ignore[arg-type]


@dataclass
class Comment:
    issue: int
    body: str


@dataclass
class FakeRepo:
    """GitHub's issues as the planner sees them, changed by applying operations."""

    issues: dict[int, ExistingIssue] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    next_number: int = 1
    writes: int = 0

    def listing(self) -> list[ExistingIssue]:
        return [self.issues[n] for n in sorted(self.issues)]

    def apply(self, plan: Plan) -> dict[str, int]:
        """Applies every operation; returns fingerprint -> issue number for created issues."""
        created: dict[str, int] = {}
        for op in plan.operations:
            if op.kind is OperationKind.ENSURE_LABEL:
                continue
            self.writes += 1
            if op.kind is OperationKind.CREATE_ISSUE:
                number = self.next_number
                self.next_number += 1
                marker = parse_issue_marker(op.body)
                self.issues[number] = ExistingIssue(
                    number=number,
                    state=IssueState.OPEN,
                    title=op.title,
                    body=op.body,
                    labels=op.labels,
                    fingerprint=marker.fingerprint if marker else "",
                    grouping_version=marker.grouping_version if marker else "",
                    is_dashboard=is_dashboard(op.body),
                )
                if marker:
                    created[marker.fingerprint] = number
                continue
            assert op.issue_number is not None
            current = self.issues[op.issue_number]
            self.issues[op.issue_number] = self._changed(current, op.kind, op)
        return created

    def _changed(self, current: ExistingIssue, kind: OperationKind, op: Operation) -> ExistingIssue:
        """Mirrors the GitHub adapter: REOPEN edits like UPDATE_ISSUE; a close posts its body
        as a comment (once per run marker) and only adds labels."""
        if kind is OperationKind.UPDATE_ISSUE:
            return replace(current, title=op.title, body=op.body, labels=op.labels)
        if kind is OperationKind.REOPEN:
            edited = replace(current, title=op.title, body=op.body, labels=op.labels)
            return replace(edited, state=IssueState.OPEN, closed_at=None)
        if kind is OperationKind.COMMENT:
            return self._comment(current, op)
        if kind in (OperationKind.CLOSE_COMPLETED, OperationKind.CLOSE_DUPLICATE):
            closed = self._comment(current, op)
            state = (
                IssueState.CLOSED_COMPLETED
                if kind is OperationKind.CLOSE_COMPLETED
                else IssueState.CLOSED_NOT_PLANNED
            )
            labels = tuple(dict.fromkeys([*current.labels, *op.labels]))
            return replace(closed, state=state, labels=labels)
        raise AssertionError(f"unexpected {kind}")

    def _comment(self, current: ExistingIssue, op: Operation) -> ExistingIssue:
        run = comment_run_id(op.body)
        assert run == op.run_id, "every gardener comment ends with its run marker"
        if run in current.comment_run_ids:
            return current
        self.comments.append(Comment(current.number, op.body))
        return replace(current, comment_run_ids=current.comment_run_ids | {run})


@dataclass
class Garden:
    """Chains runs: assess -> plan -> apply to FakeRepo -> record state."""

    policy: IssuePolicy = field(default_factory=IssuePolicy)
    repo: FakeRepo = field(default_factory=FakeRepo)
    state: GardenerState = field(default_factory=GardenerState)
    runs: int = 0

    def run(
        self,
        pairs: list[tuple[ClusterSummary, Judgement]],
        now: datetime,
        run_id: str | None = None,
        commit_state: bool = True,  # False: the job dies after its writes, before the commit
    ) -> Plan:
        self.runs += 1
        links = RunLinks(run_id=run_id or f"run{self.runs}", worklog_path="worklog/x.md")
        existing = self.repo.listing()
        judged = assess(pairs, existing, self.state, self.policy, now, run_id=links.run_id)
        plan = plan_issues(
            PlanInput(
                judged,
                existing,
                self.state,
                self.policy,
                RedactionPolicy(),
                now,
                links,
                texts=issue_render,
            )
        )
        created = self.repo.apply(plan)
        issue_for = {**plan.issue_for, **created}
        if not commit_state:
            return plan
        self.state = record_run(
            self.state, judged, run_id=links.run_id, window_end=now, issue_for=issue_for
        )
        return plan


def kinds(plan: Plan) -> list[tuple[str, int | None]]:
    """The writes of a plan (labels left out), as (kind, issue number)."""
    return [
        (op.kind.value, op.issue_number)
        for op in plan.operations
        if op.kind is not OperationKind.ENSURE_LABEL
    ]
