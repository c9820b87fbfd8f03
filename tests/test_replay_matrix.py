"""Issue 7's fault-injection matrix at the pipeline level.

Each case runs the whole gardener (``pipeline.run``, the real PyGithub, the fake GitHub server)
over hourly runs with a controlled clock, injects one fault in the middle run, lets the next
run go, and compares the final GitHub state and ``state.json`` with a clean sequence's: one
issue per problem, no repeated (or lost) comment, no lost entry, no entry counted twice.

The sequence: run 0 files two problems (A, B); a person closes B as completed; run 1 sees A
again (an edit), B again (a regression: reopen and comment) and a new P0 problem C with a new
rule label (a label create and an issue create), rewrites the dashboard and commits; run 2 is
a quiet hour.  Faults land in run 1.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from log_gardener.apply import ISSUE_HALTED
from log_gardener.core.judging.rules import IssuePolicy, Match, Rule, RulesConfig
from log_gardener.core.shared.marker import comment_run_id, is_dashboard, parse_issue_marker
from log_gardener.errors import Cancelled
from log_gardener.model import ExistingIssue, JournalEntry, Operation, OperationResult
from log_gardener.pipeline import RunOutcome
from tests.fakes.github import FakeGitHub
from tests.test_gardening_runs import (
    BOT,
    COMMIT_MESSAGE,
    STATE_PATH,
    T0,
    TOKEN,
    Garden,
    committed_state,
    is_issue_write,
)

A = "Database connection timeout while reserving stock"
B = "Payment provider declined the charge request"
C = "Inventory ledger checksum mismatch on warehouse sync"
WRITTEN = {A: 10, B: 3, C: 2}  # entries per problem over runs 0 and 1

INVENTORY_RULE = Rule(
    name="inventory",
    match=Match(message=re.compile("Inventory ledger")),
    labels=("inventory",),  # a new label in run 1: a label create
)
CONFIG = RulesConfig(rules=(INVENTORY_RULE,), issues=IssuePolicy())


def hour(n: int) -> datetime:
    return T0 + timedelta(hours=n)


def write_hour(garden: Garden, n: int, counts: Mapping[str, int]) -> None:
    severities = {C: "CRITICAL"}
    for text, count in counts.items():
        garden.logs.write(
            text,
            count,
            hour(n) - timedelta(minutes=10),
            severity=severities.get(text, "ERROR"),
            spread=timedelta(minutes=40),
        )


def setup(fake: FakeGitHub) -> Garden:
    garden = Garden(fake, CONFIG, lookback=timedelta(hours=1))
    write_hour(garden, 1, {A: 5, B: 1})
    assert garden.run(hour(1), "run-0").error is None
    [b_issue] = [i for i in fake.issues.values() if "Payment provider" in i["title"]]
    b_issue.update(state="closed", state_reason="completed")
    write_hour(garden, 2, {A: 5, B: 2, C: 2})
    return garden


def finish(garden: Garden) -> RunOutcome:
    """Runs 2 and 3: quiet hours.  Two, because the dashboard is written in the run that
    creates an issue before its number is known ("being created"); a replay that creates an
    issue late shows its number one run later."""
    quiet = garden.run(hour(3), "run-2")
    if quiet.error is not None:
        return quiet
    return garden.run(hour(4), "run-3")


# -- what must converge -------------------------------------------------------------------------

_SECTION = re.compile(r"(?m)^### ")
_STATUS = re.compile(
    r"(?m)^GCP-(new|ongoing|regression) \||^\| Status \| (new|ongoing|regression) \|$"
)


def status_free(text: str) -> str:
    return _STATUS.sub(lambda m: m[0].replace(m[1] or m[2], "<status>"), text)


_DASHBOARD_ROW = re.compile(r"^\| (P\d) \| \[issue (\d+)\]\(\d+\) \| ", re.MULTILINE)


def stable_body(body: str) -> str:
    """The body without what names the run that wrote it (links, the per-run history)."""
    if is_dashboard(body):
        return "dashboard: " + repr(_DASHBOARD_ROW.findall(body))
    kept = [s for s in _SECTION.split(body) if not s.startswith(("Links", "History"))]
    return status_free("### ".join(kept))


def key_of(issue: Mapping[str, Any]) -> str:
    parsed = parse_issue_marker(issue["body"])
    if parsed is not None:
        return parsed.fingerprint
    return "dashboard" if is_dashboard(issue["body"]) else f"other-{issue['number']}"


def github_snapshot(fake: FakeGitHub) -> dict[str, list[tuple[Any, ...]]]:
    """problem (or dashboard) -> its issues: state, title, stable body, labels, comments."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for number, issue in sorted(fake.issues.items()):
        comments = [c["body"] for c in fake.comments[number]]
        markers = [comment_run_id(c) for c in comments]
        assert len(markers) == len(set(markers)), f"issue {number}: a comment was repeated"
        found.setdefault(key_of(issue), []).append(
            (
                number,
                issue["state"],
                issue["state_reason"],
                status_free(issue["title"]),
                stable_body(issue["body"]),
                tuple(sorted(issue["labels"])),
                len(comments),
            )
        )
    return found


