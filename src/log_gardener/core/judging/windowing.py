"""Which period a run reads, the Logging filter that reads exactly it, and overlap dedup.  Pure.

A run covers ``[start, end)``.  The first run of a target looks back ``lookback`` from
``now - lag``; later runs start at ``cursor - overlap`` so entries that arrive late (Cloud
Logging may make an entry visible minutes after its timestamp) are still read.  Entries of the
overlap that an earlier run already counted are remembered in ``state.json`` as
``"insertId|timestamp"`` keys (``GardenerState.overlap_ids``) and skipped, so nothing is counted
twice.  A late or skipped scheduled run catches up at most ``max_catchup`` per run; the rest is
read by the next run.  ``end`` is never later than ``now - lag``, so an entry stamped in the
future is outside every window and can never move the cursor.

The filter always carries an explicit ``timestamp>=... AND timestamp<...`` clause: without one
the Python client silently adds a 24-hour default.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from log_gardener.core.judging.rules import Target
from log_gardener.errors import ConfigError, quote_value
from log_gardener.model import Severity, Window

DEFAULT_LOOKBACK = timedelta(hours=1)
DEFAULT_OVERLAP = timedelta(minutes=10)  # tolerated ingestion delay, on top of the lag
DEFAULT_LAG = timedelta(minutes=2)  # do not read the last minutes: still being ingested
DEFAULT_MAX_CATCHUP = timedelta(hours=24)

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?$"
)


# --- timestamps -------------------------------------------------------------------------------


def format_rfc3339(moment: datetime) -> str:
    """UTC, ``Z`` suffix, microseconds only when non-zero (the form Cloud Logging echoes)."""
    if moment.tzinfo is None:
        raise ValueError("a window bound must be timezone-aware")
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += "." + f"{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_rfc3339(text: object) -> datetime | None:
    """RFC 3339 text -> aware UTC datetime (nanoseconds cut to microseconds); None if bad."""
    canonical = _canonical_parts(text)
    if canonical is None:
        return None
    moment, fraction = canonical
    return moment.replace(microsecond=int((fraction + "000000")[:6]))


def _canonical_parts(text: object) -> tuple[datetime, str] | None:
    """(whole seconds in UTC, fraction digits without trailing zeros) of an RFC 3339 value."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text.strip())
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    zone = "+00:00" if offset in (None, "Z", "z") else offset
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}{zone}").astimezone(UTC)
    except ValueError:
        return None
    return moment, (fraction or "").rstrip("0")


def canonical_timestamp(text: object) -> str:
    """The same instant always renders the same way (offsets -> Z, trailing zeros dropped).

    Keeps all nine fraction digits, so two entries a nanosecond apart keep distinct keys.
    Unparseable input is returned as given (as a string), so the key is still stable.
    """
    canonical = _canonical_parts(text)
    if canonical is None:
        return str(text)
    moment, fraction = canonical
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


# --- window planning --------------------------------------------------------------------------


def plan_window(
    now: datetime,
    cursor: datetime | None,
    lookback: timedelta = DEFAULT_LOOKBACK,
    overlap: timedelta = DEFAULT_OVERLAP,
    lag: timedelta = DEFAULT_LAG,
    max_catchup: timedelta = DEFAULT_MAX_CATCHUP,
) -> Window:
    """The window of this run for one target.

    ``cursor`` is where the previous run ended (None on the first run).  A cursor later than
    ``now - lag`` (clock skew, a hand-edited state) is treated as ``now - lag``: the end of a
    window is never in the future.  ``max_catchup`` bounds ``end - start`` and must exceed
    ``overlap`` so every run makes progress.
    """
    if min(lookback, overlap, lag) < timedelta(0):
        raise ValueError("lookback, overlap and lag must not be negative")
    if max_catchup <= overlap:
        raise ValueError("max_catchup must be longer than overlap, or runs never advance")
    limit = now - lag
    # Later runs re-read ``overlap`` before the cursor: late arrivals land there.
    start = limit - min(lookback, max_catchup) if cursor is None else min(cursor, limit) - overlap
    return Window(start=start, end=min(limit, start + max_catchup))


def cursor_after(window: Window, *, truncated: bool, reached: datetime | None) -> datetime:
    """Where the next run continues: the window end, or the last complete point when cut short.

    ``reached`` is clamped into the window, so an entry with a future timestamp (or any value
    a source got wrong) never moves the cursor past what was really read.
    """
    if not truncated:
        return window.end
    if reached is None:
        return window.start
    return max(window.start, min(reached, window.end))


