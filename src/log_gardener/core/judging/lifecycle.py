"""A problem's life: status, escalation by volume spike, silence, mute and duplicates.  Pure.

Contract (used by ``pipeline`` and ``core.plan``):

    judged = assess(pairs, existing, state, policy, now, run_id=links.run_id)
    silent = silent_issues(existing, state, policy, now, seen_fingerprints)
    pairs = duplicate_issues(existing)          # [(keep, close)]
    state = record_run(state, judged, run_id=..., window_end=..., issue_for=..., published=...)

``existing`` (the gardener's own marked issues, listed fresh each run) is the authority on which
issue a problem has; ``state.json`` only adds memory GitHub does not hold (per-run history, the
priority last published, the revisions already reported).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from log_gardener.core.judging.rules import EscalationPolicy, IssuePolicy
from log_gardener.core.shared.state import HISTORY_LIMIT, GardenerState, KnownCluster, RunCount
from log_gardener.model import (
    ClusterStatus,
    ClusterSummary,
    ExistingIssue,
    IssueState,
    JudgedCluster,
    Judgement,
    Priority,
)

MUTED_LABEL = "log-gardener:muted"
RESOLVED_BY_SILENCE_LABEL = "log-gardener:resolved-by-silence"


@dataclass(frozen=True)
class Spike:
    """A run whose count stands out from the problem's own baseline; numbers for the comment."""

    count: int
    mean: float
    stddev: float
    threshold: float
    baseline_runs: int
    started: bool  # the previous run was not a spike: this is the run to tell people about


def issue_index(existing: Iterable[ExistingIssue]) -> dict[str, ExistingIssue]:
    """fingerprint -> the issue that stands for it (the lowest number when duplicated)."""
    index: dict[str, ExistingIssue] = {}
    for issue in sorted(existing, key=lambda i: i.number):
        if issue.is_dashboard or not issue.fingerprint:
            continue
        index.setdefault(issue.fingerprint, issue)
    return index


def is_muted(issue: ExistingIssue) -> bool:
    """Closed as not planned, or labelled muted: the gardener never writes to it again."""
    return issue.state is IssueState.CLOSED_NOT_PLANNED or MUTED_LABEL in issue.labels


def status_of(judgement: Judgement, issue: ExistingIssue | None) -> ClusterStatus:
    """NEW until an issue exists (even when state.json remembers the problem)."""
    if judgement.ignored or (issue is not None and is_muted(issue)):
        return ClusterStatus.MUTED
    if issue is None:
        return ClusterStatus.NEW
    if issue.state is IssueState.CLOSED_COMPLETED:
        return ClusterStatus.REGRESSION
    return ClusterStatus.ONGOING


def baseline_counts(known: KnownCluster | None, run_id: str = "") -> list[int]:
    """Counts of earlier runs, oldest first; a replay of ``run_id`` does not count itself."""
    if known is None:
        return []
    history = [h for h in known.history if h.run_id != run_id]
    return [h.count for h in history[-HISTORY_LIMIT:]]


