"""Log Analytics pushdown vs the pull path, at 1M and 10M entries (or the sizes given).

The entries are generated in DuckDB SQL itself (fast, low memory) into a table shaped like
``_AllLogs``; the grouping query is the one the log-analytics source sends to BigQuery,
transpiled by sqlglot.  Printed per size: the query time in DuckDB on this machine (a stand-in
for BigQuery, which scales out), the rows it returns (groups), the Python time from rows to
clusters, and the pull path's time modeled at Cloud Logging's read quota (60 entries.list
requests a minute per project, 1,000 entries a page) for the entries the filter keeps.

    .venv/bin/python benchmarks/log_analytics.py            # 1M and 10M
    .venv/bin/python benchmarks/log_analytics.py 200000     # one smaller size
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from log_gardener.core.grouping import log_analytics as la
from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.ingest import Ingestor
from log_gardener.core.grouping.platform import Role
from log_gardener.core.grouping.problems import Observer, find_problems, specificity, template_roles
from log_gardener.core.judging.rules import Target, default_config
from log_gardener.model import Severity, Window
from tests.la_duckdb import TABLE_DDL, run_query

START = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(hours=1))
PAGE = 1000
REQUESTS_PER_MINUTE = 60
MAX_ENTRIES = 50_000  # the pull path's default cap per run

# Deterministic pseudo-random columns from hash(i): 12 message shapes with numbers, hex ids,
# UUID-like ids, IPs and quoted values; 3 services x 2 revisions x 8 instances; 60% INFO,
# 15% ERROR or worse (each one a link row for the problem layer, up to the query's caps).
GENERATE = """INSERT INTO _AllLogs
SELECT
  TIMESTAMPTZ '2026-01-01 10:00:00+00' + to_microseconds(CAST(h % 3600000000 AS BIGINT)),
  NULL,
  'projects/bench-project/logs/run.googleapis.com%2Fstdout', 'run.googleapis.com/stdout',
  {'type': 'cloud_run_revision',
   'labels': json_object('service_name', svc, 'revision_name', svc || '-0004' || (h >> 7) % 2,
                         'location', 'europe-west1')},
  CASE WHEN s < 60 THEN 'INFO' WHEN s < 85 THEN 'WARNING' WHEN s < 97 THEN 'ERROR'
       ELSE 'CRITICAL' END,
  CASE WHEN k % 3 = 0 THEN json_object('message', msg, 'logger', 'app.' || svc) END,
  CASE WHEN k % 3 <> 0 THEN msg END,
  NULL, json_object('instanceId', svc || '-inst-' || (h >> 50) % 8),
  'b' || i, 'projects/bench-project/traces/t' || (h >> 52) % 5000, NULL, NULL, NULL, NULL
