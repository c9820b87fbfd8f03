"""Cloud Logging as an ``EntrySource``: exact windows, paced pages, retries, honest reports.

Transport: google-cloud-logging's HTTP client (``Client(..., _use_grpc=False)``: the gRPC path
cannot be pointed at a plain-HTTP local endpoint).  We call the library's own JSON connection,
``client._connection.api_request(POST /v2/entries:list)``, for each page ourselves instead of
``Client.list_entries``: its iterator hides the page token, so a page that failed with 429 could
not be retried with the *same* token (the HTTP transport retries nothing by itself).  The
connection still gives us the library's auth session, user agent and error mapping
(``google.api_core.exceptions``).

Quota: ``entries:list`` allows 60 requests a minute per project, shared with every other reader,
so one ``RequestPacer`` (at most one request per second per project by default) should be shared
by all sources of a run.  429, 500, 502, 503, 504 and timeouts are retried with exponential
backoff and jitter (honouring ``Retry-After``), keeping the page token.  When retries run out the
fetch stops: the report is truncated with ``reached`` = the last complete point, and the run
keeps its cursor there.  The same happens at ``max_entries`` and when ``should_stop()`` says so
(checked between pages: the in-flight request always finishes).

``reached`` semantics: every entry stamped *before* it was read; entries stamped exactly at it
may be partly read (the overlap keys in ``state.json`` make the next run skip those).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import google.api_core.exceptions as api_exceptions
import google.auth.credentials
import requests
from google.cloud.logging_v2.client import Client

from log_gardener.core.judging.rules import Target
from log_gardener.core.judging.windowing import build_filter, format_rfc3339, parse_rfc3339
from log_gardener.errors import AuthError, GardenerError, SourceError, quote_value
from log_gardener.model import MalformedEntry, Window
from log_gardener.ports import FetchReport

DEFAULT_ENDPOINT = "https://logging.googleapis.com"
DEFAULT_PAGE_SIZE = 1000
DEFAULT_MAX_ENTRIES = 50_000
_URL_PREFIX = re.compile(r"^[A-Z]+ \S+: ")  # google-cloud-core prefixes "POST <url>: "
_RETRYABLE = (
    api_exceptions.TooManyRequests,
    api_exceptions.InternalServerError,
    api_exceptions.BadGateway,
    api_exceptions.ServiceUnavailable,
    api_exceptions.GatewayTimeout,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Per page: ``attempts`` tries, waits growing from ``initial`` by ``multiplier``."""

    attempts: int = 6
    initial: float = 1.0
    multiplier: float = 2.0
    maximum: float = 32.0

    def delay(self, retry: int, jitter: float) -> float:
        """Equal jitter: half the exponential step fixed, half random (``jitter`` in [0, 1))."""
        step = min(self.maximum, self.initial * self.multiplier**retry)
        return step / 2 + step / 2 * jitter


