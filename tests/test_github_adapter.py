"""GitHubTracker with the real PyGithub against the stateful fake GitHub server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from log_gardener.apply import ALREADY_CURRENT, ALREADY_POSTED, LABEL_EXISTS
from log_gardener.core.shared.marker import dashboard_marker, issue_marker, run_marker
from log_gardener.errors import GitHubError
from log_gardener.model import IssueState, Operation, OperationKind, OperationResult
from tests.fakes.github import FakeClock, FakeGitHub, make_tracker

BOT = "log-gardener-bot"
FP = "0123456789abcdef"
FP2 = "fedcba9876543210"


def body(fingerprint: str = FP, text: str = "summary") -> str:
    return issue_marker(fingerprint, "v1") + "\n" + text


def create_op(fingerprint: str = FP, labels: tuple[str, ...] = ("P2",)) -> Operation:
    return Operation(
        OperationKind.CREATE_ISSUE,
        fingerprint=fingerprint,
        title=f"GCP-new | P2 | {fingerprint}",
        body=body(fingerprint),
        labels=labels,
        counts_as_new_issue=True,
    )


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(tokens={"test-token": BOT, "human-token": "alice"}) as server:
        yield server


def test_create_issue_has_marker_labels_and_author(fake: FakeGitHub) -> None:
    entry = make_tracker(fake).apply(create_op())

    assert (entry.result, entry.issue_number, entry.detail) == (OperationResult.DONE, 1, "created")
    assert entry.url == "https://github.example/acme/shop/issues/1"
    issue = fake.issues[1]
    assert issue["body"].split("\n")[0] == issue_marker(FP, "v1")
    assert (issue["labels"], issue["author"], issue["title"]) == (
        ["log-gardener", "P2"],
        BOT,
        f"GCP-new | P2 | {FP}",
    )


def test_create_refuses_a_body_without_marker(fake: FakeGitHub) -> None:
    op = Operation(
        OperationKind.CREATE_ISSUE, title="t", body="no marker\n" + issue_marker(FP, "v1")
    )
    with pytest.raises(GitHubError, match="does not start with a log-gardener marker"):
        make_tracker(fake).apply(op)
    assert fake.write_requests() == []


def test_list_paginates_all_labelled_issues_in_pages_of_100(fake: FakeGitHub) -> None:
    for n in range(250):
        fake.seed_issue(f"t{n}", body(f"{n:016x}"))

    found = make_tracker(fake).list_marked_issues()

    assert [i.number for i in found] == list(range(1, 251))
    assert found[0].fingerprint == f"{0:016x}"
    pages = [r.query.get("page", "1") for r in fake.requests if r.path.endswith("/issues")]
    assert pages == ["1", "2", "3"]
    listing = next(r for r in fake.requests if r.path.endswith("/issues"))
    assert dict(listing.query) == {"state": "all", "labels": "log-gardener", "per_page": "100"}


def test_list_trusts_only_the_gardeners_own_marked_issues(fake: FakeGitHub) -> None:
    own = fake.seed_issue("own", body(FP))
    fake.seed_issue("forged by a person", body(FP2), author="alice")
    fake.seed_issue("marker not on first line", "quoted log line\n" + issue_marker(FP2, "v1"))
    fake.seed_issue("marker after a blank line", "\n" + issue_marker(FP2, "v1"))
    fake.seed_issue("unlabelled", body(FP2), labels=())
    fake.seed_issue("a pull request", body(FP2), pull_request=True)
    dash = fake.seed_issue("dashboard", dashboard_marker() + "\nlist")

    found = make_tracker(fake).list_marked_issues()

    assert [(i.number, i.fingerprint, i.is_dashboard) for i in found] == [
        (own, FP, False),
        (dash, "", True),
    ]


def test_list_maps_open_completed_and_not_planned(fake: FakeGitHub) -> None:
    fake.seed_issue("a", body("aaaaaaaaaaaaaaaa"))
    fake.seed_issue("b", body("bbbbbbbbbbbbbbbb"), state="closed", state_reason="completed")
    fake.seed_issue("c", body("cccccccccccccccc"), state="closed", state_reason="not_planned")

    found = make_tracker(fake).list_marked_issues()

    assert [i.state for i in found] == [
        IssueState.OPEN,
        IssueState.CLOSED_COMPLETED,
        IssueState.CLOSED_NOT_PLANNED,
    ]
    assert found[0].closed_at is None
    assert found[1].closed_at is not None and found[1].closed_at.isoformat() == (
        "2024-05-01T12:00:00+00:00"
    )


def test_installation_token_trusts_github_actions_bot(fake: FakeGitHub) -> None:
    fake.tokens["job-token"] = "github-actions[bot]"
    fake.installation_tokens.add("job-token")
    fake.seed_issue("by the job token", body(FP), author="github-actions[bot]")
    fake.seed_issue("by a pat", body(FP2), author=BOT)

    tracker = make_tracker(fake, token="job-token")

    assert [i.fingerprint for i in tracker.list_marked_issues()] == [FP]
    assert tracker.gardener_login() == "github-actions[bot]"


def test_explicit_gardener_login_skips_the_user_lookup(fake: FakeGitHub) -> None:
    fake.seed_issue("by an app", body(FP), author="my-app[bot]")
    tracker = make_tracker(fake, gardener_login="my-app[bot]")
    assert [i.fingerprint for i in tracker.list_marked_issues()] == [FP]
    assert fake.count("GET", r"^/user$") == 0


def test_update_sets_our_labels_and_keeps_a_persons(fake: FakeGitHub) -> None:
    number = fake.seed_issue("old", body(FP), labels=("log-gardener", "P3", "team:payments"))
    tracker = make_tracker(fake)
    tracker.list_marked_issues()
    op = Operation(
        OperationKind.UPDATE_ISSUE,
        issue_number=number,
        title="new",
        body=body(FP, "v2"),
        labels=("P1", "backend"),
    )

    entry = tracker.apply(op)

    assert (entry.result, entry.detail) == (OperationResult.DONE, "updated")
    issue = fake.issues[number]
    assert (issue["title"], issue["body"]) == ("new", body(FP, "v2"))
    assert issue["labels"] == ["log-gardener", "P1", "backend", "team:payments"]
    assert fake.count("PATCH", r"/issues/\d+$") == 1


def test_update_without_change_makes_no_write(fake: FakeGitHub) -> None:
    number = fake.seed_issue("same", body(FP), labels=("log-gardener", "P2"))
    tracker = make_tracker(fake)
    tracker.list_marked_issues()
    op = Operation(
        OperationKind.UPDATE_ISSUE,
        issue_number=number,
        title="same",
        body=body(FP),
        labels=("P2",),
    )

    assert tracker.apply(op).detail == ALREADY_CURRENT
    assert fake.write_requests() == []


def test_refuses_to_touch_an_issue_the_gardener_did_not_create(fake: FakeGitHub) -> None:
    number = fake.seed_issue("a person's", body(FP), author="alice")
    op = Operation(OperationKind.COMMENT, issue_number=number, body="hello", run_id="r1")
    with pytest.raises(GitHubError, match=f"Refusing to change issue {number}"):
        make_tracker(fake).apply(op)
    assert fake.write_requests() == []


def test_comment_gets_a_run_marker_and_is_not_repeated(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", body(FP))
    op = Operation(OperationKind.COMMENT, issue_number=number, body="Came back.", run_id="42-1")

    first = make_tracker(fake).apply(op)
    second = make_tracker(fake).apply(op)

    assert (first.detail, second.detail) == ("commented", ALREADY_POSTED)
    assert [c["body"] for c in fake.comments[number]] == ["Came back.\n\n" + run_marker("42-1")]


def test_a_persons_comment_with_a_forged_run_marker_does_not_suppress(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", body(FP))
    fake.seed_comment(number, "copy " + run_marker("42-1"), author="alice")
    op = Operation(OperationKind.COMMENT, issue_number=number, body="Came back.", run_id="42-1")

    assert make_tracker(fake).apply(op).detail == "commented"
    assert len(fake.comments[number]) == 2


def test_reopen_sets_state_and_labels(fake: FakeGitHub) -> None:
    number = fake.seed_issue(
        "t",
        body(FP),
        labels=("log-gardener", "P3", "log-gardener:resolved-by-silence"),
        state="closed",
        state_reason="completed",
    )
    op = Operation(OperationKind.REOPEN, issue_number=number, labels=("P3",))

    entry = make_tracker(fake).apply(op)

    assert (entry.result, entry.detail) == (OperationResult.DONE, "reopened")
    issue = fake.issues[number]
    assert (issue["state"], issue["labels"]) == ("open", ["log-gardener", "P3"])


def test_close_completed_comments_then_closes_with_an_added_label(fake: FakeGitHub) -> None:
    number = fake.seed_issue("t", body(FP), labels=("log-gardener", "P2"))
    op = Operation(
        OperationKind.CLOSE_COMPLETED,
        issue_number=number,
        body="Not seen for 7 days.",
        labels=("log-gardener:resolved-by-silence",),
        run_id="9-1",
    )

    entry = make_tracker(fake).apply(op)

    assert entry.detail == "closed as completed"
    issue = fake.issues[number]
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert issue["labels"] == ["log-gardener", "P2", "log-gardener:resolved-by-silence"]
    assert [c["body"] for c in fake.comments[number]] == [
        "Not seen for 7 days.\n\n" + run_marker("9-1")
    ]
    assert [r.method for r in fake.write_requests()] == ["POST", "PATCH"]


def test_close_duplicate_links_and_closes_not_planned(fake: FakeGitHub) -> None:
    keep = fake.seed_issue("keep", body(FP))
    dup = fake.seed_issue("dup", body(FP))
    op = Operation(
        OperationKind.CLOSE_DUPLICATE, issue_number=dup, body=f"Duplicate of #{keep}.", run_id="r"
    )

    assert make_tracker(fake).apply(op).detail == "closed as not planned"
    assert (fake.issues[dup]["state"], fake.issues[dup]["state_reason"]) == (
        "closed",
        "not_planned",
    )
    assert fake.comments[dup][0]["body"].startswith(f"Duplicate of #{keep}.")
    assert fake.issues[keep]["state"] == "open"


def test_ensure_label_creates_once_with_colour_and_description(fake: FakeGitHub) -> None:
    op = Operation(OperationKind.ENSURE_LABEL, title="P0", color="#B60205", description="x" * 150)
    tracker = make_tracker(fake)

    assert tracker.apply(op).detail == "label created"
    assert tracker.apply(op).detail == LABEL_EXISTS
    assert make_tracker(fake).apply(op).detail == LABEL_EXISTS
    assert fake.labels["P0"] == {"name": "P0", "color": "b60205", "description": "x" * 100}
    assert fake.count("POST", r"/labels$") == 1


def test_ensure_label_rejects_a_name_over_50_characters(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubError, match="longer than 50 characters"):
        make_tracker(fake).apply(Operation(OperationKind.ENSURE_LABEL, title="x" * 51))


def test_commit_files_makes_one_commit_on_the_default_branch(fake: FakeGitHub) -> None:
    fake.seed_files({"README.md": "hello"})
    parent = fake.refs["heads/main"]
    files = {"worklog/2024-05-01T1200Z.md": "# run\n", "worklog/state.json": '{"version": 1}\n'}

    entry = make_tracker(fake).commit_files(files, "log-gardener: worklog")

    head = fake.branch_commits()[0]
    assert head["parents"] == [parent]
    assert head["message"] == "log-gardener: worklog"
    assert entry.url == f"https://github.example/acme/shop/commit/{head['sha']}"
    assert entry.result is OperationResult.DONE
    for path, content in {**files, "README.md": "hello"}.items():
        assert fake.file_at(path) == content
    assert fake.count("POST", "/git/commits$") == 1
    assert fake.requests[-1].body == {"sha": head["sha"], "force": False}


def test_commit_to_a_missing_worklog_branch_creates_it(fake: FakeGitHub) -> None:
    tracker = make_tracker(fake, branch="log-gardener-worklog")
    tracker.commit_files({"worklog/state.json": "{}"}, "m")

    assert fake.file_at("worklog/state.json", "log-gardener-worklog") == "{}"
    assert fake.file_at("worklog/state.json") is None
    assert tracker.read_file("worklog/state.json") == "{}"
    assert tracker.file_url("worklog/a.md") == (
        "https://github.example/acme/shop/blob/log-gardener-worklog/worklog/a.md"
    )


def test_read_file_missing_file_or_branch_is_none(fake: FakeGitHub) -> None:
    assert make_tracker(fake).read_file("worklog/state.json") is None
    assert make_tracker(fake, branch="nope").read_file("worklog/state.json") is None


def test_enterprise_server_api_prefix_works() -> None:
    with FakeGitHub(prefix="/api/v3") as fake:
        tracker = make_tracker(fake)
        tracker.apply(create_op())
        assert [i.number for i in tracker.list_marked_issues()] == [1]
        assert fake.api_url.endswith("/api/v3")


def test_writes_are_paced_by_min_write_interval(fake: FakeGitHub) -> None:
    clock = FakeClock()
    tracker = make_tracker(fake, clock, min_write_interval=1.0)
    tracker.apply(create_op(FP))
    tracker.apply(create_op(FP2))
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    ("token", "permissions", "repo", "message"),
    [
        ("wrong", None, "acme/shop", "401 .*bad credentials.*`github-token`"),
        ("test-token", {"contents"}, "acme/shop", r"403 .*`permissions: issues: write`"),
        ("test-token", None, "acme/other", "404 .*GITHUB_API_URL"),
    ],
)
def test_errors_say_the_fix(
    fake: FakeGitHub, token: str, permissions: set[str] | None, repo: str, message: str
) -> None:
    if permissions is not None:
        fake.permissions["test-token"] = permissions
    tracker = make_tracker(fake, token=token, repo=repo, gardener_login=BOT)
    with pytest.raises(GitHubError, match=message):
        tracker.apply(create_op())


def test_missing_contents_permission_names_it(fake: FakeGitHub) -> None:
    fake.permissions["test-token"] = {"issues"}
    with pytest.raises(GitHubError, match=r"`permissions: contents: write`"):
        make_tracker(fake).commit_files({"a": "b"}, "m")
