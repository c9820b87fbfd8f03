"""Grouping records into clusters, online, memory bounded by the number of clusters.  Pure.

    clusterer = Clusterer(window, known)     # known: Sequence[KnownCluster] from state.json
    fp = clusterer.add(record, custom_key)   # the record's fingerprint, at once
    final = clusterer.resolve(fp)            # ... and the one it ended up in (see below)
    summaries = clusterer.summaries()        # list[ClusterSummary], in order of first record
    known = clusterer.known_clusters()       # what state.json should remember (this run's view)

Grouping, in order: a rule's custom key; a stack trace (exception type + innermost in-app
frames); otherwise the masked message within (service, logger).  Message groups then merge by
similarity, Drain-like but without a prefix tree: a record whose template has the same number of
tokens as a cluster's, agrees on enough of them and differs only in positions that do not look
constant (keys, verbs, function words) joins it, and the cluster template shows ``<*>`` there.
A position becomes a variable only with evidence: a placeholder, a ``key=`` value, id-shaped
words (node12, node13), an HTTP status of the same class; plain words must show
``WORD_VALUES`` distinct values, more as the family's records grow.  Until then a record
that differs only in such words starts a sibling cluster (the family: the first cluster and the
clusters that split off it; a variable of one is a variable of all); when the family
generalizes, covered siblings merge into the first cluster and ``resolve`` maps their
fingerprints to it.  HTTP methods, protocol names, function words and verbs never become
variables; a trailing parenthesized annotation ("(will retry)") does not split a template.
A cluster's fingerprint comes from its *first* template and never changes; clusters known from
earlier runs are seeded first, so later runs attach to them.  Clusters of a previous grouping
version (``legacy``: an upgrade) are not seeded: the first cluster of this version that matches
one takes its fingerprint, so the problem keeps its issue.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from log_gardener.core.grouping import fingerprint
from log_gardener.core.grouping.fingerprint import WILDCARD
from log_gardener.core.shared.state import KnownCluster
from log_gardener.model import (
    PREVIOUS_GROUPING_VERSIONS,
    ClusterSummary,
    GroupingKind,
    LogRecord,
    Severity,
    StackFrame,
    Window,
)

SIMILARITY = 0.5
"""Share of token positions that must agree exactly for a record to join a cluster."""

WORD_VALUES = 4
"""Distinct plain words a position must show before it becomes a variable ("root", "bob",
"carol", "dave"): two or three words are events and their siblings ("HTTPS" vs "SOCKS5",
"ext4" vs "xfs"), not a variable."""

WORD_SHARE = 32
"""... and the distinct words times this must reach the records of the family: a position
that repeats the same few words over hundreds of records is an enumeration of events.  Kept
weak on purpose: a real variable is often skewed (most sessions are root's), and its fourth
word may come only after dozens of records."""

_KEYED_WILDCARD = "=" + WILDCARD
_FAMILY_SCAN = 256  # siblings counted into a family's records
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


# HTTP methods and protocol names: two of them differing is a different event, whatever case.
_PROTOCOL_WORDS = frozenset(
    {
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
        "CONNECT",
        "TRACE",
        "HTTP",
        "HTTPS",
        "HTTP/1.0",
        "HTTP/1.1",
        "HTTP/2",
        "HTTP/2.0",
        "HTTP/3",
        "HTTP2",
        "HTTP3",
        "SOCKS",
        "SOCKS4",
        "SOCKS4A",
        "SOCKS5",
        "TCP",
        "UDP",
        "TLS",
        "SSL",
        "SSH",
        "FTP",
        "SFTP",
        "SMTP",
        "IMAP",
        "POP3",
        "DNS",
        "QUIC",
        "GRPC",
        "WS",
        "WSS",
        "ICMP",
        "IPV4",
        "IPV6",
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
    # Evidence for plain-word positions: distinct words seen there by near misses (records
    # that differed only there and started their own cluster), and those near misses.
    near: dict[int, dict[str, None]] = field(default_factory=dict)
    misses: int = 0
    siblings: list[_Cluster] = field(default_factory=list)
    merged_into: _Cluster | None = None  # set when a wider cluster absorbed this one
    parent: _Cluster | None = None  # the cluster whose near miss started this one
    annotation: str = ""  # the trailing "(...)" that records joining without it carried
    pinned: bool = False  # known from state.json (or an upgrade): never merged into another
    # WILDCARD occurrences in ``tokens``, kept current wherever ``tokens`` changes: the
    # similarity search's first test needs it for every candidate of every new template.
    wildcards: int = 0


class Clusterer:
    """Online grouping of one run's records; deterministic for a given input order."""

    def __init__(
        self,
        window: Window,
        known: Sequence[KnownCluster] = (),
        buckets: int = 12,
        sample_limit: int = 3,
        legacy: Collection[str] = (),
    ) -> None:
        self._start = window.start.timestamp()
        span = window.end.timestamp() - self._start
        self._bucket_count = max(1, buckets)
        self._bucket_width = span / self._bucket_count if span > 0 else 0.0
        # The first moment of each bucket after the first, and the span [low, high) of the
        # bucket found last: entries come roughly in time order, so most fall in that span and
        # two comparisons replace ``_bucket_index``'s ``timestamp()`` (see ``_bucket_of``).
        self._edges = self._bucket_edges()
        self._last_bucket = -1
        self._low: datetime | None = None
        self._high: datetime | None = None
        self._sample_limit = max(1, sample_limit)
        self._by_fp: dict[str, _Cluster] = {}
        self._similar: dict[tuple[str, str, int], list[_Cluster]] = {}
        # (service, logger) -> template -> cluster, and its number of templates (all kept
        # under ``_EXACT_LIMIT``); the last (service, logger) looked up, and its templates.
        self._exact: dict[tuple[str, str], dict[str, _Cluster]] = {}
        self._exact_size = 0
        self._exact_service = ""
        self._exact_logger = ""
        self._exact_last: dict[str, _Cluster] | None = None
        self._stack_cache: dict[tuple[object, ...], str] = {}
        self._aliases: dict[str, str] = {}
        self._annotated: dict[tuple[str, str, int], list[_Cluster]] = {}
        # Clusters of a previous grouping version (an upgrade): the first cluster of this
        # version that matches one takes its fingerprint, so its issue is found again.
        self._legacy_fps: dict[str, KnownCluster] = {}
        self._legacy_messages: dict[tuple[str, str], list[KnownCluster]] = {}
        legacy = frozenset(legacy)
        for item in known:
            if item.fingerprint in legacy:
                self._remember_legacy(item)
            else:
                self._seed(item)

    # --- grouping ---------------------------------------------------------------------------

    def add(
        self,
        record: LogRecord,
        custom_key: str | None = None,
        custom_template: str = "",
        template: str | None = None,
    ) -> str:
        """Counts ``record`` into its cluster and returns the cluster's (final) fingerprint.
        ``template``: ``message_template(record.message)`` when the caller (a worker process)
        already has it."""
        if custom_key is not None:
            cluster = self._custom(record, custom_key, custom_template)
        elif record.frames:
            cluster = self._stack(record)
        else:
            cluster = self._message(record, template)
        self._count(cluster, record)
        return cluster.fingerprint

    def _custom(self, record: LogRecord, key: str, template: str = "") -> _Cluster:
        fp = fingerprint.custom_fingerprint(key)
        if fp not in self._by_fp and self._legacy_fps:
            fp = self._claim_fp(fp, [fingerprint.custom_fingerprint(key, v) for v in _OLD])
        cluster = self._by_fp.get(fp)
        if cluster is None:
            cluster = self._new(fp, GroupingKind.CUSTOM, record, template)
        return cluster

    def _stack(self, record: LogRecord) -> _Cluster:
        cache_key = (record.exception_type, record.frames)
        fp = self._stack_cache.get(cache_key)
        if fp is None:
            fp = fingerprint.stack_fingerprint(record.exception_type, record.frames)
            if fp not in self._by_fp and self._legacy_fps:
                old = [
                    fingerprint.stack_fingerprint(record.exception_type, record.frames, v)
                    for v in _OLD
                ]
                fp = self._claim_fp(fp, old)
            if len(self._stack_cache) >= _EXACT_LIMIT:
                self._stack_cache.clear()
            self._stack_cache[cache_key] = fp
        cluster = self._by_fp.get(fp)
        if cluster is None:
            cluster = self._new(fp, GroupingKind.STACK, record, "")
            cluster.top_frames = fingerprint.top_frames(record.frames)
        return cluster

    def _message(self, record: LogRecord, template: str | None = None) -> _Cluster:
        if template is None:
            template = message_template(record.message)
        service, logger = record.service, record.logger
        exact = self._exact_last
        if exact is None or service != self._exact_service or logger != self._exact_logger:
            exact = self._exact_of(service, logger)
        cluster = exact.get(template)
        if cluster is not None:
            while cluster.merged_into is not None:
                cluster = cluster.merged_into
            return cluster
        tokens = template.split(" ")
        cluster, anchor = self._place(record.service, record.logger, tokens)
        shared = tokens
        if cluster is None and anchor is None:
            # "Health check failed (will retry)" and "Health check failed": one event.
            cluster, annotated = self._annotated_place(record.service, record.logger, tokens)
            shared = annotated or tokens
        if cluster is None:
            cluster = self._begin(record, template, tokens, anchor)
        else:
            self._join(cluster, shared)
        if self._exact_size >= _EXACT_LIMIT:
            # bounded; the similarity search finds the same clusters again
            self._exact, self._exact_size, self._exact_last = {}, 0, None
            exact = self._exact_of(service, logger)
        exact[template] = cluster
        self._exact_size += 1  # the template was not there (or all were dropped)
        return cluster

    def _place(
        self, service: str, logger: str, tokens: list[str]
    ) -> tuple[_Cluster | None, _Cluster | None]:
        """(the cluster ``tokens`` joins, None) or (None, the cluster it is a near miss of)
        or (None, None): a new event."""
        cluster, match = self._most_similar(service, logger, tokens)
        if cluster is None or match is None or not match[1]:
            return cluster, None
        # Evidence gathers on the first cluster of a family, not on its siblings.
        root = cluster.parent
        root_match = _score(root.tokens, tokens) if root is not None else None
        if root is not None and root_match is not None and root.merged_into is None:
            cluster, match = root, root_match
        if not match[1] or self._enough_words(cluster, tokens, match[1]):
            return cluster, None
        # Positions that did show enough words are variables for the whole family now; the
        # record may then fit one of its clusters as it is.
        again, match = self._most_similar(service, logger, tokens)
        if again is not None and match is not None and not match[1]:
            return again, None
        return None, cluster

    def _begin(
        self, record: LogRecord, template: str, tokens: list[str], anchor: _Cluster | None
    ) -> _Cluster:
        own = fingerprint.message_fingerprint(template, record.logger, record.service)
        fp = own
        if fp not in self._by_fp and self._legacy_messages:
            fp = self._claim_message(fp, record.service, record.logger, tokens)
        existing = self._by_fp.get(fp)
        if existing is not None:  # an equal first template in another guise: same cluster
            while existing.merged_into is not None:
                existing = existing.merged_into
            return existing
        cluster = self._new(fp, GroupingKind.MESSAGE, record, template)
        cluster.pinned = fp != own  # a previous version's fingerprint: its issue keeps it
        self._index(cluster)
        self._index_annotation(cluster)
        if anchor is not None:
            anchor.siblings.append(cluster)
            cluster.parent = anchor
            for index, token in enumerate(anchor.tokens):
                if token.endswith(WILDCARD):  # the family's variables are its too
                    cluster.tokens[index] = token
            cluster.wildcards = _wildcards(cluster.tokens)
        return cluster

    def _join(self, cluster: _Cluster, tokens: list[str]) -> None:
        """Widens ``cluster``'s template where ``tokens`` (all of it, or the part both share
        when one has a trailing annotation) differs."""
        before = list(cluster.tokens)
        head = cluster.tokens[: len(tokens)]
        _generalize(head, tokens)
        cluster.tokens[: len(tokens)] = head
        if cluster.tokens == before:
            return
        cluster.wildcards = _wildcards(cluster.tokens)
        if cluster.siblings:
            widened = [i for i, t in enumerate(before) if t != cluster.tokens[i]]
            self._widen_family(cluster, widened)
        elif self._annotated:
            self._absorb_annotated(cluster)

    def _most_similar(
        self, service: str, logger: str, tokens: list[str]
    ) -> tuple[_Cluster | None, _Match | None]:
        best: _Cluster | None = None
        best_match: _Match | None = None
        for candidate in self._similar.get((service, logger, len(tokens)), ()):
            if not _may_join(candidate.tokens, tokens, candidate.wildcards):
                continue  # most candidates: the same answer as _score's, sooner
            match = _score(candidate.tokens, tokens)
            if match is None:
                continue
            # strict: the earliest cluster wins a tie (determinism)
            if best_match is None or _better(match, best_match):
                best, best_match = candidate, match
        return best, best_match

    def _annotated_place(
        self, service: str, logger: str, tokens: list[str]
    ) -> tuple[_Cluster | None, list[str] | None]:
        """A cluster that is ``tokens`` but for a trailing parenthesized annotation on either
        side (with the same evidence rules), and the tokens they share; or (None, None)."""
        core = _without_annotation(tokens)
        if core is not None:
            cluster, match = self._most_similar(service, logger, core)
            annotation = " ".join(tokens[len(core) :])
            if cluster is not None and cluster.annotation not in ("", annotation):
                cluster = None  # "killed (OOMKilled)" and "killed (Error)" stay apart
            if cluster is not None and match is not None:
                root = cluster.parent
                root_match = _score(root.tokens, core) if root is not None else None
                if root is not None and root_match is not None and root.merged_into is None:
                    cluster, match = root, root_match
                if not match[1] or self._enough_words(cluster, core, match[1]):
                    cluster.annotation = annotation
                    return cluster, core
        best: _Cluster | None = None
        best_match: _Match | None = None
        for candidate in self._annotated.get((service, logger, len(tokens)), ()):
            if candidate.merged_into is None:
                match = _score(candidate.tokens[: len(tokens)], tokens)
                if match is not None and (best_match is None or _better(match, best_match)):
                    best, best_match = candidate, match
        if (
            best is not None
            and best_match is not None
            and (not best_match[1] or self._enough_words(best, tokens, best_match[1]))
        ):
            return best, tokens
        return None, None

    def _index_annotation(self, cluster: _Cluster) -> None:
        core = _without_annotation(cluster.tokens)
        if core is not None:
            key = (cluster.service, cluster.logger, len(core))
            self._annotated.setdefault(key, []).append(cluster)

    def _enough_words(self, cluster: _Cluster, tokens: list[str], words: tuple[int, ...]) -> bool:
        """Counts a near miss at plain-word positions; True once each shows enough words.

        A position that shows enough becomes a variable in the cluster and in its siblings
        (the clusters that split off it), even when the others do not yet: a family shares
        its variables ("as utf8 for table <*>", "as latin1 for table <*>")."""
        cluster.misses += 1
        # The first siblings suffice to tell a variable from an enumeration (bounded work).
        family = cluster.count + sum(s.count for s in cluster.siblings[:_FAMILY_SCAN]) + 1
        ready = []
        for index in words:
            seen = cluster.near.setdefault(index, {cluster.tokens[index]: None})
            if len(seen) < MAX_SET:
                seen[tokens[index]] = None
            distinct = len(seen)
            if distinct >= WORD_VALUES and distinct * WORD_SHARE >= family:
                ready.append(index)
        if len(ready) == len(words):
            return True
        if ready:
            self._widen_family(cluster, ready)
        return False

    def _absorb_annotated(self, cluster: _Cluster) -> None:
        """Clusters that are ``cluster`` plus a trailing annotation join it once its wider
        template covers them."""
        key = (cluster.service, cluster.logger, len(cluster.tokens))
        size = len(cluster.tokens)
        for other in self._annotated.get(key, ()):
            if (
                other is not cluster
                and not other.pinned
                and other.merged_into is None
                and cluster.merged_into is None
                and _covers(cluster.tokens, other.tokens[:size])
            ):
                self._merge(cluster, other)

    def _widen_family(self, cluster: _Cluster, positions: list[int]) -> None:
        for member in (cluster, *cluster.siblings):
            for index in positions:
                token = member.tokens[index]
                if not (token.endswith(WILDCARD) or _status_class(token)):
                    member.tokens[index] = f"{_key_of(token)}{WILDCARD}"
            member.wildcards = _wildcards(member.tokens)
        self._absorb_siblings(cluster)
        # Siblings that became equal are one cluster: the earlier absorbs the later.
        first_of: dict[tuple[str, ...], _Cluster] = {}
        for sibling in cluster.siblings:
            if sibling.merged_into is not None:
                continue
            earlier = first_of.setdefault(tuple(sibling.tokens), sibling)
            if earlier is not sibling and not sibling.pinned:
                self._merge(earlier, sibling)
        cluster.siblings = [s for s in cluster.siblings if s.merged_into is None]
        if self._annotated:
            for member in (cluster, *cluster.siblings):
                self._absorb_annotated(member)

    def _absorb_siblings(self, cluster: _Cluster) -> None:
        """Clusters that split off ``cluster`` for want of evidence and that its wider
        template now covers become part of it (their fingerprints are not reported again)."""
        kept = []
        for sibling in cluster.siblings:
            if (
                sibling.merged_into is None
                and not sibling.pinned
                and _covers(cluster.tokens, sibling.tokens)
            ):
                self._merge(cluster, sibling)
            else:
                kept.append(sibling)
        cluster.siblings = kept

    def _merge(self, into: _Cluster, other: _Cluster) -> None:
        _merge_counts(into, other)
        other.merged_into = into
        key = (other.service, other.logger, len(other.tokens))
        self._similar[key] = [c for c in self._similar.get(key, ()) if c is not other]
        self._aliases[other.fingerprint] = into.fingerprint

    def resolve(self, fp: str) -> str:
        """The fingerprint that ``fp`` (an earlier answer of ``add``) ended up in."""
        seen = 0
        while fp in self._aliases and seen < 64:
            fp, seen = self._aliases[fp], seen + 1
        return fp

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
        cluster.wildcards = _wildcards(cluster.tokens)
        if kind is GroupingKind.MESSAGE:
            cluster.top_frames = _source_frame(record)
        self._by_fp[fp] = cluster
        return cluster

    def _remember_legacy(self, known: KnownCluster) -> None:
        if known.kind is GroupingKind.MESSAGE:
            key = (known.service, known.logger)
            self._legacy_messages.setdefault(key, []).append(known)
        else:
            self._legacy_fps[known.fingerprint] = known

    def _claim_fp(self, fp: str, old: Sequence[str]) -> str:
        for candidate in old:
            if self._legacy_fps.pop(candidate, None) is not None:
                return candidate
        return fp

    def _claim_message(self, fp: str, service: str, logger: str, tokens: list[str]) -> str:
        candidates = self._legacy_messages.get((service, logger), [])
        for index, known in enumerate(candidates):
            if _legacy_match(known.template.split(" "), tokens):
                del candidates[index]
                return known.fingerprint
        return fp

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
            pinned=True,
        )
        cluster.wildcards = _wildcards(cluster.tokens)
        self._by_fp[known.fingerprint] = cluster
        if known.kind is GroupingKind.MESSAGE:
            self._index(cluster)
            self._index_annotation(cluster)
            exact = self._exact_of(known.service, known.logger)
            if known.template not in exact:
                self._exact_size += 1
            exact[known.template] = cluster

    def _exact_of(self, service: str, logger: str) -> dict[str, _Cluster]:
        """The templates seen with ``service`` and ``logger`` (remembered as the last ones)."""
        exact = self._exact.get((service, logger))
        if exact is None:
            exact = self._exact[(service, logger)] = {}
        self._exact_service, self._exact_logger, self._exact_last = service, logger, exact
        return exact

    # --- statistics -------------------------------------------------------------------------

    def _count(self, cluster: _Cluster, record: LogRecord) -> None:
        # Runs for every entry: each record field is read once (a record is an interpreted
        # class: every read is a dictionary lookup).
        weight = record.weight
        cluster.count += weight
        severity = record.severity
        severities = cluster.severity_counts
        severities[severity] = severities.get(severity, 0) + weight
        moment = record.timestamp
        first_seen = cluster.first_seen
        if first_seen is None or moment < first_seen:
            cluster.first_seen = moment
        last_seen = cluster.last_seen
        if last_seen is None or moment >= last_seen:
            cluster.last_seen = moment
        _remember(cluster.services, record.service)
        revision = record.revision
        if revision:
            revisions = cluster.revisions
            seen = revisions.get(revision)
            if seen is not None:
                revisions[revision] = seen + weight
            elif len(revisions) < MAX_SET:
                revisions[revision] = weight
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
        """``_bucket_index(moment)``, sooner for a moment in the span of the bucket found last.

        ``_bucket_index`` never decreases as the moment grows (``timestamp()`` of an aware
        datetime grows with its instant, and so do the subtraction, division and ``int`` after
        it), so each bucket holds the moments of one span; ``_edges`` are the spans' exact
        bounds, searched microsecond by microsecond with ``_bucket_index`` itself.  A moment
        that cannot be compared with them (naive) takes ``_bucket_index``."""
        index = self._last_bucket
        if index >= 0:
            low, high = self._low, self._high
            try:
                if (low is None or low <= moment) and (high is None or moment < high):
                    return index
            except TypeError:
                return self._bucket_index(moment)
        index = self._bucket_index(moment)
        edges = self._edges
        if edges and moment.utcoffset() is not None:
            self._last_bucket = index
            self._low = edges[index - 1] if index > 0 else None
            self._high = edges[index] if index < len(edges) else None
        return index

    def _bucket_index(self, moment: datetime) -> int:
        if self._bucket_width <= 0:
            return 0
        index = int((moment.timestamp() - self._start) / self._bucket_width)
        return min(max(index, 0), self._bucket_count - 1)

    def _bucket_edges(self) -> list[datetime]:
        """For each bucket but the first, the earliest (UTC, whole microsecond) moment that
        ``_bucket_index`` puts in it or later; [] when there is one bucket or no width."""
        if self._bucket_width <= 0 or self._bucket_count == 1:
            return []
        try:
            return [self._bucket_edge(bucket) for bucket in range(1, self._bucket_count)]
        except (OverflowError, ValueError):  # a window at the ends of datetime's range
            return []

    def _bucket_edge(self, bucket: int) -> datetime:
        """The earliest whole-microsecond UTC moment in ``bucket`` or later."""

        def index(microseconds: int) -> int:
            return self._bucket_index(_EPOCH + timedelta(microseconds=microseconds))

        guess = int((self._start + bucket * self._bucket_width) * 1_000_000)
        early, late = guess - 1_000_000, guess + 1_000_000
        while index(early) >= bucket:
            early -= late - early
        while index(late) < bucket:
            late += late - early
        while late - early > 1:  # index(early) < bucket <= index(late)
            middle = (early + late) // 2
            if index(middle) >= bucket:
                late = middle
            else:
                early = middle
        return _EPOCH + timedelta(microseconds=late)

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