FROM (
  SELECT i, h, k, s, svc,
    CASE k % 12
      WHEN 0 THEN 'db timeout after ' || (h >> 9) % 5000 || 'ms on shard ' || (h >> 21) % 64
      WHEN 1 THEN 'user ' || (h >> 9) % 1000000 || ' not found in tenant ' || md5(CAST(h AS VARCHAR))[1:16]
      WHEN 2 THEN 'connection from 10.' || (h >> 9) % 256 || '.' || (h >> 17) % 256 || '.7 refused'
      WHEN 3 THEN 'payment failed for order=' || (h >> 9) % 99999 || ' reason=''card declined'''
      WHEN 4 THEN 'Retrying request ' || uuid() || ' (attempt ' || (h >> 9) % 5 || ')'
      WHEN 5 THEN 'cache miss key="session-' || (h >> 9) % 777 || '"'
      WHEN 6 THEN 'quota exceeded for project p' || (h >> 9) % 9 || 'x: ' || (h >> 13) % 900 || ' requests'
      WHEN 7 THEN 'upstream 10.2.' || (h >> 9) % 256 || '.9 returned ' || 500 + (h >> 17) % 4
      WHEN 8 THEN 'ValueError: bad item ' || (h >> 9) % 100000
      WHEN 9 THEN 'worker ' || (h >> 9) % 40 || ' stopped after ' || (h >> 15) % 600 || ' s'
      WHEN 10 THEN 'slow query took ' || (h >> 9) % 9000 || ' ms rows=' || (h >> 23) % 100
      ELSE 'lock wait exceeded on table t' || (h >> 9) % 5 || 'z id ' || (h >> 14) % 100000
    END AS msg
  FROM (
    SELECT i, h, (h >> 33) % 12 AS k, (h >> 40) % 100 AS s,
      CASE (h >> 45) % 3 WHEN 0 THEN 'api' WHEN 1 THEN 'worker' ELSE 'billing' END AS svc
    FROM (SELECT i, CAST(hash(i) % 9223372036854775807 AS BIGINT) AS h FROM range(?) t(i))
  )
)"""


def measure(count: int) -> dict[str, float]:
    import duckdb

    with tempfile.TemporaryDirectory() as folder:
        con = duckdb.connect(str(Path(folder) / "bench.duckdb"))
        con.execute("SET TimeZone='UTC'")
        con.execute("SET memory_limit='3GB'")
        con.execute("SET preserve_insertion_order=false")
        con.execute(TABLE_DDL)
        started = time.perf_counter()
        con.execute(GENERATE, [count])
        generated = time.perf_counter() - started
        row = con.execute(
            "SELECT COUNT(*) FILTER (WHERE severity <> 'INFO') FROM _AllLogs"
        ).fetchone()
        matching = int(row[0]) if row else 0
        target = Target("bench", "bench-project", min_severity=Severity.WARNING)
        sql = la.grouping_sql(la.table_reference("bench-project", "logs_link"))
        parameters = la.query_parameters(target, WINDOW, "bench-project")
        started = time.perf_counter()
        rows = run_query(con, sql, parameters)
        query = time.perf_counter() - started
        con.close()
    started = time.perf_counter()
    groups = [la.group_from_row(r) for r in rows]
    items = la.weighted_entries(groups)
    clusterer = Clusterer(WINDOW)
    observer = Observer()
    ingestor = Ingestor(clusterer, default_config(), Severity.WARNING, WINDOW, observer=observer)
    for line_no, item in enumerate(items, start=1):
        ingestor.add(line_no, item)
    observer.resolve(clusterer.resolve)
    clusters = clusterer.summaries()
    roles = template_roles(observer)
    problem_set = find_problems(
        observer.observations,
        {
            c.fingerprint: (
                roles.get(c.fingerprint, Role.APP_NOTE),
                specificity(c.exception_type, c.template, bool(c.top_frames)),
            )
            for c in clusters
        },
        notes_on=observer.notes_on,
    )
    python = time.perf_counter() - started
    pages = math.ceil(matching / PAGE)
    return {
        "entries": count,
        "matching": matching,
        "generate_s": generated,
        "query_s": query,
        "groups": len(rows),
        "link_rows": sum(len(g.links) + len(g.notes) for g in groups),
        "links_cut": sum(1 for g in groups if g.links_cut),
        "problems": len(problem_set.problems),
        "items": len(items),
        "python_s": python,
        "clusters": len(clusters),
        "counted": sum(c.count for c in clusters),
        "pull_pages": pages,
        "pull_s": pages * 60 / REQUESTS_PER_MINUTE,
        "pull_capped_entries": min(matching, MAX_ENTRIES),
    }


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [1_000_000, 10_000_000]
    print(
        "entries    >=WARNING  gen s  query s  groups  link rows  items  python s  clusters"
        "  problems  counted   pull pages  pull time (quota)  pull read at max-entries"
    )
    measured: dict[int, int] = {}
    for size in sizes:
        r = measure(size)
        measured[size] = int(r["links_cut"])
        pull_minutes = r["pull_s"] / 60
        print(
            f"{r['entries']:>10,} {r['matching']:>10,} {r['generate_s']:6.1f} {r['query_s']:8.1f}"
            f" {r['groups']:>7,} {r['link_rows']:>10,} {r['items']:>6,} {r['python_s']:9.2f}"
            f" {r['clusters']:>9,} {r['problems']:>9,} {r['counted']:>9,}"
            f" {r['pull_pages']:>11,}   {pull_minutes:8.1f} min"
            f"        {r['pull_capped_entries']:>9,} ({r['pull_capped_entries'] / r['matching']:.1%})",
            flush=True,
        )
    print(
        "link rows = signal entries and note places returned for the problem layer (capped "
        f"at {la.LINKS:,} a group and {la.LINK_ROWS:,} in all; groups cut: "
        + ", ".join(str(measured[size]) for size in sizes)
        + ")"
    )
    print(
        "pull time = pages / 60 requests per minute (Cloud Logging read quota, 1,000 entries a "
        "page); DuckDB on this shared 2-core machine stands in for BigQuery."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
