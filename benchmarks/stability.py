"""Cross-run stability: does a true group keep its fingerprint when a log set is split in two?

    .venv/bin/python benchmarks/stability.py               # the built-in generated sets
    .venv/bin/python benchmarks/stability.py DIR_OR_FILES  # your own labelled JSON Lines

Each set is split at its midpoint into two runs.  The first run's clusters become the known
clusters of ``state.json`` (``Clusterer.known_clusters()``, through a real ``state.json``
round trip); the second run starts from them.  A true group present in both runs is *kept* when
the second run gives it no fingerprint the first run did not; it has *one fingerprint* when all
its entries in both runs share a single fingerprint (which also needs correct grouping).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from common import records_of, run_ours
from quality import _sets

from log_gardener.core.shared.state import GardenerState, parse_state, state_to_json

TARGET = 0.99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    print(f"{'set':<14}{'groups in both':>15}{'kept':>8}{'one fingerprint':>17}")
    total = kept_total = one_total = 0
    for name, entries in _sets(args.paths):
        rows = records_of(entries)
        half = len(rows) // 2
        first_rows, second_rows = rows[:half], rows[half:]
        first_fps, first = run_ours([r for _, r in first_rows])
        state = GardenerState(clusters={k.fingerprint: k for k in first.known_clusters()})
        restored, warning = parse_state(state_to_json(state))
        assert not warning, warning
        second_fps, _ = run_ours([r for _, r in second_rows], list(restored.clusters.values()))
        before: dict[str, set[str]] = defaultdict(set)
        after: dict[str, set[str]] = defaultdict(set)
        for (truth, _), fp in zip(first_rows, first_fps, strict=True):
            before[truth].add(fp)
        for (truth, _), fp in zip(second_rows, second_fps, strict=True):
            after[truth].add(fp)
        both = sorted(set(before) & set(after))
        kept = sum(1 for t in both if after[t] <= before[t])
        one = sum(1 for t in both if len(before[t] | after[t]) == 1)
        total, kept_total, one_total = total + len(both), kept_total + kept, one_total + one
        print(f"{name:<14}{len(both):>15}{kept / len(both):>8.1%}{one / len(both):>17.1%}")
    rate = kept_total / total
    print(f"{'all':<14}{total:>15}{rate:>8.1%}{one_total / total:>17.1%}")
    verdict = "MET" if rate >= TARGET else "NOT MET"
    print(
        f"verdict: {rate:.1%} of true groups keep their fingerprint across runs; "
        f"target >= {TARGET:.0%} {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
