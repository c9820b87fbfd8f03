"""Log Analytics (a log bucket's linked BigQuery dataset) as an ``EntrySource``.

One query groups the window in BigQuery (``core.log_analytics.grouping_sql``); only the groups
come back: counts, cells and a few sample entries per group, plus compact link rows for the
problem layer, which ``entries`` yields as ``WeightedEntry`` items for the ingest step.  The
sequence, through the real ``google-cloud-bigquery`` client over REST:

1. a dry run (free) for the estimate of bytes processed; above ``max_bytes_billed`` the run
   stops with an error naming the estimate, the cap and the fix, before anything is billed;
2. the query with ``maximum_bytes_billed`` (BigQuery refuses, unbilled, a query that would
   bill more), the labels ``app: log-gardener`` and a job timeout.

Inputs reach BigQuery only as query parameters; the dataset name is validated and backquoted.
``LOG_GARDENER_BIGQUERY_ENDPOINT`` points the client elsewhere (private endpoints, tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import google.api_core.exceptions as api_exceptions
import google.auth.credentials
import requests
from google.api_core.retry import Retry
from google.cloud import bigquery

from log_gardener.core.grouping import log_analytics as la
from log_gardener.core.judging.rules import Target
from log_gardener.errors import AuthError, GardenerError, SourceError, quote_value
from log_gardener.model import MalformedEntry, Window
from log_gardener.ports import FetchReport

DEFAULT_ENDPOINT = "https://bigquery.googleapis.com"
JOB_LABELS = {"app": "log-gardener"}
SOURCE_NAME = "log-analytics"
_URL_PREFIX = re.compile(r"^[A-Z]+ \S+: ")


def _no_progress(_message: str) -> None:
    return None


def format_bytes(count: int) -> str:
    """``1.5 GiB (1610612736 bytes)``: readable, and exact for a comparison."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            text = f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            return f"{text} ({count} bytes)" if unit != "B" else text
        value /= 1024
    return f"{count} bytes"  # pragma: no cover - the loop always returns


