"""Stateful fakes of GitHub's OIDC token endpoint, Google STS, IAM Credentials and Cloud Logging.

One ``ThreadingHTTPServer`` on 127.0.0.1 serves all four, so the real google-auth and
google-cloud-logging clients talk to it through the endpoint overrides::

    from tests.fakes.gcp import FakeGcp, fake_gcp  # fake_gcp: a pytest fixture

    with FakeGcp() as fake:            # or take the ``fake_gcp`` fixture
        fake.add_entries("demo-project", [fake.entry("a1", "2024-05-01T11:10:00Z"), ...])
        env = fake.env()  # ACTIONS_ID_TOKEN_REQUEST_*, LOG_GARDENER_*_ENDPOINT, GITHUB_REPOSITORY
        creds = credentials_for_run(workload_identity_provider=fake.provider,
                                    service_account=fake.service_account, env=env, ...)
        ... CloudLoggingSource(..., endpoint=fake.url) ...
        assert fake.logging_requests[0].authorization == "Bearer " + fake.iam_tokens[-1]

Routes (all on ``fake.url``):

* ``GET /oidc/token?api-version=2.0&audience=...`` with ``Authorization: bearer
  <fake.request_token>`` -> ``{"value": jwt}``; ``fake.oidc_status = 500`` makes it fail.
* ``POST /v1/token``: token exchange (``subject_token`` must be a JWT this fake issued, the
  ``audience`` must equal ``fake.expected_audience``, else 400 ``invalid_grant``), and the
  ``refresh_token`` grant of an ``authorized_user`` file (``fake.refresh_token``).
  ``fake.sts_error = (status, error, description)`` forces an OAuth error.
* ``POST /v1/projects/-/serviceAccounts/<sa>:generateAccessToken`` (bearer: an STS token);
  ``fake.iam_status = 403`` forces PERMISSION_DENIED; an unknown account is 404.
* ``POST /v2/entries:list``: ``resourceNames``, ``filter`` (the timestamp window, the
  ``service_name`` and ``severity>=`` clauses are applied), ``orderBy`` ``timestamp asc|desc``,
  ``pageSize``, ``pageToken``.  The bearer must be a token this fake minted (else 401).
  Unknown project -> 404; ``fake.denied_projects`` -> 403; a filter with unbalanced
  parentheses or containing ``fake.bad_filter_marker`` -> 400.

Fault injection on entries:list, by page number within one listing (page 1 has no token):

* ``fake.fail_page(page, status=429, times=1)``; ``times=None`` fails forever.
* ``fake.empty_pages = {2}``: page 2 answers no entries but a next token (as the API does).
* ``fake.hang_page(page, seconds, times=1)``: answer late (client timeouts).

Records: ``fake.oidc_requests``, ``fake.sts_requests``, ``fake.iam_requests``,
``fake.logging_requests`` (``Recorded``: method, path, query, headers, body, status, page) and
the minted ``fake.oidc_tokens``, ``fake.sts_tokens``, ``fake.iam_tokens``, ``fake.user_tokens``.
Token values are built at run time, so the repository holds nothing secret-shaped.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest

from tests.fakes.server import Incoming, JsonApiHandler, LoopbackServer

PROJECT = "demo-project"
PROJECT_NUMBER = "123456789012"
PROVIDER = (
    f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/github/providers/acme-shop"
)
SERVICE_ACCOUNT = f"log-gardener@{PROJECT}.iam.gserviceaccount.com"
REPOSITORY = "acme/shop"

_SEVERITIES = {
    "DEFAULT": 0, "DEBUG": 100, "INFO": 200, "NOTICE": 300, "WARNING": 400,
    "ERROR": 500, "CRITICAL": 600, "ALERT": 700, "EMERGENCY": 800,
}  # fmt: skip


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: Any  # decoded JSON, a form dict, or None
    status: int
    page: int = 0  # entries:list only

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")


@dataclass
class _PageFault:
    page: int
    status: int
    times: int | None  # None: forever
    hang: float = 0.0
    retry_after: str = ""


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering (after the request is recorded)


def _google_error(status: int, code: str, message: str) -> _Reply:
    return _Reply(status, {"error": {"code": status, "message": message, "status": code}})


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class FakeGcp(LoopbackServer):
    def __init__(self, *, project: str = PROJECT) -> None:
        self.provider = PROVIDER
        self.service_account = SERVICE_ACCOUNT
        self.project = project
        self.repository = REPOSITORY
        self.request_token = "rt-" + "actions-" + "0f1e2d3c"
        self.refresh_token = "1//" + "fake-refresh-" + "9a8b"
        self.expected_audience = f"//iam.googleapis.com/{PROVIDER}"
        self.known_accounts = {SERVICE_ACCOUNT}
        self.projects = {project}
        self.denied_projects: set[str] = set()
        self.bad_filter_marker = "=~~"
        self.entries: dict[str, list[dict[str, Any]]] = {project: []}
        self.empty_pages: set[int] = set()
        self.oidc_status = 200
        self.sts_error: tuple[int, str, str] | None = None
        self.iam_status = 200
        self.oidc_requests: list[Recorded] = []
        self.sts_requests: list[Recorded] = []
        self.iam_requests: list[Recorded] = []
        self.logging_requests: list[Recorded] = []
        self.oidc_tokens: list[str] = []
        self.sts_tokens: list[str] = []
        self.iam_tokens: list[str] = []
        self.user_tokens: list[str] = []
        self._faults: list[_PageFault] = []
        self._lock = threading.Lock()
        self._counter = 0

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.base_url

    def env(self, **overrides: str) -> dict[str, str]:
        """Runner and endpoint variables pointing at this fake (values in overrides win)."""
        env = {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}/oidc/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
            "LOG_GARDENER_STS_ENDPOINT": self.url,
            "LOG_GARDENER_IAM_CREDENTIALS_ENDPOINT": self.url,
            "LOG_GARDENER_LOGGING_ENDPOINT": self.url,
            "GITHUB_REPOSITORY": self.repository,
        }
        env.update(overrides)
        return {k: v for k, v in env.items() if v != ""}

    # --- seeding and faults -------------------------------------------------------------------

    def add_entries(self, project: str, entries: list[dict[str, Any]]) -> None:
        with self._lock:
            self.entries.setdefault(project, []).extend(entries)
            self.projects.add(project)

    @staticmethod
    def entry(
        insert_id: str,
        timestamp: str,
        *,
        severity: str = "ERROR",
        service: str = "shop-api",
        text: str = "boom",
    ) -> dict[str, Any]:
        return {
            "insertId": insert_id,
            "timestamp": timestamp,
            "receiveTimestamp": timestamp,
            "severity": severity,
            "textPayload": text,
            "logName": f"projects/{PROJECT}/logs/run.googleapis.com%2Fstderr",
            "resource": {
                "type": "cloud_run_revision",
                "labels": {"service_name": service, "revision_name": f"{service}-00001-abc"},
            },
        }

    def fail_page(
        self, page: int, status: int = 429, times: int | None = 1, retry_after: str = ""
    ) -> None:
        self._faults.append(_PageFault(page, status, times, retry_after=retry_after))

    def hang_page(self, page: int, seconds: float, times: int | None = 1) -> None:
        self._faults.append(_PageFault(page, 200, times, hang=seconds))

    def clear_faults(self) -> None:
        """The quota recovered: no more injected failures or hangs."""
        with self._lock:
            self._faults.clear()

    def pages_requested(self) -> list[int]:
        return [r.page for r in self.logging_requests]

    def _mint(self, kind: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{kind}-{self._counter:04d}-" + "tok" + "en"

    def _take_fault(self, page: int) -> _PageFault | None:
        with self._lock:
            for fault in self._faults:
                if fault.page == page and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    # --- routes -------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[_Reply, int]:
        """The reply and the entries:list page number (0 for other routes)."""
        if method == "GET" and path == "/oidc/token":
            return self._oidc(query, headers), 0
        if method == "POST" and path == "/v1/token":
            return self._token(body), 0
        match = re.fullmatch(r"/v1/projects/-/serviceAccounts/([^/]+):generateAccessToken", path)
        if method == "POST" and match:
            return self._generate(unquote(match[1]), headers, body), 0
        if method == "POST" and path == "/v2/entries:list":
            return self._list(headers, body)
        return _Reply(404, {"error": {"code": 404, "message": f"no route {path}"}}), 0

    def _oidc(self, query: Mapping[str, str], headers: Mapping[str, str]) -> _Reply:
        if headers.get("authorization") != f"bearer {self.request_token}":
            return _Reply(401, {"message": "bad request token"})
        if self.oidc_status != 200:
            return _Reply(self.oidc_status, {"message": "forced failure"})
        claims = {
            "aud": query.get("audience", ""),
            "iss": "https://token.actions.githubusercontent.com",
            "repository": self.repository,
            "sub": f"repo:{self.repository}:ref:refs/heads/main",
        }
        parts = [{"alg": "RS256", "typ": "JWT"}, claims]
        encoded = [
            base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=") for p in parts
        ]
        jwt = ".".join([*encoded, self._mint("sig")])
        self.oidc_tokens.append(jwt)
        return _Reply(200, {"value": jwt, "count": 1})

    def _token(self, form: Any) -> _Reply:
        form = form if isinstance(form, dict) else {}
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != self.refresh_token:
                return _Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            token = self._mint("user")
            self.user_tokens.append(token)
            return _Reply(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
        if self.sts_error is not None:
            status, error, description = self.sts_error
            return _Reply(status, {"error": error, "error_description": description})
        if form.get("subject_token") not in self.oidc_tokens:
            return _Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT."})
        if form.get("audience") != self.expected_audience:
            return _Reply(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The audience in ID Token does not match the expected audience.",
                },
            )
        token = self._mint("sts")
        self.sts_tokens.append(token)
        return _Reply(
            200,
            {
                "access_token": token,
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": 3600,
            },
        )

    def _generate(self, account: str, headers: Mapping[str, str], body: Any) -> _Reply:
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.sts_tokens:
            return _google_error(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
            )
        if self.iam_status != 200:
            return _google_error(
                self.iam_status,
                "PERMISSION_DENIED",
                "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            )
        if account not in self.known_accounts:
            return _google_error(404, "NOT_FOUND", f"Service account {account} not found.")
        token = self._mint("sa")
        self.iam_tokens.append(token)
        expire = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return _Reply(200, {"accessToken": token, "expireTime": expire})

    def _list(self, headers: Mapping[str, str], body: Any) -> tuple[_Reply, int]:
        body = body if isinstance(body, dict) else {}
        token = str(body.get("pageToken", ""))
        page, offset = _decode_token(token)
        minted = {*self.sts_tokens, *self.iam_tokens, *self.user_tokens}
        if headers.get("authorization", "").removeprefix("Bearer ") not in minted:
            return _google_error(
                401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
            ), page
        fault = self._take_fault(page)
        if fault is not None and fault.hang:
            reply = self._answer(body, page, offset)
            reply.hang = fault.hang  # recorded now, answered late
            return reply, page
        if fault is not None:
            reply = _google_error(
                fault.status,
                _status_name(fault.status),
                "Quota exceeded for quota metric 'Read requests'.",
            )
            if fault.retry_after:
                reply.headers["Retry-After"] = fault.retry_after
            return reply, page
        return self._answer(body, page, offset), page

    def _answer(self, body: Mapping[str, Any], page: int, offset: int) -> _Reply:
        names = body.get("resourceNames") or []
        project = names[0].removeprefix("projects/") if names else ""
        if project in self.denied_projects:
            return _google_error(
                403,
                "PERMISSION_DENIED",
                "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
            )
        if project not in self.projects:
            return _google_error(404, "NOT_FOUND", f"Project does not exist: {project}")
        filter_ = str(body.get("filter", ""))
        if self.bad_filter_marker in filter_ or filter_.count("(") != filter_.count(")"):
            return _google_error(
                400,
                "INVALID_ARGUMENT",
                "Unparseable filter: syntax error at line 1, column 7, token '~~'",
            )
        return self._page(project, body, page, offset)

    def _page(self, project: str, body: Mapping[str, Any], page: int, offset: int) -> _Reply:
        matching = [
            e
            for e in list(self.entries.get(project, []))
            if _matches(e, str(body.get("filter", "")))
        ]
        matching.sort(
            key=lambda e: _parse_time(e["timestamp"]),
            reverse=str(body.get("orderBy", "")).endswith("desc"),
        )
        size = min(int(body.get("pageSize") or 50), 1000)
        if page in self.empty_pages:
            return _Reply(200, {"nextPageToken": _encode_token(page + 1, offset)})
        chunk = matching[offset : offset + size]
        reply: dict[str, Any] = {"entries": chunk} if chunk else {}
        if offset + size < len(matching):
            reply["nextPageToken"] = _encode_token(page + 1, offset + size)
        return _Reply(200, reply)


def _status_name(status: int) -> str:
    return {
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
        504: "DEADLINE_EXCEEDED",
    }.get(status, "UNKNOWN")


def _encode_token(page: int, offset: int) -> str:
    return base64.urlsafe_b64encode(f"p{page}o{offset}".encode()).decode()


def _decode_token(token: str) -> tuple[int, int]:
    if not token:
        return 1, 0
    match = re.fullmatch(r"p(\d+)o(\d+)", base64.urlsafe_b64decode(token.encode()).decode())
    assert match, f"bad page token {token!r}"
    return int(match[1]), int(match[2])


def _matches(entry: Mapping[str, Any], filter_: str) -> bool:
    stamp = _parse_time(entry["timestamp"])
    low = re.search(r'timestamp>="([^"]+)"', filter_)
    high = re.search(r'timestamp<"([^"]+)"', filter_)
    if low and stamp < _parse_time(low[1]):
        return False
    if high and stamp >= _parse_time(high[1]):
        return False
    service = re.search(r'resource\.labels\.service_name="((?:[^"\\]|\\.)*)"', filter_)
    labels = entry.get("resource", {}).get("labels", {})
    if service and labels.get("service_name") != re.sub(r"\\(.)", r"\1", service[1]):
        return False
    severity = re.search(r"severity>=(\w+)", filter_)
    if severity:
        level = _SEVERITIES.get(str(entry.get("severity", "DEFAULT")), 0)
        return level >= _SEVERITIES[severity[1]]
    return True


class _Handler(JsonApiHandler):
    fake: FakeGcp

    def serve(self, request: Incoming) -> None:
        method, path, query, headers = request.method, request.path, request.query, request.headers
        body = _decode_body(request.raw, headers.get("content-type", ""))
        reply, page = self.fake.handle(method, path, query, headers, body)
        self._record(path, Recorded(method, path, query, headers, body, reply.status, page))
        if reply.hang:
            time.sleep(reply.hang)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client left
            self.send_json(reply.status, reply.body, reply.headers)

    def _record(self, path: str, record: Recorded) -> None:
        if path == "/oidc/token":
            self.fake.oidc_requests.append(record)
        elif path == "/v1/token":
            self.fake.sts_requests.append(record)
        elif path.endswith(":generateAccessToken"):
            self.fake.iam_requests.append(record)
        elif path == "/v2/entries:list":
            self.fake.logging_requests.append(record)


def _decode_body(raw: str, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type or raw.lstrip().startswith("{"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return {k: v[0] for k, v in parse_qs(raw).items()}


@pytest.fixture
def fake_gcp() -> Iterator[FakeGcp]:
    with FakeGcp() as fake:
        yield fake


FakeGcp.handler = _Handler  # defined after the fake, which it serves
