"""Entries in, clusters out: normalize, filter, deduplicate and cluster one stream.  Pure.

The ingest step keeps counters and a bounded list of malformed examples; memory grows with
clusters, not with entries.  Duplicates (the same ``insertId`` and timestamp) are dropped only
inside a feed's overlap, the start of its window that the previous run read too: one small
integer per entry there, none elsewhere (Cloud Logging keeps one entry per ``insertId`` and
timestamp, so a read without overlap has no repeats to drop).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from log_gardener.core.grouping.cluster import Clusterer, message_template
from log_gardener.core.grouping.infra import InfraTracker
from log_gardener.core.grouping.log_analytics import WeightedEntry
from log_gardener.core.grouping.normalize import Glance, glance_below, normalize_entry
from log_gardener.core.grouping.platform import platform_key, platform_template
from log_gardener.core.grouping.problems import Observer
from log_gardener.core.judging.rules import RulesConfig, custom_group_key
from log_gardener.model import LogRecord, MalformedEntry, Severity, Window

MALFORMED_EXAMPLES = 50  # malformed entries listed by line number in the worklog


def _digest(record: LogRecord) -> int:
    """Cloud Logging's own identity of an entry (insertId and timestamp), in 8 bytes."""
    key = f"{record.insert_id}|{record.timestamp.isoformat()}"
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


Grouping = tuple[str | None, str | None, str | None, bool]
"""What a worker process works out for the ingest step: (custom grouping key, platform
catalogue key, message template, whether the entry had no timestamp)."""


def prepare(
    raw: object,
    line_no: int,
    min_severity: Severity,
    config: RulesConfig,
    grouping_rules: bool,
    fallback: datetime | None = None,
) -> Glance | MalformedEntry | tuple[LogRecord, Grouping]:
    """The work of ``Ingestor.add`` that needs no state, as a worker process does it: a glance
    at an entry below ``min_severity``, a malformed entry, or the record with its grouping.
    ``grouping_rules``: whether some rule of ``config`` has a ``group_by``; ``fallback``: the
    window start (the time of an entry without any timestamp)."""
    if type(raw) is dict and min_severity > Severity.DEFAULT:
        glance = glance_below(raw, min_severity)
        if glance is not None:
            return glance
    record = raw if isinstance(raw, MalformedEntry) else normalize_entry(raw, line_no, fallback)
    if isinstance(record, MalformedEntry):
        return record
    no_timestamp = type(raw) is dict and raw.get("timestamp") is None
    key = custom_group_key(config, record) if grouping_rules else None
    platform = platform_key(record)
    template = None
    if key is None and platform is None and not record.frames:
        template = message_template(record.message)
    return record, (key, platform, template, no_timestamp)


@dataclass(frozen=True)
class IngestCounts:
    read: int
    kept: int
    skipped_severity: int
    skipped_window: int
    duplicates: int
    malformed: int
    unknown_severity: int = 0
    no_timestamp: int = 0  # read at their receiveTimestamp, else the window start

    @property
    def skipped(self) -> int:
        return self.skipped_severity + self.skipped_window + self.duplicates