class LogAnalyticsSource:
    """One target's window, grouped in BigQuery over ``PROJECT.DATASET._AllLogs``.

    ``project`` (``--project``) names the project whose logs are read (``logName`` prefix);
    the query job runs in the linked dataset's project, so ``roles/bigquery.jobUser`` is
    needed there and ``roles/bigquery.dataViewer`` on the dataset.
    """

    def __init__(
        self,
        target: Target,
        *,
        linked_dataset: str,
        credentials: google.auth.credentials.Credentials,
        project: str = "",
        location: str = "",
        max_bytes_billed: int = la.DEFAULT_MAX_BYTES_BILLED,
        max_groups: int = la.DEFAULT_MAX_GROUPS,
        endpoint: str = "",
        timeout: float = 300.0,
        principal: str = "",
        progress: Callable[[str], None] = _no_progress,
    ) -> None:
        target = replace(target, project=project or target.project)
        if target.filter.strip():
            raise SourceError(
                f"target {quote_value(target.name)} has a Logging `filter`, which the "
                "log-analytics source cannot apply",
                cause="a raw Logging filter has no faithful translation into SQL",
                fix="use `service` (and `min_severity`) on the target, or read it with "
                "`source: gcp`",
            )
        self._dataset_project, self._dataset = la.parse_linked_dataset(linked_dataset)
        self._target = replace(target, project=target.project or self._dataset_project)
        self._location = location.strip()
        self._max_bytes = max_bytes_billed
        self._max_groups = max_groups
        self._endpoint = endpoint.strip().rstrip("/") or DEFAULT_ENDPOINT
        self._timeout = timeout
        self._principal = principal or str(getattr(credentials, "principal", "") or "")
        self._progress = progress
        self._client = bigquery.Client(
            project=self._dataset_project,
            credentials=credentials,
            location=self._location or None,
            client_options={"api_endpoint": self._endpoint},
        )
        self._report = FetchReport()

    @property
    def table(self) -> str:
        return la.table_reference(self._dataset_project, self._dataset)

    def report(self) -> FetchReport:
        return self._report

    def entries(self, window: Window | None) -> Iterator[tuple[int, object | MalformedEntry]]:
        if window is None:
            raise SourceError(
                "the log-analytics source needs an explicit window",
                fix="pass --since/--until or --window, or let the run plan one from its cursor",
            )
        sql = la.grouping_sql(self.table, self._max_groups)
        parameters = la.query_parameters(self._target, window, self._target.project)
        estimate = self._dry_run(sql, parameters)
        self._progress(
            f"target {self._target.name}: Log Analytics dry run: {format_bytes(estimate)} "
            f"to process (cap {format_bytes(self._max_bytes)})"
        )
        if estimate > self._max_bytes:
            raise SourceError(
                f"the Log Analytics query for target {quote_value(self._target.name)} would "
                f"process {format_bytes(estimate)}, above max-bytes-billed "
                f"{format_bytes(self._max_bytes)}; nothing was run or billed",
                cause="the window is long or the bucket holds much more than this service's "
                "logs (BigQuery bills the bytes of the columns read)",
                fix="shorten `window`, or raise `max-bytes-billed` (--max-bytes-billed) to at "
                f"least {estimate} after checking the cost (on-demand: about US$6.25 per TiB)",
            )
        rows, processed = self._query(sql, parameters)
        groups = [la.group_from_row(row) for row in rows]
        items = la.weighted_entries(groups)
        counted = sum(group.count for group in groups)
        truncated = len(groups) >= self._max_groups
        note = (
            f"source log-analytics ({self._dataset_project}.{self._dataset}.{la.VIEW}): "
            f"{format_bytes(processed)} processed, "
            f"{len(groups)} groups standing for {counted} entries"
        )
        cut = la.links_note(groups)
        if cut:
            note += f"; {cut}"
        if truncated:
            note += (
                f"; only the {self._max_groups} largest groups were read (the smaller ones "
                "are not counted this run)"
            )
        self._report = FetchReport(
            pages=1,
            entries=counted,
            note=note,
            source=SOURCE_NAME,
            bytes_processed=processed,
            groups=len(groups),
        )
        self._progress(f"target {self._target.name}: {note}")
        yield from enumerate(items, start=1)

    # --- BigQuery ----------------------------------------------------------------------------

    def _config(
        self, parameters: Sequence[la.Parameter], *, dry_run: bool
    ) -> bigquery.QueryJobConfig:
        config = bigquery.QueryJobConfig(
            query_parameters=[_parameter(p) for p in parameters],
            labels=dict(JOB_LABELS),
            use_legacy_sql=False,
        )
        if dry_run:
            config.dry_run = True
            config.use_query_cache = False
        else:
            config.maximum_bytes_billed = self._max_bytes
            config.job_timeout_ms = int(self._timeout * 1000)
        return config

    def _dry_run(self, sql: str, parameters: Sequence[la.Parameter]) -> int:
        try:
            job = self._client.query(
                sql,
                job_config=self._config(parameters, dry_run=True),
                retry=_retry(self._timeout),
                timeout=self._timeout,
            )
        except Exception as exc:  # the client's errors are mapped; anything else re-raised
            raise self._explain(exc, "the dry run") from exc
        return int(job.total_bytes_processed or 0)

    def _query(
        self, sql: str, parameters: Sequence[la.Parameter]
    ) -> tuple[list[dict[str, object]], int]:
        try:
            rows = self._client.query_and_wait(
                sql,
                job_config=self._config(parameters, dry_run=False),
                api_timeout=self._timeout,
                wait_timeout=self._timeout,
                retry=_retry(self._timeout),
            )
            result = [dict(row.items()) for row in rows]
        except Exception as exc:
            raise self._explain(exc, "the query") from exc
        return result, int(rows.total_bytes_processed or 0)

    def _explain(self, exc: Exception, step: str) -> GardenerError | Exception:
        dataset = f"{self._dataset_project}.{self._dataset}"
        member = self._principal or "the gardener's principal (service account or principalSet)"
        if isinstance(exc, requests.exceptions.ConnectionError):
            return SourceError(
                f"cannot reach BigQuery at {quote_value(self._endpoint)} ({step})",
                cause="no network route, a proxy, or a wrong LOG_GARDENER_BIGQUERY_ENDPOINT",
                fix="check the runner's access to bigquery.googleapis.com and the override",
            )
        if not isinstance(exc, api_exceptions.GoogleAPICallError):
            return exc
        said = _describe(exc)
        reasons = {str(e.get("reason", "")) for e in exc.errors if isinstance(e, Mapping)}
        if isinstance(exc, api_exceptions.Unauthorized):
            return AuthError(
                f"BigQuery rejected the access token ({said})",
                cause="the token expired, or lacks the BigQuery scope",
                fix="re-run the job; check workload-identity-provider and service-account",
            )
        if "bytesBilledLimitExceeded" in reasons or "maximum bytes billed" in said.lower():
            return SourceError(
                f"BigQuery refused {step} for target {quote_value(self._target.name)}: it "
                f"would bill more than max-bytes-billed {format_bytes(self._max_bytes)} "
                f"({said}); nothing was billed",
                fix="shorten `window`, or raise `max-bytes-billed` after checking the cost",
            )
        if isinstance(exc, api_exceptions.Forbidden):
            return self._forbidden(said, dataset, member)
        if isinstance(exc, api_exceptions.NotFound):
            return SourceError(
                f"BigQuery does not find the linked dataset {quote_value(dataset)} or its "
                f"view {la.VIEW} ({said})",
                cause="a typo in linked-dataset, the bucket is not upgraded to Log Analytics, "
                "no linked dataset was created, or `location` differs from the dataset's",
                fix="check `gcloud logging links list --bucket=BUCKET --location=LOCATION "
                f"--project={self._dataset_project}`; create one with `gcloud logging links "
                "create LINK_ID --bucket=BUCKET --location=LOCATION`; leave `location` empty "
                "to use the dataset's",
            )
        if isinstance(exc, api_exceptions.BadRequest):
            return SourceError(
                f"BigQuery rejected {step} over {quote_value(dataset)} ({said})",
                cause="the view lacks a column the query reads (not a Log Analytics view?), "
                "or a wrong `location`",
                fix="point linked-dataset at the dataset linked to a Log Analytics bucket "
                "(docs/gcp-setup.md); report the message above if it persists",
            )
        return SourceError(
            f"BigQuery failed {step} over {quote_value(dataset)} ({said})",
            fix="re-run the job if it was temporary; otherwise check the message above",
        )

    def _forbidden(self, said: str, dataset: str, member: str) -> SourceError:
        project = self._dataset_project
        if "SERVICE_DISABLED" in said or "has not been used" in said:
            return SourceError(
                f"the BigQuery API is disabled in project {quote_value(project)} ({said})",
                fix=f"gcloud services enable bigquery.googleapis.com --project={project}",
            )
        if "bigquery.jobs.create" in said:
            return SourceError(
                f"BigQuery denied running a query job in project {quote_value(project)} ({said})",
                cause=f"{member} lacks roles/bigquery.jobUser on the project",
                fix=f"gcloud projects add-iam-policy-binding {project} "
                f"--role=roles/bigquery.jobUser --member='{member}'",
            )
        return SourceError(
            f"BigQuery denied reading the linked dataset {quote_value(dataset)} ({said})",
            cause=f"{member} lacks roles/bigquery.dataViewer on the dataset (or "
            "roles/bigquery.jobUser on its project)",
            fix=f"bq add-iam-policy-binding --member='{member}' "
            f"--role=roles/bigquery.dataViewer {project}:{self._dataset}; and "
            f"gcloud projects add-iam-policy-binding {project} "
            f"--role=roles/bigquery.jobUser --member='{member}'",
        )


def _retry(deadline: float) -> Retry:
    """The client's own retry (429/5xx, rate limits), bounded by our timeout, not 10 minutes."""
    return bigquery.DEFAULT_RETRY.with_deadline(deadline)


def _parameter(
    parameter: la.Parameter,
) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    if parameter.array:
        values: Any = parameter.value
        return bigquery.ArrayQueryParameter(parameter.name, parameter.type, list(values))
    value: Any = parameter.value
    return bigquery.ScalarQueryParameter(parameter.name, parameter.type, value)


def _describe(exc: api_exceptions.GoogleAPICallError) -> str:
    """``HTTP 403 accessDenied: <Google's message>``, quoted (no URL, bounded)."""
    message = _URL_PREFIX.sub("", exc.message or "")
    reasons = [str(e.get("reason", "")) for e in exc.errors if isinstance(e, Mapping)]
    head = f"HTTP {exc.code} {' '.join(r for r in reasons if r)}".rstrip()
    return quote_value(f"{head}: {message}", limit=300)