def message_template(message: str) -> str:
    """The masked template a message is grouped by (what worker processes compute)."""
    return fingerprint.mask_message(message)


# --- similarity -------------------------------------------------------------------------------


# (agreeing constant positions, differing positions that hold plain words on both sides);
# a plain tuple: built for every candidate cluster of every new template.
_Match = tuple[int, tuple[int, ...]]
_NO_WORDS: tuple[int, ...] = ()


def _score(template: list[str], tokens: list[str]) -> _Match | None:
    """How ``tokens`` may join ``template``; None when they may not.

    Equal placeholders (``<NUM>`` vs ``<NUM>``) are left out of the ratio: a syslog header or
    a run of numbers would otherwise make unrelated messages look alike.  A differing position
    is a variable with evidence (a placeholder, a ``key=`` value, an id-shaped word, an HTTP
    status of the same class) or a plain-word position listed in ``words``: the caller joins
    those only when the cluster has seen enough distinct words there.
    """
    if template == tokens:
        return len(tokens), _NO_WORDS
    # Cheap necessary condition: joining needs agreeing constants >= differing ones, so
    # positions that are equal or already wildcards must cover at least half the tokens.  (A
    # typed loop: compiled, it allocates nothing; the wildcards are counted only when needed.
    # The similarity search asks ``_may_join`` first, with the cluster's count kept current.)
    equal = 0
    for index in range(min(len(template), len(tokens))):
        if template[index] == tokens[index]:
            equal += 1
    if 2 * equal < len(tokens) and 2 * equal + _wildcards(template) < len(tokens):
        return None
    same = 0
    informative = 0
    differing = 0
    words: list[int] = []
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
        evidence = _evidence(known, new, first=index == 0)
        if evidence is False and index == 1 and _is_request_line(tokens):
            evidence = None  # a request line's route: another route is another problem
        if evidence is None:
            return None
        # Two plain words changing side by side are a different phrase, not a value.
        word_pair = known.isalpha() and new.isalpha()
        if word_pair and previous_word_differed:
            return None
        previous_word_differed = word_pair
        if not evidence:
            words.append(index)
        differing += 1
        informative += 1
    if differing == 0:
        return same, _NO_WORDS
    if same == 0 or same < SIMILARITY * informative:
        return None
    return same, tuple(words)


