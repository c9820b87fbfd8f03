"""Grouping records into clusters, online, memory bounded by the number of clusters.  Pure.

    clusterer = Clusterer(window, known)     # known: Sequence[KnownCluster] from state.json
    fp = clusterer.add(record, custom_key)   # the record's final fingerprint, at once
    summaries = clusterer.summaries()        # list[ClusterSummary], in order of first record
    known = clusterer.known_clusters()       # what state.json should remember (this run's view)

Grouping, in order: a rule's custom key; a stack trace (exception type + innermost in-app
frames); otherwise the masked message within (service, logger).  Message groups then merge by
similarity, Drain-like but without a prefix tree: a record whose template has the same number of
tokens as a cluster's, agrees on enough of them and differs only in positions that do not look
constant (keys, verbs, function words) joins it, and the cluster template shows ``<*>`` there.
A cluster's fingerprint comes from its *first* template and never changes, so ``add`` answers
at once; clusters known from earlier runs are seeded first, so later runs attach to them.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from log_gardener.core import fingerprint
from log_gardener.core.fingerprint import WILDCARD
from log_gardener.core.state import KnownCluster
from log_gardener.model import (
    ClusterSummary,
    GroupingKind,
    LogRecord,
    Severity,
    StackFrame,
    Window,
)

SIMILARITY = 0.5
"""Share of token positions that must agree exactly for a record to join a cluster."""

_KEYED_WILDCARD = "=" + WILDCARD
MAX_SET = 50  # services, revisions and locations kept per cluster
_EXACT_LIMIT = 200_000  # (service, logger, template) -> cluster cache entries before a reset

# Words whose change means a different event, not a different value: outcomes, directions,
# actions and function words.  Two differing positions holding such words never merge.
_PROTECTED_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "to",
        "from",
        "in",
        "out",
        "on",
        "off",
        "of",
        "for",
        "by",
        "with",
        "at",
        "into",
        "onto",
        "over",
        "under",
        "up",
        "down",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "not",
        "no",
        "yes",
        "and",
        "or",
        "but",
        "if",
        "then",
        "else",
        "than",
        "when",
        "while",
        "after",
        "before",
        "open",
        "close",
        "start",
        "stop",
        "begin",
        "end",
        "enter",
        "exit",
        "add",
        "remove",
        "insert",
        "delete",
        "create",
        "drop",
        "update",
        "get",
        "set",
        "put",
        "post",
        "read",
        "write",
        "load",
        "save",
        "send",
        "receive",
        "connect",
        "disconnect",
        "allow",
        "deny",
        "accept",
        "reject",
        "grant",
        "revoke",
        "enable",
        "disable",
        "login",
        "logout",
        "success",
        "successful",
        "failure",
        "fail",
        "error",
        "ok",
        "hit",
        "miss",
        "found",
        "lost",
        "new",
        "old",
        "all",
        "none",
        "some",
        "any",
        "first",
        "last",
        "min",
        "max",
        "high",
        "low",
        "full",
        "empty",
        "startup",
        "shutdown",
        "restart",
        "reboot",
        "view",
        "modify",
        "lock",
        "unlock",
        "mount",
        "unmount",
        "upload",
        "download",
        "import",
        "export",
        "request",
        "response",
        "sent",
        "inbound",
        "outbound",
        "local",
        "remote",
        "primary",
        "secondary",
        "leader",
        "follower",
    }
)


@dataclass(slots=True)
class _Cluster:
    fingerprint: str
    kind: GroupingKind
    tokens: list[str]
    logger: str
    service: str
    order: int
    exception_type: str = ""
    exception_value: str = ""
    top_frames: tuple[StackFrame, ...] = ()
    count: int = 0
    severity_counts: dict[Severity, int] = field(default_factory=dict)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    services: dict[str, None] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)
    locations: dict[str, None] = field(default_factory=dict)
    first: LogRecord | None = None
    middle: LogRecord | None = None  # the record at the largest power of two <= count
    earlier_middle: LogRecord | None = None  # ... and at the power of two before it
    last: LogRecord | None = None
    buckets: list[int] = field(default_factory=list)
    shown: int = 0  # records that may be samples (not Log Analytics stand-ins)


class Clusterer:
    """Online grouping of one run's records; deterministic for a given input order."""

    def __init__(
        self,
        window: Window,
        known: Sequence[KnownCluster] = (),
        buckets: int = 12,
        sample_limit: int = 3,
    ) -> None:
        self._start = window.start.timestamp()
        span = window.end.timestamp() - self._start
        self._bucket_count = max(1, buckets)
        self._bucket_width = span / self._bucket_count if span > 0 else 0.0
        self._sample_limit = max(1, sample_limit)
        self._by_fp: dict[str, _Cluster] = {}
        self._similar: dict[tuple[str, str, int], list[_Cluster]] = {}
        self._exact: dict[tuple[str, str, str], _Cluster] = {}
        self._stack_cache: dict[tuple[object, ...], str] = {}
        for item in known:
            self._seed(item)

    # --- grouping ---------------------------------------------------------------------------

    def add(
        self, record: LogRecord, custom_key: str | None = None, custom_template: str = ""
    ) -> str:
        """Counts ``record`` into its cluster and returns the cluster's (final) fingerprint."""
        if custom_key is not None:
            cluster = self._custom(record, custom_key, custom_template)
        elif record.frames:
            cluster = self._stack(record)
        else:
            cluster = self._message(record)
        self._count(cluster, record)
        return cluster.fingerprint

    def _custom(self, record: LogRecord, key: str, template: str = "") -> _Cluster:
        fp = fingerprint.custom_fingerprint(key)
        cluster = self._by_fp.get(fp)
        if cluster is None:
            cluster = self._new(fp, GroupingKind.CUSTOM, record, template)
        return cluster

    def _stack(self, record: LogRecord) -> _Cluster:
        cache_key = (record.exception_type, record.frames)
        fp = self._stack_cache.get(cache_key)
        if fp is None:
            fp = fingerprint.stack_fingerprint(record.exception_type, record.frames)
            if len(self._stack_cache) >= _EXACT_LIMIT:
                self._stack_cache.clear()
            self._stack_cache[cache_key] = fp
        cluster = self._by_fp.get(fp)
        if cluster is None:
            cluster = self._new(fp, GroupingKind.STACK, record, "")
            cluster.top_frames = fingerprint.top_frames(record.frames)
        return cluster

    def _message(self, record: LogRecord) -> _Cluster:
        template = fingerprint.mask_message(record.message)
        exact_key = (record.service, record.logger, template)
        cluster = self._exact.get(exact_key)
        if cluster is not None:
            return cluster
        tokens = template.split(" ")
        cluster = self._most_similar(record.service, record.logger, tokens)
        if cluster is None:
            fp = fingerprint.message_fingerprint(template, record.logger, record.service)
            existing = self._by_fp.get(fp)
            if existing is not None:
                cluster = existing  # an equal first template in another guise: same cluster
            else:
                cluster = self._new(fp, GroupingKind.MESSAGE, record, template)
                self._index(cluster)
        else:
            _generalize(cluster.tokens, tokens)
        if len(self._exact) >= _EXACT_LIMIT:
            self._exact.clear()  # bounded; the similarity search finds the same clusters again
        self._exact[exact_key] = cluster
        return cluster

    def _most_similar(self, service: str, logger: str, tokens: list[str]) -> _Cluster | None:
        best: _Cluster | None = None
        best_score = -1
        for candidate in self._similar.get((service, logger, len(tokens)), ()):
            score = _score(candidate.tokens, tokens)
            if score > best_score:  # strict: the earliest cluster wins a tie (determinism)
                best, best_score = candidate, score
        return best

    def _new(self, fp: str, kind: GroupingKind, record: LogRecord, template: str) -> _Cluster:
        cluster = _Cluster(
            fingerprint=fp,
            kind=kind,
            tokens=template.split(" ") if template else [],
            logger=record.logger,
            service=record.service,
            order=len(self._by_fp),
            exception_type=record.exception_type,
            exception_value=record.exception_value,
            buckets=[0] * self._bucket_count,
        )
        if not template:
            cluster.tokens = fingerprint.mask_message(record.message).split(" ")
        if kind is GroupingKind.MESSAGE:
            cluster.top_frames = _source_frame(record)
        self._by_fp[fp] = cluster
        return cluster

    def _index(self, cluster: _Cluster) -> None:
        key = (cluster.service, cluster.logger, len(cluster.tokens))
        self._similar.setdefault(key, []).append(cluster)

    def _seed(self, known: KnownCluster) -> None:
        if known.fingerprint in self._by_fp:
            return
        cluster = _Cluster(
            fingerprint=known.fingerprint,
            kind=known.kind,
            tokens=known.template.split(" "),
            logger=known.logger,
            service=known.service,
            order=len(self._by_fp),
            exception_type=known.exception_type,
            buckets=[0] * self._bucket_count,
        )
        self._by_fp[known.fingerprint] = cluster
        if known.kind is GroupingKind.MESSAGE:
            self._index(cluster)
            self._exact[(known.service, known.logger, known.template)] = cluster

    # --- statistics -------------------------------------------------------------------------

    def _count(self, cluster: _Cluster, record: LogRecord) -> None:
        weight = record.weight
        cluster.count += weight
        severity = record.severity
        cluster.severity_counts[severity] = cluster.severity_counts.get(severity, 0) + weight
        moment = record.timestamp
        if cluster.first_seen is None or moment < cluster.first_seen:
            cluster.first_seen = moment
        if cluster.last_seen is None or moment >= cluster.last_seen:
            cluster.last_seen = moment
        _remember(cluster.services, record.service)
        if record.revision and (
            record.revision in cluster.revisions or len(cluster.revisions) < MAX_SET
        ):
            cluster.revisions[record.revision] = cluster.revisions.get(record.revision, 0) + weight
        _remember(cluster.locations, record.location)
        cluster.buckets[self._bucket_of(moment)] += weight
        if record.stand_in:
            return
        cluster.shown += 1
        shown = cluster.shown
        if shown == 1:
            cluster.first = record
            if cluster.kind is GroupingKind.STACK and not cluster.exception_value:
                cluster.exception_value = record.exception_value
        elif shown & (shown - 1) == 0:  # a power of two: keeps a sample near the middle
            cluster.earlier_middle, cluster.middle = cluster.middle, record
        cluster.last = record

    def _bucket_of(self, moment: datetime) -> int:
        if self._bucket_width <= 0:
            return 0
        index = int((moment.timestamp() - self._start) / self._bucket_width)
        return min(max(index, 0), self._bucket_count - 1)

    # --- results ----------------------------------------------------------------------------

    def summaries(self) -> list[ClusterSummary]:
        """One summary per cluster that received records this run, in order of creation."""
        return [self._summary(c) for c in self._by_fp.values() if c.count > 0]

    def known_clusters(self) -> list[KnownCluster]:
        """This run's view of each cluster for ``state.json`` (no issue number or history:
        merge them with the previous ``KnownCluster`` of the same fingerprint)."""
        return [
            KnownCluster(
                fingerprint=c.fingerprint,
                kind=c.kind,
                template=" ".join(c.tokens),
                logger=c.logger,
                service=c.service,
                exception_type=c.exception_type,
                first_seen=c.first_seen,
                last_seen=c.last_seen,
                revisions=tuple(c.revisions),
            )
            for c in self._by_fp.values()
            if c.count > 0
        ]

    def _summary(self, cluster: _Cluster) -> ClusterSummary:
        assert cluster.first_seen is not None and cluster.last_seen is not None
        return ClusterSummary(
            fingerprint=cluster.fingerprint,
            kind=cluster.kind,
            template=" ".join(cluster.tokens),
            exception_type=cluster.exception_type,
            exception_value=cluster.exception_value,
            top_frames=cluster.top_frames,
            logger=cluster.logger,
            count=cluster.count,
            severity_counts=dict(sorted(cluster.severity_counts.items())),
            first_seen=cluster.first_seen,
            last_seen=cluster.last_seen,
            services=tuple(s for s in cluster.services if s),
            revisions=dict(cluster.revisions),
            locations=tuple(loc for loc in cluster.locations if loc),
            samples=self._samples(cluster),
            buckets=tuple(cluster.buckets),
        )

    def _samples(self, cluster: _Cluster) -> tuple[LogRecord, ...]:
        middle = cluster.middle
        if middle is not None and cluster.shown > 1:
            # The stored middle sits at the largest power of two P <= count; prefer P/2 when P
            # lies in the last quarter, so the sample stays "between" rather than near the end.
            largest_power = 1 << (cluster.shown.bit_length() - 1)
            if largest_power * 4 > cluster.shown * 3 and cluster.earlier_middle is not None:
                middle = cluster.earlier_middle
        chosen: list[LogRecord] = []
        for record in (cluster.first, middle, cluster.last):
            if record is not None and all(record is not seen for seen in chosen):
                chosen.append(record)
        if len(chosen) > self._sample_limit:
            chosen = [chosen[0], chosen[-1]] if self._sample_limit == 2 else chosen[:1]
        return tuple(chosen)


