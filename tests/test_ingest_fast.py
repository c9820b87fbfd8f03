"""The ingest step's early skip of low-severity entries gives what the full way gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.infra import SIGNAL_HINTS
from log_gardener.core.grouping.ingest import Ingestor
from log_gardener.core.grouping.normalize import glance_below, normalize_entry
from log_gardener.core.judging.rules import default_config
from log_gardener.model import LogRecord, MalformedEntry, Severity, Window

START = datetime(2024, 5, 1, 12, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(hours=1))
RESOURCE = {"type": "cloud_run_revision", "labels": {"service_name": "api", "revision_name": "r1"}}


def _entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "insertId": "a1",
        "timestamp": "2024-05-01T12:00:01.5Z",
        "severity": "INFO",
        "resource": RESOURCE,
        "textPayload": "GET /healthz 200",
    }
    for key, value in fields.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return entry


ENTRIES = [
    _entry(),
    _entry(severity="DEBUG"),
    _entry(severity=None),  # DEFAULT
    _entry(severity="info"),  # not the API's spelling: the full way decides
    _entry(severity=200),
    _entry(severity="LOUD"),  # unknown: counted as such
    _entry(severity="WARNING"),
    _entry(timestamp=None),
    _entry(timestamp=None, receiveTimestamp="2024-05-01T12:00:02Z"),
    _entry(timestamp="yesterday"),
    _entry(timestamp="2024-05-01T14:00:00Z"),  # outside the window
    _entry(textPayload=None),  # no payload: malformed
    _entry(
        textPayload=None, httpRequest={"requestMethod": "GET", "requestUrl": "/x", "status": 503}
    ),
    _entry(httpRequest={"requestMethod": "GET", "requestUrl": "/x", "status": "404"}),
    _entry(httpRequest={"status": "\u00b2"}),  # isdigit() but not int(): malformed
    _entry(sourceLocation={"file": "a.py", "line": "\u00b2"}),  # the same
    _entry(textPayload="Container called exit(137)."),
    _entry(textPayload="STARTUP TCP probe failed 1 time consecutively"),
    _entry(
        textPayload='Traceback (most recent call last):\n  File "a.py", line 1, in f\n'
        "ValueError: request too large"
    ),
    _entry(textPayload=None, jsonPayload={"message": "Memory limit of 512 MiB exceeded"}),
    _entry(textPayload=None, jsonPayload={"msg": "ok", "line": "\u00b2"}),
    _entry(textPayload=None, jsonPayload={"no": "message", "instance": "i-1"}),
    _entry(textPayload=None, protoPayload={"methodName": "SetIamPolicy"}),
    _entry(jsonPayload="not a dict"),
    _entry(textPayload=42),
    _entry(resource={"type": "k8s_container", "labels": {"pod_name": 7}}),
    _entry(resource="odd", labels={"run.googleapis.com/execution_name": "x"}),
]


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_glance_agrees_with_the_record(entry: dict[str, Any]) -> None:
    glance = glance_below(entry, Severity.WARNING)
    record = normalize_entry(entry, 1)
    if glance is None:
        return  # the full way handles it
    assert isinstance(record, LogRecord)
    assert not record.severity_unknown
    assert record.severity == glance.severity < Severity.WARNING
    assert record.timestamp == glance.timestamp
    assert record.revision == glance.revision
    assert (record.http.status if record.http else None) == glance.http_status
    if glance.message:
        assert glance.message == record.message
    else:
        assert not any(hint in record.message for hint in SIGNAL_HINTS)


def test_entries_that_need_the_full_way_get_no_glance() -> None:
    declined = [i for i, e in enumerate(ENTRIES) if glance_below(e, Severity.WARNING) is None]
    assert declined == [3, 4, 5, 6, 7, 8, 9, 11, 14, 15, 20]


def _ingest(entries: list[object], minimum: Severity) -> Ingestor:
    ingestor = Ingestor(Clusterer(WINDOW), default_config(), minimum, WINDOW)
    for line_no, entry in enumerate(entries, 1):
        ingestor.add(line_no, entry)
    return ingestor


def _reference(entries: list[object], minimum: Severity) -> Ingestor:
    """The full way for every entry: normalized first, so no glance is taken."""
    normalized = [
        normalize_entry(e, n, WINDOW.start)
        if isinstance(e, dict)
        else MalformedEntry(n, "entry is not a JSON object")
        for n, e in enumerate(entries, 1)
    ]
    ingestor = Ingestor(Clusterer(WINDOW), default_config(), minimum, WINDOW)
    for line_no, item in enumerate(normalized, 1):
        if isinstance(item, LogRecord):
            ingestor._n_read += 1  # what add() does before normalizing
            raw = entries[line_no - 1]
            if isinstance(raw, dict) and raw.get("timestamp") is None:
                ingestor._no_timestamp(line_no, item)  # dated by receiveTimestamp or window start
            _add_record(ingestor, line_no, item)
        else:
            ingestor.add(line_no, item)
    return ingestor


def _add_record(ingestor: Ingestor, line_no: int, record: LogRecord) -> None:
    # Ingestor.add after normalize_entry, spelled out (the pre-glance code path).
    if record.severity_unknown:
        ingestor._n_unknown_severity += 1
        ingestor.warnings.append(
            MalformedEntry(line_no, "unknown severity, read as DEFAULT", record.insert_id)
        )
    if not WINDOW.contains(record.timestamp):
        ingestor._n_skipped_window += 1
        return
    ingestor.infra.observe(record)
    if record.severity < ingestor.min_severity:
        ingestor._n_skipped_severity += 1
        return
    if ingestor._is_duplicate(record):
        ingestor._n_duplicates += 1
        return
    ingestor._keep(record)


@pytest.mark.parametrize(
    "minimum", [Severity.DEFAULT, Severity.INFO, Severity.WARNING, Severity.ERROR]
)
def test_counts_and_signals_are_those_of_the_full_way(minimum: Severity) -> None:
    entries: list[object] = [*ENTRIES, *ENTRIES, "not an object"]
    fast, full = _ingest(entries, minimum), _reference(entries, minimum)
    assert fast.counts() == full.counts()
    assert fast.infra.summary() == full.infra.summary()
    assert fast.malformed_examples == full.malformed_examples
    assert fast.warnings == full.warnings
    assert fast.clusterer.summaries() == full.clusterer.summaries()


def test_counts_of_a_mostly_info_hour() -> None:
    counts = _ingest(list(ENTRIES), Severity.WARNING).counts()
    kept_or_skipped = (counts.kept, counts.skipped_severity, counts.skipped_window)
    assert (counts.read, *kept_or_skipped) == (27, 1, 20, 1)
    assert (counts.malformed, counts.unknown_severity, counts.duplicates) == (5, 1, 0)
    assert counts.no_timestamp == 2  # one by its receiveTimestamp, one at the window start
    signals = _ingest(list(ENTRIES), Severity.WARNING).infra.summary()
    assert signals.container_exits == ((137, 1),)
    assert signals.signals == (("memory limit exceeded", 1), ("startup probe failed", 1))
    assert (signals.requests, signals.server_errors, signals.client_errors) == (2, 1, 1)


def test_assignments_name_the_cluster_each_entry_ended_up_in() -> None:
    # The first file names split off until the position shows enough distinct words; the
    # assignments, handed over at the end, name the one cluster they all ended up in.
    assigned: list[tuple[str, str]] = []
    clusterer = Clusterer(WINDOW)
    ingestor = Ingestor(
        clusterer, default_config(), Severity.DEFAULT, WINDOW, lambda i, f: assigned.append((i, f))
    )
    names = ["a.csv", "b.csv", "c.csv", "d.csv", "e.csv", "a.csv"]
    for index, name in enumerate(names):
        ingestor.add(index, _entry(insertId=f"e{index}", textPayload=f"Removing stale file {name}"))
    assert assigned == []  # nothing before the end: a fingerprint may still be absorbed
    ingestor.finish()
    (summary,) = clusterer.summaries()
    assert assigned == [(f"e{index}", summary.fingerprint) for index in range(len(names))]