def status_words(fake: FakeGitHub) -> dict[str, list[str]]:
    """problem -> the status word in the title of each of its issues."""
    found: dict[str, list[str]] = {}
    for _number, issue in sorted(fake.issues.items()):
        word = re.match(r"GCP-([a-z]+) \|", issue["title"])
        found.setdefault(key_of(issue), []).append(word[1] if word else "")
    return found


# A run that failed after some issue writes is replayed by the next run, which sees the issues
# it created or reopened: their status says "ongoing" where the clean sequence says "new" or
# "regression" (the status of the run that wrote them).  The next sighting says "ongoing" in
# both; nothing else differs.
REPLAY_SHIFT = {("ongoing", "new"), ("ongoing", "regression")}


def state_snapshot(fake: FakeGitHub) -> dict[str, Any]:
    """``state.json`` without run ids: history is compared by its total (nothing lost or
    counted twice), the rest as it is."""
    state = committed_state(fake)
    clusters = {
        fp: {
            **{k: v for k, v in c.items() if k != "history"},
            "counted": sum(h["count"] for h in c["history"]),
        }
        for fp, c in state["clusters"].items()
    }
    return {
        "clusters": clusters,
        "cursors": state["cursors"],
        "pending": state["pending"],
        "dashboard_issue": state["dashboard_issue"],
        "overlap_ids": state["overlap_ids"],
    }


def counted_per_problem(fake: FakeGitHub) -> dict[str, int]:
    state = committed_state(fake)
    return {
        c["template"]: sum(h["count"] for h in c["history"]) for c in state["clusters"].values()
    }


@pytest.fixture(scope="module")
def clean() -> dict[str, Any]:
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: BOT}) as fake:
        garden = setup(fake)
        middle = garden.run(hour(2), "run-1")
        assert middle.error is None
        assert finish(garden).error is None
        # The sequence exercises every kind of write in run 1.
        kinds = {(e.operation.kind.value, e.result.value) for e in middle.journal}
        assert {
            ("ensure-label", "done"),
            ("create-issue", "done"),
            ("update-issue", "done"),
            ("reopen", "done"),
            ("comment", "done"),
        } <= kinds
        assert counted_per_problem(fake) == WRITTEN
        return {
            "github": github_snapshot(fake),
            "state": state_snapshot(fake),
            "status": status_words(fake),
        }


def assert_converged(fake: FakeGitHub, clean: Mapping[str, Any]) -> None:
    got = github_snapshot(fake)
    differing = {
        k: (got.get(k), clean["github"].get(k))
        for k in set(got) | set(clean["github"])
        if got.get(k) != clean["github"].get(k)
    }
    assert differing == {}
    for key, words in status_words(fake).items():
        for got, want in zip(words, clean["status"][key], strict=True):
            assert got == want or (got, want) in REPLAY_SHIFT, (key, got, want)
    assert state_snapshot(fake) == clean["state"]
    assert counted_per_problem(fake) == WRITTEN


# -- the matrix ---------------------------------------------------------------------------------

WRITES = [
    ("label", "POST", r"/labels$"),
    ("issue-create", "POST", r"/issues$"),
    ("issue-edit", "PATCH", r"/issues/\d+$"),
    ("comment", "POST", r"/issues/\d+/comments$"),
    ("blob", "POST", r"/git/blobs$"),
    ("tree", "POST", r"/git/trees$"),
    ("commit", "POST", r"/git/commits$"),
    ("ref-update", "PATCH", r"/git/refs/"),
]


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: BOT}) as server:
        yield server


