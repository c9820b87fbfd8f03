"""``state.json``: what the gardener remembers between runs.  Pure (text in, text out).

The state is a cache of what can be rebuilt from the gardener's own issues plus per-run
history.  A missing, corrupt or future-version file is never fatal: ``parse_state`` returns an
empty state and a warning, and the run rebuilds the fingerprint -> issue map from GitHub.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from log_gardener.core.shared.json_text import dumps_indented
from log_gardener.model import (
    GROUPING_VERSION,
    PREVIOUS_GROUPING_VERSIONS,
    STATE_VERSION,
    GroupingKind,
    Priority,
)

HISTORY_LIMIT = 48  # runs of per-cluster history kept (two days of hourly runs)
RUNS_LIMIT = 100  # runs listed in the worklog index


@dataclass(frozen=True)
class RunCount:
    run_id: str
    window_end: datetime
    count: int


@dataclass(frozen=True)
class KnownCluster:
    fingerprint: str
    kind: GroupingKind
    template: str  # raw (unredacted) masked template, for matching in later runs
    logger: str = ""
    service: str = ""
    exception_type: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    issue_number: int | None = None
    priority: Priority | None = None  # last published priority (for "priority raised")
    revisions: tuple[str, ...] = ()  # revisions already reported (for "new revision affected")
    history: tuple[RunCount, ...] = ()
    title: str = ""  # the published problem title (rule title or sanitized template)


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    generated_at: datetime
    worklog_path: str
    clusters: int
    entries: int
    max_priority: str = ""


PENDING_CREATES_LIMIT = 50  # deferred creates carried with their rendered issue


@dataclass(frozen=True)
class PendingWork:
    """An operation deferred by the budget.  The next run plans it again from fresh data when
    the problem shows up; a deferred create also keeps its rendered (already redacted) title,
    body and labels, so its issue is opened even if the problem stays quiet."""

    fingerprint: str
    kind: str  # OperationKind value
    reason: str = ""
    title: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class HealthyRun:
    """Healthy instances one run saw (no error, no platform failure) and, per note template,
    how many of them logged it: the contrast that lets a warning join a crash."""

    run_id: str
    instances: int
    notes: Mapping[str, int] = field(default_factory=dict)


HEALTHY_RUNS_LIMIT = 48


@dataclass(frozen=True)
class KnownProblem:
    """A problem folding several templates (a template alone needs no record: its id is its
    fingerprint).  The id never changes; members only join (sticky), so a symptom seen alone
    in a later run still routes to this problem's issue."""

    id: str
    root: str
    members: tuple[str, ...]  # root first
    links: tuple[str, ...] = ()  # why each member joined, in our words (no log text)


@dataclass(frozen=True)
class GardenerState:
    version: int = STATE_VERSION
    grouping_version: str = GROUPING_VERSION
    clusters: Mapping[str, KnownCluster] = field(default_factory=dict)
    cursors: Mapping[str, datetime] = field(default_factory=dict)  # target key -> window end
    pending: tuple[PendingWork, ...] = ()
    runs: tuple[RunSummary, ...] = ()  # newest first
    dashboard_issue: int | None = None
    # target key -> "insertId|timestamp" of entries already counted inside the overlap that the
    # next run re-reads (late arrivals), so nothing is counted twice.
    overlap_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    problems: Mapping[str, KnownProblem] = field(default_factory=dict)  # id -> problem
    healthy: tuple[HealthyRun, ...] = ()  # newest last
    # Fingerprints in ``clusters`` made by a previous grouping version and not seen since the
    # upgrade: the clusterer maps the first matching cluster of this version to each (so its
    # issue is found again) instead of seeding them for the similarity merge.
    legacy: frozenset[str] = frozenset()

    def with_cluster(self, known: KnownCluster) -> GardenerState:
        return replace(self, clusters={**self.clusters, known.fingerprint: known})