class RequestPacer:
    """At most one request per ``interval`` seconds per project (thread-safe, shareable)."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, project: str) -> None:
        with self._lock:
            last = self._last.get(project)
            if last is not None:
                remaining = last + self._interval - self._clock()
                if remaining > 0:
                    self._sleep(remaining)
            self._last[project] = self._clock()


_SHARED_PACER = RequestPacer()


def _no_progress(_message: str) -> None:
    return None


def _never() -> bool:
    return False


class _Stop(Exception):
    """Retries ran out on a transient failure: stop the fetch with a partial report."""


class CloudLoggingSource:
    """Entries of one target (project + service/filter + minimum severity) in a window.

    ``project`` overrides ``target.project`` (the ``--project`` flag).  ``credentials`` come from
    ``gcp_auth.credentials_for_run``; with its ``ReportingCredentials`` the 403 message names the
    principal (or pass ``principal``).  ``endpoint`` is a base URL, "" for the public one.
    """

    def __init__(
        self,
        target: Target,
        *,
        credentials: google.auth.credentials.Credentials,
        project: str = "",
        endpoint: str = "",
        max_entries: int = DEFAULT_MAX_ENTRIES,
        page_size: int = DEFAULT_PAGE_SIZE,
        pacer: RequestPacer | None = None,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 60.0,
        principal: str = "",
        progress: Callable[[str], None] = _no_progress,
        should_stop: Callable[[], bool] = _never,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        target = replace(target, project=project or target.project)
        if not target.project:
            raise SourceError(
                f"target {quote_value(target.name)} names no Google Cloud project",
                fix="set `project` on the target in the rules file, or pass --project / project-id",
            )
        self._target = target
        self._endpoint = endpoint.strip().rstrip("/") or DEFAULT_ENDPOINT
        self._client = Client(  # type: ignore[no-untyped-call]
            project=target.project,
            credentials=credentials,
            _use_grpc=False,
            client_options={"api_endpoint": self._endpoint},
        )
        self._max_entries = max_entries
        self._page_size = page_size
        if pacer is None:
            # One pacer per process by default: every source of a run shares the project quota.
            pacer = _SHARED_PACER if sleep is time.sleep else RequestPacer(sleep=sleep)
        self._pacer = pacer
        self._retry = retry
        self._timeout = timeout
        self._principal = principal or str(getattr(credentials, "principal", "") or "")
        self._progress = progress
        self._should_stop = should_stop
        self._sleep = sleep
        self._jitter = jitter
        self._fetch: _Fetch | None = None

    @classmethod
    def endpoint_from(cls, env: Mapping[str, str]) -> str:
        """``LOG_GARDENER_LOGGING_ENDPOINT`` or the public endpoint."""
        return env.get("LOG_GARDENER_LOGGING_ENDPOINT", "").strip() or DEFAULT_ENDPOINT

    def report(self) -> FetchReport:
        """How the last ``entries()`` went so far (valid even if the caller stopped early)."""
        return self._fetch.report() if self._fetch is not None else FetchReport()

    def entries(self, window: Window | None) -> Iterator[tuple[int, object | MalformedEntry]]:
        if window is None:
            raise SourceError(
                "the Cloud Logging source needs an explicit window",
                fix="pass --since/--until or --window, or let the run plan one from its cursor",
            )
        self._fetch = _Fetch(self, build_filter(self._target, window), window)
        yield from self._fetch.run()

    # --- one page ----------------------------------------------------------------------------

    def _request(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """One entries:list call with retries; raises ``_Stop`` when throttling never clears."""
        last, wait_at_least = "", 0.0
        for attempt in range(self._retry.attempts):
            if attempt:
                self._sleep(max(self._retry.delay(attempt - 1, self._jitter()), wait_at_least))
            self._pacer.wait(self._target.project)
            try:
                result = self._client._connection.api_request(  # type: ignore[no-untyped-call]
                    method="POST", path="/entries:list", data=dict(body), timeout=self._timeout
                )
            except _RETRYABLE as exc:
                last, wait_at_least = _describe(exc), _retry_after(exc)
                continue
            except requests.exceptions.Timeout:
                last, wait_at_least = f"no answer within {self._timeout:g} seconds", 0.0
                continue
            except api_exceptions.GoogleAPICallError as exc:
                raise self._explain(exc, str(body.get("filter", ""))) from exc
            except requests.exceptions.ConnectionError as exc:
                raise SourceError(
                    f"cannot reach Cloud Logging at {quote_value(self._endpoint)}",
                    cause="no network route, a proxy, or a wrong LOG_GARDENER_LOGGING_ENDPOINT",
                    fix="check the runner's access to logging.googleapis.com and the override",
                ) from exc
            return result if isinstance(result, dict) else {}
        raise _Stop(last)

    def _explain(self, exc: api_exceptions.GoogleAPICallError, filter_: str) -> GardenerError:
        project = quote_value(self._target.project)
        said = _describe(exc)
        if isinstance(exc, api_exceptions.Unauthorized):
            return AuthError(
                f"Cloud Logging rejected the access token ({said})",
                cause="the token expired or belongs to another universe/endpoint",
                fix="re-run the job; check workload-identity-provider and service-account",
            )
        if isinstance(exc, api_exceptions.Forbidden):
            return self._forbidden(exc, project, said)
        if isinstance(exc, api_exceptions.BadRequest):
            return SourceError(
                f"Cloud Logging rejected the filter for target {quote_value(self._target.name)} "
                f"({said}); the filter was {quote_value(filter_, limit=1000)}",
                cause="a syntax error in the target's `filter` (or --filter)",
                fix="paste the filter into the Logs Explorer query box, fix it there, and copy "
                "it back into the rules file",
            )
        if isinstance(exc, api_exceptions.NotFound):
            return SourceError(
                f"Cloud Logging does not know project {project} ({said})",
                cause="a typo in the project ID, or a project the principal cannot see",
                fix="use the project ID shown by `gcloud projects list` in `project-id` / "
                "--project / the target's `project`",
            )
        return SourceError(
            f"Cloud Logging refused to list entries in project {project} ({said})",
            fix="check the message above; re-run the job if it was temporary",
        )

    def _forbidden(
        self, exc: api_exceptions.GoogleAPICallError, project: str, said: str
    ) -> SourceError:
        if "SERVICE_DISABLED" in str(exc.reason or "") or "has not been used" in exc.message:
            return SourceError(
                f"the Cloud Logging API is disabled in project {project} ({said})",
                fix="gcloud services enable logging.googleapis.com "
                f"--project={self._target.project}",
            )
        member = self._principal or "the gardener's principal (service account or principalSet)"
        return SourceError(
            f"Cloud Logging denied listing entries in project {project} (403 PERMISSION_DENIED)",
            cause=f"{member} lacks logging.logEntries.list on the project",
            fix=f"gcloud projects add-iam-policy-binding {self._target.project} "
            f"--role=roles/logging.viewer --member='{member}'",
        )


class _Fetch:
    """The state of one listing: pages, count, the last complete point."""

    def __init__(self, source: CloudLoggingSource, filter_: str, window: Window) -> None:
        self._source = source
        self._window = window
        self._body: dict[str, Any] = {
            "resourceNames": [f"projects/{source._target.project}"],
            "filter": filter_,
            "orderBy": "timestamp asc",
            "pageSize": source._page_size,
        }
        self._pages = 0
        self._count = 0
        self._last_stamp = window.start
        self._truncated = False
        self._note = ""

    def run(self) -> Iterator[tuple[int, object]]:
        token = ""
        while True:
            if self._pages and self._source._should_stop():
                self._stop("cancelled between pages")
                return
            try:
                page = self._source._request(
                    {**self._body, **({"pageToken": token} if token else {})}
                )
            except _Stop as stop:
                self._stop(f"Cloud Logging kept failing on page {self._pages + 1}: {stop}")
                return
            self._pages += 1
            entries = page.get("entries") or []
            token = str(page.get("nextPageToken") or "")
            yield from self._take(entries)
            self._source._progress(
                f"target {self._source._target.name}: page {self._pages}, {self._count} entries"
            )
            if self._truncated or not token:
                return
            if self._count >= self._source._max_entries:
                self._stop(f"max-entries ({self._source._max_entries}) reached")
                return

    def _take(self, entries: list[Any]) -> Iterator[tuple[int, object]]:
        for entry in entries:
            if self._count >= self._source._max_entries:
                self._stop(f"max-entries ({self._source._max_entries}) reached")
                return
            self._count += 1
            self._remember(entry)
            yield self._count, entry

    def _remember(self, entry: object) -> None:
        stamp = parse_rfc3339(entry.get("timestamp")) if isinstance(entry, dict) else None
        # An entry outside the window (a future stamp, a server that ignored the filter) never
        # moves the last complete point.
        if stamp is not None and self._window.contains(stamp) and stamp > self._last_stamp:
            self._last_stamp = stamp

    def _stop(self, why: str) -> None:
        self._truncated = True
        self._note = (
            f"{why}; read {self._count} entries in {self._pages} pages, complete up to "
            f"{format_rfc3339(self._last_stamp)}; the next run continues from there"
        )

    def report(self) -> FetchReport:
        return FetchReport(
            pages=self._pages,
            entries=self._count,
            truncated=self._truncated,
            reached=format_rfc3339(self._last_stamp) if self._truncated else "",
            note=self._note,
            source="gcp",
        )


def _describe(exc: api_exceptions.GoogleAPICallError) -> str:
    """``HTTP 403 PERMISSION_DENIED: <Google's message>``, quoted (no URL, bounded)."""
    status, message = "", _URL_PREFIX.sub("", exc.message or "")
    response = getattr(exc, "response", None)
    try:
        error = response.json().get("error", {}) if response is not None else {}
    except ValueError:
        error = {}
    if isinstance(error, dict):
        status = str(error.get("status", ""))
        message = str(error.get("message", message))
    head = f"HTTP {exc.code} {status}".rstrip()
    return quote_value(f"{head}: {message}", limit=300)


def _retry_after(exc: api_exceptions.GoogleAPICallError) -> float:
    """Seconds the server asked us to wait (``Retry-After``, capped at a minute); 0 when none."""
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After", "") if response is not None else ""
    try:
        return max(0.0, min(float(value), 60.0))
    except ValueError:
        return 0.0
