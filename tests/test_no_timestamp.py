"""Entries without a timestamp are processed, dated by their receiveTimestamp or else the window
start, said so in the worklog and the report, and never move the cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from log_gardener.core.grouping.normalize import normalize_entry
from log_gardener.model import LogRecord, MalformedEntry
from tests.exposure import publish_through_action


def _entry(n: int, **stamps: str) -> dict[str, Any]:
    return {
        "insertId": f"id-{n}",
        **stamps,
        "severity": "ERROR",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "shop"}},
        "textPayload": f"payment declined for order {n}",
    }


def _run(tmp: Path, entries: list[dict[str, Any]]) -> dict[str, Any]:
    source = tmp / "entries.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    workspace = tmp / "workspace"
    workspace.mkdir()
    return publish_through_action(workspace, source)


STAMPED = [_entry(1, timestamp="2025-06-03T10:00:00Z"), _entry(2, timestamp="2025-06-03T10:20:00Z")]
UNSTAMPED = [_entry(3, receiveTimestamp="2025-06-03T10:10:00Z"), _entry(4)]


def test_entries_without_a_timestamp_are_processed_and_noted(tmp_path: Path) -> None:
    published = _run(tmp_path, STAMPED + UNSTAMPED)
    assert published["code"] == 0, published["stdout"]
    report = json.loads(published["report"])
    assert report["entries"]["no_timestamp"] == 2
    assert report["entries"]["kept"] == 4
    assert report["entries"]["malformed"] == 0
    reasons = sorted(w["reason"] for w in report["warnings"])
    assert reasons == [
        "no timestamp, read at its receiveTimestamp",
        "no timestamp, read at the window start",
    ]
    worklog = "".join(t for p, t in published["files"].items() if p.endswith(".md"))
    assert "2 entries had no timestamp" in worklog
    assert "line 4: no timestamp, read at the window start" in worklog
    assert any("4" in body for body in published["bodies"])  # the problem counts all four


def test_entries_without_a_timestamp_never_move_the_cursor(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_them = _run(tmp_path / "a", STAMPED + UNSTAMPED)
    without = _run(tmp_path / "b", STAMPED)

    def cursors(published: dict[str, Any]) -> Any:
        state = next(t for p, t in published["files"].items() if p.endswith("state.json"))
        return json.loads(state)["cursors"]

    assert cursors(with_them) == cursors(without)


def test_normalize_dates_by_receive_timestamp_then_the_fallback() -> None:
    start = datetime(2025, 6, 3, 10, 0, tzinfo=UTC)
    received = normalize_entry(UNSTAMPED[0], 1, start)
    alone = normalize_entry(UNSTAMPED[1], 2, start)
    assert isinstance(received, LogRecord) and isinstance(alone, LogRecord)
    assert received.timestamp == datetime(2025, 6, 3, 10, 10, tzinfo=UTC)
    assert alone.timestamp == start
    assert isinstance(normalize_entry(UNSTAMPED[1], 2), MalformedEntry)  # no window, no date