# What run 1 does with the fault: "ok" (the adapter confirmed the write happened), "issues"
# (an issue write failed: the run fails before its commit), "commit" (the commit failed).
OUTCOME = {
    ("label", False): "issues",
    ("label", True): "ok",  # listed again: the label is there
    ("issue-create", False): "issues",
    ("issue-create", True): "ok",  # listed again: adopted
    ("issue-edit", False): "issues",
    ("issue-edit", True): "issues",  # three 502s: the edit happened, but could not be confirmed
    ("comment", False): "issues",
    ("comment", True): "ok",  # comments read again: the run marker is there
    ("ref-update", True): "ok",  # the branch read again: it points at the new commit
}


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize(("kind", "method", "path"), WRITES, ids=[w[0] for w in WRITES])
def test_a_failed_write_converges_on_the_next_run(
    fake: FakeGitHub, clean: Mapping[str, Any], kind: str, method: str, path: str, after: bool
) -> None:
    garden = setup(fake)
    # Edits and reads are repeated twice after a 5xx: three failures make an edit fail.
    times = 3 if kind == "issue-edit" else 1
    fake.fail_next(method, path, 502, times=times, after=after, message="Bad Gateway")
    head, state_before = fake.refs["heads/main"], fake.file_at(STATE_PATH)
    faulted = garden.run(hour(2), "run-1")
    failed = [e for e in faulted.journal if e.result is OperationResult.FAILED]
    expected = OUTCOME.get((kind, after), "commit")
    if expected == "ok":
        assert (faulted.error, failed) == (None, [])
        assert fake.refs["heads/main"] != head
    else:
        assert faulted.error is not None
        assert fake.file_at(STATE_PATH) == state_before, "a failed run never moves the state"
    if expected == "issues":
        assert faulted.error is not None
        assert faulted.error.message in faulted.worklog_text, "the worklog tells what failed"
        assert faulted.error.what.startswith(f"{len(failed)} of the run's GitHub issue writes")
        assert "the next run replays this window" in faulted.error.message
        # The failed run records itself: one commit holding its worklog alone.
        assert fake.refs["heads/main"] != head
        assert fake.file_at(faulted.worklog_path) == faulted.worklog_text
    if expected == "commit":
        assert fake.refs["heads/main"] == head, "the commit itself failed"
    if expected == "commit":
        assert failed == [] and faulted.error is not None
        assert "GitHub answered 502 while" in faulted.error.message
    if (kind, after) == ("comment", False):
        # The regression comment failed: its reopen waits for the replay that words it again.
        assert [(e.operation.kind.value, e.detail) for e in failed] == [
            ("comment", failed[0].detail),
            ("reopen", ISSUE_HALTED),
        ]
    assert finish(garden).error is None
    assert_converged(fake, clean)


def test_502_after_a_successful_create_adopts_it(
    fake: FakeGitHub, clean: Mapping[str, Any]
) -> None:
    garden = setup(fake)
    fake.fail_next("POST", r"/issues$", 502, after=True, message="Bad Gateway")
    middle = garden.run(hour(2), "run-1")
    assert middle.error is None
    adopted = [e for e in middle.journal if e.result is OperationResult.ADOPTED]
    assert [(e.operation.kind.value, e.issue_number) for e in adopted] == [("create-issue", 4)]
    assert "adopted existing issue" in middle.worklog_text
    assert finish(garden).error is None
    assert_converged(fake, clean)


# -- cancellation during the issue writes -------------------------------------------------------


@pytest.mark.parametrize("writes", [1, 3, 5])
def test_sigterm_during_the_issue_writes_skips_the_commit_and_converges(
    fake: FakeGitHub, clean: Mapping[str, Any], writes: int
) -> None:
    garden = setup(fake)
    start = len(fake.requests)

    def should_stop() -> bool:  # SIGTERM arrives after ``writes`` issue writes
        return sum(1 for r in fake.requests[start:] if is_issue_write(r)) >= writes

    head = fake.refs["heads/main"]
    cancelled = garden.run(hour(2), "run-1", should_stop=should_stop)
    assert isinstance(cancelled.error, Cancelled)
    assert sum(1 for r in fake.requests[start:] if is_issue_write(r)) == writes
    assert fake.refs["heads/main"] == head, "no commit after a cancellation"
    assert STATE_PATH not in cancelled.files, "the old state stays: the next run replays"
    assert "run cancelled before this operation" in cancelled.worklog_text
    assert finish(garden).error is None
    assert_converged(fake, clean)


# -- two runs on the same repository ------------------------------------------------------------


