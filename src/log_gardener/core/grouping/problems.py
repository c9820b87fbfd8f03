"""Problems above templates: one root template plus the symptom templates that follow from it.

Pure and deterministic (no clock, no randomness): the same observations, priors and rules give
the same problems, whatever the order of the input within one timestamp.

1. **Episodes (hard links).**  Signal entries (``app_error``, ``platform_failure``, see
   ``core.platform``) are joined when they share a ``trace`` or an ``operation.id``, or when
   they form a failure burst on one ``labels.instanceId`` (gaps of at most ``burst_gap_s``,
   at most ``max_burst_s`` long).  Request logs are placed at ``timestamp + latency`` (Cloud
   Logging stamps them when the request started) and join the burst on their instance that
   is running then (give or take ``request_join_s``).  A 5xx request log without an instance
   joins the same revision's crash loop only when exactly one burst of that revision has a
   platform failure within ``orphan_join_s``; otherwise it stays alone.
2. **Edges (evidence in both directions).**  Over episodes: A -> B ("B is a symptom of A")
   needs support (episodes with both), a consistent order (A first in ``order`` of them), a
   consistent lag, B explained by A (``P(A|B) >= explained``) and A raising B
   (``P(B|A) >= raises`` or ``lift >= lift``, the latter only where episodes without A or B
   exist).  Platform failures are symptoms by nature: for them being explained is enough.
   A platform failure is never the parent of an app error.
3. **Notes (app WARNING/INFO)** join only by contrast on instance outcome: present on nearly
   all failed instances of the root, on nearly no healthy one, with healthy instances seen.
4. **Forest.**  Each symptom takes one parent (the best explained, then the earliest); no
   cycles, no merge through a shared generic symptom (it has no parent explaining it).
   ``link`` rules add edges first; ``separate`` rules forbid any problem holding both.
   Problems recorded in ``state.json`` keep their members (sticky) and their id.

A problem's id is the fingerprint of its root *when it was created* and is never recomputed:
a template that is its own problem keeps its issue exactly as before this layer existed.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from log_gardener.core.grouping.platform import CATALOGUE_VERSION, Role, role_of
from log_gardener.core.shared.marker import parse_members
from log_gardener.core.shared.state import KnownCluster, KnownProblem
from log_gardener.model import (
    ClusterSummary,
    ExistingIssue,
    IssueState,
    JudgedCluster,
    Judgement,
    LogRecord,
    Severity,
)

PROBLEM_GROUPING_VERSION = f"problems-1/{CATALOGUE_VERSION}"
MAX_MEMBERS = 25  # a bigger problem is suspicious: later symptoms stay apart


@dataclass(frozen=True)
class ProblemSettings:
    burst_gap_s: float = 15.0  # a failed start can wait 10 s on a database before it gives up
    max_burst_s: float = 120.0
    request_join_s: float = 2.0
    orphan_join_s: float = 5.0
    min_support: int = 3  # episodes with both, for two app errors
    min_support_platform: int = 2  # for a platform failure under an app error
    order: float = 0.9
    explained: float = 0.8  # P(A|B)
    raises: float = 0.5  # P(B|A)
    lift: float = 2.0
    max_lag_s: float = 30.0
    note_failed: float = 0.9  # share of the root's failed instances showing the note
    note_healthy: float = 0.1  # at most this share of healthy instances
    min_healthy: int = 3


@dataclass(frozen=True)
class LinkRule:
    """A ``link`` rule resolved to fingerprints: every symptom goes under the root."""

    name: str
    roots: frozenset[str]
    symptoms: frozenset[str]


@dataclass(frozen=True)
class PriorProblem:
    """A problem recorded by an earlier run (``state.json``) or an existing template issue."""

    id: str
    root: str
    members: frozenset[str]
    issue_number: int | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One kept entry, reduced to what linking needs (strings are shared, not copied)."""

    fingerprint: str
    at: float  # seconds since the epoch; a request log's end (timestamp + latency)
    order: int  # position in the run (ties in time keep input order)
    role: Role
    service: str
    revision: str
    instance: str
    trace: str
    operation: str
    request: bool


@dataclass(frozen=True)
class Link:
    """Why ``child`` is a symptom of ``parent``: shown under "Why grouped"."""

    parent: str
    child: str
    kind: str  # trace | operation | instance | request | contrast | rule | recorded
    together: int = 0  # episodes (or instances) with both
    parent_count: int = 0
    child_count: int = 0
    episodes: int = 0
    explained: float = 0.0  # P(parent | child)
    raises: float = 0.0  # P(child | parent)
    lift: float = 0.0
    lag_s: float = 0.0  # median offset child - parent
    note: str = ""  # our words, e.g. a rule's name

    def words(self) -> str:
        if self.kind == "rule":
            return f"rule {self.note}"
        if self.kind == "recorded":
            return "recorded membership (an earlier run linked them)"
        if self.kind == "contrast":
            return (
                f"instance contrast: on {self.together} of {self.parent_count} failed instances, "
                f"{self.note}"
            )
        return (
            f"{self.kind}: together in {self.together} of {self.episodes} episodes; "
            f"P(parent|symptom) {self.explained:.2f}, P(symptom|parent) {self.raises:.2f}, "
            f"lift {self.lift:.1f}, median lag {self.lag_s:.3f} s"
        )


