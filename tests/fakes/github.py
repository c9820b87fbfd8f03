"""A small stateful fake of the GitHub REST API on 127.0.0.1, for the real PyGithub to talk to.

Use it as a context manager (or ``start()`` / ``stop()``)::

    from tests.fakes.github import FakeGitHub

    with FakeGitHub(repo="acme/shop", tokens={"t0ken": "log-gardener-bot"}) as fake:
        tracker = GitHubTracker("acme/shop", "t0ken", fake.api_url, ...)
        ...
        assert fake.write_requests() == []

State lives in plain attributes (``fake.issues``, ``fake.comments``, ``fake.labels``,
``fake.refs``...) that a test may read or seed (``fake.seed_issue(...)``,
``fake.seed_files(...)``).  Every request is recorded in ``fake.requests``.

``make_tracker(fake, clock=FakeClock(), **options)`` builds a ``GitHubTracker`` on the fake with
an injected clock (``clock.sleeps`` records every wait) and no write pacing.

Fault injection:

* ``fake.fail_next(method, path_regex, status, times=1, headers=None, message=...,
  after=False)``: the next ``times`` matching requests answer ``status``; with ``after=True``
  the request is performed first (a 502 *after* a real create).
* ``fake.on_next(method, path_regex, callback, times=1)``: run ``callback(fake)`` just before a
  matching request is handled (e.g. ``fake.push_commit`` between the ref read and ref update).
* ``fake.hang_next(method, path_regex, seconds)``: perform the request, then sleep before
  answering (client timeouts).
* ``fake.protect(branch)``: ref updates on that branch answer 422 "Protected branch update failed".
* Tokens: ``tokens`` maps token -> login; ``installation_tokens`` is a set of tokens that behave
  like a job's GITHUB_TOKEN (``GET /user`` is 403).  ``permissions`` maps token -> set of
  granted scopes ({"issues", "contents"}); a missing scope answers 403 "Resource not accessible
  by integration".
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from tests.fakes.server import LoopbackServer


@dataclass
class FakeClock:
    """A clock that only moves when something sleeps; records every sleep."""

    now: float = 1_714_564_800.0  # 2024-05-01T12:00:00Z
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


def make_tracker(fake: FakeGitHub, clock: FakeClock | None = None, **options: Any) -> Any:
    """A ``GitHubTracker`` on ``fake`` with a fake clock (no real sleeping) and no pacing."""
    from log_gardener.adapters.github import GitHubTracker

    clock = clock or FakeClock()
    settings: dict[str, Any] = {
        "min_write_interval": 0.0,
        "sleep": clock.sleep,
        "clock": clock.monotonic,
        "wall_clock": clock.time,
        "server_url": "https://github.example",
    }
    settings.update(options)
    token = settings.pop("token", next(iter(fake.tokens)))
    repo = settings.pop("repo", fake.repo)
    return GitHubTracker(repo, token, fake.api_url, **settings)


WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
NOW = "2024-05-01T12:00:00Z"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the API prefix and query
    query: Mapping[str, str]
    body: Any  # decoded JSON or None
    login: str  # "" when unauthenticated


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    times: int
    status: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str = ""
    after: bool = False
    callback: Callable[[FakeGitHub], None] | None = None
    hang: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.method == method and bool(self.pattern.search(path))


class _Reply(Exception):
    """Raised by handlers to answer with an error status."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def _sha(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


