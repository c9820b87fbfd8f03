"""GitHub through PyGithub: the gardener's own issues, their edits, and the one worklog commit.

Identity.  Markers are trusted only on issues authored by the gardener's identity.  With a
personal or fine-grained token that identity is ``GET /user``'s login.  A job's ``GITHUB_TOKEN``
(an installation token) cannot call ``GET /user`` (403), and the issues it opens are authored by
``github-actions[bot]``, which is what we fall back to.  With a GitHub App's installation token
pass ``gardener_login="<app-slug>[bot]"``.

Requests.  Reads and issue edits are repeated after a 5xx (twice, 1 s and 2 s apart); creates
never are (see ``_adopt``).  PyGithub's own retries and pacing are switched off (``retry=None``, no
``seconds_between_*``): they sleep with the real clock and would retry an issue create blindly.
Instead every call goes through ``_call``: writes are serialized and at least
``min_write_interval`` apart; a 403/429 rate limit is waited out (``Retry-After``, else
``X-RateLimit-Reset``, else 60 s) at most ``max_rate_limit_retries`` times and never longer than
``max_rate_limit_wait`` per wait.  The clock and ``sleep`` are injectable so tests are
deterministic.  A rate-limited request was refused by GitHub, so repeating it cannot duplicate.

Request counts.  ``list_marked_issues`` is one request per 100 labelled issues; comments are
read only for an issue that gets a COMMENT or CLOSE_* operation (to skip a run marker that is
already there); labels are listed once per run; an UPDATE_ISSUE that changes nothing is skipped.

Labels.  CREATE_ISSUE, UPDATE_ISSUE and REOPEN carry the full set of the gardener's labels for
the issue: the managed labels (the gardener label, ``P0``..``P4``,
``log-gardener:resolved-by-silence``) not in that set are removed, every other label a person
added (``log-gardener:muted`` included) is kept, and the gardener label is always kept.  An
UPDATE_ISSUE/REOPEN with no labels leaves labels alone.  CLOSE_* operations only add labels.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import requests
from github import Auth, Github, GithubException, InputGitTreeElement
from github.GitRef import GitRef
from github.Issue import Issue
from github.Repository import Repository

from log_gardener.apply import ALREADY_CURRENT, ALREADY_POSTED, LABEL_EXISTS
from log_gardener.core.shared import marker
from log_gardener.errors import CreateUnconfirmed, GitHubError, quote_value
from log_gardener.model import (
    ExistingIssue,
    IssueState,
    JournalEntry,
    Operation,
    OperationKind,
    OperationResult,
)

T = TypeVar("T")

ACTIONS_BOT = "github-actions[bot]"
PRIORITY_LABELS = frozenset({"P0", "P1", "P2", "P3", "P4"})
RESOLVED_LABEL = "log-gardener:resolved-by-silence"
DEFAULT_LABEL_COLOR = "5319e7"
SECONDARY_LIMIT_WAIT = 60.0  # GitHub's advice when a secondary limit names no time
COMMIT_RETRIES = 3
SERVER_ERROR_WAITS = (1.0, 2.0)  # pauses before repeating an idempotent request after a 5xx
DUPLICATE_COMMENT = (
    "Closed as a duplicate: another issue opened by log-gardener tracks the same problem "
    "(same fingerprint)."
)

_ISSUES_SCOPE = "issues"
_CONTENTS_SCOPE = "contents"


class GitHubTracker:
    """``ports.IssueTracker`` on one repository."""

    def __init__(
        self,
        repo: str,
        token: str,
        api_url: str = "https://api.github.com",
        *,
        label: str = "log-gardener",
        branch: str = "",
        server_url: str = "https://github.com",
        min_write_interval: float = 1.0,
        gardener_login: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        timeout: int = 30,
        max_rate_limit_retries: int = 3,
        max_rate_limit_wait: float = 900.0,
    ) -> None:
        self.repo_name = repo
        self.api_url = api_url.rstrip("/")
        self.server_url = server_url.rstrip("/")
        self.label = label
        self._branch = branch
        self._min_write_interval = min_write_interval
        self._login = gardener_login
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._max_rl_retries = max_rate_limit_retries
        self._max_rl_wait = max_rate_limit_wait
        self._write_lock = threading.Lock()
        self._last_write: float | None = None
        self._github = Github(
            auth=Auth.Token(token),
            base_url=self.api_url,
            timeout=timeout,
            per_page=100,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )
        self._repo: Repository = self._github.get_repo(repo)
        self._issues: dict[int, Issue] = {}  # trusted issues seen this run, by number
        self._label_names: set[str] | None = None  # lower-case, listed once

    # -- public: the port ------------------------------------------------------------------
    def list_marked_issues(self) -> Sequence[ExistingIssue]:
        """The gardener's own marked issues, open and closed (full pagination, no Search API).

        ``comment_run_ids`` stays empty (it would cost one request per issue): COMMENT and
        CLOSE_* operations read that issue's comments themselves and skip a run marker that is
        already there.
        """
        listed = self._call(
            "listing the issues labelled " + quote_value(self.label),
            lambda: list(self._repo.get_issues(state="all", labels=[self.label])),
            scope=_ISSUES_SCOPE,
        )
        login = self.gardener_login()
        found = []
        for issue in listed:
            existing = self._trusted(issue, login)
            if existing is not None:
                self._issues[issue.number] = issue
                found.append(existing)
        return tuple(sorted(found, key=lambda e: e.number))

    def apply(self, operation: Operation) -> JournalEntry:
        """Performs one operation; raises ``GitHubError`` (``CreateUnconfirmed`` on creates)."""
        handlers: dict[OperationKind, Callable[[Operation], JournalEntry]] = {
            OperationKind.ENSURE_LABEL: self._ensure_label,
            OperationKind.CREATE_ISSUE: self._create_issue,
            OperationKind.UPDATE_ISSUE: self._update_issue,
            OperationKind.COMMENT: self._comment,
            OperationKind.REOPEN: self._reopen,
            OperationKind.CLOSE_COMPLETED: self._close_completed,
            OperationKind.CLOSE_DUPLICATE: self._close_duplicate,
            OperationKind.CLOSE_FOLDED: self._close_duplicate,  # not planned, with its label
        }
        handler = handlers.get(operation.kind)
        if handler is None:
            raise GitHubError(
                f"The GitHub adapter cannot apply a {operation.kind.value} operation",
                cause="worklog commits go through commit_files",
                fix="report this as a bug in log-gardener",
            )
        return handler(operation)

    def commit_files(self, files: Mapping[str, str], message: str) -> JournalEntry:
        """One commit with ``files`` on the worklog branch (Git Data API, no force)."""
        op = Operation(OperationKind.COMMIT_WORKLOG, files=dict(files), title=message)
        branch = self.branch()
        blobs = {path: self._create_blob(content) for path, content in sorted(files.items())}
        for _attempt in range(COMMIT_RETRIES + 1):
            sha = self._commit_once(branch, blobs, message)
            if sha:
                return JournalEntry(
                    op,
                    OperationResult.DONE,
                    url=f"{self.server_url}/{self.repo_name}/commit/{sha}",
                    detail=f"commit {sha[:12]} on branch {quote_value(branch)}",
                )
        raise GitHubError(
            f"Could not commit the worklog to branch {quote_value(branch)}: the branch moved "
            f"{COMMIT_RETRIES + 1} times while committing",
            cause="other workflows push to this branch very often",
            fix="set the `worklog-branch` input to a branch only log-gardener writes to",
        )

    # -- public: extras for the composition root -------------------------------------------
    def gardener_login(self) -> str:
        """The login whose issues are trusted (``GET /user``; ``github-actions[bot]`` on 403)."""
        if self._login is None:
            self._login = self._resolve_login()
        return self._login

    def branch(self) -> str:
        """The worklog branch: the one given, else the repository's default branch."""
        if not self._branch:
            self._branch = self._call(
                "reading the repository", lambda: self._repo.default_branch, scope=""
            )
        return self._branch

    def file_url(self, path: str) -> str:
        """The HTML URL of ``path`` on the worklog branch (for links in issue bodies)."""
        return f"{self.server_url}/{self.repo_name}/blob/{self.branch()}/{path}"

    def read_file(self, path: str) -> str | None:
        """``path`` on the worklog branch, or None when it (or the branch) does not exist."""
        branch = self.branch()

        def fetch() -> str | None:
            try:
                found = self._repo.get_contents(path, ref=branch)
            except GithubException as error:
                if error.status == 404:
                    return None
                raise
            if isinstance(found, list):
                return None
            if found.encoding != "base64":  # over 1 MB: the contents API omits the content
                blob = self._repo.get_git_blob(found.sha)
                return _decode_base64(blob.content)
            return found.decoded_content.decode("utf-8")

        return self._call(f"reading {quote_value(path)}", fetch, scope=_CONTENTS_SCOPE)

    # -- requests --------------------------------------------------------------------------
    def _call(
        self,
        doing: str,
        request: Callable[[], T],
        *,
        scope: str,
        write: bool = False,
        idempotent: bool | None = None,
    ) -> T:
        """Runs ``request`` (PyGithub calls) with pacing and rate-limit waits; maps errors.

        A rate-limited request was refused, so it is always repeated.  A 5xx is repeated only
        when the request is ``idempotent`` (default: reads); a create never is.
        """
        limited = failed = 0
        repeat_5xx = (not write) if idempotent is None else idempotent
        while True:
            try:
                if write:
                    with self._write_lock:
                        return self._paced(request)
                return request()
            except GithubException as error:
                wait = self._rate_limit_wait(error)
                if wait is not None:
                    if limited >= self._max_rl_retries or wait > self._max_rl_wait:
                        raise _rate_limit_error(doing, wait) from None
                    limited += 1
                elif repeat_5xx and error.status >= 500 and failed < len(SERVER_ERROR_WAITS):
                    wait = SERVER_ERROR_WAITS[failed]
                    failed += 1
                else:
                    raise self._error(error, doing, scope) from None
                self._sleep(wait)
            except requests.RequestException as error:
                raise _unreachable(self.api_url, doing, error) from None

    def _paced(self, request: Callable[[], T]) -> T:
        if self._last_write is not None:
            due = self._last_write + self._min_write_interval - self._clock()
            if due > 0:
                self._sleep(due)
        try:
            return request()
        finally:
            self._last_write = self._clock()

    def _rate_limit_wait(self, error: GithubException) -> float | None:
        """Seconds to wait before repeating a rate-limited request, or None if not limited."""
        headers = {k.lower(): v for k, v in (error.headers or {}).items()}
        message = _message(error).lower()
        limited = error.status == 429 or (
            error.status == 403
            and (
                "retry-after" in headers
                or headers.get("x-ratelimit-remaining") == "0"
                or "rate limit" in message
            )
        )
        if not limited:
            return None
        if (retry_after := _number(headers.get("retry-after"))) is not None:
            return max(retry_after, 0.0)
        if headers.get("x-ratelimit-remaining") == "0":
            reset = _number(headers.get("x-ratelimit-reset"))
            if reset is not None:
                return max(reset - self._wall_clock(), 0.0) + 1.0
        return SECONDARY_LIMIT_WAIT

    def _error(self, error: GithubException, doing: str, scope: str) -> _ApiError:
        found = self._explain(error, doing, scope)
        return _ApiError(error.status, found.what, found.cause, found.fix, _message(error))

    def _explain(self, error: GithubException, doing: str, scope: str) -> GitHubError:
        status = error.status
        what = f"GitHub answered {status} while {doing} in {quote_value(self.repo_name)}"
        if status == 401:
            return GitHubError(
                what + " (bad credentials)",
                cause="the token is wrong, expired or revoked",
                fix="pass a valid token in the `github-token` input (default "
                "`${{ github.token }}`), or set GITHUB_TOKEN for a local run",
            )
        if status == 403:
            permission = f"`permissions: {scope}: write`" if scope else "read access"
            return GitHubError(
                what + " (forbidden)",
                cause=f"the token lacks {permission} for this repository",
                fix=f"add {permission} to the workflow job (or grant it to the token)",
            )
        if status == 404:
            return GitHubError(
                what + " (not found)",
                cause="the repository name is wrong, the token cannot see it, or GITHUB_API_URL "
                f"({quote_value(self.api_url)}) points at another server",
                fix="check GITHUB_REPOSITORY / --repo and GITHUB_API_URL (GitHub Enterprise "
                "Server: https://HOST/api/v3)",
            )
        if status == 410:
            return GitHubError(
                what + " (gone)",
                cause="Issues are disabled for this repository",
                fix="enable Issues in the repository's Settings > General > Features",
            )
        if status >= 500:
            return GitHubError(
                what,
                cause="a transient failure on GitHub's side",
                fix="run again; runs are replay-safe and nothing is duplicated",
            )
        return GitHubError(
            what + ": " + quote_value(_message(error)),
            cause="GitHub refused the request as invalid",
            fix="report this as a bug in log-gardener with the run journal",
        )

    # -- identity and trust ----------------------------------------------------------------
    def _resolve_login(self) -> str:
        try:
            return str(self._github.get_user().login)
        except GithubException as error:
            if error.status == 403:  # an installation token (the job's GITHUB_TOKEN)
                return ACTIONS_BOT
            raise self._error(error, "reading the token's identity", "") from None
        except requests.RequestException as error:
            raise _unreachable(self.api_url, "reading the token's identity", error) from None

    def _trusted(self, issue: Issue, login: str) -> ExistingIssue | None:
        """The issue as an ExistingIssue when the gardener made it, else None."""
        # The issues endpoint lists pull requests too; their HTML URL says so (reading
        # ``pull_request`` would cost one GET per issue on a lazy object).
        if "/pull/" in issue.html_url or issue.user.login.lower() != login.lower():
            return None
        labels = tuple(label.name for label in issue.labels)
        if self.label.lower() not in {n.lower() for n in labels}:
            return None
        found = marker.parse_issue_marker(issue.body)
        dashboard = found is None and marker.is_dashboard(issue.body)
        if found is None and not dashboard:
            return None
        return ExistingIssue(
            number=issue.number,
            state=_state(issue),
            title=issue.title,
            body=issue.body or "",
            labels=labels,
            fingerprint=found.fingerprint if found else "",
            grouping_version=found.grouping_version if found else "",
            url=issue.html_url,
            closed_at=_aware(issue.closed_at),
            is_dashboard=dashboard,
        )

    def _own_issue(self, number: int | None) -> Issue:
        """A trusted issue by number; refuses to touch anything the gardener did not create."""
        if number is None:
            raise GitHubError(
                "An issue operation has no issue number",
                fix="report this as a bug in log-gardener",
            )
        if number in self._issues:
            return self._issues[number]
        issue = self._call(
            f"reading issue {number}",
            lambda: _completed(self._repo.get_issue(number)),
            scope=_ISSUES_SCOPE,
        )
        if self._trusted(issue, self.gardener_login()) is None:
            raise GitHubError(
                f"Refusing to change issue {number}: log-gardener did not create it",
                cause="its author, label or first-line marker is not the gardener's",
                fix="nothing to do; if state.json points at this issue, it is rebuilt next run",
            )
        self._issues[number] = issue
        return issue

    # -- labels ----------------------------------------------------------------------------
    def _ensure_label(self, op: Operation) -> JournalEntry:
        name = (op.title or (op.labels[0] if op.labels else "")).strip()
        if not name or len(name) > 50:
            raise GitHubError(
                f"Label name {quote_value(name)} is empty or longer than 50 characters",
                fix="shorten the label in the rules file",
            )
        if name.lower() in self._known_labels():
            return JournalEntry(op, OperationResult.DONE, detail=LABEL_EXISTS)
        color = (op.color or DEFAULT_LABEL_COLOR).lstrip("#").lower()
        description = op.description[:100]
        try:
            self._call(
                f"creating the label {quote_value(name)}",
                lambda: self._repo.create_label(name, color, description),
                scope=_ISSUES_SCOPE,
                write=True,
            )
        except GitHubError:
            # 422 "already_exists": someone created it since we listed; that is success.
            self._label_names = None
            if name.lower() in self._known_labels():
                return JournalEntry(op, OperationResult.DONE, detail=LABEL_EXISTS)
            raise
        self._known_labels().add(name.lower())
        return JournalEntry(op, OperationResult.DONE, detail="label created")

    def _known_labels(self) -> set[str]:
        if self._label_names is None:
            labels = self._call(
                "listing labels", lambda: list(self._repo.get_labels()), scope=_ISSUES_SCOPE
            )
            self._label_names = {label.name.lower() for label in labels}
        return self._label_names

    def _label_set(self, wanted: Sequence[str], current: Sequence[str]) -> list[str]:
        """Our labels replaced by ``wanted``; a person's labels kept; the gardener label kept."""
        managed = {n.lower() for n in PRIORITY_LABELS | {RESOLVED_LABEL, self.label}}
        chosen = [self.label, *wanted]
        kept = [n for n in current if n.lower() not in managed]
        return _unique([*chosen, *kept])

    # -- issues ----------------------------------------------------------------------------
    def _create_issue(self, op: Operation) -> JournalEntry:
        if marker.parse_issue_marker(op.body) is None and not marker.is_dashboard(op.body):
            raise GitHubError(
                "Refusing to create an issue whose body does not start with a log-gardener marker",
                cause="such an issue could never be found again, so every run would duplicate it",
                fix="report this as a bug in log-gardener",
            )
        labels = _unique([self.label, *op.labels])
        try:
            issue = self._call(
                "creating an issue",
                lambda: self._repo.create_issue(title=op.title, body=op.body, labels=labels),
                scope=_ISSUES_SCOPE,
                write=True,
            )
        except GitHubError as error:
            if not _uncertain(error):
                raise
            return self._adopt(op, error)
        self._issues[issue.number] = issue
        return JournalEntry(op, OperationResult.DONE, issue.number, issue.html_url, "created")

    def _adopt(self, op: Operation, failure: GitHubError) -> JournalEntry:
        """After a 5xx or timeout on create: the issue may exist; list again and adopt it."""
        try:
            existing = self.list_marked_issues()
        except GitHubError as error:
            raise CreateUnconfirmed(
                "An issue create failed and the issues could not be listed again to check "
                "whether it happened anyway",
                cause=f"GitHub is failing ({failure.what}; then {error.what})",
                fix="nothing: no more issues are created this run; the next run adopts or "
                "creates it",
            ) from None
        wanted = marker.parse_issue_marker(op.body)
        for issue in existing:  # sorted by number: the lowest one wins
            if (wanted and issue.fingerprint == wanted.fingerprint) or (
                not wanted and issue.is_dashboard
            ):
                return JournalEntry(
                    op,
                    OperationResult.ADOPTED,
                    issue.number,
                    issue.url,
                    "the create failed but had happened: adopted the existing issue",
                )
        raise failure

    def _update_issue(self, op: Operation) -> JournalEntry:
        issue = self._own_issue(op.issue_number)
        changes = self._edits(issue, op)
        if not changes:
            return JournalEntry(
                op, OperationResult.DONE, issue.number, issue.html_url, ALREADY_CURRENT
            )
        self._edit(issue, changes)
        return JournalEntry(op, OperationResult.DONE, issue.number, issue.html_url, "updated")

    def _edits(self, issue: Issue, op: Operation) -> dict[str, object]:
        changes: dict[str, object] = {}
        if op.title and op.title != issue.title:
            changes["title"] = op.title
        if op.body and op.body != (issue.body or ""):
            changes["body"] = op.body
        if op.labels:
            current = [label.name for label in issue.labels]
            labels = self._label_set(op.labels, current)
            if sorted(labels) != sorted(current):
                changes["labels"] = labels
        return changes

    def _edit(self, issue: Issue, changes: Mapping[str, object]) -> None:
        self._call(
            f"editing issue {issue.number}",
            lambda: issue.edit(**changes),  # type: ignore[arg-type]
            scope=_ISSUES_SCOPE,
            write=True,
            idempotent=True,  # the same title/body/labels/state again changes nothing
        )

    def _reopen(self, op: Operation) -> JournalEntry:
        issue = self._own_issue(op.issue_number)
        changes = self._edits(issue, op)
        if issue.state != "open":
            changes["state"] = "open"
        if changes:
            self._edit(issue, changes)
        return JournalEntry(op, OperationResult.DONE, issue.number, issue.html_url, "reopened")

    def _close(self, op: Operation, reason: str, comment: str) -> JournalEntry:
        issue = self._own_issue(op.issue_number)
        if comment:
            self._post_comment(issue, comment, op.run_id)
        changes: dict[str, object] = {}
        current = [label.name for label in issue.labels]
        labels = _unique([*current, *op.labels])
        if labels != current:
            changes["labels"] = labels
        if issue.state != "closed" or issue.state_reason != reason:
            changes.update(state="closed", state_reason=reason)
        if changes:
            self._edit(issue, changes)
        return JournalEntry(
            op,
            OperationResult.DONE,
            issue.number,
            issue.html_url,
            f"closed as {reason.replace('_', ' ')}",
        )

    def _close_completed(self, op: Operation) -> JournalEntry:
        return self._close(op, "completed", op.body)

    def _close_duplicate(self, op: Operation) -> JournalEntry:
        # not_planned rather than "duplicate": GitHub Enterprise Server versions reject the latter.
        return self._close(op, "not_planned", op.body or DUPLICATE_COMMENT)

    # -- comments --------------------------------------------------------------------------
    def _comment(self, op: Operation) -> JournalEntry:
        issue = self._own_issue(op.issue_number)
        posted = self._post_comment(issue, op.body, op.run_id)
        detail = "commented" if posted else ALREADY_POSTED
        return JournalEntry(op, OperationResult.DONE, issue.number, issue.html_url, detail)

    def _post_comment(self, issue: Issue, body: str, run_id: str) -> bool:
        """Posts ``body`` with its run marker unless that marker is already there."""
        run_marker = marker.run_marker(run_id or "unknown")
        wanted = marker.comment_run_id(run_marker)
        if marker.comment_run_id(body) != wanted:
            body = body.rstrip("\n") + "\n\n" + run_marker
        if wanted in self._comment_run_ids(issue):
            return False
        try:
            self._call(
                f"commenting on issue {issue.number}",
                lambda: issue.create_comment(body),
                scope=_ISSUES_SCOPE,
                write=True,
            )
        except GitHubError as error:
            # A comment may have been posted before the 5xx/timeout: look before failing.
            if _uncertain(error) and wanted in self._comment_run_ids(issue):
                return True
            raise
        return True

    def _comment_run_ids(self, issue: Issue) -> set[str]:
        login = self.gardener_login().lower()
        comments = self._call(
            f"reading the comments of issue {issue.number}",
            lambda: list(issue.get_comments()),
            scope=_ISSUES_SCOPE,
        )
        return {
            run
            for c in comments
            if c.user.login.lower() == login and (run := marker.comment_run_id(c.body))
        }

    # -- git data --------------------------------------------------------------------------
    def _create_blob(self, content: str) -> str:
        blob = self._call(
            "creating a blob for the worklog commit",
            lambda: self._repo.create_git_blob(content, "utf-8"),
            scope=_CONTENTS_SCOPE,
            write=True,
        )
        return str(blob.sha)

    def _commit_once(self, branch: str, blobs: Mapping[str, str], message: str) -> str:
        """Builds a commit on the branch head and moves the ref; "" on a non-fast-forward."""
        ref = self._head_ref(branch)
        head = self._call(
            "reading the branch head",
            lambda: self._repo.get_git_commit(ref.object.sha),
            scope=_CONTENTS_SCOPE,
        )
        elements = [InputGitTreeElement(p, "100644", "blob", sha=s) for p, s in blobs.items()]
        tree = self._call(
            "creating the worklog tree",
            lambda: self._repo.create_git_tree(elements, base_tree=head.tree),
            scope=_CONTENTS_SCOPE,
            write=True,
        )
        commit = self._call(
            "creating the worklog commit",
            lambda: self._repo.create_git_commit(message, tree, [head]),
            scope=_CONTENTS_SCOPE,
            write=True,
        )
        try:
            self._call(
                f"updating branch {quote_value(branch)}",
                lambda: ref.edit(commit.sha, force=False),
                scope=_CONTENTS_SCOPE,
                write=True,
            )
        except _ApiError as error:
            if _uncertain(error) and self._head_sha(branch) == commit.sha:
                return str(commit.sha)  # the 5xx or timeout came after the branch moved
            text = error.github_message.lower()
            if error.status == 422 and ("fast forward" in text or "fast-forward" in text):
                return ""
            if error.status == 403 or "protected" in text or "rule" in text:
                raise _protected_branch(branch) from None
            raise
        return str(commit.sha)

    def _head_sha(self, branch: str) -> str:
        return str(
            self._call(
                f"reading branch {quote_value(branch)}",
                lambda: self._repo.get_git_ref(f"heads/{branch}").object.sha,
                scope=_CONTENTS_SCOPE,
            )
        )

    def _head_ref(self, branch: str) -> GitRef:
        """The branch's ref, created from the default branch when it does not exist yet."""
        try:
            return self._call(
                f"reading branch {quote_value(branch)}",
                lambda: _completed_ref(self._repo.get_git_ref(f"heads/{branch}")),
                scope=_CONTENTS_SCOPE,
            )
        except _ApiError as error:
            if error.status != 404:
                raise
        base = self._call(
            "reading the default branch",
            lambda: self._repo.get_git_ref(f"heads/{self._repo.default_branch}").object.sha,
            scope=_CONTENTS_SCOPE,
        )
        return self._call(
            f"creating branch {quote_value(branch)}",
            lambda: self._repo.create_git_ref(f"refs/heads/{branch}", base),
            scope=_CONTENTS_SCOPE,
            write=True,
        )