@dataclass(frozen=True)
class Problem:
    id: str
    root: str
    members: tuple[tuple[str, str], ...]  # (fingerprint, "root" | "symptom"), root first
    links: tuple[Link, ...] = ()
    timeline: tuple[tuple[str, float], ...] = ()  # one occurrence: (fingerprint, +seconds)
    folded: tuple[str, ...] = ()  # ids of earlier problems folded into this one

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(fp for fp, _role in self.members)


@dataclass(frozen=True)
class Healthy:
    """Healthy instances (no error, no platform failure) and the notes they logged."""

    instances: int = 0
    notes: Mapping[str, int] = field(default_factory=dict)  # note fingerprint -> instances

    def plus(self, other: Healthy) -> Healthy:
        notes = dict(self.notes)
        for fp, n in other.notes.items():
            notes[fp] = notes.get(fp, 0) + n
        return Healthy(self.instances + other.instances, notes)


@dataclass(frozen=True)
class ProblemSet:
    problems: tuple[Problem, ...]
    problem_of: Mapping[str, str]  # fingerprint -> problem id
    healthy: Healthy = Healthy()  # what this run saw, for state.json

    def get(self, problem_id: str) -> Problem | None:
        return next((p for p in self.problems if p.id == problem_id), None)


# --- observing ---------------------------------------------------------------------------


@dataclass
class Observer:
    """What linking needs, gathered during ingestion.  Memory: one ``Observation`` per signal
    entry (errors and platform failures); notes, the bulk of a busy hour, only add their
    template to the set of their instance."""

    keep_insert_ids: bool = False
    observations: list[Observation] = field(default_factory=list)  # signal entries only
    notes_on: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    roles: dict[str, set[Role]] = field(default_factory=dict)  # fingerprint -> roles seen
    first_seen: dict[str, float] = field(default_factory=dict)
    assigned: list[tuple[str, str]] = field(default_factory=list)  # (insertId, fingerprint)
    _strings: dict[str, str] = field(default_factory=dict)
    _order: int = 0

    def _shared(self, text: str) -> str:
        return self._strings.setdefault(text, text) if text else ""

    def observe(self, record: LogRecord, fingerprint: str, key: str | None) -> None:
        """Called once per kept entry: cheap for notes (most entries), a record for signals."""
        if self.keep_insert_ids:
            self.assigned.append((record.insert_id, fingerprint))
        self._order += 1
        http = record.http
        if key is None and http is None and record.severity < Severity.ERROR:
            if record.frames:
                role = Role.APP_ERROR
            else:
                self._note(record, fingerprint)
                return
        else:
            role = role_of(record, key)
            if not role.signal:
                self._note(record, fingerprint)
                return
        at = record.timestamp.timestamp()
        if http is not None and http.latency:
            at += _seconds(http.latency)
        roles = self.roles.get(fingerprint)
        if roles is None:
            self.roles[fingerprint] = {role}
            self.first_seen[fingerprint] = at
        else:
            roles.add(role)
            self.first_seen[fingerprint] = min(self.first_seen[fingerprint], at)
        self.observations.append(
            Observation(
                fingerprint=fingerprint,
                at=at,
                order=self._order,
                role=role,
                service=self._shared(record.service),
                revision=self._shared(record.revision),
                instance=self._shared(record.labels.get("instanceId", "")),
                trace=record.trace,
                operation=self._shared(record.operation),
                request=http is not None,
            )
        )

    def resolve(self, final: Callable[[str], str]) -> None:
        """Renames every fingerprint to the one its cluster ended up in (the clusterer may fold a
        young cluster into a wider one after entries were observed under the young one)."""
        self.assigned = [(insert_id, final(fp)) for insert_id, fp in self.assigned]
        self.observations = [
            o
            if final(o.fingerprint) == o.fingerprint
            else replace(o, fingerprint=final(o.fingerprint))
            for o in self.observations
        ]
        self.notes_on = {place: {final(fp) for fp in fps} for place, fps in self.notes_on.items()}
        roles: dict[str, set[Role]] = {}
        first_seen: dict[str, float] = {}
        for fp, seen in self.roles.items():
            roles.setdefault(final(fp), set()).update(seen)
        for fp, at in self.first_seen.items():
            first_seen[final(fp)] = min(at, first_seen.get(final(fp), at))
        self.roles, self.first_seen = roles, first_seen

    def _note(self, record: LogRecord, fingerprint: str) -> None:
        instance = record.labels.get("instanceId")
        if instance and role_of(record, None) is Role.APP_NOTE:
            place = (record.service, record.revision, instance)
            found = self.notes_on.get(place)
            if found is None:
                self.notes_on[place] = {fingerprint}
            else:
                found.add(fingerprint)


