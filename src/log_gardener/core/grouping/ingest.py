"""Entries in, clusters out: normalize, filter, deduplicate and cluster one stream.  Pure.

The ingest step keeps counters and a bounded list of malformed examples; per-entry memory is
limited to one small integer per distinct ``insertId|timestamp`` (to drop duplicates, as Cloud
Logging itself does), so memory grows with clusters, not with the text of entries.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from log_gardener.core.grouping.cluster import Clusterer
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
    _counts: Counter[str] = field(default_factory=Counter)
    _seen: set[int] = field(default_factory=set)
    _assigned: list[tuple[str, str]] = field(default_factory=list)
    malformed_examples: list[MalformedEntry] = field(default_factory=list)
    warnings: list[MalformedEntry] = field(default_factory=list)  # read, but worth a note

    def __post_init__(self) -> None:
        # Only pay for per-record rule matching when some rule defines a grouping key.
        self._grouping_rules = any(rule.group_by for rule in self.config.rules)

    def start_feed(self, window: Window | None, min_severity: Severity) -> None:
        """The next target: its window and minimum severity."""
        self.window = window
        self.min_severity = min_severity

    def count_already_counted(self) -> None:
        """An entry an earlier run counted (read again in the overlap window)."""
        self._counts["read"] += 1
        self._counts["duplicates"] += 1

    def add(self, line_no: int, raw: object) -> None:
        if type(raw) is WeightedEntry:
            self._add_weighted(line_no, raw)
            return
        self._counts["read"] += 1
        if type(raw) is dict and self.min_severity > Severity.DEFAULT:
            # Most entries of a real hour are below the minimum (INFO request logs): they are
            # counted and shown to the platform signals without building a record.
            glance = glance_below(raw, self.min_severity)
            if glance is not None:
                self._skip_below(glance)
                return
        fallback = self.window.start if self.window is not None else None
        record = raw if isinstance(raw, MalformedEntry) else normalize_entry(raw, line_no, fallback)
        if isinstance(record, MalformedEntry):
            self._malformed(record)
            return
        if type(raw) is dict and raw.get("timestamp") is None:
            self._no_timestamp(line_no, record)
        if record.severity_unknown:
            self._counts["unknown_severity"] += 1
            if len(self.warnings) < MALFORMED_EXAMPLES:
                self.warnings.append(
                    MalformedEntry(line_no, "unknown severity, read as DEFAULT", record.insert_id)
                )
        if self.window is not None and not self.window.contains(record.timestamp):
            self._counts["skipped_window"] += 1
            return
        self.infra.observe(record)  # platform signals are often INFO: look before the filter
        if record.severity < self.min_severity:
            self._counts["skipped_severity"] += 1
            return
        if self._is_duplicate(record):
            self._counts["duplicates"] += 1
            return
        self._keep(record)

    def _add_weighted(self, line_no: int, item: WeightedEntry) -> None:
        """A Log Analytics group's share: a real sample, or a stand-in for ``weight`` entries
        (the same steps as ``add``, each counting ``weight``; no duplicate check: Log Analytics
        does not deduplicate, and a stand-in has no identity)."""
        weight = item.weight
        self._counts["read"] += weight
        record = normalize_entry(dict(item.entry), line_no)
        if isinstance(record, MalformedEntry):
            self._counts["malformed"] += weight
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
            self._counts["skipped_window"] += weight
            return
        self.infra.observe(record)
        if record.severity < self.min_severity:
            self._counts["skipped_severity"] += weight
            return
        self._counts["kept"] += weight
        key = custom_group_key(self.config, record) if self._grouping_rules else None
        fingerprint = self.clusterer.add(record, key)
        if self.assign is not None and item.sample:
            self.assign(record.insert_id, fingerprint)

    def _skip_below(self, glance: Glance) -> None:
        # The same steps as ``add`` for such an entry: window, platform signals, severity.
        if self.window is not None and not self.window.contains(glance.timestamp):
            self._counts["skipped_window"] += 1
            return
        self.infra.observe_parts(
            glance.revision, glance.timestamp, glance.http_status, glance.message
        )
        self._counts["skipped_severity"] += 1

    def _no_timestamp(self, line_no: int, record: LogRecord) -> None:
        """Processed, never dropped, and said so; the cursor never moves for it (the sources
        move it by ``timestamp`` alone)."""
        self._counts["no_timestamp"] += 1
        at = "its receiveTimestamp" if record.receive_timestamp else "the window start"
        if len(self.warnings) < MALFORMED_EXAMPLES:
            self.warnings.append(
                MalformedEntry(line_no, f"no timestamp, read at {at}", record.insert_id)
            )

    def _malformed(self, entry: MalformedEntry) -> None:
        self._counts["malformed"] += 1
        if len(self.malformed_examples) < MALFORMED_EXAMPLES:
            self.malformed_examples.append(entry)

    def _is_duplicate(self, record: LogRecord) -> bool:
        if not record.insert_id:
            return False
        digest = _digest(record)
        if digest in self._seen:
            return True
        self._seen.add(digest)
        return False

    def _keep(self, record: LogRecord) -> None:
        self._counts["kept"] += 1
        key = custom_group_key(self.config, record) if self._grouping_rules else None
        platform = platform_key(record)  # the catalogue keeps exit codes and statuses apart
        if key is None and platform is not None:
            fingerprint = self.clusterer.add(record, platform, platform_template(platform))
        else:
            fingerprint = self.clusterer.add(record, key)
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
            read=self._counts["read"],
            kept=self._counts["kept"],
            skipped_severity=self._counts["skipped_severity"],
            skipped_window=self._counts["skipped_window"],
            duplicates=self._counts["duplicates"],
            malformed=self._counts["malformed"],
            no_timestamp=self._counts["no_timestamp"],
            unknown_severity=self._counts["unknown_severity"],
        )