# --- similarity -------------------------------------------------------------------------------


def _score(template: list[str], tokens: list[str]) -> int:
    """Agreeing constant positions when ``tokens`` may join ``template``; -1 when it may not.

    Equal placeholders (``<NUM>`` vs ``<NUM>``) are left out of the ratio: a syslog header or
    a run of numbers would otherwise make unrelated messages look alike.
    """
    if template == tokens:
        return len(tokens)
    # Cheap necessary condition (C-speed): joining needs agreeing constants >= differing ones,
    # so positions that are equal or already wildcards must cover at least half the tokens.
    equal = sum(map(operator.eq, template, tokens))
    if 2 * equal + " ".join(template).count(WILDCARD) < len(tokens):
        return -1
    same = 0
    informative = 0
    differing = 0
    previous_word_differed = False
    for index, (known, new) in enumerate(zip(template, tokens, strict=True)):
        if known == new:
            if not (new.startswith("<") and new.endswith(">")):
                same += 1
                informative += 1
            previous_word_differed = False
            continue
        if known == WILDCARD or (
            known.endswith(_KEYED_WILDCARD) and new.startswith(known[: -len(WILDCARD)])
        ):
            previous_word_differed = False
            continue  # a position already known to vary ("user=<*>" takes any "user=...")
        if not _may_differ(known, new, first=index == 0):
            return -1
        # Two plain words changing side by side are a different phrase, not a value.
        word_pair = known.isalpha() and new.isalpha()
        if word_pair and previous_word_differed:
            return -1
        previous_word_differed = word_pair
        differing += 1
        informative += 1
    if differing == 0:
        return same
    if same == 0 or same < SIMILARITY * informative:
        return -1
    return same


