"""Throughput and peak memory: the offline pipeline against Drain3 on the same entries.

    .venv/bin/python benchmarks/speed.py                 # 1,000,000 entries
    .venv/bin/python benchmarks/speed.py --entries 100000

Generates N Cloud Logging entries (the labelled sets' templates mixed: text and JSON payloads,
Java and Python stack traces, several services and revisions) as JSON Lines in a temporary
file.  Each engine then runs in its own subprocess, so peak RSS is its own:

- ours: the pipeline's ingest path (``FileSource`` reading and ``json.loads`` per line,
  ``Ingestor``: normalize, window, platform signals, duplicates, grouping key, fingerprint and
  cluster), then ``judge`` and ``render_worklog`` (with its verification) over the clusters.
  Every entry is kept (minimum severity DEFAULT), as Drain3 keeps every line;
- Drain3 (default configuration): ``json.loads`` per line -> the payload's first line ->
  ``TemplateMiner.add_log_message``.

Ours also runs on the text-payload entries alone (the >= 100k entries/s target), and on the
same entries with 85% of them at INFO under the default minimum severity WARNING: what a
real hour of a service looks like.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import datasets

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, os.environ.get("BENCH_SRC") or str(ROOT.parent / "src"))
# The hot modules a --compiled run builds with mypyc (model.py stays interpreted: the record
# fast path in normalize builds LogRecord through object.__new__, which a native class refuses).
COMPILED = ("normalize", "fingerprint", "cluster", "ingest", "infra", "stacktrace")

TARGET_RATIO = 3.0
TARGET_TEXT_RATE = 100_000
TARGET_RSS_MB = 1024
INFO_SHARE_IN_20 = 17  # the "real hour" run: 85% of the entries at INFO
_SERVICES = ("api", "worker", "billing", "frontend")
_PY_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/app/server/handlers.py", line {line}, in handle\n'
    "    return await self.{func}(request)\n"
    '  File "/app/server/orders.py", line {line2}, in {func}\n'
    "    row = await db.fetch_one(query)\n"
    '  File "/usr/local/lib/python3.11/site-packages/databases/core.py", line 170, in fetch_one\n'
    "    return await connection.fetch_one(query)\n"
    "asyncpg.exceptions.QueryCanceledError: canceling statement due to statement timeout"
)


def generate(path: Path, text_path: Path, count: int, info_path: Path | None = None) -> None:
    rng = random.Random(count)
    per_set = count // len(datasets.SET_NAMES) + 1
    streams = [datasets.generate(name, per_set, seed=7) for name in datasets.SET_NAMES]
    written = 0
    with path.open("w") as out, text_path.open("w") as text_out:
        info_out = info_path.open("w") if info_path is not None else None
        while written < count:
            for stream in streams:
                if written >= count:
                    break
                entry = next(stream)
                _vary(entry, rng, written, count)
                line = json.dumps(entry, separators=(",", ":")) + "\n"
                out.write(line)
                if "textPayload" in entry:
                    text_out.write(line)
                if info_out is not None:
                    if written % 20 < INFO_SHARE_IN_20:
                        entry["severity"] = "INFO"
                    info_out.write(json.dumps(entry, separators=(",", ":")) + "\n")
                written += 1
        if info_out is not None:
            info_out.close()


def _vary(entry: dict[str, Any], rng: random.Random, index: int, count: int) -> None:
    service = _SERVICES[index % len(_SERVICES)]
    moment = datasets.START + timedelta(seconds=index * 3600 / count)
    entry["timestamp"] = moment.isoformat().replace("+00:00", "Z")
    entry["insertId"] = f"e{index:08d}"
    entry["resource"]["labels"]["service_name"] = service
    entry["resource"]["labels"]["revision_name"] = f"{service}-0000{rng.randrange(1, 4)}-abc"
    if index % 97 == 0:
        entry.pop("jsonPayload", None)
        entry["severity"] = "ERROR"
        entry["textPayload"] = _PY_TRACE.format(
            line=rng.randrange(10, 300),
            line2=rng.randrange(10, 300),
            func=rng.choice(("create_order", "list_orders")),
        )


def run_engine(engine: str, path: Path, minimum: str) -> dict[str, Any]:
    started = time.perf_counter()
    count = _ours(path, minimum) if engine == "ours" else _drain(path)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"entries": count, "seconds": elapsed, "rss_mb": peak_kb / 1024}


def _ours(path: Path, minimum: str) -> int:
    from log_gardener.adapters.file_source import FileSource
    from log_gardener.core.grouping.cluster import Clusterer
    from log_gardener.core.grouping.ingest import Ingestor
    from log_gardener.core.judging.rules import default_config
    from log_gardener.model import Severity, Window

    config = default_config()
    window = Window(datasets.START, datasets.START + timedelta(hours=1))
    clusterer = Clusterer(window)
    ingestor = Ingestor(clusterer, config, Severity[minimum], window)
    problems = _problem_layer(ingestor)
    add = ingestor.add
    for line_no, raw in FileSource(str(path)).entries(window):  # as pipeline._ingest reads
        add(line_no, raw)
    counts = ingestor.counts()
    if problems is not None:
        problems()
    _judge_and_render(clusterer, config, counts, window)
    return counts.read


def _problem_layer(ingestor: Any) -> Any:
    """Where the source has it (issue 12), the problem layer as the pipeline runs it: one
    observation per kept entry, then episodes, links and the forest.  None on older sources."""
    try:
        from log_gardener.core.grouping import problems
    except ImportError:
        return None
    observer = problems.Observer()
    ingestor.observer = observer

    def run() -> None:
        roles = problems.template_roles(observer)
        found = problems.find_problems(
            observer.observations,
            {fp: (r, 0) for fp, r in roles.items()},
            notes_on=observer.notes_on,
            first_seen=observer.first_seen,
        )
        print(f"  folded templates into {len(found.problems):,} problems", file=sys.stderr)

    return run


def _judge_and_render(clusterer: Any, config: Any, counts: Any, window: Any) -> None:
    from log_gardener.core.grouping.infra import InfraSummary
    from log_gardener.core.judging.rules import judge
    from log_gardener.core.publishing.render import WorklogInput, order_clusters, render_worklog
    from log_gardener.model import JudgedCluster

    judged = order_clusters(JudgedCluster(s, judge(config, s)) for s in clusterer.summaries())
    document = render_worklog(
        WorklogInput(
            generated_at=window.end,
            window_start=window.start,
            window_end=window.end,
            target="benchmark",
            run_id="bench",
            counts=counts,
            judged=judged,
            titles={j.cluster.fingerprint: j.cluster.template[:80] for j in judged},
            infra=InfraSummary((), (), (), 0, 0, 0),
        )
    )
    print(
        f"  rendered a worklog of {len(document):,} characters for {len(judged):,} clusters",
        file=sys.stderr,
    )


def _drain(path: Path) -> int:
    import logging

    from drain3 import TemplateMiner

    logging.disable(logging.WARNING)  # "config file not found": the defaults are the point
    miner = TemplateMiner()
    add, loads = miner.add_log_message, json.loads
    count = 0
    with path.open() as handle:
        for line in handle:
            entry = loads(line)
            payload = entry.get("jsonPayload")
            text = payload.get("message", "") if isinstance(payload, dict) else ""
            text = text or entry.get("textPayload", "")
            add(text.split("\n", 1)[0])
            count += 1
    return count


def _subprocess(
    engine: str, path: Path, minimum: str = "DEFAULT", src: Path | None = None
) -> dict[str, Any]:
    env = dict(os.environ)
    if src is not None:
        env["BENCH_SRC"] = str(src)  # instead of the checkout's src: the compiled copy
    output = subprocess.run(
        [sys.executable, __file__, "--engine", engine, "--input", str(path), "--min", minimum],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(output.stderr)
    result: dict[str, Any] = json.loads(output.stdout)
    return result


def _compile(where: Path) -> Path:
    """A copy of ``src`` with ``COMPILED`` built by mypyc in place; returns its ``src``."""
    src = where / "src"
    shutil.copytree(ROOT.parent / "src", src)
    mypyc = Path(sys.executable).with_name("mypyc")
    modules = [f"log_gardener/core/{name}.py" for name in COMPILED]
    subprocess.run([str(mypyc), *modules], cwd=src, check=True, capture_output=True)
    return src


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("ours", "drain"), help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--min", default="DEFAULT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--compiled",
        action="store_true",
        help="also run ours with the hot core modules compiled by mypyc (needs a C compiler)",
    )
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(run_engine(args.engine, args.input, args.min)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path, text_path = Path(tmp) / "entries.jsonl", Path(tmp) / "text.jsonl"
        info_path = Path(tmp) / "info.jsonl"
        started = time.perf_counter()
        generate(path, text_path, args.entries, info_path)
        print(f"generated {args.entries:,} entries in {time.perf_counter() - started:.1f}s")
        ours = _subprocess("ours", path)
        text = _subprocess("ours", text_path)
        hour = _subprocess("ours", info_path, "WARNING")
        drain = _subprocess("drain", path)
        compiled = []
        if args.compiled:
            src = _compile(Path(tmp) / "compiled")
            compiled = [
                ("mypyc: log-gardener", _subprocess("ours", path, src=src)),
                ("mypyc: text only", _subprocess("ours", text_path, src=src)),
                ("mypyc: 85% INFO *", _subprocess("ours", info_path, "WARNING", src)),
            ]
    rows = (
        ("log-gardener", ours),
        ("log-gardener, text only", text),
        ("log-gardener, 85% INFO *", hour),
        ("Drain3 (default)", drain),
        *compiled,
    )
    print(f"{'engine':<26}{'entries':>10}{'seconds':>9}{'entries/s':>11}{'peak RSS':>10}")
    for name, result in rows:
        rate = result["entries"] / result["seconds"]
        print(
            f"{name:<26}{result['entries']:>10,}{result['seconds']:>9.1f}{rate:>11,.0f}"
            f"{result['rss_mb']:>8.0f}MB"
        )
    print("* the same entries, 85% of them at INFO, under the default minimum severity WARNING")
    ratio = (ours["entries"] / ours["seconds"]) / (drain["entries"] / drain["seconds"])
    text_rate = text["entries"] / text["seconds"]
    checks = [
        (f"{ratio:.2f}x Drain3 (>= {TARGET_RATIO:.0f}x)", ratio >= TARGET_RATIO),
        (
            f"{text_rate:,.0f} text entries/s (>= {TARGET_TEXT_RATE:,})",
            text_rate >= TARGET_TEXT_RATE,
        ),
        (
            f"peak RSS {ours['rss_mb']:.0f} MB (< {TARGET_RSS_MB} MB)",
            ours["rss_mb"] < TARGET_RSS_MB,
        ),
    ]
    verdict = "all targets MET" if all(ok for _, ok in checks) else "NOT all targets met"
    print(
        "verdict: "
        + "; ".join(f"{text} {'ok' if ok else 'MISSED'}" for text, ok in checks)
        + f" -> {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
