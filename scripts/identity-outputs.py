"""Runs the gardener on the demo and a benchmark input with a fixed clock and writes every output.

    python scripts/identity-outputs.py OUT --expect pure|compiled [--entries 30000]

Two builds (or two worker counts) give byte-identical outputs when ``diff -r`` finds nothing
between their OUT directories: the worklog, its index, state.json, report.json and the
assignments, for the demo (default and DEFAULT minimum severity) and for entries generated
like ``benchmarks/speed.py`` (one worker and two).  ``--expect`` checks which build is
imported (compiled modules end in ``.so``), so a silent fallback to pure Python is caught.
scripts/ci-checks.sh runs it for the editable (pure) install and a compiled wheel.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz: object = None) -> _FixedClock:  # type: ignore[override]
        del tz
        return cls.fromtimestamp(NOW.timestamp(), UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--expect", choices=("pure", "compiled"), required=True)
    parser.add_argument("--entries", type=int, default=30_000)
    args = parser.parse_args()

    from log_gardener import cli
    from log_gardener.core.grouping import cluster

    compiled = not cluster.__file__.endswith(".py")
    if compiled != (args.expect == "compiled"):
        print(f"expected a {args.expect} build, imported {cluster.__file__}", file=sys.stderr)
        return 1
    cli.datetime = _FixedClock  # type: ignore[misc]

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed

    args.out.mkdir(parents=True, exist_ok=True)
    bench = args.out / "bench-input.jsonl"
    speed.generate(bench, args.out / "bench-text.jsonl", args.entries)
    demo = ROOT / "examples" / "cloud-run-backend-hour.jsonl"
    rules = ROOT / "examples" / "log-gardener.yml"
    cases = {
        "demo": [f"file:{demo}", "--config", str(rules)],
        "demo-all": [f"file:{demo}", "--config", str(rules), "--min-severity", "DEFAULT"],
        "bench-1": [f"file:{bench}", "--min-severity", "DEFAULT", "--workers", "1"],
        "bench-2": [f"file:{bench}", "--min-severity", "DEFAULT", "--workers", "2"],
    }
    for name, source in cases.items():
        target = args.out / name
        target.mkdir()
        os.chdir(target)  # relative paths: the outputs must not name the directory
        printed = io.StringIO()
        code = cli.main(
            [
                "run",
                "--source",
                *source,
                "--max-entries",
                str(args.entries + 1),
                "--worklog-dir",
                "worklog",
                "--report-json",
                "report.json",
                "--assignments",
                "assignments.jsonl",
            ],
            env={},
            stdout=printed,
        )
        (target / "printed.txt").write_text(printed.getvalue(), encoding="utf-8")
        if code != 0:
            print(f"{name}: exit {code}\n{printed.getvalue()}", file=sys.stderr)
            return 1
    for name in ("bench-input.jsonl", "bench-text.jsonl"):
        (args.out / name).unlink()
    print(f"{args.expect} build ({cluster.__file__}): outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