def _wildcards(template: list[str]) -> int:
    """WILDCARD occurrences in ``template``, token by token as in the joined template (tokens
    hold no space)."""
    wildcards = 0
    for known in template:
        if WILDCARD in known:
            wildcards += known.count(WILDCARD)
    return wildcards


def _may_join(template: list[str], tokens: list[str], wildcards: int) -> bool:
    """``_score``'s first test for a template with ``wildcards`` WILDCARDs, stopping at the
    mismatch that decides: False exactly when ``_score`` would give None at that test
    (``2 * equal + wildcards < len(tokens)``, i.e. more than half of ``len(tokens) +
    wildcards`` positions differ).  Templates of another length are left to ``_score``."""
    size = len(tokens)
    if len(template) != size:
        return True
    allowed = size + wildcards
    differing = 0
    for index in range(size):
        if template[index] != tokens[index]:
            differing += 1
            if 2 * differing > allowed:
                return False
    return True


def _better(match: _Match, best: _Match) -> bool:
    """A cluster the record can join as it is beats one that needs more evidence."""
    if bool(match[1]) != bool(best[1]):
        return not match[1]
    return match[0] > best[0]


def _evidence(known: str, new: str, first: bool) -> bool | None:
    """Could these two tokens be two values of one variable?  None: never (a different event);
    True: yes, they look like values; False: only if the position shows many distinct words."""
    known_key, new_key = _key_of(known), _key_of(new)
    if known_key != new_key:
        return None  # "user=a" vs "host=a"
    if known_key:
        return True  # same key, different values
    known_status, new_status = _status_class(known), _status_class(new)
    if known_status or new_status:
        # "-> 502" and "-> 503" are one outcome class; "-> 404" and "-> 502" are not.
        return True if known_status == new_status else None
    if first and known.isalpha() and new.isalpha():
        return None  # a message's leading word names the event ("Launching", "KILLING")
    known_kind, new_kind = _is_kind(known), _is_kind(new)
    if known_kind or new_kind:
        # A placeholder on one side is a value position; "/users/<NUM>" vs "/users/<ID>"
        # too, but in "/users/<NUM>" vs "/orders/<NUM>" more than a value differs.
        if _bare_kind(known) or _bare_kind(new) or _instance(known) or _instance(new):
            return True
        return known_kind and new_kind and _skeleton(known) == _skeleton(new)
    known_word, new_word = _word(known), _word(new)
    if known_word in _PROTECTED_WORDS or new_word in _PROTECTED_WORDS:
        return None
    if _shout(known) in _PROTOCOL_WORDS or _shout(new) in _PROTOCOL_WORDS:
        return None  # GET vs POST, HTTPS vs SOCKS5: a different method or protocol
    # "opened"/"closed", "starting"/"stopping": a change of action, not of value.
    if _verb_like(known_word) and _verb_like(new_word):
        return None
    return _id_shaped(known, new)


