"""Faults: 5xx after the work was done, rate limits, concurrent commits, protected branches,
and a replay matrix (an error before or after every kind of write, then a clean second run)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from log_gardener.apply import CREATES_HALTED, apply_plan
from log_gardener.core.shared.marker import issue_marker, run_marker
from log_gardener.errors import CreateUnconfirmed, GitHubError
from log_gardener.model import Operation, OperationKind, OperationResult
from tests.fakes.github import FakeClock, FakeGitHub, make_tracker

BOT = "log-gardener-bot"
FPS = ("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc")
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def create_op(fingerprint: str) -> Operation:
    return Operation(
        OperationKind.CREATE_ISSUE,
        fingerprint=fingerprint,
        title=f"GCP-new | P2 | {fingerprint}",
        body=issue_marker(fingerprint, "v1") + "\nbody",
        labels=("P2",),
        counts_as_new_issue=True,
    )


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(tokens={"test-token": BOT}) as server:
        yield server


def test_502_after_a_real_create_adopts_the_issue(fake: FakeGitHub) -> None:
    fake.fail_next("POST", r"/issues$", 502, after=True, message="Bad Gateway")

    entry = make_tracker(fake).apply(create_op(FPS[0]))

    assert (entry.result, entry.issue_number) == (OperationResult.ADOPTED, 1)
    assert len(fake.issues) == 1
    assert fake.count("POST", r"/issues$") == 1


def test_502_before_the_create_fails_without_creating(fake: FakeGitHub) -> None:
    fake.fail_next("POST", r"/issues$", 502)
    with pytest.raises(GitHubError, match="GitHub answered 502 while creating an issue"):
        make_tracker(fake).apply(create_op(FPS[0]))
    assert fake.issues == {}
    assert fake.count("POST", r"/issues$") == 1


def test_a_timeout_on_create_is_resolved_by_listing_again(fake: FakeGitHub) -> None:
    fake.hang_next("POST", r"/issues$", 1.5)
    entry = make_tracker(fake, timeout=1).apply(create_op(FPS[0]))
    assert (entry.result, entry.issue_number) == (OperationResult.ADOPTED, 1)
    assert len(fake.issues) == 1


def test_unconfirmable_create_stops_further_creates_this_run(fake: FakeGitHub) -> None:
    fake.fail_next("POST", r"/issues$", 502, after=True)
    fake.fail_next("GET", r"/issues$", 503, times=5)
    ops = [create_op(fp) for fp in FPS]
    comment = Operation(OperationKind.COMMENT, issue_number=1, body="c", run_id="r")

    journal = apply_plan(
        [*ops, comment],
        make_tracker(fake, gardener_login=BOT),
        max_operations=50,
        max_new_issues=10,
        dry_run=False,
    )

    assert [e.result for e in journal] == [OperationResult.FAILED] * 3 + [OperationResult.DONE]
    assert "could not be listed again" in journal[0].detail
    assert [e.detail for e in journal[1:3]] == [CREATES_HALTED, CREATES_HALTED]
    assert fake.count("POST", r"/issues$") == 1
    assert len(fake.issues) == 1


def test_create_unconfirmed_is_raised_by_the_adapter(fake: FakeGitHub) -> None:
    fake.fail_next("POST", r"/issues$", 500, after=True)
    fake.fail_next("GET", r"/issues$", 500, times=3)
    with pytest.raises(CreateUnconfirmed):
        make_tracker(fake, gardener_login=BOT).apply(create_op(FPS[0]))


def test_secondary_rate_limit_with_retry_after_is_waited_out(fake: FakeGitHub) -> None:
    clock = FakeClock()
    fake.fail_next("POST", r"/issues$", 403, headers={"Retry-After": "7"}, message=SECONDARY)

    entry = make_tracker(fake, clock).apply(create_op(FPS[0]))

    assert entry.result is OperationResult.DONE
    assert clock.sleeps == [7.0]
    assert fake.count("POST", r"/issues$") == 2
    assert len(fake.issues) == 1


def test_429_with_rate_limit_reset_waits_until_the_reset(fake: FakeGitHub) -> None:
    clock = FakeClock()
    reset = str(int(clock.now) + 30)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    fake.fail_next("PATCH", r"/issues/1$", 429, headers=headers, message="Too Many Requests")
    number = fake.seed_issue("t", issue_marker(FPS[0], "v1"))
    op = Operation(OperationKind.UPDATE_ISSUE, issue_number=number, title="new")

    make_tracker(fake, clock).apply(op)

    assert clock.sleeps == [31.0]
    assert fake.issues[number]["title"] == "new"


def test_secondary_limit_without_headers_waits_a_minute(fake: FakeGitHub) -> None:
    clock = FakeClock()
    fake.fail_next("POST", r"/labels$", 403, message=SECONDARY)
    make_tracker(fake, clock).apply(Operation(OperationKind.ENSURE_LABEL, title="P1"))
    assert clock.sleeps == [60.0]


def test_rate_limits_are_bounded(fake: FakeGitHub) -> None:
    clock = FakeClock()
    fake.fail_next("POST", r"/issues$", 429, times=10, headers={"Retry-After": "2"})
    with pytest.raises(GitHubError, match="kept rate-limiting"):
        make_tracker(fake, clock, max_rate_limit_retries=3).apply(create_op(FPS[0]))
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert fake.issues == {}


def test_a_rate_limit_longer_than_the_cap_is_not_waited(fake: FakeGitHub) -> None:
    clock = FakeClock()
    fake.fail_next("POST", r"/issues$", 403, headers={"Retry-After": "3600"}, message=SECONDARY)
    with pytest.raises(GitHubError, match="next wait 3600 s"):
        make_tracker(fake, clock, max_rate_limit_wait=900).apply(create_op(FPS[0]))
    assert clock.sleeps == []


def test_concurrent_commit_makes_the_ref_update_retry_and_succeed(fake: FakeGitHub) -> None:
    fake.on_next("PATCH", r"/git/refs/heads/main$", lambda f: f.push_commit({"other.txt": "x"}))

    entry = make_tracker(fake).commit_files({"worklog/state.json": "{}"}, "m")

    assert entry.result is OperationResult.DONE
    messages = [c["message"] for c in fake.branch_commits()]
    assert messages == ["m", "other", "Initial commit"]
    assert (fake.file_at("other.txt"), fake.file_at("worklog/state.json")) == ("x", "{}")
    assert fake.count("PATCH", r"/git/refs/") == 2
    assert fake.count("POST", r"/git/blobs$") == 1


def test_a_branch_that_keeps_moving_gives_up_after_three_retries(fake: FakeGitHub) -> None:
    fake.on_next("PATCH", r"/git/refs/", lambda f: f.push_commit({"o": "x"}), times=10)
    with pytest.raises(GitHubError, match=r"moved 4 times.*`worklog-branch`"):
        make_tracker(fake).commit_files({"a": "b"}, "m")
    assert fake.count("PATCH", r"/git/refs/") == 4


def test_protected_branch_suggests_worklog_branch(fake: FakeGitHub) -> None:
    fake.protect("main")
    with pytest.raises(GitHubError, match=r"'main' is protected.*`worklog-branch`"):
        make_tracker(fake).commit_files({"a": "b"}, "m")
    assert fake.file_at("a") is None


def test_reads_and_edits_are_repeated_after_a_5xx(fake: FakeGitHub) -> None:
    clock = FakeClock()
    number = fake.seed_issue("t", issue_marker(FPS[0], "v1"))
    fake.fail_next("GET", r"/issues$", 502, times=2)
    fake.fail_next("PATCH", r"/issues/\d+$", 503, after=True)
    tracker = make_tracker(fake, clock)

    assert [i.number for i in tracker.list_marked_issues()] == [number]
    tracker.apply(Operation(OperationKind.UPDATE_ISSUE, issue_number=number, title="new"))

    assert clock.sleeps == [1.0, 2.0, 1.0]
    assert (fake.issues[number]["title"], fake.count("PATCH", r"/issues/")) == ("new", 2)


def test_comment_502_after_posting_is_confirmed_not_repeated(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", issue_marker(FPS[0], "v1"))
    fake.fail_next("POST", r"/comments$", 502, after=True)
    op = Operation(OperationKind.COMMENT, issue_number=number, body="c", run_id="r1")

    assert make_tracker(fake).apply(op).result is OperationResult.DONE
    assert [c["body"] for c in fake.comments[number]] == ["c\n\n" + run_marker("r1")]


def test_two_interleaved_runs_both_create_and_the_duplicate_is_closed(fake: FakeGitHub) -> None:
    first, second = make_tracker(fake), make_tracker(fake)
    assert first.list_marked_issues() == second.list_marked_issues() == ()
    first.apply(create_op(FPS[0]))
    second.apply(create_op(FPS[0]))  # both planned from an empty listing

    found = make_tracker(fake).list_marked_issues()
    assert [(i.number, i.fingerprint) for i in found] == [(1, FPS[0]), (2, FPS[0])]
    close = Operation(
        OperationKind.CLOSE_DUPLICATE, issue_number=2, body="Duplicate of #1.", run_id="r2"
    )
    make_tracker(fake).apply(close)
    states = [(i.number, i.state.value) for i in make_tracker(fake).list_marked_issues()]
    assert states == [(1, "open"), (2, "not_planned")]


# -- replay matrix --------------------------------------------------------------------------
# A "run" lists the gardener's issues, plans from them (create what is missing, otherwise
# update and comment once per run id), applies, then commits.  Each case injects one fault on
# the first run, runs again cleanly, and must end where a clean run ends.

WRITES = [
    ("POST", r"/labels$"),
    ("POST", r"/issues$"),
    ("PATCH", r"/issues/\d+$"),
    ("POST", r"/comments$"),
    ("POST", r"/git/blobs$"),
    ("POST", r"/git/trees$"),
    ("POST", r"/git/commits$"),
    ("PATCH", r"/git/refs/"),
]


def plan(existing: dict[str, int], run_id: str) -> list[Operation]:
    ops = [Operation(OperationKind.ENSURE_LABEL, title="P2", color="fbca04")]
    for fp in FPS[:2]:
        if fp not in existing:
            ops.append(create_op(fp))
    seeded = existing[FPS[2]]
    ops.append(
        Operation(
            OperationKind.UPDATE_ISSUE,
            issue_number=seeded,
            title="GCP-ongoing | P2 | c",
            body=issue_marker(FPS[2], "v1") + "\nupdated",
            labels=("P2",),
        )
    )
    ops.append(Operation(OperationKind.COMMENT, issue_number=seeded, body="spike", run_id=run_id))
    return ops


def gardener_run(fake: FakeGitHub, run_id: str) -> None:
    tracker = make_tracker(fake)
    existing = {i.fingerprint: i.number for i in tracker.list_marked_issues()}
    journal = apply_plan(
        plan(existing, run_id), tracker, max_operations=50, max_new_issues=10, dry_run=False
    )
    if all(e.result is not OperationResult.FAILED for e in journal):
        tracker.commit_files({"worklog/state.json": '{"run": "42"}'}, "log-gardener: worklog")


def final_state(fake: FakeGitHub) -> dict[str, Any]:
    issues = sorted(
        (i["title"], i["body"], tuple(i["labels"]), i["state"]) for i in fake.issues.values()
    )
    comments = sorted(c["body"] for cs in fake.comments.values() for c in cs)
    return {
        "issues": issues,
        "comments": comments,
        "labels": sorted(fake.labels),
        "state": fake.file_at("worklog/state.json"),
    }


def fresh_fake() -> FakeGitHub:
    fake = FakeGitHub(tokens={"test-token": BOT})
    fake.seed_issue(
        "GCP-new | P2 | c", issue_marker(FPS[2], "v1") + "\nold", labels=("log-gardener",)
    )
    return fake


@pytest.fixture(scope="module")
def clean_state() -> dict[str, Any]:
    with fresh_fake() as fake:
        gardener_run(fake, "42-1")
        return final_state(fake)


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize(("method", "path"), WRITES, ids=[p for _, p in WRITES])
def test_replay_after_a_fault_converges(
    clean_state: dict[str, Any], method: str, path: str, after: bool
) -> None:
    with fresh_fake() as fake:
        fake.fail_next(method, path, 502, after=after)
        with contextlib.suppress(GitHubError):  # a failed commit stops the run; next run replays
            gardener_run(fake, "42-1")
        gardener_run(fake, "42-1")
        assert final_state(fake) == clean_state
        assert len(fake.issues) == 3
