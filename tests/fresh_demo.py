"""The demo hour run in a fresh process with a fixed clock, for tests that compare what two
values of a setting read at start-up give (the seams that stand for a missing wheel:
``LOG_GARDENER_JSON``, ``LOG_GARDENER_MARKDOWN``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "cloud-run-backend-hour.jsonl"
RULES = ROOT / "examples" / "log-gardener.yml"

_SCRIPT = """\
import sys, datetime as d
from log_gardener import cli, jsonio
from log_gardener.core.publishing import commonmark
class C(d.datetime):
    @classmethod
    def now(cls, tz=None):
        return cls(2026, 1, 2, 3, 4, 5, tzinfo=d.UTC)
cli.datetime = C
name, value = sys.argv[1], sys.argv[2]
code = cli.main(sys.argv[3:], env={{name: value}})
assert {check}, ({check_text!r}, value)
sys.exit(code)
"""


def demo_outputs(where: Path, name: str, value: str, check: str) -> dict[str, bytes]:
    """Every file the run writes under ``where`` (worklog, index, state, report), by relative
    path.  ``check``: a Python expression over ``value`` (and ``jsonio``, ``commonmark``) that
    must hold in that process, e.g. that the setting took effect."""
    where.mkdir()
    script = _SCRIPT.format(check=check, check_text=check)
    args = ["run", "--source", f"file:{DEMO}", "--config", str(RULES), "--workers", "1"]
    args += ["--worklog-dir", "worklog", "--report-json", "r.json"]
    subprocess.run(
        [sys.executable, "-c", script, name, value, *args],
        env={**os.environ, name: value},
        cwd=where,
        check=True,
        capture_output=True,
    )
    return {str(p.relative_to(where)): p.read_bytes() for p in where.rglob("*") if p.is_file()}