def published(state: GardenerState, clean: Callable[[str], str]) -> GardenerState:
    """The state as committed: every log-derived text through ``clean`` (redact, neutralize).

    ``state.json`` is a public file.  Matching in later runs does not need the raw text: a
    cluster's fingerprint is derived from its raw template, so the same raw text finds the
    same fingerprint again, and the cleaned template still serves the similarity merge.
    """
    clusters = {
        fp: replace(
            known,
            template=clean(known.template),
            logger=clean(known.logger),
            service=clean(known.service),
            exception_type=clean(known.exception_type),
            title=clean(known.title),
            revisions=tuple(clean(r) for r in known.revisions),
        )
        for fp, known in state.clusters.items()
    }
    return replace(state, clusters=clusters)


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _required_time(value: object) -> datetime:
    parsed = _parse_time(value)
    if parsed is None:
        raise ValueError("missing timestamp")
    return parsed


def _cluster_to_json(known: KnownCluster) -> dict[str, Any]:
    return {
        "fingerprint": known.fingerprint,
        "kind": known.kind.value,
        "template": known.template,
        "logger": known.logger,
        "service": known.service,
        "exception_type": known.exception_type,
        "first_seen": _time(known.first_seen),
        "last_seen": _time(known.last_seen),
        "issue_number": known.issue_number,
        "priority": known.priority.name if known.priority is not None else None,
        "revisions": list(known.revisions),
        "history": [
            {"run_id": h.run_id, "window_end": _time(h.window_end), "count": h.count}
            for h in known.history[-HISTORY_LIMIT:]
        ],
        "title": known.title,
    }


def _cluster_from_json(data: Mapping[str, Any]) -> KnownCluster:
    priority = data.get("priority")
    return KnownCluster(
        fingerprint=str(data["fingerprint"]),
        kind=GroupingKind(data.get("kind", "message")),
        template=str(data.get("template", "")),
        logger=str(data.get("logger", "")),
        service=str(data.get("service", "")),
        exception_type=str(data.get("exception_type", "")),
        first_seen=_parse_time(data.get("first_seen")),
        last_seen=_parse_time(data.get("last_seen")),
        issue_number=_optional_int(data.get("issue_number")),
        priority=Priority[priority] if isinstance(priority, str) else None,
        revisions=tuple(str(r) for r in data.get("revisions", [])),
        history=tuple(
            RunCount(str(h["run_id"]), _required_time(h["window_end"]), int(h["count"]))
            for h in data.get("history", [])
        ),
        title=str(data.get("title", "")),
    )


def _optional_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _pending_to_json(pending: PendingWork) -> dict[str, Any]:
    document: dict[str, Any] = {
        "fingerprint": pending.fingerprint,
        "kind": pending.kind,
        "reason": pending.reason,
    }
    if pending.body:
        document.update(title=pending.title, body=pending.body, labels=list(pending.labels))
    return document


def state_to_json(state: GardenerState) -> str:
    """Deterministic text (sorted keys, stable order) so commits diff cleanly."""
    document = {
        "version": state.version,
        "grouping_version": state.grouping_version,
        "clusters": {fp: _cluster_to_json(k) for fp, k in sorted(state.clusters.items())},
        "cursors": {key: _time(value) for key, value in sorted(state.cursors.items())},
        "pending": [_pending_to_json(p) for p in state.pending],
        "runs": [
            {
                "run_id": r.run_id,
                "generated_at": _time(r.generated_at),
                "worklog_path": r.worklog_path,
                "clusters": r.clusters,
                "entries": r.entries,
                "max_priority": r.max_priority,
            }
            for r in state.runs[:RUNS_LIMIT]
        ],
        "dashboard_issue": state.dashboard_issue,
        "overlap_ids": {k: sorted(v) for k, v in sorted(state.overlap_ids.items())},
    }
    if state.healthy:
        document["healthy"] = [
            {"run_id": h.run_id, "instances": h.instances, "notes": dict(sorted(h.notes.items()))}
            for h in state.healthy[-HEALTHY_RUNS_LIMIT:]
        ]
    if state.problems:  # absent when every problem is one template (older readers ignore it)
        document["problems"] = {
            pid: {"root": p.root, "members": list(p.members), "links": list(p.links)}
            for pid, p in sorted(state.problems.items())
        }
    legacy = sorted(fp for fp in state.legacy if fp in state.clusters)
    if legacy:
        document["legacy_fingerprints"] = legacy
    return dumps_indented(document, sort_keys=True) + "\n"


