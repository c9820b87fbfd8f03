"""The plan of operations, over several simulated runs with a controlled clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from log_gardener.core.judging.lifecycle import MUTED_LABEL, RESOLVED_BY_SILENCE_LABEL, assess
from log_gardener.core.judging.rules import CommentMode, IssuePolicy
from log_gardener.core.planning.plan import Plan, PlanInput, RunLinks, plan_issues
from log_gardener.core.publishing import issue_render
from log_gardener.core.shared.marker import (
    comment_run_id,
    is_dashboard,
    parse_issue_marker,
    run_marker,
)
from log_gardener.core.shared.redact import RedactionPolicy
from log_gardener.core.shared.state import GardenerState
from log_gardener.model import ClusterStatus, IssueState, OperationKind, Priority
from tests.planning_factory import T0, Garden, cluster, issue, judgement, kinds, known

FP_A = "aaaaaaaaaaaaaaaa"
FP_B = "bbbbbbbbbbbbbbbb"
HOUR = timedelta(hours=1)


def _pairs(count_a: int = 5, count_b: int = 3, **judge: object) -> list:
    return [
        (cluster(FP_A, count=count_a), judgement(Priority.P2, **judge)),
        (cluster(FP_B, count=count_b, exception_type="KeyError"), judgement(Priority.P1)),
    ]


def test_first_run_creates_one_issue_per_problem_then_the_dashboard() -> None:
    garden = Garden()
    plan = garden.run(_pairs(), T0)
    assert kinds(plan) == [("create-issue", None)] * 3
    creates = [op for op in plan.operations if op.kind is OperationKind.CREATE_ISSUE]
    # P1 first (more urgent), then P2, then the dashboard
    assert [op.fingerprint for op in creates] == [FP_B, FP_A, ""]
    assert [op.counts_as_new_issue for op in creates] == [True, True, False]
    assert creates[0].labels == ("log-gardener", "P1")
    assert creates[0].title == "GCP-new | P1 | KeyError: bad input ‹NUM›"
    assert parse_issue_marker(creates[0].body) is not None
    assert is_dashboard(creates[2].body)
    labels = [op.labels[0] for op in plan.operations if op.kind is OperationKind.ENSURE_LABEL]
    assert labels == ["P1", "P2", "log-gardener", MUTED_LABEL]
    assert plan.operations[: len(labels)] == tuple(
        op for op in plan.operations if op.kind is OperationKind.ENSURE_LABEL
    )


def test_labels_have_colours_and_short_descriptions() -> None:
    plan = Garden().run(_pairs(labels=("team:payments",)), T0)
    for op in plan.operations:
        if op.kind is OperationKind.ENSURE_LABEL:
            assert len(op.labels[0]) <= 50 and 0 < len(op.description) <= 100
            assert len(op.color) == 6 and int(op.color, 16) >= 0
    ensured = {op.labels[0]: op.description for op in plan.operations if op.labels}
    assert ensured["team:payments"] == "Set by a log-gardener rule"


def test_second_run_updates_in_place_and_comments_only_on_change() -> None:
    garden = Garden()
    garden.run(_pairs(), T0)
    plan = garden.run(_pairs(), T0 + HOUR)
    # issue numbers: B=1 (P1 first), A=2, dashboard=3
    assert kinds(plan) == [("update-issue", 1), ("update-issue", 2), ("update-issue", 3)]
    assert garden.repo.issues[2].title == "GCP-ongoing | P2 | ValueError: bad input ‹NUM›"
    assert garden.repo.comments == []
    assert len(garden.repo.issues) == 3


def test_replay_by_a_later_job_repeats_no_comment() -> None:
    """A job dies after its writes and before its state commit; the next job (another job id)
    re-reads the same window with the same state: it plans the same comment and skips it."""
    garden = Garden()
    garden.run(_pairs(), T0)
    rev = {"checkout-00043-new": 5}
    moved = [(cluster(FP_A, revisions=rev), judgement(Priority.P2))]
    first = garden.run(moved, T0 + HOUR, run_id="job-1", commit_state=False)
    assert ("comment", 2) in kinds(first)
    replay = garden.run(moved, T0 + HOUR, run_id="job-2")
    assert ("comment", 2) not in kinds(replay)
    assert len(garden.repo.comments) == 1
    [comment] = [op for op in first.operations if op.kind is OperationKind.COMMENT]
    assert comment.run_id.startswith("c-")
    assert garden.repo.comments[0].body.endswith(run_marker(comment.run_id) + "\n")
    # and the issues: still one per problem plus the dashboard
    assert sorted(garden.repo.issues) == [1, 2, 3]


def test_replay_by_a_later_job_creates_no_issue() -> None:
    garden = Garden()
    garden.run(_pairs(), T0, run_id="job-1", commit_state=False)
    plan = garden.run(_pairs(), T0, run_id="job-2")
    assert [k for k, _ in kinds(plan)] == ["update-issue"] * 3
    assert sorted(garden.repo.issues) == [1, 2, 3]


def test_plans_are_deterministic() -> None:
    garden = Garden()
    garden.run(_pairs(), T0)
    existing = garden.repo.listing()
    judged = assess(_pairs(), existing, garden.state, garden.policy, T0 + HOUR)
    links = RunLinks(run_id="r2")
    inp = PlanInput(
        judged,
        existing,
        garden.state,
        IssuePolicy(),
        RedactionPolicy(),
        T0,
        links,
        texts=issue_render,
    )
    reversed_inp = PlanInput(
        list(reversed(judged)),
        existing,
        garden.state,
        IssuePolicy(),
        RedactionPolicy(),
        T0,
        links,
        texts=issue_render,
    )
    assert plan_issues(inp) == plan_issues(inp) == plan_issues(reversed_inp)


def test_new_revision_comments_once() -> None:
    garden = Garden()
    garden.run(_pairs(), T0)
    rev = {"checkout-00042-abc": 2, "checkout-00043-new": 3}
    moved = [(cluster(FP_A, revisions=rev), judgement(Priority.P2))]
    plan = garden.run(moved, T0 + HOUR)
    assert [op.reason for op in plan.operations if op.kind is OperationKind.COMMENT] == [
        "new revision"
    ]
    assert "**New revision affected**: `checkout-00043-new`." in garden.repo.comments[0].body
    garden.run(moved, T0 + 2 * HOUR)
    assert len(garden.repo.comments) == 1


@pytest.mark.parametrize(
    ("mode", "comments"),
    [(CommentMode.ON_CHANGE, 0), (CommentMode.EVERY_RUN, 2), (CommentMode.NEVER, 0)],
)
def test_comment_modes_on_quiet_runs(mode: CommentMode, comments: int) -> None:
    garden = Garden(policy=IssuePolicy(comment=mode, dashboard=False))
    garden.run(_pairs(), T0)
    garden.run(_pairs(), T0 + HOUR)
    assert len(garden.repo.comments) == comments


def test_comment_mode_never_silences_a_regression_comment_but_still_reopens() -> None:
    garden = Garden(policy=IssuePolicy(comment=CommentMode.NEVER, dashboard=False))
    garden.repo.issues[1] = issue(1, FP_A, state=IssueState.CLOSED_COMPLETED)
    garden.repo.next_number = 2
    plan = garden.run([(cluster(FP_A), judgement())], T0)
    assert kinds(plan) == [("reopen", 1)]


def test_closed_completed_reopens_with_a_regression_comment() -> None:
    garden = Garden(policy=IssuePolicy(dashboard=False))
    garden.repo.issues[1] = issue(1, FP_A, state=IssueState.CLOSED_COMPLETED)
    garden.repo.next_number = 2
    plan = garden.run([(cluster(FP_A), judgement())], T0)
    assert kinds(plan) == [("comment", 1), ("reopen", 1)]
    assert garden.repo.issues[1].state is IssueState.OPEN
    assert garden.repo.issues[1].title.startswith("GCP-regression | P2 | ")
    assert garden.repo.comments[0].body == (
        "**Regression**: seen again at 2024-05-01 12:00 UTC in revision `checkout-00042-abc` "
        "after this issue was closed.\n\n"
        + run_marker(comment_run_id(garden.repo.comments[0].body) or "")
        + "\n"
    )
    assert plan.notes == ("issue 1 reopened: the problem came back",)


def test_reopen_off_leaves_closed_issue_alone() -> None:
    garden = Garden(policy=IssuePolicy(reopen=False, dashboard=False))
    garden.repo.issues[1] = issue(1, FP_A, state=IssueState.CLOSED_COMPLETED)
    plan = garden.run([(cluster(FP_A), judgement())], T0)
    assert kinds(plan) == []


@pytest.mark.parametrize(
    "muted",
    [
        issue(1, FP_A, state=IssueState.CLOSED_NOT_PLANNED),
        issue(1, FP_A, labels=("log-gardener", "P2", MUTED_LABEL)),
        issue(1, FP_A, state=IssueState.CLOSED_COMPLETED, labels=("log-gardener", MUTED_LABEL)),
    ],
)
def test_not_planned_or_muted_issue_is_never_written(muted: object) -> None:
    garden = Garden(policy=IssuePolicy(dashboard=False))
    garden.repo.issues[1] = muted  # type: ignore[assignment]
    garden.repo.next_number = 2
    state = GardenerState(
        clusters={FP_A: known(FP_A, counts=(1, 1, 1, 1), last_seen=T0 - 30 * 24 * HOUR)}
    )
    garden.state = state
    plan = garden.run([(cluster(FP_A, count=500), judgement())], T0)  # a spike, too
    assert kinds(plan) == []
    assert plan.notes == ("problem aaaaaaaaaaaa is muted on issue 1: counted only",)
    # and silence does not close a muted open issue either
    later = garden.run([], T0 + 30 * 24 * HOUR)
    assert kinds(later) == []


def test_ignore_rule_creates_no_issue() -> None:
    plan = Garden(policy=IssuePolicy(dashboard=False)).run(
        [(cluster(FP_A), judgement(ignored=True))], T0
    )
    assert kinds(plan) == []
    assert plan.notes == ("problem aaaaaaaaaaaa matched an ignore rule: counted, no issue",)


def _warm(garden: Garden, runs: int = 4) -> None:
    for i in range(runs):
        garden.run([(cluster(FP_A, count=10 + i % 2), judgement(Priority.P2))], T0 + i * HOUR)


def test_spike_raises_priority_once_and_comments_once() -> None:
    garden = Garden(policy=IssuePolicy(dashboard=False))
    _warm(garden)
    spike = [(cluster(FP_A, count=90), judgement(Priority.P2))]
    plan = garden.run(spike, T0 + 4 * HOUR)
    assert kinds(plan) == [("comment", 1), ("update-issue", 1)]
    assert garden.repo.issues[1].labels == ("log-gardener", "P1")
    assert garden.repo.issues[1].title.startswith("GCP-ongoing | P1 | ")
    [comment] = garden.repo.comments
    assert comment.body.startswith(
        "**Priority raised** from P2 to P1.\n\n**Volume spike**: 90 events in this run, "
        "against a usual 10.5 ± 3.2 over 4 runs (limit 20.2).\n\n"
    )
    # the spike goes on: still P1, no second comment
    plan = garden.run([(cluster(FP_A, count=95), judgement(Priority.P2))], T0 + 5 * HOUR)
    assert kinds(plan) == [("update-issue", 1)]
    assert garden.repo.issues[1].labels == ("log-gardener", "P1")
    # calm again: back to the rule's priority, quietly
    plan = garden.run([(cluster(FP_A, count=10), judgement(Priority.P2))], T0 + 6 * HOUR)
    assert kinds(plan) == [("update-issue", 1)]
    assert garden.repo.issues[1].labels == ("log-gardener", "P2")
    assert len(garden.repo.comments) == 1


def test_spike_on_a_pinned_rule_comments_but_keeps_the_priority() -> None:
    garden = Garden(policy=IssuePolicy(dashboard=False))
    _warm(garden)
    plan = garden.run(
        [(cluster(FP_A, count=90), judgement(Priority.P2, pinned=True))], T0 + 4 * HOUR
    )
    assert kinds(plan) == [("comment", 1), ("update-issue", 1)]
    assert garden.repo.issues[1].labels == ("log-gardener", "P2")
    assert garden.repo.comments[0].body.startswith("**Volume spike**: 90 events")


def test_human_labels_survive_updates_and_managed_ones_are_replaced() -> None:
    garden = Garden(policy=IssuePolicy(dashboard=False))
    garden.repo.issues[1] = issue(1, FP_A, labels=("log-gardener", "P4", "team-x", "bug"))
    garden.repo.next_number = 2
    garden.run([(cluster(FP_A), judgement(Priority.P2, labels=("payments",)))], T0)
    assert garden.repo.issues[1].labels == ("log-gardener", "P2", "payments", "bug", "team-x")


def test_silence_closes_with_the_label_and_a_recurrence_reopens() -> None:
    garden = Garden(policy=IssuePolicy(auto_resolve_days=7, dashboard=False))
    garden.run([(cluster(FP_A), judgement())], T0)
    assert kinds(garden.run([], T0 + 6 * 24 * HOUR)) == []  # 6 days: not yet
    plan = garden.run([], T0 + 7 * 24 * HOUR + HOUR)
    assert kinds(plan) == [("close-completed", 1)]
    closed = garden.repo.issues[1]
    assert closed.state is IssueState.CLOSED_COMPLETED
    assert closed.labels == ("log-gardener", "P2", RESOLVED_BY_SILENCE_LABEL)
    assert garden.repo.comments[0].body.startswith(
        "Not seen for 7 days or more (last seen 2024-05-01 12:30 UTC): closing as resolved."
    )
    assert plan.notes == ("issue 1 closed: not seen for 7 days",)
    # silent again next run: nothing more (it is closed)
    assert kinds(garden.run([], T0 + 9 * 24 * HOUR)) == []
    back = garden.run(
        [(cluster(FP_A, first_seen=T0 + 10 * 24 * HOUR), judgement())], T0 + 10 * 24 * HOUR
    )
    assert kinds(back) == [("comment", 1), ("reopen", 1)]
    assert garden.repo.issues[1].labels == ("log-gardener", "P2")  # resolved label removed
    assert "**Regression**: seen again at 2024-05-11 12:00 UTC" in garden.repo.comments[-1].body


def test_duplicates_are_closed_keeping_the_lowest() -> None:
    garden = Garden(policy=IssuePolicy(dashboard=False))
    garden.repo.issues = {4: issue(4, FP_A), 9: issue(9, FP_A)}
    garden.repo.next_number = 10
    plan = garden.run([(cluster(FP_A), judgement())], T0)
    assert kinds(plan) == [("update-issue", 4), ("close-duplicate", 9)]
    assert garden.repo.issues[9].state is IssueState.CLOSED_NOT_PLANNED
    assert garden.repo.comments[0].body.startswith(
        "Duplicate of #4, which tracks the same problem."
    )
    assert plan.notes == ("issue 9 closed as a duplicate of issue 4",)
    assert plan.issue_for == {FP_A: 4}
    assert kinds(garden.run([(cluster(FP_A), judgement())], T0 + HOUR)) == [("update-issue", 4)]


def test_dashboard_created_once_then_edited() -> None:
    garden = Garden()
    first = garden.run(_pairs(), T0)
    assert kinds(first)[-1] == ("create-issue", None)
    for hour in (1, 2):
        plan = garden.run(_pairs(), T0 + hour * HOUR)
        assert kinds(plan)[-1] == ("update-issue", 3)
    dashboards = [i for i in garden.repo.issues.values() if i.is_dashboard]
    assert [d.number for d in dashboards] == [3]
    assert not any(c.issue == 3 for c in garden.repo.comments)
    body = dashboards[0].body
    assert (
        "| P1 | [issue 1](1) | `KeyError: bad input ‹NUM›` | ongoing | 3 | ███ | 2024-05-01 12:30 UTC |"
        in body
    )


def test_dashboard_lists_unseen_open_problems_and_drops_closed_ones() -> None:
    garden = Garden()
    garden.run(_pairs(), T0)
    plan = garden.run([(cluster(FP_A), judgement(Priority.P2))], T0 + HOUR)
    body = next(op.body for op in plan.operations if op.issue_number == 3)
    assert "Open problems as of 2024-05-01 13:00 UTC: 2." in body
    assert "| P1 | [issue 1](1) | `KeyError: bad input ‹NUM›` | ongoing | 0 | █▁ |" in body
    assert "| P2 | [issue 2](2) | `ValueError: bad input ‹NUM›` | ongoing | 5 | ██ |" in body


def test_plan_input_statuses_from_assess() -> None:
    judged = assess(_pairs(), [issue(1, FP_A)], GardenerState(), IssuePolicy(), T0)
    assert [j.status for j in judged] == [ClusterStatus.ONGOING, ClusterStatus.NEW]


def test_issue_for_maps_every_known_issue() -> None:
    existing = [issue(1, FP_A), issue(2, FP_B, state=IssueState.CLOSED_NOT_PLANNED)]
    judged = assess(_pairs(), existing, GardenerState(), IssuePolicy(), T0)
    plan: Plan = plan_issues(
        PlanInput(
            judged,
            existing,
            GardenerState(),
            IssuePolicy(),
            RedactionPolicy(),
            T0,
            RunLinks("r"),
            texts=issue_render,
        )
    )
    assert plan.issue_for == {FP_A: 1, FP_B: 2}


def test_order_labels_then_problems_by_priority_and_count_then_cleanup_then_dashboard() -> None:
    fp_c, fp_d, fp_e = "cccccccccccccccc", "dddddddddddddddd", "eeeeeeeeeeeeeeee"
    existing = [
        issue(1, FP_A),
        issue(2, fp_d),  # silent for 30 days: closed
        issue(3, FP_A),  # duplicate of #1
        issue(4, fp_e, labels=("log-gardener", "P3", MUTED_LABEL)),  # muted and silent: untouched
        issue(5, "", is_dashboard=True, body="<!-- log-gardener:dashboard -->"),
    ]
    old = T0 - 30 * 24 * HOUR
    state = GardenerState(
        clusters={fp_d: known(fp_d, last_seen=old), fp_e: known(fp_e, last_seen=old)}
    )
    pairs = [
        (cluster(FP_A, count=5), judgement(Priority.P2)),
        (cluster(FP_B, count=50), judgement(Priority.P2)),
        (cluster(fp_c, count=1), judgement(Priority.P0)),
    ]
    judged = assess(pairs, existing, state, IssuePolicy(), T0)
    plan = plan_issues(
        PlanInput(
            judged,
            existing,
            state,
            IssuePolicy(),
            RedactionPolicy(),
            T0,
            RunLinks("r9"),
            texts=issue_render,
        )
    )
    assert kinds(plan) == [
        ("create-issue", None),  # P0 first
        ("create-issue", None),  # P2 with 50 events
        ("update-issue", 1),  # P2 with 5 events
        ("close-duplicate", 3),
        ("close-completed", 2),
        ("update-issue", 5),  # the dashboard, last
    ]
    creates = [op.fingerprint for op in plan.operations if op.kind is OperationKind.CREATE_ISSUE]
    assert creates == [fp_c, FP_B]
    ensured = [op.title for op in plan.operations if op.kind is OperationKind.ENSURE_LABEL]
    assert ensured == ["P0", "P2", "log-gardener", MUTED_LABEL, RESOLVED_BY_SILENCE_LABEL]
    dashboard = plan.operations[-1].body
    assert "Open problems as of 2024-05-01 12:00 UTC: 3." in dashboard  # #2, #3, #4 left out
    assert (
        "| [issue 2](2) |" not in dashboard
        and "| [issue 3](3) |" not in dashboard
        and "| [issue 4](4) |" not in dashboard
    )
    assert plan.notes == (
        "issue 3 closed as a duplicate of issue 1",
        "issue 2 closed: not seen for 7 days",
    )