def _may_differ(known: str, new: str, first: bool) -> bool:
    """Could these two tokens be two values of one variable?"""
    known_key, new_key = _key_of(known), _key_of(new)
    if known_key != new_key:
        return False  # "user=a" vs "host=a"
    if known_key:
        return True  # same key, different values
    if first and known.isalpha() and new.isalpha():
        return False  # a message's leading word names the event ("Launching", "KILLING")
    known_word, new_word = _word(known), _word(new)
    if known_word in _PROTECTED_WORDS or new_word in _PROTECTED_WORDS:
        return False
    # "opened"/"closed", "starting"/"stopping": a change of action, not of value.
    return not (_verb_like(known_word) and _verb_like(new_word))


def _word(token: str) -> str:
    # ALL-CAPS words are never protected: they are usually enum values (RUNNING, NEW, FAILED)
    # that logs print as variables.
    return "" if token.isupper() else token.strip(".,;:!?()[]").lower()


def _verb_like(word: str) -> bool:
    return len(word) >= 4 and word.isalpha() and word.endswith(("ed", "ing"))


def _key_of(token: str) -> str:
    """``user=`` of ``user=bob``; "" for a token that is not ``key=value``.

    A trailing colon is no sign of a key: "file a.csv: denied" ends a value with one.
    """
    index = token.find("=")
    return token[: index + 1] if index > 0 else ""


def _generalize(template: list[str], tokens: list[str]) -> None:
    for index, (known, new) in enumerate(zip(template, tokens, strict=True)):
        if known not in (new, WILDCARD):
            template[index] = f"{_key_of(known)}{WILDCARD}"


def _remember(values: dict[str, None], value: str) -> None:
    if value and len(values) < MAX_SET:
        values[value] = None


def _source_frame(record: LogRecord) -> tuple[StackFrame, ...]:
    """Where a message was logged, as a frame, when the entry says (``sourceLocation``)."""
    if not (record.source_file or record.function):
        return ()
    module = record.logger or record.source_file
    return (StackFrame(module, record.function, record.source_file, record.source_line),)