# --- overlap dedup ----------------------------------------------------------------------------


def overlap_key(entry: Mapping[str, object]) -> str:
    """``insertId|timestamp`` of a raw entry (camelCase API shape).

    Cloud Logging always assigns an ``insertId``; an entry without one (a hand-made file) gets a
    digest of its content instead, so identical re-reads still collapse.
    """
    stamp = canonical_timestamp(entry.get("timestamp", entry.get("receiveTimestamp", "")))
    insert_id = entry.get("insertId")
    if isinstance(insert_id, str) and insert_id:
        return f"{insert_id}|{stamp}"
    digest = hashlib.sha256(
        json.dumps(entry, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()
    return f"sha256:{digest[:24]}|{stamp}"


def key_timestamp(key: str) -> datetime | None:
    """The timestamp a key carries (after its last ``|``)."""
    return parse_rfc3339(key.rpartition("|")[2])


def next_overlap_ids(
    remembered: Iterable[str],
    counted: Iterable[str],
    cursor: datetime,
    overlap: timedelta,
) -> tuple[str, ...]:
    """Keys the next run must skip: everything counted at or after ``cursor - overlap``.

    Includes keys at or after the cursor itself: when a fetch was truncated at instant T, some
    entries stamped T were already counted and the next run reads T again.  Keys from older runs
    that the next window no longer reaches are dropped, so the list stays small.
    """
    horizon = cursor - overlap
    kept = set()
    for key in (*remembered, *counted):
        stamp = key_timestamp(key)
        if stamp is not None and stamp >= horizon:
            kept.add(key)
    return tuple(sorted(kept))


class OverlapLedger:
    """Per-run accumulator: which entries to skip, and which were counted (pure, no I/O).

    Seed it with ``state.overlap_ids[target]``; call ``admit(entry)`` for every raw entry and
    count the entry only when it returns True (also drops an entry repeated within the run);
    at the end ``next_ids(cursor, overlap)`` is the new ``overlap_ids[target]``.
    """

    def __init__(self, remembered: Iterable[str] = ()) -> None:
        self._remembered = frozenset(remembered)
        self._counted: set[str] = set()

    def admit(self, entry: Mapping[str, object]) -> bool:
        key = overlap_key(entry)
        if key in self._remembered or key in self._counted:
            return False
        self._counted.add(key)
        return True

    @property
    def counted(self) -> frozenset[str]:
        return frozenset(self._counted)

    def next_ids(self, cursor: datetime, overlap: timedelta) -> tuple[str, ...]:
        return next_overlap_ids(self._remembered, self._counted, cursor, overlap)


# --- the Logging filter -----------------------------------------------------------------------


def quote_filter_string(value: str) -> str:
    """A Logging query string literal: double quotes, backslash and quote escaped."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigError(
            f"the value {quote_value(value)} contains a control character",
            fix="use a plain Cloud Run service name (letters, digits and hyphens)",
        )
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_filter(target: Target, window: Window) -> str:
    """The exact Logging filter for one target and window, clauses joined by ``AND``.

    The window clause comes first and the raw filter last, in parentheses.  In the Logging
    query language ``OR`` binds tighter than ``AND``, so nothing in the raw filter can widen
    the window or the service clause; unbalanced parentheses are rejected anyway.
    """
    clauses = [
        f"timestamp>={quote_filter_string(format_rfc3339(window.start))}",
        f"timestamp<{quote_filter_string(format_rfc3339(window.end))}",
    ]
    if target.service:
        clauses.append('resource.type="cloud_run_revision"')
        clauses.append(f"resource.labels.service_name={quote_filter_string(target.service)}")
    if target.min_severity > Severity.DEFAULT:
        clauses.append(f"severity>={target.min_severity.name}")
    raw = target.filter.strip()
    if raw:
        clauses.append(_parenthesized(raw, target.name))
    return " AND ".join(clauses)


def _parenthesized(raw: str, target_name: str) -> str:
    if not _balanced(raw):
        raise ConfigError(
            f"the filter of target {quote_value(target_name)} has unbalanced parentheses or "
            f"quotes: {quote_value(raw, limit=300)}",
            fix="check the filter in the Logs Explorer query box, then copy it unchanged",
        )
    # A "--" comment or a line break would swallow a closing parenthesis on the same line.
    if "\n" in raw or "--" in raw:
        return f"(\n{raw}\n)"
    return f"({raw})"


def _balanced(text: str) -> bool:
    depth = 0
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not in_string
