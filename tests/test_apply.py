"""apply_plan: dry run, budgets, held labels, failures, cancellation; real tracker on the fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from log_gardener.apply import (
    ALREADY_POSTED,
    CANCELLED,
    DRY_RUN,
    NO_TRACKER,
    OVER_NEW_ISSUES,
    OVER_OPERATIONS,
    Budget,
    apply_plan,
)
from log_gardener.core.shared.marker import dashboard_marker, issue_marker, run_marker
from log_gardener.model import JournalEntry, Operation, OperationKind, OperationResult
from tests.fakes.github import FakeGitHub, make_tracker

BOT = "log-gardener-bot"
DONE = OperationResult.DONE
DEFERRED = OperationResult.DEFERRED_BUDGET
FAILED = OperationResult.FAILED


def fp(n: int) -> str:
    return f"{n:016x}"


def create(n: int, labels: tuple[str, ...] = ("P2",)) -> Operation:
    return Operation(
        OperationKind.CREATE_ISSUE,
        fingerprint=fp(n),
        title=f"GCP-new | P2 | problem {n}",
        body=issue_marker(fp(n), "v1") + "\nbody",
        labels=labels,
        counts_as_new_issue=True,
    )


def label(name: str) -> Operation:
    return Operation(OperationKind.ENSURE_LABEL, title=name, color="b60205", description="d")


def results(journal: tuple[JournalEntry, ...]) -> list[tuple[str, str, str]]:
    return [(e.operation.kind.value, e.operation.title, e.result.value) for e in journal]


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(tokens={"test-token": BOT}) as server:
        yield server


def test_dry_run_makes_zero_requests(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", issue_marker(fp(9), "v1"))
    ops = [
        label("P1"),
        create(1),
        Operation(OperationKind.UPDATE_ISSUE, issue_number=number, title="x"),
        Operation(OperationKind.COMMENT, issue_number=number, body="c", run_id="r"),
        Operation(OperationKind.REOPEN, issue_number=number),
        Operation(OperationKind.CLOSE_COMPLETED, issue_number=number),
        Operation(OperationKind.COMMIT_WORKLOG, files={"a": "b"}),
    ]

    journal = apply_plan(
        ops, make_tracker(fake), max_operations=50, max_new_issues=10, dry_run=True
    )

    assert [e.result for e in journal] == [OperationResult.SKIPPED_DRY_RUN] * 7
    assert {e.detail for e in journal} == {DRY_RUN}
    assert [e.operation for e in journal] == ops
    assert fake.requests == []


def test_no_tracker_is_a_dry_run() -> None:
    journal = apply_plan([create(1)], None, max_operations=5, max_new_issues=5, dry_run=False)
    assert [(e.result, e.detail) for e in journal] == [
        (OperationResult.SKIPPED_DRY_RUN, NO_TRACKER)
    ]


def test_max_new_issues_defers_creates_but_not_other_work(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", issue_marker(fp(9), "v1"))
    dashboard = Operation(
        OperationKind.CREATE_ISSUE, title="Dashboard", body=dashboard_marker() + "\nlist"
    )
    ops = [
        create(1),
        create(2),
        Operation(OperationKind.UPDATE_ISSUE, issue_number=number, title="updated"),
        create(3),
        dashboard,
    ]

    journal = apply_plan(
        ops, make_tracker(fake), max_operations=50, max_new_issues=1, dry_run=False
    )

    assert [(e.result, e.detail) for e in journal] == [
        (DONE, "created"),
        (DEFERRED, OVER_NEW_ISSUES),
        (DONE, "updated"),
        (DEFERRED, OVER_NEW_ISSUES),
        (DONE, "created"),
    ]
    assert sorted(i["title"] for i in fake.issues.values()) == [
        "Dashboard",
        "GCP-new | P2 | problem 1",
        "updated",
    ]


def test_max_operations_defers_the_rest_and_the_next_run_completes_it(fake: FakeGitHub) -> None:
    ops = [create(n) for n in range(1, 6)]

    first = apply_plan(ops, make_tracker(fake), max_operations=3, max_new_issues=10, dry_run=False)

    assert [e.result for e in first] == [DONE, DONE, DONE, DEFERRED, DEFERRED]
    assert first[3].detail == OVER_OPERATIONS
    # The next run plans again from what exists: only the deferred problems are created.
    tracker = make_tracker(fake)
    known = {i.fingerprint for i in tracker.list_marked_issues()}
    second = apply_plan(
        [op for op in ops if op.fingerprint not in known],
        tracker,
        max_operations=3,
        max_new_issues=10,
        dry_run=False,
    )
    assert [e.result for e in second] == [DONE, DONE]
    assert sorted(i.fingerprint for i in tracker.list_marked_issues()) == [
        fp(n) for n in range(1, 6)
    ]


def test_labels_are_created_just_before_the_first_op_using_them(fake: FakeGitHub) -> None:
    ops = [label("P1"), label("P4"), label("P2"), create(1, ("P2",)), create(2, ("P1",))]

    journal = apply_plan(
        ops, make_tracker(fake), max_operations=50, max_new_issues=10, dry_run=False
    )

    assert results(journal) == [
        ("ensure-label", "P2", "done"),
        ("create-issue", "GCP-new | P2 | problem 1", "done"),
        ("ensure-label", "P1", "done"),
        ("create-issue", "GCP-new | P2 | problem 2", "done"),
        ("ensure-label", "P4", "done"),
    ]
    assert fake.labels["P2"]["color"] == "b60205"
    posts = [r.path.rsplit("/", 1)[-1] for r in fake.write_requests()]
    assert posts == ["labels", "issues", "labels", "issues", "labels"]


def test_labels_count_toward_the_budget(fake: FakeGitHub) -> None:
    ops = [label("P1"), label("P2"), create(1, ("P1",)), create(2, ("P2",))]

    journal = apply_plan(
        ops, make_tracker(fake), max_operations=3, max_new_issues=10, dry_run=False
    )

    assert results(journal) == [
        ("ensure-label", "P1", "done"),
        ("create-issue", "GCP-new | P2 | problem 1", "done"),
        ("ensure-label", "P2", "done"),
        ("create-issue", "GCP-new | P2 | problem 2", "deferred"),
    ]
    assert len(fake.write_requests()) == 3


def test_work_that_writes_nothing_gives_its_budget_back(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", issue_marker(fp(9), "v1"))
    fake.seed_comment(number, "old\n\n" + run_marker("r1"))
    fake.labels["P2"] = {"name": "P2", "color": "fff", "description": ""}
    ops = [
        label("P2"),
        Operation(OperationKind.COMMENT, issue_number=number, body="c", run_id="r1"),
        create(1, ("P2",)),
    ]

    journal = apply_plan(
        ops, make_tracker(fake), max_operations=1, max_new_issues=10, dry_run=False
    )

    assert [(e.result, e.detail) for e in journal] == [
        (DONE, ALREADY_POSTED),
        (DONE, "label already exists"),
        (DONE, "created"),
    ]


def test_a_failed_op_is_journalled_in_our_words_and_the_run_goes_on(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", issue_marker(fp(9), "v1"))
    fake.fail_next("PATCH", r"/issues/\d+$", 500, times=3)
    ops = [Operation(OperationKind.UPDATE_ISSUE, issue_number=number, title="x"), create(1)]

    journal = apply_plan(
        ops, make_tracker(fake), max_operations=50, max_new_issues=10, dry_run=False
    )

    assert [e.result for e in journal] == [FAILED, DONE]
    assert journal[0].detail == (
        f"GitHub answered 500 while editing issue {number} in 'acme/shop'. Likely cause: a "
        "transient failure on GitHub's side. Fix: run again; runs are replay-safe and nothing "
        "is duplicated."
    )
    assert journal[0].issue_number == number


def test_should_stop_between_ops_defers_everything_after(fake: FakeGitHub) -> None:
    ops = [
        create(1),
        create(2),
        create(3),
        Operation(OperationKind.COMMIT_WORKLOG, files={"a": "b"}),
    ]
    calls = iter([False, False, True])

    journal = apply_plan(
        ops,
        make_tracker(fake),
        max_operations=50,
        max_new_issues=10,
        dry_run=False,
        should_stop=lambda: next(calls, True),
    )

    assert [(e.result, e.detail) for e in journal][1:] == [
        (DONE, "created"),
        (DEFERRED, CANCELLED),
        (DEFERRED, CANCELLED),
    ]
    assert len(fake.issues) == 2
    assert fake.count("POST", "/git/") == 0


def test_a_commit_op_in_the_plan_goes_to_commit_files_outside_the_budget(fake: FakeGitHub) -> None:
    ops = [create(1), Operation(OperationKind.COMMIT_WORKLOG, title="msg", files={"w.md": "x"})]

    journal = apply_plan(
        ops, make_tracker(fake), max_operations=1, max_new_issues=10, dry_run=False
    )

    assert [e.result for e in journal] == [DONE, DONE]
    assert (fake.file_at("w.md"), fake.branch_commits()[0]["message"]) == ("x", "msg")


@pytest.mark.parametrize(
    ("ops", "new", "max_ops", "max_new", "refusal"),
    [
        (0, 0, 1, 1, ""),
        (1, 0, 1, 1, OVER_OPERATIONS),
        (0, 1, 5, 1, OVER_NEW_ISSUES),
        (0, 0, 0, 0, OVER_OPERATIONS),
    ],
)
def test_budget_refusal(ops: int, new: int, max_ops: int, max_new: int, refusal: str) -> None:
    budget = Budget(max_ops, max_new, operations=ops, new_issues=new)
    assert budget.refusal(create(1)) == refusal