def _is_kind(token: str) -> bool:
    start = token.find("<")
    return start >= 0 and token.find(">", start) > start


def _instance(token: str) -> bool:
    """A pod name (``api-<POD>``) or a syslog header's ``program[<NUM>]:``: their names are
    the value of a header or an instance, not the event."""
    return "<POD>" in token or token.endswith("[<NUM>]:")


def _bare_kind(token: str) -> bool:
    """A placeholder with at most punctuation around it: ``<NUM>``, ``(<ID>)``, ``<IP>,``."""
    core = token.strip(_PUNCTUATION)
    return core.startswith("<") and core.endswith(">") and core.count("<") == 1


_PUNCTUATION = ".,;:!?()[]{}\"'`"
_KIND = re.compile(r"<[A-Z0-9*]+>")


def _skeleton(token: str) -> str:
    return _KIND.sub("<>", token)


def _is_request_line(tokens: list[str]) -> bool:
    return len(tokens) == 4 and tokens[2] == "->" and tokens[0] in _PROTOCOL_WORDS


def _status_class(token: str) -> str:
    if len(token) == 3 and token[0] in "12345" and token[1:].isdigit():
        return token[0]
    if len(token) == 3 and token[0] in "12345" and token[1:] == "xx":
        return token[0]
    return ""


