"""Window planning, the Logging filter, cursor advance and overlap dedup (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from log_gardener.core.judging.rules import Target
from log_gardener.core.judging.windowing import (
    OverlapLedger,
    build_filter,
    canonical_timestamp,
    cursor_after,
    format_rfc3339,
    next_overlap_ids,
    overlap_key,
    parse_rfc3339,
    plan_window,
)
from log_gardener.errors import ConfigError
from log_gardener.model import Severity, Window

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def t(hh: int, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(2024, 5, 1, hh, mm, ss, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cursor", "expected"),
    [
        (None, Window(t(10, 58), t(11, 58))),  # first run: lookback from now - lag
        (t(11, 0), Window(t(10, 50), t(11, 58))),  # later run: cursor - overlap
        (t(5, 0), Window(t(4, 50), t(7, 50))),  # catch-up capped at 3h, the rest next time
        (t(13, 0), Window(t(11, 48), t(11, 58))),  # a cursor in the future: end never is
    ],
)
def test_plan_window(cursor: datetime | None, expected: Window) -> None:
    window = plan_window(NOW, cursor, lookback=H, overlap=10 * M, lag=2 * M, max_catchup=3 * H)
    assert window == expected


def test_plan_window_defaults_and_guards() -> None:
    assert plan_window(NOW, None) == Window(t(10, 58), t(11, 58))
    with pytest.raises(ValueError, match="max_catchup"):
        plan_window(NOW, t(11), overlap=H, max_catchup=H)
    with pytest.raises(ValueError, match="negative"):
        plan_window(NOW, t(11), lag=-M)


def test_catch_up_converges_over_runs() -> None:
    cursor = t(1)
    windows = []
    for _ in range(5):
        window = plan_window(NOW, cursor, overlap=10 * M, lag=2 * M, max_catchup=4 * H)
        windows.append(window)
        cursor = cursor_after(window, truncated=False, reached=None)
    assert [w.end for w in windows] == [t(4, 50), t(8, 40), t(11, 58), t(11, 58), t(11, 58)]
    assert all(w.end <= NOW - 2 * M for w in windows)


@pytest.mark.parametrize(
    ("truncated", "reached", "expected"),
    [
        (False, None, t(11)),
        (False, t(10, 30), t(11)),
        (True, t(10, 30), t(10, 30)),
        (True, None, t(10)),  # nothing complete: stay at the start
        (True, t(13), t(11)),  # a future timestamp never moves the cursor past the window
        (True, t(9), t(10)),
    ],
)
def test_cursor_after(truncated: bool, reached: datetime | None, expected: datetime) -> None:
    assert cursor_after(Window(t(10), t(11)), truncated=truncated, reached=reached) == expected


@pytest.mark.parametrize(
    ("text", "canonical", "parsed"),
    [
        ("2024-05-01T11:00:00Z", "2024-05-01T11:00:00Z", t(11)),
        ("2024-05-01T11:00:00.000000000Z", "2024-05-01T11:00:00Z", t(11)),
        ("2024-05-01T13:00:00.5+02:00", "2024-05-01T11:00:00.5Z", t(11, 0, 0, 500000)),
        ("2024-05-01T11:00:00.123456789Z", "2024-05-01T11:00:00.123456789Z", t(11, 0, 0, 123456)),
        ("2024-05-01 11:00:00", "2024-05-01T11:00:00Z", t(11)),
        ("yesterday", "yesterday", None),
    ],
)
def test_timestamps(text: str, canonical: str, parsed: datetime | None) -> None:
    assert canonical_timestamp(text) == canonical
    assert parse_rfc3339(text) == parsed


def test_format_rfc3339() -> None:
    assert format_rfc3339(t(11, 5, 7)) == "2024-05-01T11:05:07Z"
    assert format_rfc3339(t(11, 5, 7, 250000)) == "2024-05-01T11:05:07.25Z"
    assert format_rfc3339(datetime(2024, 5, 1, 13, tzinfo=UTC).astimezone()) == (
        "2024-05-01T13:00:00Z"
    )
    with pytest.raises(ValueError, match="timezone"):
        format_rfc3339(datetime(2024, 5, 1))


WINDOW = Window(t(11), t(12))


def test_filter_for_a_service() -> None:
    target = Target("shop", project="p", service="shop-api")
    assert build_filter(target, WINDOW) == (
        'timestamp>="2024-05-01T11:00:00Z" AND timestamp<"2024-05-01T12:00:00Z" AND '
        'resource.type="cloud_run_revision" AND resource.labels.service_name="shop-api" AND '
        "severity>=WARNING"
    )


def test_filter_with_raw_filter_and_severity() -> None:
    target = Target(
        "jobs",
        project="p",
        filter='logName:"stderr" OR jsonPayload.x="a(b"',
        min_severity=Severity.ERROR,
    )
    assert build_filter(target, Window(t(11, 0, 0, 500), t(12))) == (
        'timestamp>="2024-05-01T11:00:00.0005Z" AND timestamp<"2024-05-01T12:00:00Z" AND '
        'severity>=ERROR AND (logName:"stderr" OR jsonPayload.x="a(b")'
    )


def test_filter_escapes_quotes_and_guards_comments() -> None:
    target = Target(
        "x",
        project="p",
        service='we"ird\\',
        filter="severity>=ERROR -- only errors",
        min_severity=Severity.DEFAULT,
    )
    assert build_filter(target, WINDOW) == (
        'timestamp>="2024-05-01T11:00:00Z" AND timestamp<"2024-05-01T12:00:00Z" AND '
        'resource.type="cloud_run_revision" AND resource.labels.service_name="we\\"ird\\\\" AND '
        "(\nseverity>=ERROR -- only errors\n)"
    )


@pytest.mark.parametrize(
    ("service", "raw", "message"),
    [
        ("a\nb", "", "control character"),
        ("", "a) OR (b", "unbalanced"),
        ("", 'text:"open', "unbalanced"),
        ("", "(a", "unbalanced"),
    ],
)
def test_filter_rejects_unsafe_values(service: str, raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_filter(Target("x", project="p", service=service, filter=raw), WINDOW)


def test_overlap_key() -> None:
    entry = {"insertId": "abc", "timestamp": "2024-05-01T13:00:00.100+02:00"}
    assert overlap_key(entry) == "abc|2024-05-01T11:00:00.1Z"
    anonymous = {"timestamp": "2024-05-01T11:00:00Z", "textPayload": "x"}
    key = overlap_key(anonymous)
    assert key.startswith("sha256:") and key.endswith("|2024-05-01T11:00:00Z")
    assert overlap_key(dict(anonymous)) == key
    assert overlap_key({**anonymous, "textPayload": "y"}) != key


def test_next_overlap_ids_keeps_the_overlap_and_everything_after_the_cursor() -> None:
    remembered = ["old|2024-05-01T10:40:00Z", "edge|2024-05-01T10:50:00Z"]
    counted = ["a|2024-05-01T10:55:00Z", "b|2024-05-01T11:00:00Z", "c|2024-05-01T10:49:59Z"]
    assert next_overlap_ids(remembered, counted, t(11), 10 * M) == (
        "a|2024-05-01T10:55:00Z",
        "b|2024-05-01T11:00:00Z",
        "edge|2024-05-01T10:50:00Z",
    )


def test_ledger_skips_remembered_and_repeated_entries() -> None:
    ledger = OverlapLedger(["a|2024-05-01T11:00:00Z"])
    entries = [
        {"insertId": "a", "timestamp": "2024-05-01T11:00:00Z"},
        {"insertId": "b", "timestamp": "2024-05-01T11:01:00Z"},
        {"insertId": "b", "timestamp": "2024-05-01T11:01:00.000Z"},
        {"insertId": "a", "timestamp": "2024-05-01T11:02:00Z"},  # same id, other time: new
    ]
    assert [ledger.admit(e) for e in entries] == [False, True, False, True]
    assert ledger.next_ids(t(11, 2), M) == ("a|2024-05-01T11:02:00Z", "b|2024-05-01T11:01:00Z")