def _seconds(latency: str) -> float:
    """``"1.234s"`` (the JSON form of a Duration) in seconds; 0 when unreadable."""
    text = latency.strip()
    if text.endswith("s"):
        text = text[:-1]
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return value if 0 <= value < 86400 else 0.0


# --- episodes ----------------------------------------------------------------------------


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True)
class _Episode:
    kinds: Mapping[str, frozenset[str]]  # fingerprint -> how its entries were joined
    first: Mapping[str, tuple[float, int]]  # fingerprint -> (first time, first order)
    crash: bool = False  # an instance burst ending in a platform failure (exit, probe, kill)


def episodes(
    observations: Sequence[Observation], settings: ProblemSettings
) -> tuple[list[_Episode], dict[tuple[str, str, str], list[tuple[float, float]]]]:
    """Episodes of signal entries, and the failure bursts per instance (for notes)."""
    signals = [o for o in observations if o.role.signal]
    signals.sort(key=lambda o: (o.at, o.order))
    uf = _UnionFind(len(signals))
    kinds: dict[int, set[str]] = defaultdict(set)

    def join(indexes: Sequence[int], kind: str) -> None:
        for other in indexes[1:]:
            uf.union(indexes[0], other)
        if len(indexes) > 1:
            for index in indexes:
                kinds[index].add(kind)

    by_trace: dict[str, list[int]] = defaultdict(list)
    by_operation: dict[str, list[int]] = defaultdict(list)
    by_instance: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    requests_at: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    orphans: list[int] = []
    for index, obs in enumerate(signals):
        if obs.trace:
            by_trace[obs.trace].append(index)
        if obs.operation:
            by_operation[obs.operation].append(index)
        place = (obs.service, obs.revision, obs.instance)
        if obs.request:
            if obs.instance:
                requests_at[place].append(index)
            elif obs.role is Role.PLATFORM_FAILURE:
                orphans.append(index)
        elif obs.instance:
            by_instance[place].append(index)
    for indexes in by_trace.values():
        join(indexes, "trace")
    for indexes in by_operation.values():
        join(indexes, "operation")
    bursts = _bursts(signals, by_instance, settings)
    for burst in bursts.values():
        for members in burst:
            join(members, "instance")
    _join_requests(signals, bursts, requests_at, settings, join)
    _join_orphans(signals, bursts, orphans, settings, join)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(signals)):
        groups[uf.find(index)].append(index)
    result = []
    for _root, members in sorted(groups.items()):
        first: dict[str, tuple[float, int]] = {}
        episode_kinds: dict[str, set[str]] = defaultdict(set)
        crash = False
        for index in members:
            obs = signals[index]
            crash = crash or (
                obs.role is Role.PLATFORM_FAILURE and not obs.request and bool(obs.instance)
            )
            moment = (obs.at, obs.order)
            if obs.fingerprint not in first or moment < first[obs.fingerprint]:
                first[obs.fingerprint] = moment
            episode_kinds[obs.fingerprint] |= kinds.get(index, set())
        kinds_of = {fp: frozenset(k) for fp, k in episode_kinds.items()}
        result.append(_Episode(kinds_of, first, crash))
    spans = {
        place: [(signals[b[0]].at, signals[b[-1]].at) for b in burst]
        for place, burst in bursts.items()
    }
    return result, spans


def _bursts(
    signals: Sequence[Observation],
    by_instance: Mapping[tuple[str, str, str], list[int]],
    settings: ProblemSettings,
) -> dict[tuple[str, str, str], list[list[int]]]:
    bursts: dict[tuple[str, str, str], list[list[int]]] = {}
    for place, indexes in by_instance.items():
        cut: list[list[int]] = []
        for index in indexes:  # already in time order
            moment = signals[index].at
            if cut:
                current = cut[-1]
                gap = moment - signals[current[-1]].at
                span = moment - signals[current[0]].at
                if gap <= settings.burst_gap_s and span <= settings.max_burst_s:
                    current.append(index)
                    continue
            cut.append([index])
        bursts[place] = cut
    return bursts