def _id_shaped(known: str, new: str) -> bool:
    """Words that hold digits with the same letters around them (node12, node13) are ids."""
    if not (_has_digit(known) and _has_digit(new)):
        return False
    known_skeleton, new_skeleton = known.translate(_NO_DIGITS), new.translate(_NO_DIGITS)
    if known_skeleton != new_skeleton:
        return False
    return len(known) - len(known_skeleton) >= 2 or len(new) - len(new_skeleton) >= 2


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _has_digit(token: str) -> bool:
    return any(ch.isdigit() for ch in token)


def _shout(token: str) -> str:
    return token.strip(".,;:!?()[]\"'").upper()


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
            status = _status_class(known)
            if status and status == _status_class(new):
                template[index] = status + "xx"
            else:
                template[index] = f"{_key_of(known)}{WILDCARD}"


def _covers(template: list[str], tokens: list[str]) -> bool:
    """Every position of ``tokens`` is equal to ``template``'s or falls in its wildcard."""
    for known, new in zip(template, tokens, strict=True):
        if known in (new, WILDCARD):
            continue
        if known.endswith(_KEYED_WILDCARD) and new.startswith(known[: -len(WILDCARD)]):
            continue
        return False
    return True


_ANNOTATION_TOKENS = 5  # at most this many tokens in a trailing "(...)" annotation


