"""The rules: typed configuration and its evaluation.  Pure (YAML text parsing lives in
``config.rules_file``).

OWNER: rules helper.  The dataclasses below are the shared contract (other modules read them);
fields may be added with defaults, not removed or renamed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from log_gardener.core.redact import DEFAULT_POLICY, RedactionPolicy
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
class RulesConfig:
    targets: tuple[Target, ...] = ()
    severity_priorities: Mapping[Severity, Priority] = field(
        default_factory=lambda: dict(DEFAULT_SEVERITY_PRIORITIES)
    )
    rules: tuple[Rule, ...] = ()
    issues: IssuePolicy = IssuePolicy()
    redaction: RedactionPolicy = DEFAULT_POLICY
    source: str = "<built-in defaults>"  # the file the config came from, for messages


def default_config() -> RulesConfig:
    return RulesConfig()


def custom_group_key(config: RulesConfig, record: LogRecord) -> str | None:
    """The ``group_by`` key of the first matching rule that has one; None otherwise."""
    raise NotImplementedError


def judge(config: RulesConfig, cluster: ClusterSummary) -> Judgement:
    """First matching rule wins; severity defaults otherwise."""
    raise NotImplementedError