@dataclass
class Ingestor:
    """Feeds one run's entries to the clusterer.  ``assign`` receives (insertId, fingerprint)
    for each kept entry when ``finish`` is called: a cluster that split off for want of
    evidence may be absorbed later in the run, so the final fingerprints are known only then."""

    clusterer: Clusterer
    config: RulesConfig
    min_severity: Severity
    window: Window | None
    assign: Callable[[str, str], None] | None = None
    infra: InfraTracker = field(default_factory=InfraTracker)
    observer: Observer | None = None  # collects what the problem layer links (core.problems)
    # The counts of ``IngestCounts`` (plain integers: two of them change for every entry).
    _n_read: int = 0
    _n_kept: int = 0
    _n_skipped_severity: int = 0
    _n_skipped_window: int = 0
    _n_duplicates: int = 0
    _n_malformed: int = 0
    _n_no_timestamp: int = 0
    _n_unknown_severity: int = 0
    _seen: set[int] = field(default_factory=set)
    _assigned: list[tuple[str, str]] = field(default_factory=list)
    malformed_examples: list[MalformedEntry] = field(default_factory=list)
    warnings: list[MalformedEntry] = field(default_factory=list)  # read, but worth a note

    def __post_init__(self) -> None:
        self._dedup_until: datetime | None = None  # entries before it may repeat: see start_feed
        # Only pay for per-record rule matching when some rule defines a grouping key.
        self._grouping_rules = any(rule.group_by for rule in self.config.rules)

    def start_feed(
        self, window: Window | None, min_severity: Severity, overlap: timedelta = timedelta(0)
    ) -> None:
        """The next target: its window, minimum severity and overlap with the previous run."""
        self.window = window
        self.min_severity = min_severity
        self._dedup_until = window.start + overlap if window is not None and overlap else None

    def count_already_counted(self) -> None:
        """An entry an earlier run counted (read again in the overlap window)."""
        self._n_read += 1
        self._n_duplicates += 1

    def add(self, line_no: int, raw: object) -> None:
        if type(raw) is WeightedEntry:
            self._add_weighted(line_no, raw)
            return
        self._n_read += 1
        if type(raw) is dict and self.min_severity > Severity.DEFAULT:
            # Most entries of a real hour are below the minimum (INFO request logs): they are
            # counted and shown to the platform signals without building a record.
            glance = glance_below(raw, self.min_severity)
            if glance is not None:
                self._skip_below(glance)
                return
        fallback = self.window.start if self.window is not None else None
        record = raw if isinstance(raw, MalformedEntry) else normalize_entry(raw, line_no, fallback)
        no_timestamp = type(raw) is dict and raw.get("timestamp") is None
        self._add_record(line_no, record, no_timestamp, None)

    def add_glanced(self, glance: Glance) -> None:
        """``add`` of an entry a worker process glanced at (``prepare`` gave a ``Glance``)."""
        self._n_read += 1
        self._skip_below(glance)

    def add_prepared(
        self, line_no: int, record: LogRecord | MalformedEntry, grouping: Grouping | None
    ) -> None:
        """``add`` of an entry a worker process prepared (``prepare`` gave a record)."""
        self._n_read += 1
        no_timestamp = grouping is not None and grouping[3]
        self._add_record(line_no, record, no_timestamp, grouping)

    def _add_record(
        self,
        line_no: int,
        record: LogRecord | MalformedEntry,
        no_timestamp: bool,
        grouping: Grouping | None,
    ) -> None:
        if isinstance(record, MalformedEntry):
            self._malformed(record)
            return
        if no_timestamp:
            self._no_timestamp(line_no, record)
        if record.severity_unknown:
            self._n_unknown_severity += 1
            if len(self.warnings) < MALFORMED_EXAMPLES:
                self.warnings.append(
                    MalformedEntry(line_no, "unknown severity, read as DEFAULT", record.insert_id)
                )
        window = self.window  # Window.contains inlined: this runs for every entry
        if window is not None and not window.start <= record.timestamp < window.end:
            self._n_skipped_window += 1
            return
        self.infra.observe(record)  # platform signals are often INFO: look before the filter
        if record.severity < self.min_severity:
            self._n_skipped_severity += 1
            return
        if self._is_duplicate(record):
            self._n_duplicates += 1
            return
        self._keep(record, grouping)

    def _add_weighted(self, line_no: int, item: WeightedEntry) -> None:
        """A Log Analytics group's share: a real sample, or a stand-in for ``weight`` entries
        (the same steps as ``add``, each counting ``weight``; no duplicate check: Log Analytics
        does not deduplicate, and a stand-in has no identity)."""
        weight = item.weight
        self._n_read += weight
        record = normalize_entry(dict(item.entry), line_no)
        if isinstance(record, MalformedEntry):
            self._n_malformed += weight
            if len(self.malformed_examples) < MALFORMED_EXAMPLES:
                self.malformed_examples.append(record)
            return
        record = replace(
            record,
            timestamp=item.timestamp,
            severity=item.severity,
            revision=item.revision,
            weight=weight,
            stand_in=not item.sample,
            insert_id=record.insert_id if item.sample else "",
        )
        if self.window is not None and not self.window.contains(record.timestamp):
            self._n_skipped_window += weight
            return
        self.infra.observe(record)
        if record.severity < self.min_severity:
            self._n_skipped_severity += weight
            return
        self._n_kept += weight
        key = custom_group_key(self.config, record) if self._grouping_rules else None
        platform = platform_key(record)  # as ``_keep``: the group key keeps codes and statuses
        if key is None and platform is not None:
            fingerprint = self.clusterer.add(record, platform, platform_template(platform))
        else:
            fingerprint = self.clusterer.add(record, key)
        if self.observer is not None and (item.links or item.notes):
            self._observe_group(record, fingerprint, platform, item)
        if self.assign is not None and item.sample:
            self.assign(record.insert_id, fingerprint)

    def _observe_group(
        self, base: LogRecord, fingerprint: str, platform: str | None, item: WeightedEntry
    ) -> None:
        """What the problem layer needs of a Log Analytics group's entries: each entry that may
        be a signal is the group's record at its own moment, instance, trace and operation
        (``Observer.observe`` decides its role, as for a pulled entry); the others are notes,
        known by the (revision, instance) places they were seen at."""
        observer = self.observer
        assert observer is not None
        labels = {k: v for k, v in base.labels.items() if k != "instanceId"}
        for row in item.links:
            http = base.http
            if http is not None:
                http = replace(http, latency=f"{row.latency_s!r}s" if row.latency_s else "")
            record = replace(
                base,
                timestamp=row.timestamp,
                severity=row.severity,
                revision=row.revision,
                labels={**labels, "instanceId": row.instance} if row.instance else labels,
                trace=row.trace,
                operation=row.operation,
                http=http,
                weight=1,
            )
            observer.observe(record, fingerprint, platform)
        severity = min(base.severity, Severity.WARNING)
        for revision, instance in item.notes:
            record = replace(
                base,
                severity=severity,
                revision=revision,
                labels={**labels, "instanceId": instance},
                weight=1,
            )
            observer.observe(record, fingerprint, platform)

    def _skip_below(self, glance: Glance) -> None:
        # The same steps as ``add`` for such an entry: window, platform signals, severity.
        window = self.window  # Window.contains inlined, as in ``_add_record``
        if window is not None and not window.start <= glance.timestamp < window.end:
            self._n_skipped_window += 1
            return
        self.infra.observe_parts(
            glance.revision, glance.timestamp, glance.http_status, glance.message
        )
        self._n_skipped_severity += 1

    def _no_timestamp(self, line_no: int, record: LogRecord) -> None:
        """Processed, never dropped, and said so; the cursor never moves for it (the sources
        move it by ``timestamp`` alone)."""
        self._n_no_timestamp += 1
        at = "its receiveTimestamp" if record.receive_timestamp else "the window start"
        if len(self.warnings) < MALFORMED_EXAMPLES:
            self.warnings.append(
                MalformedEntry(line_no, f"no timestamp, read at {at}", record.insert_id)
            )

    def _malformed(self, entry: MalformedEntry) -> None:
        self._n_malformed += 1
        if len(self.malformed_examples) < MALFORMED_EXAMPLES:
            self.malformed_examples.append(entry)

    def _is_duplicate(self, record: LogRecord) -> bool:
        if not record.insert_id or self._dedup_until is None:
            return False
        if record.timestamp >= self._dedup_until:
            return False
        digest = _digest(record)
        if digest in self._seen:
            return True
        self._seen.add(digest)
        return False

    def _keep(self, record: LogRecord, grouping: Grouping | None = None) -> None:
        self._n_kept += 1
        if grouping is None:
            key = custom_group_key(self.config, record) if self._grouping_rules else None
            platform = platform_key(record)  # the catalogue keeps exit codes and statuses apart
            template = None
        else:
            key, platform, template = grouping[0], grouping[1], grouping[2]
        if key is None and platform is not None:
            fingerprint = self.clusterer.add(record, platform, platform_template(platform))
        else:
            fingerprint = self.clusterer.add(record, key, template=template)
        if self.observer is not None:
            self.observer.observe(record, fingerprint, platform)
        if self.assign is not None:
            self._assigned.append((record.insert_id, fingerprint))

    def finish(self) -> None:
        """Hands the kept entries' final fingerprints to ``assign`` (once)."""
        if self.assign is not None:
            resolve = self.clusterer.resolve
            for insert_id, fingerprint in self._assigned:
                self.assign(insert_id, resolve(fingerprint))
        self._assigned.clear()

    def counts(self) -> IngestCounts:
        return IngestCounts(
            read=self._n_read,
            kept=self._n_kept,
            skipped_severity=self._n_skipped_severity,
            skipped_window=self._n_skipped_window,
            duplicates=self._n_duplicates,
            malformed=self._n_malformed,
            no_timestamp=self._n_no_timestamp,
            unknown_severity=self._n_unknown_severity,
        )