def _without_annotation(tokens: list[str]) -> list[str] | None:
    """``tokens`` without a trailing parenthesized annotation ("(will retry)"), or None."""
    if len(tokens) < 3 or not tokens[-1].endswith(")"):
        return None
    for start in range(len(tokens) - 1, max(len(tokens) - 1 - _ANNOTATION_TOKENS, 1), -1):
        if tokens[start].startswith("("):
            return tokens[:start] if start >= 2 else None
    return None


def _legacy_match(old: list[str], tokens: list[str]) -> bool:
    """Is ``tokens`` (this version's template) an instance of ``old`` (a previous version's)?

    The previous version masked words with digits (SOCKS5 -> <ID>) and wrote request logs
    without the arrow ("POST /x 502"), so a placeholder there takes a digit-bearing word and
    an arrow is ignored."""
    if len(old) != len(tokens) and "->" in tokens:
        tokens = [word for word in tokens if word != "->"]
    if len(old) != len(tokens):
        return False
    for known, new in zip(old, tokens, strict=True):
        if known in (new, WILDCARD):
            continue
        if known.endswith(_KEYED_WILDCARD) and new.startswith(known[: -len(WILDCARD)]):
            continue
        if _is_kind(known) and (_has_digit(new) or _is_kind(new)):
            continue
        return False
    return True


