"""Log Analytics offline: the generated BigQuery SQL, transpiled by sqlglot, run in DuckDB on a
table shaped like ``_AllLogs``.  Used by the SQL tests, the fake BigQuery server and the
benchmark (test/dev dependencies only: sqlglot and duckdb never reach the image)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from log_gardener.core.grouping.log_analytics import Parameter

TABLE_DDL = """CREATE TABLE IF NOT EXISTS _AllLogs (
  timestamp TIMESTAMPTZ, receive_timestamp TIMESTAMPTZ, log_name VARCHAR, log_id VARCHAR,
  resource STRUCT(type VARCHAR, labels JSON), severity VARCHAR,
  json_payload JSON, text_payload VARCHAR, proto_payload JSON, labels JSON,
  insert_id VARCHAR, trace VARCHAR, span_id VARCHAR,
  http_request STRUCT(request_method VARCHAR, request_url VARCHAR, status BIGINT,
    latency STRUCT(seconds BIGINT, nanos BIGINT)),
  operation STRUCT(id VARCHAR, producer VARCHAR, first BOOLEAN, last BOOLEAN),
  source_location STRUCT(file VARCHAR, line BIGINT, function VARCHAR))"""

_TABLE_NAME = re.compile(r'"[A-Za-z0-9-]+"\."[A-Za-z0-9_]+"\."_AllLogs"')


def _array_agg_limit(node: exp.Expression) -> exp.Expression:
    """BigQuery ``ARRAY_AGG(x ORDER BY y LIMIT n)`` -> DuckDB ``list_slice(ARRAY_AGG(x ORDER BY
    y), 1, n)`` (sqlglot refuses LIMIT inside ARRAY_AGG)."""
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Limit):
        limit = node.this
        inner = exp.ArrayAgg(this=limit.this.copy())
        return exp.Anonymous(
            this="list_slice",
            expressions=[inner, exp.Literal.number(1), limit.expression.copy()],
        )
    return node


def to_duckdb(bigquery_sql: str) -> str:
    tree = sqlglot.parse_one(bigquery_sql, read="bigquery").transform(_array_agg_limit)
    sql = tree.sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)
    return _TABLE_NAME.sub("_AllLogs", sql)


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(TABLE_DDL)
    return con


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _snake_keys(value: object) -> object:
    if isinstance(value, dict):
        return {_snake(k): _snake_keys(v) for k, v in value.items() if not k.startswith("@")}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


LOAD_JSONL = """INSERT INTO _AllLogs SELECT
  COALESCE(TRY_CAST(j->>'timestamp' AS TIMESTAMPTZ), TRY_CAST(j->>'receiveTimestamp' AS TIMESTAMPTZ)),
  TRY_CAST(j->>'receiveTimestamp' AS TIMESTAMPTZ),
  j->>'logName',
  replace(split_part(j->>'logName', '/logs/', 2), '%2F', '/'),
  {'type': j->'resource'->>'type', 'labels': COALESCE(j->'resource'->'labels', '{}'::JSON)},
  j->>'severity',
  CASE WHEN json_type(j->'jsonPayload') = 'OBJECT' THEN j->'jsonPayload' END,
  j->>'textPayload',
  CASE WHEN json_type(j->'_proto') = 'OBJECT' THEN j->'_proto' END,
  CASE WHEN json_type(j->'labels') = 'OBJECT' THEN j->'labels' END,
  j->>'insertId', j->>'trace', NULL,
  CASE WHEN (j->'httpRequest') IS NOT NULL THEN {'request_method': j->'httpRequest'->>'requestMethod',
    'request_url': j->'httpRequest'->>'requestUrl',
    'status': TRY_CAST(j->'httpRequest'->>'status' AS BIGINT),
    'latency': CASE WHEN (j->'httpRequest'->>'latency') IS NOT NULL THEN {
      'seconds': TRY_CAST(floor(TRY_CAST(rtrim(j->'httpRequest'->>'latency', 's') AS DECIMAL(18, 9))) AS BIGINT),
      'nanos': TRY_CAST(round((TRY_CAST(rtrim(j->'httpRequest'->>'latency', 's') AS DECIMAL(18, 9))
        - floor(TRY_CAST(rtrim(j->'httpRequest'->>'latency', 's') AS DECIMAL(18, 9)))) * 1000000000) AS BIGINT)} END} END,
  CASE WHEN (j->'operation') IS NOT NULL THEN {'id': j->'operation'->>'id',
    'producer': j->'operation'->>'producer',
    'first': TRY_CAST(j->'operation'->>'first' AS BOOLEAN),
    'last': TRY_CAST(j->'operation'->>'last' AS BOOLEAN)} END,
  CASE WHEN (j->'sourceLocation') IS NOT NULL THEN {'file': j->'sourceLocation'->>'file',
    'line': TRY_CAST(j->'sourceLocation'->>'line' AS BIGINT),
    'function': j->'sourceLocation'->>'function'} END
FROM read_json_objects(?, format='newline_delimited') AS t(j)"""


def load_jsonl(con: duckdb.DuckDBPyConnection, path: str) -> int:
    """A JSON Lines export, loaded in SQL (fast); ``_proto`` holds the protoPayload as a log
    view has it (see ``load``)."""
    before = _count(con)
    con.execute(LOAD_JSONL, [path])
    con.execute("DELETE FROM _AllLogs WHERE timestamp IS NULL")
    return _count(con) - before


def _count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT COUNT(*) FROM _AllLogs").fetchone()
    return int(row[0]) if row else 0


def load(con: duckdb.DuckDBPyConnection, entries: Iterable[Mapping[str, Any]]) -> int:
    """Entries through a temporary JSON Lines file (DuckDB's executemany is slow)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for entry in entries:
            proto = entry.get("protoPayload")
            row = dict(entry)
            if isinstance(proto, dict):  # a log view: {"audit_log": {snake_case...}}
                row["_proto"] = {"audit_log": _snake_keys(proto)}
            handle.write(json.dumps(row) + "\n")
    try:
        return load_jsonl(con, handle.name)
    finally:
        os.unlink(handle.name)


def _decode(value: object, name: str = "") -> object:
    """DuckDB result values -> what google-cloud-bigquery gives (JSON parsed, UTC datetimes)."""
    if isinstance(value, dict):
        return {k: _decode(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, name) for v in value]
    if isinstance(value, str) and name in ("json_payload", "resource_labels", "labels"):
        return json.loads(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def run_query(
    con: duckdb.DuckDBPyConnection, bigquery_sql: str, parameters: Sequence[Parameter]
) -> list[dict[str, object]]:
    sql = to_duckdb(bigquery_sql)
    cursor = con.execute(sql, {p.name: p.value for p in parameters})
    names = [d[0] for d in cursor.description or ()]
    return [
        {n: _decode(v, n) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()
    ]