# -- helpers ---------------------------------------------------------------------------------
def _message(error: GithubException) -> str:
    data = error.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return ""


def _number(value: object) -> float | None:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


class _ApiError(GitHubError):
    """A GitHubError that remembers the HTTP status (0: no answer) and GitHub's message."""

    def __init__(
        self, status: int, what: str, cause: str = "", fix: str = "", github_message: str = ""
    ) -> None:
        super().__init__(what, cause, fix)
        self.status = status
        self.github_message = github_message


def _uncertain(error: GitHubError) -> bool:
    """True when the request may have been performed (5xx, timeout, connection dropped)."""
    return isinstance(error, _ApiError) and (error.status == 0 or error.status >= 500)


def _completed_ref(ref: GitRef) -> GitRef:
    ref.object  # noqa: B018 - a lazy object: read one attribute so the GET happens here
    return ref


def _unreachable(api_url: str, doing: str, error: requests.RequestException) -> GitHubError:
    kind = "timed out" if isinstance(error, requests.Timeout) else "failed to connect"
    return _ApiError(
        0,
        f"The request to GitHub {kind} while {doing}",
        cause=f"GitHub at {quote_value(api_url)} is slow or unreachable, or GITHUB_API_URL is "
        "wrong",
        fix="check GITHUB_API_URL and run again; runs are replay-safe",
    )


def _rate_limit_error(doing: str, wait: float) -> GitHubError:
    return GitHubError(
        f"GitHub kept rate-limiting the requests while {doing} (next wait {wait:.0f} s)",
        cause="many requests with this token, from this or other workflows",
        fix="lower `max-operations` or run less often; pending work is done next run",
    )


def _protected_branch(branch: str) -> GitHubError:
    return GitHubError(
        f"Could not commit the worklog: branch {quote_value(branch)} is protected",
        cause="branch protection or a ruleset forbids direct pushes by this token",
        fix="set the `worklog-branch` input to an unprotected branch (for example "
        "`log-gardener-worklog`; it is created when missing)",
    )


def _state(issue: Issue) -> IssueState:
    if issue.state == "open":
        return IssueState.OPEN
    if issue.state_reason in ("not_planned", "duplicate"):
        return IssueState.CLOSED_NOT_PLANNED
    return IssueState.CLOSED_COMPLETED


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _completed(issue: Issue) -> Issue:
    issue.title  # noqa: B018 - a lazy object: read one attribute so the GET happens here
    return issue


def _unique(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name and name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def _decode_base64(content: str) -> str:
    return base64.b64decode(content).decode("utf-8")