_OLD = PREVIOUS_GROUPING_VERSIONS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _merge_counts(into: _Cluster, other: _Cluster) -> None:
    into.count += other.count
    for severity, count in other.severity_counts.items():
        into.severity_counts[severity] = into.severity_counts.get(severity, 0) + count
    if other.first_seen is not None and (
        into.first_seen is None or other.first_seen < into.first_seen
    ):
        into.first_seen, into.first = other.first_seen, other.first
    if other.last_seen is not None and (
        into.last_seen is None or other.last_seen >= into.last_seen
    ):
        into.last_seen, into.last = other.last_seen, other.last
    for service in other.services:
        _remember(into.services, service)
    for revision, count in other.revisions.items():
        if revision in into.revisions or len(into.revisions) < MAX_SET:
            into.revisions[revision] = into.revisions.get(revision, 0) + count
    for location in other.locations:
        _remember(into.locations, location)
    into.buckets = [a + b for a, b in zip(into.buckets, other.buckets, strict=True)]
    other.count = 0  # its records are counted here now


def _remember(values: dict[str, None], value: str) -> None:
    if value and len(values) < MAX_SET:
        values[value] = None


def _source_frame(record: LogRecord) -> tuple[StackFrame, ...]:
    """Where a message was logged, as a frame, when the entry says (``sourceLocation``)."""
    if not (record.source_file or record.function):
        return ()
    module = record.logger or record.source_file
    return (StackFrame(module, record.function, record.source_file, record.source_line),)