class FakeGitHub(LoopbackServer):
    """One repository, its issues, comments, labels and a tiny git object store."""

    def __init__(
        self,
        repo: str = "acme/shop",
        tokens: Mapping[str, str] | None = None,
        *,
        installation_tokens: Iterable[str] = (),
        permissions: Mapping[str, set[str]] | None = None,
        default_branch: str = "main",
        prefix: str = "",  # "/api/v3" to look like GitHub Enterprise Server
    ) -> None:
        self.repo = repo
        self.tokens = dict(tokens or {"test-token": "log-gardener-bot"})
        self.installation_tokens = set(installation_tokens)
        self.permissions = dict(permissions or {})
        self.default_branch = default_branch
        self.prefix = prefix
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.faults: list[_Fault] = []
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, dict[str, str]] = {}  # tree sha -> {full path: blob sha}
        self.commits: dict[str, dict[str, Any]] = {}
        self.refs: dict[str, str] = {}  # "heads/main" -> commit sha
        self.protected: set[str] = set()
        self._next_number = 1
        self._next_id = 1000
        self.refs[f"heads/{default_branch}"] = self._store_commit({}, [], "Initial commit")

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return self.base_url + self.prefix

    # -- test helpers ----------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        message: str = "Server Error",
        after: bool = False,
    ) -> None:
        fault = _Fault(method, re.compile(path_regex), times, status, headers or {}, message, after)
        with self.lock:
            self.faults.append(fault)

    def on_next(
        self, method: str, path_regex: str, callback: Callable[[FakeGitHub], None], times: int = 1
    ) -> None:
        with self.lock:
            self.faults.append(_Fault(method, re.compile(path_regex), times, callback=callback))

    def hang_next(self, method: str, path_regex: str, seconds: float) -> None:
        with self.lock:
            self.faults.append(_Fault(method, re.compile(path_regex), 1, hang=seconds))

    def protect(self, branch: str) -> None:
        self.protected.add(branch)

    def write_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method in WRITE_METHODS]

    def count(self, method: str, path_regex: str) -> int:
        pattern = re.compile(path_regex)
        return sum(1 for r in self.requests if r.method == method and pattern.search(r.path))

    def seed_issue(
        self,
        title: str,
        body: str,
        *,
        author: str = "log-gardener-bot",
        labels: Iterable[str] = ("log-gardener",),
        state: str = "open",
        state_reason: str | None = None,
        pull_request: bool = False,
    ) -> int:
        with self.lock:
            issue = self._new_issue(title, body, list(labels), author)
            issue["state"] = state
            if state == "closed":
                issue["state_reason"] = state_reason or "completed"
                issue["closed_at"] = NOW
            if pull_request:
                issue["pull_request"] = {"url": "x"}
            return int(issue["number"])

    def seed_comment(self, number: int, body: str, author: str = "log-gardener-bot") -> None:
        with self.lock:
            self._new_comment(number, body, author)

    def push_commit(
        self, files: Mapping[str, str], branch: str = "", message: str = "other"
    ) -> str:
        """A commit made by someone else on ``branch`` (a concurrent writer)."""
        with self.lock:
            ref = f"heads/{branch or self.default_branch}"
            parent = self.refs[ref]
            tree = dict(self.trees[self.commits[parent]["tree"]])
            for path, content in files.items():
                tree[path] = self._store_blob(content.encode())
            self.refs[ref] = self._store_commit(tree, [parent], message)
            return self.refs[ref]

    def seed_files(self, files: Mapping[str, str], branch: str = "") -> str:
        return self.push_commit(files, branch, "seed")

    def file_at(self, path: str, branch: str = "") -> str | None:
        with self.lock:
            commit = self.commits[self.refs[f"heads/{branch or self.default_branch}"]]
            blob = self.trees[commit["tree"]].get(path)
            return None if blob is None else self.blobs[blob].decode()

    def branch_commits(self, branch: str = "") -> list[dict[str, Any]]:
        """Commits on ``branch`` following first parents, newest first."""
        with self.lock:
            sha: str | None = self.refs[f"heads/{branch or self.default_branch}"]
            found = []
            while sha:
                found.append({"sha": sha, **self.commits[sha]})
                parents = self.commits[sha]["parents"]
                sha = parents[0] if parents else None
            return found

    # -- storage ---------------------------------------------------------------------------
    def _store_blob(self, data: bytes) -> str:
        sha = _sha("blob", data)
        self.blobs[sha] = data
        return sha

    def _store_tree(self, entries: Mapping[str, str]) -> str:
        sha = _sha("tree", json.dumps(sorted(entries.items())).encode())
        self.trees[sha] = dict(entries)
        return sha

    def _store_commit(self, tree: Mapping[str, str], parents: list[str], message: str) -> str:
        tree_sha = self._store_tree(tree)
        payload = json.dumps([tree_sha, parents, message, len(self.commits)]).encode()
        sha = _sha("commit", payload)
        self.commits[sha] = {"tree": tree_sha, "parents": list(parents), "message": message}
        return sha

    def _is_ancestor(self, ancestor: str, sha: str) -> bool:
        todo = [sha]
        seen: set[str] = set()
        while todo:
            current = todo.pop()
            if current == ancestor:
                return True
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            todo.extend(self.commits[current]["parents"])
        return False

    def _new_issue(self, title: str, body: str, labels: list[str], author: str) -> dict[str, Any]:
        number = self._next_number
        self._next_number += 1
        for name in labels:
            self._ensure_label(name)
        issue: dict[str, Any] = {
            "number": number,
            "id": self._new_id(),
            "title": title,
            "body": body,
            "labels": list(dict.fromkeys(labels)),
            "state": "open",
            "state_reason": None,
            "author": author,
            "closed_at": None,
        }
        self.issues[number] = issue
        self.comments[number] = []
        return issue

    def _new_comment(self, number: int, body: str, author: str) -> dict[str, Any]:
        comment = {"id": self._new_id(), "body": body, "author": author, "issue": number}
        self.comments[number].append(comment)
        return comment

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _ensure_label(self, name: str, color: str = "ededed", description: str = "") -> None:
        if name.lower() not in {n.lower() for n in self.labels}:
            self.labels[name] = {"name": name, "color": color, "description": description}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one request then costs ~1 ms, not a 40 ms delayed ACK

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    # -- plumbing ----------------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if fake.prefix and path.startswith(fake.prefix):
            path = path[len(fake.prefix) :]
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        login = self._login()
        with fake.lock:
            fake.requests.append(RecordedRequest(method, path, query, body, login or ""))
            before, after, hang = self._take_faults(method, path)
        if before is not None:
            return self._error(before.status, before.message, before.headers)
        try:
            status, payload, headers = self._route(method, path, query, body, login)
        except _Reply as reply:
            status, payload, headers = reply.status, {"message": reply.message}, reply.headers
        if hang:
            time.sleep(hang)
        if after is not None:
            return self._error(after.status, after.message, after.headers)
        self._send(status, payload, headers)

    def _take_faults(self, method: str, path: str) -> tuple[_Fault | None, _Fault | None, float]:
        before = after = None
        hang = 0.0
        for fault in self.fake.faults:
            if not fault.matches(method, path):
                continue
            if fault.callback is not None:
                fault.times -= 1
                fault.callback(self.fake)
            elif fault.hang:
                fault.times -= 1
                hang = fault.hang
            elif before is None and after is None:
                fault.times -= 1
                if fault.after:
                    after = fault
                else:
                    before = fault
        return before, after, hang

    def _login(self) -> str | None:
        header = self.headers.get("Authorization", "")
        token = header.split(" ", 1)[1] if " " in header else ""
        return self.fake.tokens.get(token)

    def _token(self) -> str:
        header = self.headers.get("Authorization", "")
        return header.split(" ", 1)[1] if " " in header else ""

    def _error(self, status: int, message: str, headers: Mapping[str, str]) -> None:
        self._send(status, {"message": message}, headers)

    def _send(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    # -- routing -----------------------------------------------------------------------------
    def _route(
        self, method: str, path: str, query: Mapping[str, str], body: Any, login: str | None
    ) -> tuple[int, Any, Mapping[str, str]]:
        if login is None:
            raise _Reply(401, "Bad credentials")
        fake = self.fake
        if path == "/user" and method == "GET":
            if self._token() in fake.installation_tokens:
                raise _Reply(403, "Resource not accessible by integration")
            return 200, self._user(login), {}
        prefix = f"/repos/{fake.repo}"
        if path != prefix and not path.startswith(prefix + "/"):
            raise _Reply(404, "Not Found")
        rest = path[len(prefix) :]
        for verb, pattern, handler, scope in _ROUTES:
            found = re.fullmatch(pattern, rest)
            if verb == method and found:
                self._check_scope(scope, method)
                with fake.lock:
                    result: tuple[int, Any, Mapping[str, str]] = handler(
                        self, query, body, login, *found.groups()
                    )
                    return result
        raise _Reply(404, "Not Found")

    def _check_scope(self, scope: str, method: str) -> None:
        granted = self.fake.permissions.get(self._token())
        if granted is not None and scope and method in WRITE_METHODS and scope not in granted:
            raise _Reply(403, "Resource not accessible by integration")

    # -- JSON shapes ---------------------------------------------------------------------------
    def _api(self, suffix: str) -> str:
        return f"{self.fake.api_url}/repos/{self.fake.repo}{suffix}"

    def _user(self, login: str) -> dict[str, Any]:
        kind = "Bot" if login.endswith("[bot]") else "User"
        return {"login": login, "id": abs(hash(login)) % 10**6, "type": kind}

    def _label_json(self, name: str) -> dict[str, Any]:
        label = next(v for k, v in self.fake.labels.items() if k.lower() == name.lower())
        return {**label, "url": self._api(f"/labels/{quote(label['name'])}")}

    def _issue_json(self, issue: dict[str, Any]) -> dict[str, Any]:
        number = issue["number"]
        kind = "pull" if "pull_request" in issue else "issues"
        data = {
            "number": number,
            "id": issue["id"],
            "title": issue["title"],
            "body": issue["body"],
            "state": issue["state"],
            "state_reason": issue["state_reason"],
            "labels": [self._label_json(n) for n in issue["labels"]],
            "user": self._user(issue["author"]),
            "closed_at": issue["closed_at"],
            "created_at": NOW,
            "updated_at": NOW,
            "comments": len(self.fake.comments[number]),
            "url": self._api(f"/issues/{number}"),
            "html_url": f"https://github.example/{self.fake.repo}/{kind}/{number}",
        }
        if "pull_request" in issue:
            data["pull_request"] = issue["pull_request"]
        return data

    def _comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        number = comment["issue"]
        return {
            "id": comment["id"],
            "body": comment["body"],
            "user": self._user(comment["author"]),
            "created_at": NOW,
            "updated_at": NOW,
            "url": self._api(f"/issues/comments/{comment['id']}"),
            "html_url": f"https://github.example/{self.fake.repo}/issues/{number}"
            f"#issuecomment-{comment['id']}",
        }

    def _page(
        self, items: list[Any], query: Mapping[str, str], suffix: str
    ) -> tuple[int, Any, Mapping[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        if page < last:
            links.append(f'<{self._page_url(query, suffix, page + 1)}>; rel="next"')
            links.append(f'<{self._page_url(query, suffix, last)}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, chunk, headers

    def _page_url(self, query: Mapping[str, str], suffix: str, page: int) -> str:
        return self._api(suffix) + "?" + urlencode({**query, "page": str(page)})

    # -- repository, issues, comments, labels --------------------------------------------------
    def get_repo(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        owner, name = self.fake.repo.split("/")
        return (
            200,
            {
                "full_name": self.fake.repo,
                "name": name,
                "owner": self._user(owner),
                "default_branch": self.fake.default_branch,
                "url": self._api(""),
                "html_url": f"https://github.example/{self.fake.repo}",
            },
            {},
        )

    def list_issues(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        state = query.get("state", "open")
        wanted = [w.strip().lower() for w in query.get("labels", "").split(",") if w.strip()]
        found = []
        for issue in sorted(self.fake.issues.values(), key=lambda i: -i["number"]):
            names = {n.lower() for n in issue["labels"]}
            if state != "all" and issue["state"] != state:
                continue
            if all(w in names for w in wanted):
                found.append(self._issue_json(issue))
        return self._page(found, query, "/issues")

    def _issue(self, number: str) -> dict[str, Any]:
        issue = self.fake.issues.get(int(number))
        if issue is None:
            raise _Reply(404, "Not Found")
        return issue

    def get_issue(self, query: Mapping[str, str], body: Any, login: str, number: str) -> Any:
        return 200, self._issue_json(self._issue(number)), {}

    def create_issue(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        if not body or not body.get("title"):
            raise _Reply(422, "Validation Failed")
        issue = self.fake._new_issue(
            body["title"], body.get("body") or "", body.get("labels") or [], login
        )
        return 201, self._issue_json(issue), {}

    def edit_issue(self, query: Mapping[str, str], body: Any, login: str, number: str) -> Any:
        issue = self._issue(number)
        for key in ("title", "body"):
            if key in body:
                issue[key] = body[key]
        if "labels" in body:
            for name in body["labels"]:
                self.fake._ensure_label(name)
            issue["labels"] = list(dict.fromkeys(body["labels"]))
        if body.get("state") == "closed":
            issue["state"] = "closed"
            issue["state_reason"] = body.get("state_reason") or "completed"
            issue["closed_at"] = NOW
        elif body.get("state") == "open":
            issue["state"] = "open"
            issue["state_reason"] = "reopened"
            issue["closed_at"] = None
        return 200, self._issue_json(issue), {}

    def list_comments(self, query: Mapping[str, str], body: Any, login: str, number: str) -> Any:
        self._issue(number)
        items = [self._comment_json(c) for c in self.fake.comments[int(number)]]
        return self._page(items, query, f"/issues/{number}/comments")

    def create_comment(self, query: Mapping[str, str], body: Any, login: str, number: str) -> Any:
        self._issue(number)
        comment = self.fake._new_comment(int(number), body["body"], login)
        return 201, self._comment_json(comment), {}

    def list_labels(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        items = [self._label_json(n) for n in self.fake.labels]
        return self._page(items, query, "/labels")

    def get_label(self, query: Mapping[str, str], body: Any, login: str, name: str) -> Any:
        if name.lower() not in {n.lower() for n in self.fake.labels}:
            raise _Reply(404, "Not Found")
        return 200, self._label_json(name), {}

    def create_label(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        name = body["name"]
        if name.lower() in {n.lower() for n in self.fake.labels}:
            raise _Reply(422, "Validation Failed")
        if len(name) > 50 or len(body.get("description") or "") > 100:
            raise _Reply(422, "Validation Failed")
        self.fake._ensure_label(name, body.get("color") or "ededed", body.get("description") or "")
        return 201, self._label_json(name), {}

    # -- git data and contents -----------------------------------------------------------------
    def _ref_json(self, ref: str) -> dict[str, Any]:
        sha = self.fake.refs[ref]
        return {
            "ref": f"refs/{ref}",
            "url": self._api(f"/git/refs/{ref}"),
            "object": {"sha": sha, "type": "commit", "url": self._api(f"/git/commits/{sha}")},
        }

    def get_ref(self, query: Mapping[str, str], body: Any, login: str, ref: str) -> Any:
        if ref not in self.fake.refs:
            raise _Reply(404, "Not Found")
        return 200, self._ref_json(ref), {}

    def update_ref(self, query: Mapping[str, str], body: Any, login: str, ref: str) -> Any:
        if ref not in self.fake.refs:
            raise _Reply(422, "Reference does not exist")
        if ref.removeprefix("heads/") in self.fake.protected:
            raise _Reply(422, f"Protected branch update failed for refs/{ref}.")
        new = body["sha"]
        if new not in self.fake.commits:
            raise _Reply(422, "Object does not exist")
        if not body.get("force") and not self.fake._is_ancestor(self.fake.refs[ref], new):
            raise _Reply(422, "Update is not a fast forward")
        self.fake.refs[ref] = new
        return 200, self._ref_json(ref), {}

    def create_ref(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        ref = body["ref"].removeprefix("refs/")
        if ref in self.fake.refs:
            raise _Reply(422, "Reference already exists")
        if body["sha"] not in self.fake.commits:
            raise _Reply(422, "Object does not exist")
        self.fake.refs[ref] = body["sha"]
        return 201, self._ref_json(ref), {}

    def _commit_json(self, sha: str) -> dict[str, Any]:
        commit = self.fake.commits[sha]
        return {
            "sha": sha,
            "url": self._api(f"/git/commits/{sha}"),
            "html_url": f"https://github.example/{self.fake.repo}/commit/{sha}",
            "message": commit["message"],
            "tree": {"sha": commit["tree"], "url": self._api(f"/git/trees/{commit['tree']}")},
            "parents": [
                {"sha": p, "url": self._api(f"/git/commits/{p}")} for p in commit["parents"]
            ],
        }

    def get_commit(self, query: Mapping[str, str], body: Any, login: str, sha: str) -> Any:
        if sha not in self.fake.commits:
            raise _Reply(404, "Not Found")
        return 200, self._commit_json(sha), {}

    def create_commit(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        tree, parents = body["tree"], body.get("parents") or []
        if tree not in self.fake.trees or any(p not in self.fake.commits for p in parents):
            raise _Reply(422, "Object does not exist")
        tree_sha = tree
        payload = json.dumps([tree_sha, parents, body["message"], len(self.fake.commits)]).encode()
        sha = _sha("commit", payload)
        self.fake.commits[sha] = {"tree": tree_sha, "parents": parents, "message": body["message"]}
        return 201, self._commit_json(sha), {}

    def _tree_json(self, sha: str) -> dict[str, Any]:
        entries = [
            {
                "path": p,
                "mode": "100644",
                "type": "blob",
                "sha": b,
                "url": self._api(f"/git/blobs/{b}"),
            }
            for p, b in sorted(self.fake.trees[sha].items())
        ]
        return {
            "sha": sha,
            "url": self._api(f"/git/trees/{sha}"),
            "tree": entries,
            "truncated": False,
        }

    def get_tree(self, query: Mapping[str, str], body: Any, login: str, sha: str) -> Any:
        if sha not in self.fake.trees:
            raise _Reply(404, "Not Found")
        return 200, self._tree_json(sha), {}

    def create_tree(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        base = body.get("base_tree")
        if base is not None and base not in self.fake.trees:
            raise _Reply(422, "Invalid tree info")
        entries = dict(self.fake.trees[base]) if base else {}
        for item in body["tree"]:
            if item.get("sha") is None and "content" not in item:
                entries.pop(item["path"], None)
            elif "content" in item:
                entries[item["path"]] = self.fake._store_blob(item["content"].encode())
            elif item["sha"] in self.fake.blobs:
                entries[item["path"]] = item["sha"]
            else:
                raise _Reply(422, "Invalid tree info")
        return 201, self._tree_json(self.fake._store_tree(entries)), {}

    def create_blob(self, query: Mapping[str, str], body: Any, login: str) -> Any:
        content = body["content"]
        data = base64.b64decode(content) if body.get("encoding") == "base64" else content.encode()
        sha = self.fake._store_blob(data)
        return 201, {"sha": sha, "url": self._api(f"/git/blobs/{sha}")}, {}

    def get_blob(self, query: Mapping[str, str], body: Any, login: str, sha: str) -> Any:
        if sha not in self.fake.blobs:
            raise _Reply(404, "Not Found")
        data = self.fake.blobs[sha]
        return (
            200,
            {
                "sha": sha,
                "size": len(data),
                "encoding": "base64",
                "content": base64.b64encode(data).decode(),
                "url": self._api(f"/git/blobs/{sha}"),
            },
            {},
        )

    def get_contents(self, query: Mapping[str, str], body: Any, login: str, path: str) -> Any:
        ref = query.get("ref") or self.fake.default_branch
        sha = self.fake.refs.get(f"heads/{ref}", ref)
        if sha not in self.fake.commits:
            raise _Reply(404, f"No commit found for the ref {ref}")
        blob = self.fake.trees[self.fake.commits[sha]["tree"]].get(path)
        if blob is None:
            raise _Reply(404, "Not Found")
        data = self.fake.blobs[blob]
        return (
            200,
            {
                "type": "file",
                "encoding": "base64",
                "size": len(data),
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "sha": blob,
                "content": base64.b64encode(data).decode(),
                "url": self._api(f"/contents/{path}"),
                "html_url": f"https://github.example/{self.fake.repo}/blob/{ref}/{path}",
            },
            {},
        )


_Route = tuple[str, str, Callable[..., tuple[int, Any, Mapping[str, str]]], str]
_ROUTES: list[_Route] = [
    ("GET", r"", _Handler.get_repo, ""),
    ("GET", r"/issues", _Handler.list_issues, "issues"),
    ("POST", r"/issues", _Handler.create_issue, "issues"),
    ("GET", r"/issues/(\d+)", _Handler.get_issue, "issues"),
    ("PATCH", r"/issues/(\d+)", _Handler.edit_issue, "issues"),
    ("GET", r"/issues/(\d+)/comments", _Handler.list_comments, "issues"),
    ("POST", r"/issues/(\d+)/comments", _Handler.create_comment, "issues"),
    ("GET", r"/labels", _Handler.list_labels, "issues"),
    ("POST", r"/labels", _Handler.create_label, "issues"),
    ("GET", r"/labels/(.+)", _Handler.get_label, "issues"),
    ("GET", r"/git/ref/(.+)", _Handler.get_ref, "contents"),
    ("GET", r"/git/refs/(.+)", _Handler.get_ref, "contents"),
    ("PATCH", r"/git/refs/(.+)", _Handler.update_ref, "contents"),
    ("POST", r"/git/refs", _Handler.create_ref, "contents"),
    ("GET", r"/git/commits/([0-9a-f]+)", _Handler.get_commit, "contents"),
    ("POST", r"/git/commits", _Handler.create_commit, "contents"),
    ("GET", r"/git/trees/([0-9a-f]+)", _Handler.get_tree, "contents"),
    ("POST", r"/git/trees", _Handler.create_tree, "contents"),
    ("POST", r"/git/blobs", _Handler.create_blob, "contents"),
    ("GET", r"/git/blobs/([0-9a-f]+)", _Handler.get_blob, "contents"),
    ("GET", r"/contents/(.+)", _Handler.get_contents, "contents"),
]


FakeGitHub.handler = _Handler  # defined after the fake, which it serves