def _join_requests(
    signals: Sequence[Observation],
    bursts: Mapping[tuple[str, str, str], list[list[int]]],
    requests_at: Mapping[tuple[str, str, str], list[int]],
    settings: ProblemSettings,
    join: object,
) -> None:
    assert callable(join)
    slack = settings.request_join_s
    for place, indexes in requests_at.items():
        for index in indexes:
            moment = signals[index].at
            for members in bursts.get(place, ()):
                start, end = signals[members[0]].at, signals[members[-1]].at
                if start - slack <= moment <= end + slack:
                    join([members[0], index], "request")
                    break


def _join_orphans(
    signals: Sequence[Observation],
    bursts: Mapping[tuple[str, str, str], list[list[int]]],
    orphans: Sequence[int],
    settings: ProblemSettings,
    join: object,
) -> None:
    """5xx request logs without an instance: the one crash loop of their revision, if any."""
    assert callable(join)
    failing: dict[tuple[str, str], list[tuple[list[int], list[float]]]] = defaultdict(list)
    for (service, revision, _instance), cut in bursts.items():
        for members in cut:
            times = [signals[i].at for i in members if signals[i].role is Role.PLATFORM_FAILURE]
            if times:
                failing[(service, revision)].append((members, times))
    for index in orphans:
        obs = signals[index]
        near = [
            members
            for members, times in failing.get((obs.service, obs.revision), ())
            if any(abs(obs.at - t) <= settings.orphan_join_s for t in times)
        ]
        if len(near) == 1:
            join([near[0][0], index], "request")


# --- edges -------------------------------------------------------------------------------


@dataclass
class _PairStats:
    before: int = 0  # episodes where A came first (or tied, A the better root)
    after: int = 0
    lags: list[float] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)


def _candidate_links(
    found: Sequence[_Episode],
    roles: Mapping[str, Role],
    rank: Mapping[str, tuple[int, int, str]],
    settings: ProblemSettings,
) -> list[Link]:
    count: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], _PairStats] = defaultdict(_PairStats)
    for episode in found:
        members = sorted(episode.first.items(), key=lambda item: (item[1][0], rank[item[0]]))
        for fp, _moment in members:
            count[fp] += 1
        for i, (a, (ta, _oa)) in enumerate(members):
            for b, (tb, _ob) in members[i + 1 :]:
                # members are in time order: a came first (or tied, a ranks as the better root)
                a_low = a < b
                stats = pairs[(a, b) if a_low else (b, a)]
                if a_low:
                    stats.before += 1
                else:
                    stats.after += 1
                stats.lags.append(tb - ta if a_low else ta - tb)
                # how this pair was joined: both by their trace, or one burst on an instance
                shared = episode.kinds.get(a, frozenset()) & episode.kinds.get(b, frozenset())
                shared = shared or frozenset({"instance"})
                if episode.crash and "trace" not in shared and "operation" not in shared:
                    shared = shared | {"crash"}  # one failed start: its chain, then its exit
                stats.kinds |= shared
    total = len(found)
    links = []
    for (low, high), stats in sorted(pairs.items()):
        together = stats.before + stats.after
        if stats.before >= stats.after:
            parent, child, ordered, lags = low, high, stats.before, stats.lags
        else:
            parent, child, ordered, lags = high, low, stats.after, [-x for x in stats.lags]
        link = _tested(parent, child, together, ordered, lags, stats.kinds, count, total, roles)
        if link is not None and _accepted(link, ordered, lags, roles, settings):
            links.append(link)
    return links


def _tested(
    parent: str,
    child: str,
    together: int,
    ordered: int,
    lags: list[float],
    kinds: set[str],
    count: Mapping[str, int],
    total: int,
    roles: Mapping[str, Role],
) -> Link | None:
    if roles[parent] is Role.PLATFORM_FAILURE and roles[child] is Role.APP_ERROR:
        return None  # a symptom the platform saw never explains the app's own error
    kind = next(
        (k for k in ("trace", "operation", "crash", "instance", "request") if k in kinds), ""
    )
    n_a, n_b = count[parent], count[child]
    return Link(
        parent=parent,
        child=child,
        kind=kind or "instance",
        together=together,
        parent_count=n_a,
        child_count=n_b,
        episodes=total,
        explained=together / n_b,
        raises=together / n_a,
        lift=total * together / (n_a * n_b),
        lag_s=statistics.median(lags) if lags else 0.0,
        note=f"{ordered} of {together} in this order",
    )


def _accepted(
    link: Link,
    ordered: int,
    lags: list[float],
    roles: Mapping[str, Role],
    settings: ProblemSettings,
) -> bool:
    platform_child = roles[link.child] is Role.PLATFORM_FAILURE
    request_scoped = link.kind in ("trace", "operation")
    # Hard links need one occurrence: one request (trace, operation) or one failed start (the
    # burst on an instance that ends in its exit).  Anything else needs repeated evidence.
    hard = request_scoped or link.kind == "crash"
    support = (
        1 if hard else (settings.min_support_platform if platform_child else settings.min_support)
    )
    if link.together < support or ordered / link.together < settings.order:
        return False
    if link.explained < settings.explained:
        return False
    if not request_scoped:
        quartiles = statistics.quantiles(lags, n=4) if len(lags) >= 2 else [0.0, 0.0, 0.0]
        spread = quartiles[2] - quartiles[0]
        if link.lag_s > settings.max_lag_s or spread > max(2.0, abs(link.lag_s)):
            return False
    if platform_child:
        return True
    contrast = link.episodes > max(link.parent_count, link.child_count)
    return link.raises >= settings.raises or (contrast and link.lift >= settings.lift)