class Paused:
    """An ``IssueTracker`` that hands every call to the real one, running hooks at chosen
    points so a test can interleave two runs exactly."""

    def __init__(
        self,
        inner: Any,
        after_list: Callable[[], None] = lambda: None,
        before_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.inner = inner
        self.after_list = after_list
        self.before_commit = before_commit

    def list_marked_issues(self) -> Sequence[ExistingIssue]:
        found: Sequence[ExistingIssue] = self.inner.list_marked_issues()
        self.after_list()
        return found

    def apply(self, operation: Operation) -> JournalEntry:
        entry: JournalEntry = self.inner.apply(operation)
        return entry

    def commit_files(self, files: Mapping[str, str], message: str) -> JournalEntry:
        self.before_commit()
        entry: JournalEntry = self.inner.commit_files(files, message)
        return entry

    def branch(self) -> str:
        return str(self.inner.branch())

    def read_file(self, path: str) -> str | None:
        text: str | None = self.inner.read_file(path)
        return text


def open_issues_per_problem(fake: FakeGitHub) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for number, issue in sorted(fake.issues.items()):
        if issue["state"] == "open":
            found.setdefault(key_of(issue), []).append(number)
    return found


def test_a_run_starting_between_the_issue_writes_and_the_commit(
    fake: FakeGitHub, clean: Mapping[str, Any]
) -> None:
    garden = setup(fake)
    inner: list[RunOutcome] = []

    def second_run() -> None:  # B starts: A wrote its issues, its state is not committed
        inner.append(garden.run(hour(2) + timedelta(minutes=1), "run-1b"))

    first = garden.run(hour(2), "run-1", tracker=Paused(garden.tracker(), before_commit=second_run))
    [second] = inner
    assert (first.error, second.error) == (None, None)
    assert first.commit is not None and second.commit is not None
    ours = [c for c in fake.branch_commits() if c["message"] == COMMIT_MESSAGE]
    assert len(ours) == 3, "both commits landed (A's after the branch moved)"
    assert [e for e in second.journal if e.operation.kind.value == "create-issue"] == []
    assert finish(garden).error is None
    final = github_snapshot(fake)
    assert {k: len(v) for k, v in final.items()} == {k: 1 for k in clean["github"]}
    assert {k: v[0][-1] for k, v in final.items()} == {
        k: v[0][-1] for k, v in clean["github"].items()
    }, "no comment lost or repeated"
    assert counted_per_problem(fake) == WRITTEN


def test_two_runs_that_both_create_end_with_one_issue_per_problem(
    fake: FakeGitHub, clean: Mapping[str, Any]
) -> None:
    garden = setup(fake)
    b_listed, a_wrote = threading.Event(), threading.Event()
    outcomes: dict[str, RunOutcome] = {}

    def run_b() -> None:
        def listed() -> None:
            b_listed.set()
            assert a_wrote.wait(10)

        tracker = Paused(garden.tracker(), after_list=listed)
        outcomes["b"] = garden.run(hour(2) + timedelta(minutes=1), "run-1b", tracker=tracker)

    thread = threading.Thread(target=run_b)

    def start_b() -> None:  # A listed; B lists the same issues before A writes anything
        thread.start()
        assert b_listed.wait(10)

    def let_b_write() -> None:  # A wrote its issues; B now writes from its stale listing
        a_wrote.set()
        thread.join(10)

    tracker = Paused(garden.tracker(), after_list=start_b, before_commit=let_b_write)
    outcomes["a"] = garden.run(hour(2), "run-1", tracker=tracker)
    assert outcomes["a"].error is None and outcomes["b"].error is None
    inventory = [i for i in fake.issues.values() if "Inventory ledger" in i["title"]]
    assert [i["number"] for i in inventory] == [4, 5], "both runs created C"
    doubled = {k: v for k, v in open_issues_per_problem(fake).items() if len(v) > 1}
    assert doubled == {key_of(inventory[0]): [4, 5]}
    assert [c for cs in fake.comments.values() for c in cs if "Regression" in c["body"]] != []

    closing = garden.run(hour(3), "run-2")
    assert closing.error is None
    open_now = open_issues_per_problem(fake)
    assert all(len(numbers) == 1 for numbers in open_now.values()), open_now
    for key, numbers in doubled.items():
        keep, *others = numbers
        assert open_now[key] == [keep], "the lowest number is kept"
        for number in others:
            issue = fake.issues[number]
            assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
            [comment] = [c["body"] for c in fake.comments[number]]
            assert comment.startswith(f"Duplicate of #{keep}, which tracks the same problem.")
    notes = closing.report["notes"]
    assert isinstance(notes, list)
    assert sorted(n for n in notes if "duplicate" in n) == sorted(
        f"issue {n} closed as a duplicate of issue {v[0]}" for v in doubled.values() for n in v[1:]
    )
    state = committed_state(fake)
    for fp, known in state["clusters"].items():
        assert known["issue_number"] == open_now[fp][0]
    assert counted_per_problem(fake) == WRITTEN
