"""Redaction cost per KB, and how much ordinary log text it touches.

    .venv/bin/python benchmarks/redaction.py              # the built-in generated sets
    .venv/bin/python benchmarks/redaction.py --rev REV    # baseline: core/redact.py at REV

Text: every message of the generated sets of ``datasets.py`` (web backend, database, auth,
syslog, HDFS, JVM traces, ...), and the same text with one line in fifty carrying a provider
secret (the samples of ``tests/provider_secrets.py``, built at run time).  Three redactors run
on the same text in the same process:

* ``baseline``: ``core/redact.py`` as it was at ``--rev`` (default: the commit before the
  provider formats), loaded from git; skipped where git or the revision is absent;
* ``no prefilter``: today's redactor with every format's pattern run on every text;
* ``prefilter``: today's redactor (a one-pass anchor scan picks the patterns that run).

Printed: microseconds per KB (best of three), and the share of ordinary lines changed with IP
redaction off (over-redaction of plain log text; lower is better; the generated sets hold no
secrets).  Sets we wrote ourselves flatter the touch rate: real logs have more odd tokens.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import datasets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from log_gardener.core.shared import redact as current  # noqa: E402
from log_gardener.core.shared.redact import RedactionPolicy  # noqa: E402
from tests.provider_secrets import KEYWORD_SAMPLES, SHAPE_SAMPLES  # noqa: E402

BASE_REV = "0c43358"  # the last commit before the provider formats (issue 14)
NO_IP = RedactionPolicy(ip_addresses=False)


def _messages() -> list[str]:
    out: list[str] = []
    for name in datasets.SET_NAMES:
        for entry in datasets.generate(name, size=1000):
            payload: Any = entry.get("textPayload") or entry.get("jsonPayload", {}).get("message")
            if isinstance(payload, str):
                out.append(payload)
    return out


def _with_secrets(lines: list[str]) -> list[str]:
    secrets = [s for _, s in SHAPE_SAMPLES] + [f"{p.upper()}_KEY={v}" for p, v in KEYWORD_SAMPLES]
    return [
        f"{line} auth failed for {secrets[i // 50 % len(secrets)]}" if i % 50 == 0 else line
        for i, line in enumerate(lines)
    ]


def _baseline(rev: str) -> ModuleType | None:
    source = None
    # core/shared/redact.py since the core was split by stage; core/redact.py before
    for where in ("core/shared/redact.py", "core/redact.py"):
        try:
            source = subprocess.run(
                ["git", "show", f"{rev}:src/log_gardener/{where}"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            break
        except (OSError, subprocess.CalledProcessError):
            continue
    if source is None:
        return None
    path = Path(tempfile.mkdtemp()) / "baseline_redact.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("baseline_redact", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_redact"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class _Everything:
    """A prefilter that lets every format run (what the one-pass scan saves)."""

    def __init__(self, count: int) -> None:
        self.all = frozenset(range(count))

    def candidates(self, text: str) -> frozenset[int]:
        return self.all


def _time(redact: Callable[[str], str], lines: list[str]) -> float:
    """Best of three, in microseconds per KB of text."""
    kb = sum(len(line.encode()) for line in lines) / 1024
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for line in lines:
            redact(line)
        best = min(best, time.perf_counter() - start)
    return best * 1e6 / kb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default=BASE_REV, help="git revision of the baseline redactor")
    args = parser.parse_args()
    ordinary = _messages()
    mixed = _with_secrets(ordinary)
    kb = sum(len(line.encode()) for line in ordinary) / 1024
    print(f"{len(ordinary)} messages, {kb:.0f} KB; machine shared with other jobs: noisy")
    engines: list[tuple[str, Callable[[str], str]]] = []
    base = _baseline(args.rev)
    if base is not None:
        base_policy = base.RedactionPolicy(ip_addresses=False)
        engines.append((f"baseline ({args.rev})", lambda t: str(base.redact(t, base_policy))))
    real_prefilter = current._PREFILTER
    everything = _Everything(current._KEYWORD_INDEX + 1)

    def no_prefilter(text: str) -> str:
        current._PREFILTER = everything  # type: ignore[assignment]
        try:
            return current.redact(text, NO_IP)
        finally:
            current._PREFILTER = real_prefilter

    engines.append(("no prefilter", no_prefilter))
    engines.append(("prefilter", lambda t: current.redact(t, NO_IP)))
    print(
        f"{'redactor':<22} {'us/KB plain':>12} {'us/KB 2% secrets':>17} {'plain lines touched':>20}"
    )
    for name, engine in engines:
        plain = _time(engine, ordinary)
        with_secrets = _time(engine, mixed)
        touched = sum(engine(line) != line for line in ordinary) / len(ordinary)
        print(f"{name:<22} {plain:>12.0f} {with_secrets:>17.0f} {touched:>19.2%}")
    per_entry = _time(lambda t: current.redact(t, NO_IP), mixed) * kb / len(mixed) / 1e6
    print(
        f"50,000 such messages (more than a 50,000-entry run publishes): {per_entry * 50_000:.1f} s"
    )


if __name__ == "__main__":
    main()