# --- notes: healthy versus failed instances ----------------------------------------------


def _note_links(
    observations: Sequence[Observation],
    notes_on: Mapping[tuple[str, str, str], set[str]],
    skip: set[str],
    settings: ProblemSettings,
    earlier: Healthy,
) -> tuple[list[Link], Healthy]:
    """Notes (app WARNING/INFO) that separate failed instances from healthy ones, counting
    the healthy instances of earlier runs (``earlier``) too; and this run's healthy ones."""
    signals_on: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    failed: set[tuple[str, str, str]] = set()
    for obs in observations:
        if not obs.instance:
            continue
        place = (obs.service, obs.revision, obs.instance)
        if obs.role.signal:
            signals_on[place].add(obs.fingerprint)
            if obs.role is Role.PLATFORM_FAILURE and not obs.request:
                failed.add(place)
    places = set(notes_on) | set(signals_on)
    healthy = [p for p in places if p not in signals_on]
    seen_now: dict[str, int] = defaultdict(int)
    for place in healthy:
        for fp in notes_on.get(place, ()):
            seen_now[fp] += 1
    now = Healthy(len(healthy), dict(sorted(seen_now.items())))
    total = now.plus(earlier)
    if total.instances < settings.min_healthy:
        return [], now  # undecidable: no contrast without healthy starts (kept apart)
    links = []
    notes = sorted({fp for fps in notes_on.values() for fp in fps} - skip)
    roots = sorted({fp for p in failed for fp in signals_on[p]})
    for note in notes:
        on_healthy = total.notes.get(note, 0)
        if on_healthy > settings.note_healthy * total.instances:
            continue
        best: Link | None = None
        for root in roots:
            with_root = [p for p in failed if root in signals_on[p]]
            hits = sum(1 for p in with_root if note in notes_on.get(p, ()))
            if len(with_root) < settings.min_support or hits < settings.note_failed * len(
                with_root
            ):
                continue
            link = Link(
                parent=root,
                child=note,
                kind="contrast",
                together=hits,
                parent_count=len(with_root),
                note=f"on {on_healthy} of {total.instances} healthy instances",
            )
            if best is None or (link.together, link.parent_count) > (
                best.together,
                best.parent_count,
            ):
                best = link
        if best is not None:
            links.append(best)
    return links, now


# --- the forest --------------------------------------------------------------------------


def find_problems(
    observations: Sequence[Observation],
    templates: Mapping[str, tuple[Role, int]],  # fingerprint -> (role, specificity rank)
    priors: Sequence[PriorProblem] = (),
    link_rules: Sequence[LinkRule] = (),
    separate: Sequence[frozenset[str]] = (),
    excluded: Iterable[str] = (),
    settings: ProblemSettings | None = None,
    notes_on: Mapping[tuple[str, str, str], set[str]] | None = None,
    first_seen: Mapping[str, float] | None = None,
    earlier_healthy: Healthy = Healthy(),
) -> ProblemSet:
    """The problems of one run.  ``templates`` lists every fingerprint seen in the run;
    ``observations`` are its signal entries (``Observer`` keeps only those), ``notes_on`` the
    note templates seen per instance, ``first_seen`` each template's first moment."""
    settings = settings or ProblemSettings()
    skip = set(excluded)
    roles = {fp: role for fp, (role, _s) in templates.items()}
    rank = {fp: (role.layer, specificity, fp) for fp, (role, specificity) in templates.items()}
    usable = [o for o in observations if o.fingerprint not in skip and o.role.signal]
    found, _spans = episodes(usable, settings)
    candidates = _candidate_links(found, roles, rank, settings)
    contrast, healthy = _note_links(usable, notes_on or {}, skip, settings, earlier_healthy)
    candidates += contrast
    first_seen = dict(first_seen) if first_seen is not None else _first_seen(usable)
    forest = _Forest(set(templates) | {fp for p in priors for fp in p.members}, separate)
    for prior in sorted(priors, key=lambda p: p.id):
        forest.pre_merge(prior)
    for rule in link_rules:
        for root in sorted(rule.roots & set(templates)):
            for symptom in sorted(rule.symptoms - {root}):
                forest.attach(Link(root, symptom, "rule", note=rule.name), force=True)
    ordered = sorted(
        candidates,
        key=lambda link: (
            first_seen.get(link.child, float("inf")),
            link.child,
            -link.explained,
            -link.lag_s,
            rank[link.parent],
        ),
    )
    for link in ordered:
        if link.child not in skip and link.parent not in skip:
            forest.attach(link)
    return replace(forest.problems(priors, rank, first_seen, found), healthy=healthy)


