"""Shared by the benchmark scripts: loading sets, running both engines, scoring groupings."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.normalize import normalize_entry
from log_gardener.core.shared.state import KnownCluster
from log_gardener.model import LogRecord, Window


def records_of(entries: Iterable[dict[str, Any]]) -> list[tuple[str, LogRecord]]:
    """(truth label, record) of each entry that normalizes (all of ours do)."""
    rows = []
    for line_no, entry in enumerate(entries, 1):
        record = normalize_entry(entry, line_no)
        if isinstance(record, LogRecord):
            rows.append((str(entry.get("labels", {}).get("truth", "")), record))
    return rows


def window_of(records: Sequence[LogRecord]) -> Window:
    start = min(r.timestamp for r in records)
    end = max(r.timestamp for r in records) + timedelta(seconds=1)
    return Window(start, end)


def run_ours(
    records: Sequence[LogRecord], known: Sequence[KnownCluster] = ()
) -> tuple[list[str], Clusterer]:
    clusterer = Clusterer(window_of(records), known)
    fps = [clusterer.add(record) for record in records]
    return [clusterer.resolve(fp) for fp in fps], clusterer


def run_drain(messages: Sequence[str]) -> list[str]:
    from drain3 import TemplateMiner  # a benchmark-only dependency

    miner = TemplateMiner()  # default configuration: no masking, sim_th 0.4, depth 4
    return [str(miner.add_log_message(m)["cluster_id"]) for m in messages]


def grouping_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of entries whose predicted group holds exactly the entries of their true group."""
    true_groups = _groups(truth)
    correct = 0
    for members in _groups(predicted).values():
        label = truth[members[0]]
        if true_groups[label] == members:
            correct += len(members)
    return correct / len(truth) if truth else 1.0


def group_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """F1 over groups: a predicted group counts when it equals a true group exactly."""
    true_sets = {tuple(m) for m in _groups(truth).values()}
    predicted_sets = {tuple(m) for m in _groups(predicted).values()}
    exact = len(true_sets & predicted_sets)
    if not exact:
        return 0.0
    precision, recall = exact / len(predicted_sets), exact / len(true_sets)
    return 2 * precision * recall / (precision + recall)


def _groups(labels: Sequence[str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return groups


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
