"""The rules: typed configuration and its evaluation.  Pure (YAML text parsing lives in
``config.rules_file``).

OWNER: rules helper.  The dataclasses below are the shared contract (other modules read them);
fields may be added with defaults, not removed or renamed.
"""

from __future__ import annotations

import enum
import fnmatch
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from log_gardener.core.shared.redact import DEFAULT_POLICY, RedactionPolicy
from log_gardener.model import ClusterSummary, Judgement, LogRecord, Priority, Severity

DEFAULT_SEVERITY_PRIORITIES: Mapping[Severity, Priority] = {
    Severity.EMERGENCY: Priority.P0,
    Severity.ALERT: Priority.P0,
    Severity.CRITICAL: Priority.P0,
    Severity.ERROR: Priority.P1,
    Severity.WARNING: Priority.P3,
    Severity.NOTICE: Priority.P4,
    Severity.INFO: Priority.P4,
    Severity.DEBUG: Priority.P4,
    Severity.DEFAULT: Priority.P4,
}


class CommentMode(enum.Enum):
    ON_CHANGE = "on-change"
    EVERY_RUN = "every-run"
    NEVER = "never"


@dataclass(frozen=True)
class Target:
    """Where the cloud source reads: a Cloud Run service or a raw filter in one project."""

    name: str  # used in worklog file names and as the cursor key
    project: str = ""
    service: str = ""  # Cloud Run service name
    filter: str = ""  # raw Logging filter, ANDed with the service/severity/window clauses
    min_severity: Severity = Severity.WARNING
    source: str = ""  # "gcp" or "log-analytics"; "" = the run's --source / `source` input
    linked_dataset: str = ""  # log-analytics: project.dataset linked to the log bucket
    location: str = ""  # log-analytics: BigQuery location ("" = the dataset's)
    max_bytes_billed: int | None = None  # log-analytics: per-query cap (None = the run's)


@dataclass(frozen=True)
class Match:
    """All given conditions must hold (an empty Match matches everything)."""

    message: re.Pattern[str] | None = None  # searched in the message and the full text
    exception_type: re.Pattern[str] | None = None
    logger: str = ""  # glob on logger / module
    severity_min: Severity | None = None
    severity_max: Severity | None = None
    service: str = ""  # glob
    resource_labels: Mapping[str, str] = field(default_factory=dict)  # key -> glob


@dataclass(frozen=True)
class Rule:
    name: str
    match: Match
    priority: Priority | None = None
    labels: tuple[str, ...] = ()
    title: str = ""
    impact: str = ""
    ignore: bool = False
    group_by: str = ""  # a custom grouping key: records matching share one cluster
    line: int | None = None  # where the rule starts in the rules file, for messages


@dataclass(frozen=True)
class EscalationPolicy:
    enabled: bool = True
    min_runs: int = 3  # young-issue rule: no baseline before this many runs of history
    floor: int = 20  # a spike needs at least this many events in the run
    factor: float = 3.0  # ... and above mean + factor * stddev of the baseline


@dataclass(frozen=True)
class IssuePolicy:
    title_format: str = "GCP-{status} | {priority} | {title}"
    reopen: bool = True
    max_new_issues: int = 10
    max_operations: int = 50
    comment: CommentMode = CommentMode.ON_CHANGE
    label: str = "log-gardener"
    auto_resolve_days: int = 7  # 0 disables
    dashboard: bool = True
    escalation: EscalationPolicy = EscalationPolicy()


@dataclass(frozen=True)
class TemplateSelector:
    """Picks templates for the ``problems`` rules: a fingerprint, or a Match on the template."""

    match: Match | None = None
    fingerprint: str = ""
    text: str = ""  # how the rules file wrote it, for messages (our users' words)


@dataclass(frozen=True)
class ProblemLink:
    """``problems.link``: the symptoms always fold into the root's problem."""

    name: str
    root: TemplateSelector
    symptoms: tuple[TemplateSelector, ...]


@dataclass(frozen=True)
class ProblemRules:
    link: tuple[ProblemLink, ...] = ()
    separate: tuple[tuple[TemplateSelector, TemplateSelector], ...] = ()  # never one problem


@dataclass(frozen=True)
class RulesConfig:
    targets: tuple[Target, ...] = ()
    severity_priorities: Mapping[Severity, Priority] = field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_PRIORITIES)
    )
    rules: tuple[Rule, ...] = ()
    issues: IssuePolicy = IssuePolicy()
    redaction: RedactionPolicy = DEFAULT_POLICY
    source: str = "<built-in defaults>"  # the file the config came from, for messages
    problems: ProblemRules = ProblemRules()


def default_config() -> RulesConfig:
    return RulesConfig()


GROUP_KEY_FIELDS: tuple[str, ...] = (
    "service",
    "logger",
    "exception_type",
    "severity",
    "revision",
    "location",
)
"""Placeholders a ``group_by`` key may use, filled from the record (e.g. ``"db-{service}"``)."""


@dataclass(frozen=True)
class _Subject:
    """What a Match looks at, gathered from one record or one cluster (so both share a matcher)."""

    texts: tuple[str, ...]  # searched by ``message``
    exception_types: tuple[str, ...]
    loggers: tuple[str, ...]  # logger names and module names
    severity: Severity
    services: tuple[str, ...]
    label_sets: tuple[Mapping[str, str], ...]  # resource labels, one mapping per record


