"""Duplicates are dropped inside a feed's overlap only: no per-entry memory elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.ingest import IngestCounts, Ingestor
from log_gardener.core.judging.rules import default_config
from log_gardener.model import Severity, Window

START = datetime(2025, 9, 15, 13, 0, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(hours=1))


def entry(insert_id: str, minutes: int) -> dict[str, object]:
    moment = (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return {"insertId": insert_id, "timestamp": moment, "severity": "ERROR", "textPayload": "boom"}


def ingest(overlap: timedelta) -> IngestCounts:
    ingestor = Ingestor(Clusterer(WINDOW), default_config(), Severity.DEFAULT, WINDOW)
    ingestor.start_feed(WINDOW, Severity.DEFAULT, overlap)
    early, late = entry("a", 1), entry("b", 30)
    for line_no, raw in enumerate((early, early, late, late), start=1):
        ingestor.add(line_no, raw)
    return ingestor.counts()


def test_a_repeat_inside_the_overlap_is_dropped_and_one_after_it_is_counted() -> None:
    counts = ingest(timedelta(minutes=5))
    assert (counts.read, counts.kept, counts.duplicates) == (4, 3, 1)


def test_without_overlap_nothing_is_remembered() -> None:
    counts = ingest(timedelta(0))
    assert (counts.read, counts.kept, counts.duplicates) == (4, 4, 0)