def _spread(values: Sequence[int]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    # Counts are Poisson-like: their spread is at least sqrt(mean), so a flat baseline
    # (stddev 0) does not turn every small bump into a spike.
    return mean, max(math.sqrt(variance), math.sqrt(mean))


def _threshold(baseline: Sequence[int], policy: EscalationPolicy) -> float | None:
    """The count above which a run is a spike, or None while the problem is too young."""
    if len(baseline) < max(policy.min_runs, 1):
        return None
    mean, stddev = _spread(baseline)
    return max(float(policy.floor), mean + policy.factor * stddev)


def _is_spike(count: int, baseline: Sequence[int], policy: EscalationPolicy) -> bool:
    limit = _threshold(baseline, policy)
    return limit is not None and count >= policy.floor and count > limit


def _calm_baseline(counts: Sequence[int], policy: EscalationPolicy) -> tuple[list[int], bool]:
    """Replays the history: runs that were spikes stay out of the baseline (so a sustained
    spike stays one spike, not a new normal within two runs).  Returns the calm runs and
    whether the last run was a spike."""
    calm: list[int] = []
    last_was_spike = False
    for count in counts:
        last_was_spike = _is_spike(count, calm, policy)
        if not last_was_spike:
            calm.append(count)
    return calm, last_was_spike


def detect_spike(
    cluster: ClusterSummary, known: KnownCluster | None, policy: EscalationPolicy, run_id: str = ""
) -> Spike | None:
    """Sentry-like: count >= floor and > mean + factor * stddev of the problem's own calm runs,
    with at least ``min_runs`` of them (the young-issue rule)."""
    if not policy.enabled:
        return None
    calm, previous_was_spike = _calm_baseline(baseline_counts(known, run_id), policy)
    if not _is_spike(cluster.count, calm, policy):
        return None
    mean, stddev = _spread(calm)
    limit = _threshold(calm, policy)
    assert limit is not None  # _is_spike checked it
    return Spike(cluster.count, mean, stddev, limit, len(calm), started=not previous_was_spike)


def escalate(judgement: Judgement, spike: Spike | None) -> Priority:
    """One step more urgent on a spike; a pinned rule's priority is a ceiling never passed."""
    if spike is None or judgement.pinned:
        return judgement.priority
    return judgement.priority.raised(1)


def assess(
    clusters: Sequence[tuple[ClusterSummary, Judgement]],
    existing: Sequence[ExistingIssue],
    state: GardenerState,
    policy: IssuePolicy,
    now: datetime,
    *,
    run_id: str = "",
) -> list[JudgedCluster]:
    """Status and escalated priority of every cluster, in a stable order (fingerprint)."""
    del now  # part of the contract; the status does not depend on the clock today
    index = issue_index(existing)
    judged: list[JudgedCluster] = []
    for cluster, judgement in sorted(clusters, key=lambda pair: pair[0].fingerprint):
        status = status_of(judgement, index.get(cluster.fingerprint))
        known = state.clusters.get(cluster.fingerprint)
        spike = None
        if status is not ClusterStatus.MUTED:
            spike = detect_spike(cluster, known, policy.escalation, run_id)
        priority = escalate(judgement, spike)
        escalated_from = judgement.priority if priority != judgement.priority else None
        judged.append(
            JudgedCluster(
                cluster=cluster,
                judgement=replace(judgement, priority=priority),
                status=status,
                escalated_from=escalated_from,
            )
        )
    return judged


def silent_issues(
    existing: Sequence[ExistingIssue],
    state: GardenerState,
    policy: IssuePolicy,
    now: datetime,
    seen_fingerprints: Iterable[str],
) -> list[ExistingIssue]:
    """Open, unmuted gardener issues whose problem was last seen ``auto_resolve_days`` ago or
    more.  A problem whose last sighting is unknown (state lost) is never closed: we cannot
    tell how long it has been silent."""
    if policy.auto_resolve_days <= 0:
        return []
    seen = set(seen_fingerprints)
    cutoff = now - timedelta(days=policy.auto_resolve_days)
    silent = []
    for issue in issue_index(existing).values():
        if issue.state is not IssueState.OPEN or is_muted(issue) or issue.fingerprint in seen:
            continue
        known = state.clusters.get(issue.fingerprint)
        if known is not None and known.last_seen is not None and known.last_seen <= cutoff:
            silent.append(issue)
    return sorted(silent, key=lambda i: i.number)


Pair = tuple[ExistingIssue, ExistingIssue]


def duplicate_issues(existing: Sequence[ExistingIssue]) -> list[Pair]:
    """(keep, close) pairs: one fingerprint (or two dashboards) on several issues keeps the
    lowest number; only the others still open need closing."""
    groups: dict[str, list[ExistingIssue]] = {}
    for issue in existing:
        if issue.is_dashboard:
            groups.setdefault("\0dashboard", []).append(issue)
        elif issue.fingerprint:
            groups.setdefault(issue.fingerprint, []).append(issue)
    pairs: list[Pair] = []
    for issues in groups.values():
        keep, *others = sorted(issues, key=lambda i: i.number)
        pairs.extend((keep, o) for o in others if o.state is IssueState.OPEN)
    return sorted(pairs, key=lambda pair: pair[1].number)


def record_run(
    state: GardenerState,
    judged: Sequence[JudgedCluster],
    *,
    run_id: str,
    window_end: datetime,
    issue_for: Mapping[str, int],
    published: Iterable[str] | None = None,
) -> GardenerState:
    """The state after a run: history appended once per run id (a replay replaces its own
    entry), and, for the fingerprints whose issue writes all happened (``published``; None
    means all), the priority and revisions now shown on the issue."""
    done = None if published is None else set(published)
    seen = {item.cluster.fingerprint for item in judged}
    for fp, known in sorted(state.clusters.items()):
        if fp not in seen:  # a quiet run is a zero in the history, so trends and baselines see it
            state = state.with_cluster(
                replace(known, history=_counted(known, run_id, window_end, 0))
            )
    for item in judged:
        known = remember(state.clusters.get(item.cluster.fingerprint), item, run_id, window_end)
        if done is None or item.cluster.fingerprint in done:
            known = replace(
                known,
                issue_number=issue_for.get(item.cluster.fingerprint, known.issue_number),
                priority=item.judgement.priority,
                revisions=_merged(known.revisions, item.cluster.revisions),
            )
        state = state.with_cluster(known)
    if state.legacy:
        state = replace(state, legacy=state.legacy - seen)  # seen: mapped to this version
    return state


def remember(
    known: KnownCluster | None, item: JudgedCluster, run_id: str, window_end: datetime
) -> KnownCluster:
    """The record of one cluster after this run (its text, first/last seen, history)."""
    c = item.cluster
    if known is None:
        known = KnownCluster(
            fingerprint=c.fingerprint,
            kind=c.kind,
            template=c.template,
            logger=c.logger,
            service=c.services[0] if c.services else "",
            exception_type=c.exception_type,
        )
    first = c.first_seen if known.first_seen is None else min(known.first_seen, c.first_seen)
    last = c.last_seen if known.last_seen is None else max(known.last_seen, c.last_seen)
    history = _counted(known, run_id, window_end, c.count)
    return replace(known, template=c.template, first_seen=first, last_seen=last, history=history)


def _counted(
    known: KnownCluster, run_id: str, window_end: datetime, count: int
) -> tuple[RunCount, ...]:
    """The history with this run's count; a replay replaces its own entry, never adds one."""
    history = tuple(h for h in known.history if h.run_id != run_id)
    return (*history, RunCount(run_id, window_end, count))[-HISTORY_LIMIT:]


def _merged(old: tuple[str, ...], new: Mapping[str, int]) -> tuple[str, ...]:
    return old + tuple(r for r in new if r and r not in old)
