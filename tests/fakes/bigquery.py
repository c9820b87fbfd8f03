"""A stateful fake of BigQuery's REST API (the part the log-analytics source uses), executing
the queries it receives in DuckDB after transpiling them with sqlglot (``tests/la_duckdb``).

Routes (paths under ``/bigquery/v2/projects/<project>``):

* ``POST /jobs``: jobs.insert.  ``configuration.dryRun`` answers the estimate
  (``statistics.query.totalBytesProcessed``) at once; a real query runs, is stored, and the job
  answers RUNNING until ``jobs.get`` has seen it once.  Over ``maximumBytesBilled``: the job is
  DONE with ``errorResult`` ``bytesBilledLimitExceeded`` (nothing returned, nothing "billed").
* ``POST /queries``: jobs.query, the first page inline (over the cap: HTTP 400
  ``bytesBilledLimitExceeded``).
* ``GET /jobs/<id>``: jobs.get.  ``GET /queries/<id>``: getQueryResults with ``maxResults``
  (``0``: no ``rows`` key at all), ``pageToken`` (an offset; absent on the last page).

Bytes processed: ``fake.bytes_per_row`` times the rows of ``_AllLogs`` (or ``fake.estimate``).
Errors: an unknown project or dataset -> 404 ``notFound``; ``fake.deny_jobs`` -> 403
``accessDenied`` naming ``bigquery.jobs.create``; ``fake.deny_dataset`` -> 403 naming
``bigquery.tables.getData``; SQL DuckDB cannot run -> 400 ``invalidQuery``.  When
``fake.token_ok`` is set, the bearer token must satisfy it (else 401).  Requests are recorded in
``fake.requests`` (method, path, query, body).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from tests.fakes.server import Incoming, JsonApiHandler, LoopbackServer
from tests.la_duckdb import connect, load, to_duckdb

_DATASET_IN_SQL = re.compile(r"`([A-Za-z0-9-]+)\.([A-Za-z0-9_]+)\._AllLogs`")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    status: int


@dataclass
class _Job:
    project: str
    job_id: str
    location: str
    fields: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    processed: int
    error: dict[str, str] | None = None
    polled: bool = False


def _error(status: int, reason: str, message: str) -> tuple[int, dict[str, Any]]:
    names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}
    return status, {
        "error": {
            "code": status,
            "message": message,
            "status": names.get(status, "NOT_FOUND"),
            "errors": [{"reason": reason, "message": message, "domain": "global"}],
        }
    }


class FakeBigQuery(LoopbackServer):
    def __init__(self, project: str = "demo-project", dataset: str = "logs_link") -> None:
        self.datasets = {(project, dataset)}
        self.con = connect()
        self.page_size = 1000
        self.bytes_per_row = 1024
        self.estimate: int | None = None
        self.dry_estimate: int | None = None  # what a dry run says (default: the estimate)
        self.reject_sql = False
        self.deny_jobs = False
        self.deny_dataset = False
        self.token_ok: Callable[[str], bool] | None = None
        self.requests: list[Request] = []
        self.jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.base_url

    def add_entries(self, entries: list[dict[str, Any]]) -> int:
        with self._lock:
            return load(self.con, entries)

    def rows_in_table(self) -> int:
        with self._lock:
            row = self.con.execute("SELECT COUNT(*) FROM _AllLogs").fetchone()
        return int(row[0]) if row else 0

    # --- routes -------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, Any]]:
        if self.token_ok is not None:
            token = headers.get("authorization", "").removeprefix("Bearer ")
            if not self.token_ok(token):
                return _error(401, "authError", "Request had invalid authentication credentials.")
        match = re.fullmatch(r"/bigquery/v2/projects/([^/]+)/(jobs|queries)(?:/([^/]+))?", path)
        if match is None:
            return _error(404, "notFound", f"no route {path}")
        project, kind, job_id = match.groups()
        if not any(project == p for p, _ in self.datasets):
            return _error(404, "notFound", f"Not found: Project {project}")
        if method == "POST" and job_id is None:
            return self._insert(project, kind, body if isinstance(body, dict) else {})
        job = self.jobs.get(job_id or "")
        if job is None:
            return _error(404, "notFound", f"Not found: Job {project}:{job_id}")
        if kind == "jobs":
            job.polled = True
            return 200, self._job_resource(job)
        return 200, self._results(job, query)

    def _insert(self, project: str, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if kind == "jobs":
            config = body.get("configuration", {})
            query_config = config.get("query", {})
            dry_run = bool(config.get("dryRun"))
            reference = body.get("jobReference", {})
            location = reference.get("location", "")
            job_id = reference.get("jobId") or uuid.uuid4().hex
        else:
            query_config = body
            dry_run = bool(body.get("dryRun"))
            location = body.get("location", "")
            job_id = uuid.uuid4().hex
        if self.deny_jobs:
            return _error(
                403,
                "accessDenied",
                f"Access Denied: Project {project}: User does not have bigquery.jobs.create "
                f"permission in project {project}.",
            )
        sql = str(query_config.get("query", ""))
        found = _DATASET_IN_SQL.search(sql)
        if found is None or (found[1], found[2]) not in self.datasets:
            name = f"{found[1]}:{found[2]}" if found else "?"
            return _error(404, "notFound", f"Not found: Dataset {name} was not found")
        if self.deny_dataset:
            return _error(
                403,
                "accessDenied",
                f"Access Denied: Table {found[1]}:{found[2]}._AllLogs: User does not have "
                "permission to query table, or perhaps it does not exist. (bigquery.tables.getData)",
            )
        estimate = self.estimate if self.estimate is not None else self._estimate()
        reference = {"projectId": project, "jobId": job_id, "location": location or "US"}
        if self.reject_sql:
            return _error(400, "invalidQuery", "Unrecognized name: json_payload at [12:5]")
        if dry_run:
            if self.dry_estimate is not None:
                estimate = self.dry_estimate
            return 200, {
                "jobReference": reference,
                "status": {"state": "DONE"},
                "configuration": {"dryRun": True, "query": query_config},
                "statistics": {
                    "totalBytesProcessed": str(estimate),
                    "query": {"totalBytesProcessed": str(estimate)},
                },
            }
        cap = query_config.get("maximumBytesBilled")
        error = None
        if cap is not None and estimate > int(cap):
            message = (
                f"Query exceeded limit for bytes billed: {cap}. {estimate} or higher required."
            )
            if kind == "queries":
                return _error(400, "bytesBilledLimitExceeded", message)
            error = {"reason": "bytesBilledLimitExceeded", "message": message}
        fields: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        if error is None:
            try:
                fields, rows = self._execute(sql, query_config.get("queryParameters", []))
            except (duckdb.Error, ValueError, KeyError) as exc:
                return _error(400, "invalidQuery", f"Syntax error: {type(exc).__name__}")
        job = _Job(project, job_id, reference["location"], fields, rows, estimate, error)
        self.jobs[job_id] = job
        if kind == "queries":
            return 200, self._results(job, {"maxResults": str(self.page_size)})
        return 200, {**self._job_resource(job), "status": {"state": "RUNNING"}}

    def _estimate(self) -> int:
        return self.rows_in_table() * self.bytes_per_row

    def _job_resource(self, job: _Job) -> dict[str, Any]:
        status: dict[str, Any] = {"state": "DONE"}
        if job.error is not None:
            status["errorResult"] = job.error
            status["errors"] = [job.error]
        return {
            "jobReference": _reference(job),
            "configuration": {"jobType": "QUERY", "query": {}},
            "status": status,
            "statistics": {
                "totalBytesProcessed": str(job.processed),
                "query": {
                    "totalBytesProcessed": str(job.processed),
                    "totalBytesBilled": str(job.processed),
                },
            },
        }

    def _results(self, job: _Job, query: Mapping[str, str]) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "kind": "bigquery#queryResponse",
            "jobReference": _reference(job),
            "jobComplete": True,
            "schema": {"fields": job.fields},
            "totalRows": str(len(job.rows)),
            "totalBytesProcessed": str(job.processed),
        }
        limit = int(query.get("maxResults", str(self.page_size)) or self.page_size)
        if limit == 0:
            return answer  # no "rows" key: an empty list would read as "no rows at all"
        offset = int(query.get("pageToken", "0") or 0)
        limit = min(limit, self.page_size)
        answer["rows"] = job.rows[offset : offset + limit]
        if offset + limit < len(job.rows):
            answer["pageToken"] = str(offset + limit)
        return answer

    # --- execution ----------------------------------------------------------------------------

    def _execute(
        self, sql: str, parameters: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        values = {p["name"]: _parameter_value(p) for p in parameters}
        with self._lock:
            cursor = self.con.cursor()
            result = cursor.execute(to_duckdb(sql), values)
            names = [d[0] for d in result.description or ()]
            types = [d[1] for d in result.description or ()]
            data = result.fetchall()
            cursor.close()
        fields = [_field(name, kind) for name, kind in zip(names, types, strict=True)]
        rows = [{"f": [_cell(v, f) for v, f in zip(row, fields, strict=True)]} for row in data]
        return fields, rows


def _reference(job: _Job) -> dict[str, str]:
    return {"projectId": job.project, "jobId": job.job_id, "location": job.location}


def _parameter_value(parameter: Mapping[str, Any]) -> object:
    kind = parameter["parameterType"]
    value = parameter["parameterValue"]
    if kind["type"] == "ARRAY":
        inner = {"type": kind["arrayType"]["type"]}
        return [_scalar(inner["type"], item.get("value")) for item in value.get("arrayValues", [])]
    return _scalar(kind["type"], value.get("value"))


def _scalar(kind: str, value: object) -> object:
    if value is None:
        return None
    if kind == "INT64":
        return int(str(value))
    if kind == "TIMESTAMP":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    return str(value)


def _field(name: str, kind: duckdb.DuckDBPyType) -> dict[str, Any]:
    mode = "NULLABLE"
    if kind.id == "list":
        mode, kind = "REPEATED", kind.children[0][1]
    if kind.id == "struct":
        children = [_field(n, t) for n, t in kind.children]
        return {"name": name, "type": "RECORD", "mode": mode, "fields": children}
    types = {
        "bigint": "INTEGER",
        "hugeint": "INTEGER",  # DuckDB's SUM of BIGINT
        "integer": "INTEGER",
        "smallint": "INTEGER",
        "boolean": "BOOLEAN",
        "double": "FLOAT",
    }
    if str(kind) == "JSON":
        bq = "JSON"
    elif kind.id.startswith("timestamp"):
        bq = "TIMESTAMP"
    else:
        bq = types.get(kind.id, "STRING")
    return {"name": name, "type": bq, "mode": mode}


def _cell(value: object, field: Mapping[str, Any]) -> dict[str, Any]:
    if field["mode"] == "REPEATED":
        items = value if isinstance(value, list) else []
        single = {**field, "mode": "NULLABLE"}
        return {"v": [_cell(item, single) for item in items]}
    if value is None:
        return {"v": None}
    if field["type"] == "RECORD":
        record = value if isinstance(value, dict) else {}
        return {"v": {"f": [_cell(record.get(f["name"]), f) for f in field["fields"]]}}
    if field["type"] == "TIMESTAMP" and isinstance(value, datetime):
        micros = round(value.astimezone(UTC).timestamp() * 1_000_000)
        return {"v": str(micros)}
    if field["type"] == "JSON":
        return {"v": value if isinstance(value, str) else json.dumps(value)}
    return {"v": str(value)}


class _Handler(JsonApiHandler):
    fake: FakeBigQuery

    def serve(self, request: Incoming) -> None:
        body = json.loads(request.raw) if request.raw else None
        status, answer = self.fake.handle(
            request.method, request.path, request.query, request.headers, body
        )
        self.fake.requests.append(
            Request(request.method, request.path, request.query, body, status)
        )
        self.send_json(status, answer)


FakeBigQuery.handler = _Handler


@pytest.fixture
def fake_bigquery() -> Iterator[FakeBigQuery]:
    with FakeBigQuery() as fake:
        yield fake
