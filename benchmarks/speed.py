"""Throughput and peak memory, as whole processes: log-gardener against Drain3, same file.

    .venv/bin/python benchmarks/speed.py                   # 1,000,000 entries, ~5 minutes
    .venv/bin/python benchmarks/speed.py --entries 100000  # a quick look

Generates N Cloud Logging entries (the labelled sets' templates mixed: text and JSON payloads,
Java and Python stack traces, several services and revisions; numbers, ids and addresses
differ from line to line) as JSON Lines in a temporary file, then times each row below as its
own process, start to exit, on that same file:

- ours: ``python -m log_gardener run --source file:... --min-severity DEFAULT`` (every entry
  kept, as Drain3 keeps every line): reading (orjson), normalizing, masking, clustering,
  judging, rendering and verifying the worklog, writing worklog, state and report;
  - pure: the checkout's Python source, one process (``--workers 1``);
  - compiled: the wheel ``pip install .`` builds (mypyc), one process;
  - compiled + workers: the same with ``--workers`` = the CPU count (parse, normalize and mask
    in worker processes);
- Drain3 0.9 with the five generic masks a user would give it (IPv4[:port], UUID, 0x-hex,
  long hex id, number; masked as ``<IP>``, ``<UUID>``, ``<HEX>``, ``<ID>``, ``<NUM>``):
  ``json.loads`` per line, the payload's first line, ``TemplateMiner.add_log_message``.

Peak RSS is the largest sum over the process and its worker processes (sampled every 50 ms)
and never less than what the kernel reports for the largest single one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

TARGET_RATIO = 3.0
TARGET_RATE = 100_000
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


# Drain3's generic masks, as its documentation's examples write them, named <IP> etc.
DRAIN_MASKS = (
    (
        "IP",
        r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(:\d{1,5})?)((?=[^A-Za-z0-9])|$)",
    ),
    (
        "UUID",
        r"((?<=[^A-Za-z0-9])|^)([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})((?=[^A-Za-z0-9])|$)",
    ),
    ("HEX", r"((?<=[^A-Za-z0-9])|^)(0x[a-fA-F0-9]+)((?=[^A-Za-z0-9])|$)"),
    ("ID", r"((?<=[^A-Za-z0-9])|^)([0-9a-fA-F]{16,})((?=[^A-Za-z0-9])|$)"),
    ("NUM", r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)"),
)


def drain_main(path: Path) -> int:
    """The Drain3 row's process: mine every entry's first payload line with the masks."""
    import logging

    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    logging.disable(logging.WARNING)  # "config file not found": the defaults are the point
    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(rx, name) for name, rx in DRAIN_MASKS]
    miner = TemplateMiner(config=config)
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
    print(f"  Drain3: {len(miner.drain.clusters):,} clusters", file=sys.stderr)
    return count


def _tree_rss_kb(pid: int) -> int:
    """Resident set of ``pid`` and its descendants, in KiB (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Runs ``command`` to its end; (seconds, peak RSS in MB)."""
    log = cwd / f"log-{time.monotonic_ns()}.txt"
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=output)
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _tree_rss_kb(process.pid))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(errors="replace")
    if process.returncode != 0:
        sys.stderr.write(text)
        raise SystemExit(f"{command[:5]} failed with exit {process.returncode}")
    shown = [line for line in text.splitlines() if line.startswith("  ") and "dry-run" not in line]
    sys.stderr.write("".join(line + "\n" for line in shown))
    return elapsed, max(peak_kb, usage.ru_maxrss) / 1024


def _build_compiled(where: Path) -> Path:
    """The wheel ``pip install .`` builds (mypyc), unpacked; returns the directory to import."""
    build = where / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(build),
            str(ROOT.parent),
        ],
        check=True,
    )
    shutil.rmtree(ROOT.parent / "build", ignore_errors=True)
    target = where / "compiled"
    wheel = next(build.glob("*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    return target


def ours(path: Path, entries: int, tmp: Path, src: Path, workers: int) -> tuple[float, float]:
    out = tmp / f"out-{len(list(tmp.glob('out-*')))}"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [
        sys.executable, "-m", "log_gardener", "run", "--source", f"file:{path}",
        "--min-severity", "DEFAULT", "--max-entries", str(entries), "--workers", str(workers),
        "--worklog-dir", "worklog", "--report-json", "report.json",
    ]  # fmt: skip
    result = timed(command, env, out)
    report = json.loads((out / "report.json").read_text())
    assert report["entries"]["kept"] == entries, report["entries"]
    print(f"  {len(report['clusters']):,} clusters", file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--drain", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drain:
        return 0 if drain_main(args.drain) else 1
    load = os.getloadavg()
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "entries.jsonl"
        started = time.perf_counter()
        generate(path, tmp / "text.jsonl", args.entries)
        print(f"generated {args.entries:,} entries in {time.perf_counter() - started:.1f}s")
        compiled = _build_compiled(tmp / "build")
        src = ROOT.parent / "src"
        drain_env = dict(os.environ)
        plan = [
            ("log-gardener, pure", lambda: ours(path, args.entries, tmp, src, 1)),
            ("log-gardener, compiled", lambda: ours(path, args.entries, tmp, compiled, 1)),
            (
                f"compiled, {args.workers} workers",
                lambda: ours(path, args.entries, tmp, compiled, args.workers),
            ),
            (
                "Drain3, 5 masks",
                lambda: timed([sys.executable, __file__, "--drain", str(path)], drain_env, tmp),
            ),
        ]
        for name, run in plan:
            print(f"running: {name}", file=sys.stderr)
            seconds, rss = run()
            rows.append((name, seconds, rss))
    load_after = os.getloadavg()
    drain_rate = args.entries / rows[-1][1]
    print(
        f"load average before {load[0]:.1f}, after {load_after[0]:.1f} "
        f"({os.cpu_count()} CPUs, shared with other work)"
    )
    print(
        f"{'engine':<28}{'entries':>10}{'seconds':>9}{'entries/s':>11}{'vs Drain3':>10}{'peak RSS':>10}"
    )
    for name, seconds, rss in rows:
        rate = args.entries / seconds
        print(
            f"{name:<28}{args.entries:>10,}{seconds:>9.1f}{rate:>11,.0f}"
            f"{rate / drain_rate:>9.2f}x{rss:>8.0f}MB"
        )
    best = min(rows[:-1], key=lambda row: row[1])
    best_rate = args.entries / best[1]
    checks = [
        (
            f"{best_rate / drain_rate:.2f}x Drain3 (>= {TARGET_RATIO:.0f}x)",
            best_rate / drain_rate >= TARGET_RATIO,
        ),
        (f"{best_rate:,.0f} entries/s (>= {TARGET_RATE:,})", best_rate >= TARGET_RATE),
        (f"peak RSS {best[2]:.0f} MB (< {TARGET_RSS_MB} MB)", best[2] < TARGET_RSS_MB),
    ]
    verdict = "all targets MET" if all(ok for _, ok in checks) else "NOT all targets met"
    print(
        f"verdict ({best[0]}): "
        + "; ".join(f"{t} {'ok' if ok else 'MISSED'}" for t, ok in checks)
        + f" -> {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