@functools.lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A shell-style glob (``*``, ``?``, ``[abc]``), case-sensitive, matching the whole value.

    Cached: rule globs are few and fixed for a run, so each compiles once however many records.
    """
    return re.compile(fnmatch.translate(pattern))


def _any_glob(pattern: str, values: tuple[str, ...]) -> bool:
    compiled = compile_glob(pattern)
    return any(compiled.match(value) for value in values)


def _any_search(pattern: re.Pattern[str], values: tuple[str, ...]) -> bool:
    return any(pattern.search(value) for value in values if value)


def _labels_hold(wanted: Mapping[str, str], label_sets: tuple[Mapping[str, str], ...]) -> bool:
    """True when one record carries every wanted label with a value matching its glob."""
    for labels in label_sets:
        if all(
            key in labels and compile_glob(glob).match(labels[key]) for key, glob in wanted.items()
        ):
            return True
    return False


def _matches(match: Match, subject: _Subject) -> bool:
    """All conditions hold; the cheap ones are tried first."""
    if match.severity_min is not None and subject.severity < match.severity_min:
        return False
    if match.severity_max is not None and subject.severity > match.severity_max:
        return False
    if match.service and not _any_glob(match.service, subject.services or ("",)):
        return False
    if match.logger and not _any_glob(match.logger, subject.loggers or ("",)):
        return False
    if match.exception_type is not None and not _any_search(
        match.exception_type, subject.exception_types
    ):
        return False
    if match.resource_labels and not _labels_hold(match.resource_labels, subject.label_sets):
        return False
    return match.message is None or _any_search(match.message, subject.texts)


def _record_subject(record: LogRecord) -> _Subject:
    loggers = (record.logger, *(frame.module for frame in record.frames))
    return _Subject(
        texts=(record.message, record.text),
        exception_types=(record.exception_type,),
        loggers=tuple(name for name in loggers if name),
        severity=record.severity,
        services=(record.service,),
        label_sets=(record.resource_labels,),
    )


def _cluster_subject(cluster: ClusterSummary) -> _Subject:
    texts = [cluster.template]
    for sample in cluster.samples:
        texts.extend((sample.message, sample.text))
    loggers = [cluster.logger, *(frame.module for frame in cluster.top_frames)]
    loggers.extend(sample.logger for sample in cluster.samples)
    exception_types = [cluster.exception_type]
    exception_types.extend(sample.exception_type for sample in cluster.samples)
    return _Subject(
        texts=tuple(texts),
        exception_types=tuple(exception_types),
        loggers=tuple(dict.fromkeys(name for name in loggers if name)),
        severity=cluster.max_severity,
        services=cluster.services,
        label_sets=tuple(sample.resource_labels for sample in cluster.samples),
    )


def record_matches(match: Match, record: LogRecord) -> bool:
    """Whether one record satisfies a Match (its own severity, message, labels...)."""
    return _matches(match, _record_subject(record))


def cluster_matches(match: Match, cluster: ClusterSummary) -> bool:
    """Whether a cluster satisfies a Match: its max severity; any sample, service or logger."""
    return _matches(match, _cluster_subject(cluster))


def selects(selector: TemplateSelector, cluster: ClusterSummary) -> bool:
    """Whether a ``problems`` rule's selector names this template."""
    if selector.fingerprint and not cluster.fingerprint.startswith(selector.fingerprint):
        return False
    return selector.match is None or cluster_matches(selector.match, cluster)


def _group_key_values(record: LogRecord) -> dict[str, str]:
    return {
        "service": record.service,
        "logger": record.logger,
        "exception_type": record.exception_type,
        "severity": record.severity.name,
        "revision": record.revision,
        "location": record.location,
    }


def custom_group_key(config: RulesConfig, record: LogRecord) -> str | None:
    """The ``group_by`` key of the first rule that has one and whose match holds; None otherwise.

    Only rules with a ``group_by`` are considered (a matching rule without one does not stop
    the search).  The key may name record fields as placeholders (``GROUP_KEY_FIELDS``), e.g.
    ``"db-timeout-{service}"``; records with equal keys form one cluster.
    """
    subject: _Subject | None = None
    for rule in config.rules:
        if not rule.group_by:
            continue
        subject = subject or _record_subject(record)
        if _matches(rule.match, subject):
            if "{" not in rule.group_by:
                return rule.group_by
            # Placeholders were checked at load time; values are inserted, never re-parsed.
            return rule.group_by.format_map(_group_key_values(record))
    return None


def first_matching_rule(config: RulesConfig, cluster: ClusterSummary) -> Rule | None:
    subject = _cluster_subject(cluster)
    return next((rule for rule in config.rules if _matches(rule.match, subject)), None)


def judge(config: RulesConfig, cluster: ClusterSummary) -> Judgement:
    """First matching rule wins; severity defaults otherwise.

    A rule's ``priority`` pins the judgement (escalation never goes past it); without one, the
    priority comes from the cluster's highest severity through ``severity_priorities``.
    """
    default_priority = config.severity_priorities.get(
        cluster.max_severity, DEFAULT_SEVERITY_PRIORITIES[cluster.max_severity]
    )
    rule = first_matching_rule(config, cluster)
    if rule is None:
        return Judgement(priority=default_priority, labels=(), title="", impact="", rule="default")
    return Judgement(
        priority=default_priority if rule.priority is None else rule.priority,
        labels=tuple(dict.fromkeys(rule.labels)),
        title=rule.title,
        impact=rule.impact,
        rule=rule.name,
        ignored=rule.ignore,
        pinned=rule.priority is not None,
    )