def parse_state(text: str | None) -> tuple[GardenerState, str]:
    """The state and a warning in our words ("" when all is well).  Never raises."""
    if text is None:
        return GardenerState(), "state.json was not found; starting from the gardener's issues"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return GardenerState(), "state.json is not valid JSON; rebuilt from the gardener's issues"
    if not isinstance(data, dict):
        return (
            GardenerState(),
            "state.json is not a JSON object; rebuilt from the gardener's issues",
        )
    version = data.get("version")
    if version != STATE_VERSION:
        return GardenerState(), (
            f"state.json has version {version!r}, this gardener reads version {STATE_VERSION}; "
            "rebuilt from the gardener's issues"
        )
    try:
        return _state_from_dict(data), ""
    except (KeyError, TypeError, ValueError, AttributeError):
        return GardenerState(), "state.json is damaged; rebuilt from the gardener's issues"


def _state_from_dict(data: Mapping[str, Any]) -> GardenerState:
    clusters = {fp: _cluster_from_json(c) for fp, c in dict(data.get("clusters", {})).items()}
    legacy = frozenset(str(fp) for fp in data.get("legacy_fingerprints", ()))
    grouping = data.get("grouping_version")
    if grouping in PREVIOUS_GROUPING_VERSIONS:
        legacy = frozenset(clusters)  # an upgrade: map these to this version's clusters
    elif grouping != GROUPING_VERSION:
        clusters, legacy = {}, frozenset()  # an unknown algorithm: its fingerprints mean nothing
    cursors = {str(k): _required_time(v) for k, v in dict(data.get("cursors", {})).items()}
    pending = tuple(
        PendingWork(
            str(p["fingerprint"]),
            str(p["kind"]),
            str(p.get("reason", "")),
            str(p.get("title", "")),
            str(p.get("body", "")),
            tuple(str(label) for label in p.get("labels", [])),
        )
        for p in data.get("pending", [])
    )
    runs = tuple(
        RunSummary(
            run_id=str(r["run_id"]),
            generated_at=_required_time(r["generated_at"]),
            worklog_path=str(r["worklog_path"]),
            clusters=int(r["clusters"]),
            entries=int(r["entries"]),
            max_priority=str(r.get("max_priority", "")),
        )
        for r in data.get("runs", [])
    )
    return GardenerState(
        clusters=clusters,
        cursors=cursors,
        pending=pending,
        runs=runs,
        dashboard_issue=_optional_int(data.get("dashboard_issue")),
        overlap_ids={
            str(k): tuple(str(i) for i in v) for k, v in dict(data.get("overlap_ids", {})).items()
        },
        healthy=tuple(
            HealthyRun(
                str(h["run_id"]),
                int(h["instances"]),
                {str(fp): int(n) for fp, n in dict(h.get("notes", {})).items()},
            )
            for h in data.get("healthy", [])
            if data.get("grouping_version") == GROUPING_VERSION
        ),
        problems={
            str(pid): KnownProblem(
                id=str(pid),
                root=str(p["root"]),
                members=tuple(str(m) for m in p["members"]),
                links=tuple(str(x) for x in p.get("links", [])),
            )
            for pid, p in dict(data.get("problems", {})).items()
            if data.get("grouping_version") == GROUPING_VERSION
        },
        legacy=legacy & frozenset(clusters),
    )