def _first_seen(observations: Sequence[Observation]) -> dict[str, float]:
    first: dict[str, float] = {}
    for obs in observations:
        if obs.fingerprint not in first or obs.at < first[obs.fingerprint]:
            first[obs.fingerprint] = obs.at
    return first


class _Forest:
    def __init__(self, fingerprints: Iterable[str], separate: Sequence[frozenset[str]]) -> None:
        self.group = {fp: fp for fp in fingerprints}
        self.sets: dict[str, set[str]] = {fp: {fp} for fp in self.group}
        self.parent: dict[str, Link] = {}
        self.apart: dict[str, set[str]] = defaultdict(set)
        for pair in separate:
            if len(pair) == 2:
                a, b = sorted(pair)
                self.apart[a].add(b)
                self.apart[b].add(a)

    def find(self, fp: str) -> str:
        if fp not in self.group:
            self.group[fp] = fp
            self.sets[fp] = {fp}
        while self.group[fp] != fp:
            self.group[fp] = self.group[self.group[fp]]
            fp = self.group[fp]
        return fp

    def members(self, fp: str) -> set[str]:
        return self.sets[self.find(fp)]

    def separated(self, a: str, b: str) -> bool:
        left, right = self.members(a), self.members(b)
        if len(left) > len(right):
            left, right = right, left
        return any(not self.apart[x].isdisjoint(right) for x in left if x in self.apart)

    def _merge(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            keep, gone = min(ra, rb), max(ra, rb)
            self.group[gone] = keep
            self.sets[keep] |= self.sets.pop(gone)

    def pre_merge(self, prior: PriorProblem) -> None:
        for fp in sorted(prior.members):
            if fp != prior.root and not self.separated(prior.root, fp):
                self._merge(prior.root, fp)
                self.parent.setdefault(fp, Link(prior.root, fp, "recorded"))

    def attach(self, link: Link, force: bool = False) -> None:
        child, parent = link.child, link.parent
        if child in self.parent and not force:
            return  # one parent per symptom
        same = self.find(child) == self.find(parent)
        if same and not force:
            return  # already in one problem (or it would make a cycle)
        if not same and self.separated(child, parent):
            return
        if not same and len(self.members(child)) + len(self.members(parent)) > MAX_MEMBERS:
            return
        if same and self._ancestor(child, parent):
            return
        self.parent[child] = link
        self._merge(child, parent)

    def _ancestor(self, maybe: str, of: str) -> bool:
        seen = set()
        node = of
        while node in self.parent and node not in seen:
            seen.add(node)
            node = self.parent[node].parent
            if node == maybe:
                return True
        return False

    def top(self, fp: str) -> str:
        seen = {fp}
        while fp in self.parent and self.parent[fp].parent not in seen:
            fp = self.parent[fp].parent
            seen.add(fp)
        return fp

    def problems(
        self,
        priors: Sequence[PriorProblem],
        rank: Mapping[str, tuple[int, int, str]],
        first_seen: Mapping[str, float],
        found: Sequence[_Episode],
    ) -> ProblemSet:
        groups = {root: sorted(fps) for root, fps in self.sets.items()}
        having: dict[str, list[_Episode]] = {}  # fingerprint -> the episodes holding it, in order
        for episode in found:
            for fp in episode.first:
                having.setdefault(fp, []).append(episode)
        prior_of = {fp: prior for prior in priors for fp in prior.members}
        problems = []
        problem_of: dict[str, str] = {}
        for _key, members in sorted(groups.items()):
            met = sorted(
                {prior_of[fp] for fp in members if fp in prior_of},
                key=lambda p: (p.issue_number is None, p.issue_number or 0, p.id),
            )
            root = self._root(members, rank, first_seen)
            # The root's own problem keeps its id (and issue); a new ancestor or a chain met
            # for the first time takes the oldest issue among the problems it gathers.
            keeper = prior_of.get(root) or (met[0] if met else None)
            met = [keeper, *(p for p in met if p is not keeper)] if keeper is not None else met
            pid = keeper.id if keeper is not None else root
            order = sorted(
                (fp for fp in members if fp != root),
                key=lambda fp: (first_seen.get(fp, float("inf")), rank.get(fp, (9, 0, fp))),
            )
            links = tuple(self.parent[fp] for fp in order if fp in self.parent)
            problem = Problem(
                id=pid,
                root=root,
                members=((root, "root"), *((fp, "symptom") for fp in order)),
                links=links,
                timeline=_timeline(set(members), root, having.get(root, ())),
                folded=tuple(p.id for p in met[1:]),
            )
            problems.append(problem)
            for fp in members:
                problem_of[fp] = pid
        problems.sort(key=lambda p: p.id)
        return ProblemSet(tuple(problems), problem_of)

    def _root(
        self,
        members: Sequence[str],
        rank: Mapping[str, tuple[int, int, str]],
        first_seen: Mapping[str, float],
    ) -> str:
        """The top of the tree (one tree per group: every member has at most one parent); a
        new ancestor of a recorded root takes over as root."""
        tops = sorted(
            {self.top(fp) for fp in members},
            key=lambda fp: (rank.get(fp, (9, 0, fp)), first_seen.get(fp, float("inf"))),
        )
        return tops[0]


def _timeline(
    members: set[str], root: str, found: Sequence[_Episode]
) -> tuple[tuple[str, float], ...]:
    """One occurrence: the episode with the root and the most members (the earliest of those).
    ``found``: the episodes that hold ``root``, in order."""
    best: _Episode | None = None
    best_size = 0
    for episode in found:
        size = len(members.intersection(episode.first))
        if size > best_size:
            best, best_size = episode, size
    if best is None or best_size < 2:
        return ()
    start = best.first[root][0]
    steps = sorted(
        ((fp, moment) for fp, moment in best.first.items() if fp in members),
        key=lambda item: (item[1][0], item[0]),
    )
    return tuple((fp, round(moment[0] - start, 3)) for fp, moment in steps)


def specificity(exception_type: str, template: str, has_stack: bool) -> int:
    """Smaller is more specific: an exception with a stack, then more constant words."""
    wild = template.count("<*>") + template.count("‹")
    words = len([w for w in template.split() if "<" not in w and "‹" not in w])
    base = 0 if (exception_type and has_stack) else (1 if exception_type else 2)
    return base * 1000 - min(words, 99) * 10 + min(wild, 9)


# --- from and to the rest of the run -----------------------------------------------------

FOLDED_LABEL = "log-gardener:folded"
_ROLE_STRENGTH = (Role.PLATFORM_FAILURE, Role.APP_ERROR, Role.APP_NOTE, Role.PLATFORM_LIFECYCLE)


def template_roles(observer: Observer) -> dict[str, Role]:
    """The role of each template with signal entries: a platform failure if any of its entries
    was one, else an app error.  Templates not listed are notes."""
    seen = observer.roles
    return {
        fp: next(role for role in _ROLE_STRENGTH if role in roles) for fp, roles in seen.items()
    }


def priors_from(
    recorded: Mapping[str, KnownProblem], existing: Sequence[ExistingIssue]
) -> list[PriorProblem]:
    """Recorded problems, plus every template issue not folded into one (its own problem)."""
    numbers: dict[str, int] = {}
    for issue in sorted(existing, key=lambda i: i.number):
        if issue.fingerprint and not issue.is_dashboard and FOLDED_LABEL not in issue.labels:
            numbers.setdefault(issue.fingerprint, issue.number)
    priors = [
        PriorProblem(p.id, p.root, frozenset(p.members), numbers.get(p.id))
        for p in recorded.values()
    ]
    members = {fp for p in recorded.values() for fp in p.members}
    bodies = {i.number: i.body for i in existing}
    for fp, number in sorted(numbers.items()):
        if fp in members or fp in recorded:
            continue
        listed = parse_members(bodies.get(number, ""))
        if listed is not None and listed[0] == fp and not members & set(listed[1]):
            # state.json was lost: the issue's hidden list rebuilds the problem
            priors.append(PriorProblem(fp, listed[1][0], frozenset(listed[1]), number))
            members |= set(listed[1])
        else:
            priors.append(PriorProblem(fp, fp, frozenset({fp}), number))
    return priors


@dataclass(frozen=True)
class Fold:
    """An open template issue whose template is now a symptom of another problem."""

    issue: ExistingIssue
    problem_id: str


def folds_for(problem_set: ProblemSet, existing: Sequence[ExistingIssue]) -> list[Fold]:
    found = []
    for issue in sorted(existing, key=lambda i: i.number):
        if issue.is_dashboard or not issue.fingerprint or issue.state is not IssueState.OPEN:
            continue
        if FOLDED_LABEL in issue.labels:
            continue
        problem_id = problem_set.problem_of.get(issue.fingerprint)
        if problem_id is not None and problem_id != issue.fingerprint:
            found.append(Fold(issue, problem_id))
    return found


def fold(
    problem: Problem,
    seen: Mapping[str, tuple[ClusterSummary, Judgement]],
    known: KnownCluster | None = None,
) -> tuple[ClusterSummary, Judgement] | None:
    """One problem as one cluster: the root's text (or its first member seen), the members'
    counts added, the most urgent member's priority.  None when no member was seen.  When the
    root is quiet, ``known`` (the problem's record in state.json) keeps its title text."""
    present = [fp for fp in problem.fingerprints if fp in seen]
    if not present:
        return None
    base, judgement = seen[problem.root] if problem.root in seen else seen[present[0]]
    if problem.root not in seen and known is not None and (known.template or known.exception_type):
        base = replace(
            base,
            kind=known.kind,
            template=known.template,
            logger=known.logger,
            exception_type=known.exception_type,
            exception_value="",
            top_frames=(),
        )
    parts = [seen[fp] for fp in present]
    if len(parts) == 1:
        return replace(base, fingerprint=problem.id), judgement
    severities: dict[Severity, int] = defaultdict(int)
    revisions: dict[str, int] = {}
    for summary, _j in parts:
        for severity, n in summary.severity_counts.items():
            severities[severity] += n
        for revision, n in summary.revisions.items():
            revisions[revision] = revisions.get(revision, 0) + n
    width = max(len(s.buckets) for s, _j in parts)
    buckets = tuple(
        sum(s.buckets[i] for s, _j in parts if i < len(s.buckets)) for i in range(width)
    )
    summary = replace(
        base,
        fingerprint=problem.id,
        count=sum(s.count for s, _j in parts),
        severity_counts=dict(sorted(severities.items())),
        first_seen=min(s.first_seen for s, _j in parts),
        last_seen=max(s.last_seen for s, _j in parts),
        services=tuple(dict.fromkeys(x for s, _j in parts for x in s.services)),
        revisions=revisions,
        locations=tuple(dict.fromkeys(x for s, _j in parts for x in s.locations)),
        buckets=buckets,
    )
    active = [j for _s, j in parts if not j.ignored] or [judgement]
    priority = min(j.priority for j in active)
    merged = replace(
        judgement,
        priority=priority,
        labels=tuple(dict.fromkeys(label for j in active for label in j.labels)),
        pinned=any(j.pinned and j.priority == priority for j in active),
        ignored=all(j.ignored for _s, j in parts),
    )
    return summary, merged


@dataclass(frozen=True)
class MemberView:
    fingerprint: str
    role: str  # root | symptom
    kind: str  # the catalogue role: app_error, platform_failure...
    title: str  # publishable (redacted, plain) title of the template
    count: int
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True)
class ProblemView:
    """What renderers show of a problem (titles already redacted by ``issue_title``)."""

    id: str
    root: str
    members: tuple[MemberView, ...]
    why: tuple[tuple[str, str, str], ...] = ()  # (symptom title, parent title, our words)
    timeline: tuple[tuple[str, float], ...] = ()  # (title, +seconds)

    @property
    def folds(self) -> int:
        return len(self.members)


def problem_views(
    problem_set: ProblemSet,
    templates: Mapping[str, JudgedCluster],
    titles: Mapping[str, str],
    roles: Mapping[str, Role],
) -> dict[str, ProblemView]:
    views = {}
    for problem in problem_set.problems:
        members = []
        for fp, role in problem.members:
            judged = templates.get(fp)
            members.append(
                MemberView(
                    fingerprint=fp,
                    role=role,
                    kind=roles[fp].value if fp in roles else ("app_note" if judged else ""),
                    title=titles.get(fp, fp),
                    count=judged.cluster.count if judged else 0,
                    first_seen=judged.cluster.first_seen if judged else None,
                    last_seen=judged.cluster.last_seen if judged else None,
                )
            )
        why = tuple(
            (titles.get(link.child, link.child), titles.get(link.parent, link.parent), link.words())
            for link in problem.links
        )
        timeline = tuple((titles.get(fp, fp), offset) for fp, offset in problem.timeline)
        views[problem.id] = ProblemView(problem.id, problem.root, tuple(members), why, timeline)
    return views


def recorded(
    problem_set: ProblemSet, before: Mapping[str, KnownProblem]
) -> dict[str, KnownProblem]:
    """The problems ``state.json`` keeps: earlier ones, updated, minus those folded away."""
    kept = dict(before)
    for problem in problem_set.problems:
        for gone in problem.folded:
            kept.pop(gone, None)
        if len(problem.members) > 1:
            old = kept.get(problem.id)
            words = {
                link.child: f"{link.child} <- {link.parent}: {link.words()}"
                for link in problem.links
            }
            if old is not None:
                for line in old.links:
                    words.setdefault(line.split(" ", 1)[0], line)
            kept[problem.id] = KnownProblem(
                id=problem.id,
                root=problem.root,
                members=problem.fingerprints,
                links=tuple(words[fp] for fp in problem.fingerprints if fp in words),
            )
    return kept
