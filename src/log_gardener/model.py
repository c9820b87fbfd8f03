"""Records and states shared by the core and the adapters.

Everything here is a frozen dataclass or an enum: the core passes values, never mutable objects
with identity, so a run can be replayed and compared.  Raw log text lives in these records
*unredacted*; only ``core.render`` (through ``core.redact``) turns it into publishable text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

GROUPING_VERSION = "v2"
"""Version of the fingerprint algorithm; stored in markers and state so a change is explicit."""

PREVIOUS_GROUPING_VERSIONS = ("v1",)
"""Older grouping versions whose ``state.json`` an upgraded run still maps to its issues."""

STATE_VERSION = 1
"""Version of the ``state.json`` layout."""


class Severity(enum.IntEnum):
    """Cloud Logging ``LogSeverity`` with its numeric values (ordering is meaningful)."""

    DEFAULT = 0
    DEBUG = 100
    INFO = 200
    NOTICE = 300
    WARNING = 400
    ERROR = 500
    CRITICAL = 600
    ALERT = 700
    EMERGENCY = 800

    @classmethod
    def parse(cls, value: object) -> Severity | None:
        """Accepts a name (any case, ``WARN`` too) or the numeric value; None when unknown."""
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            try:
                return cls(value)
            except ValueError:
                return None
        if isinstance(value, str):
            name = value.strip().upper()
            name = _SEVERITY_ALIASES.get(name, name)
            if name in cls.__members__:
                return cls[name]
            if name.isdigit():
                return cls.parse(int(name))
        return None


_SEVERITY_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "ERR": "ERROR", "CRIT": "CRITICAL"}


class Priority(enum.IntEnum):
    """P0 is the most urgent.  Lower value = more urgent, so ``min()`` picks the worst."""

    P0 = 0
    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4

    @property
    def label(self) -> str:
        return self.name

    def raised(self, steps: int = 1, ceiling: Priority | None = None) -> Priority:
        """One step more urgent, never past P0 nor past ``ceiling`` (a rule-pinned limit)."""
        floor_value = 0 if ceiling is None else int(ceiling)
        return Priority(max(floor_value, int(self) - steps))

    @classmethod
    def parse(cls, value: object) -> Priority | None:
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        return None


class ClusterStatus(enum.Enum):
    """Where a problem stands; rendered as ``GCP-{status}`` in issue titles."""

    NEW = "new"
    ONGOING = "ongoing"
    REGRESSION = "regression"
    MUTED = "muted"


class GroupingKind(enum.Enum):
    STACK = "stack"  # exception type + top in-app frames
    MESSAGE = "message"  # masked message template + logger + service
    CUSTOM = "custom"  # a rule's grouping key


@dataclass(frozen=True)
class StackFrame:
    module: str  # module, package.Class, or file path for Go/Node
    function: str
    file: str = ""
    line: int | None = None
    in_app: bool = True


@dataclass(frozen=True)
class HttpInfo:
    method: str = ""
    url: str = ""
    status: int | None = None
    latency: str = ""


@dataclass(frozen=True)
class LogRecord:
    """One normalized Cloud Logging entry.  All text fields are raw (unredacted) log text."""

    insert_id: str
    timestamp: datetime  # timezone-aware UTC
    severity: Severity
    message: str  # the main one-line message (first line of the text, or a built message)
    text: str = ""  # the full text (message with any stack trace), for samples
    receive_timestamp: datetime | None = None
    log_name: str = ""
    resource_type: str = ""
    resource_labels: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    project: str = ""
    service: str = ""
    revision: str = ""
    location: str = ""
    logger: str = ""
    function: str = ""
    source_file: str = ""
    source_line: int | None = None
    exception_type: str = ""
    exception_value: str = ""
    frames: tuple[StackFrame, ...] = ()  # outermost first, innermost last (of the root cause)
    trace: str = ""
    http: HttpInfo | None = None
    operation: str = ""  # "producer|id" of the entry's LogEntryOperation, "" when none
    payload_kind: str = "text"  # text | json | proto | none
    line_no: int = 0  # 1-based position in the source (file line, or index in the fetch)
    severity_unknown: bool = False  # the entry's severity was not a LogSeverity: read as DEFAULT
    # The jsonPayload's other fields when ``text`` holds only its message (a reference, not a
    # copy: only the few samples a cluster keeps outlive the entry).
    payload: Mapping[str, object] | None = None
    # Log Analytics: the entries this record stands for (counted in BigQuery); a stand-in is
    # counted but never shown as a sample (it carries a sample's text at another time).
    weight: int = 1
    stand_in: bool = False


@dataclass(frozen=True)
class MalformedEntry:
    """An input entry that could not become a record; counted and reported, never fatal."""

    line_no: int
    reason: str  # our words; never contains log text
    insert_id: str = ""


@dataclass(frozen=True)
class Window:
    """The half-open period ``[start, end)`` a run covers."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class ClusterSummary:
    """A problem: the records sharing one fingerprint in this run.  Text fields are raw."""

    fingerprint: str
    kind: GroupingKind
    template: str  # masked message template, ``<*>`` and ``<KIND>`` placeholders
    exception_type: str
    exception_value: str
    top_frames: tuple[StackFrame, ...]
    logger: str
    count: int
    severity_counts: Mapping[Severity, int]
    first_seen: datetime
    last_seen: datetime
    services: tuple[str, ...]
    revisions: Mapping[str, int]  # revision -> count, in order of first appearance
    locations: tuple[str, ...]
    samples: tuple[LogRecord, ...]  # first, one between, last (deduplicated)
    buckets: tuple[int, ...]  # counts per equal time bucket over the run window

    @property
    def max_severity(self) -> Severity:
        return max(self.severity_counts, default=Severity.DEFAULT)


@dataclass(frozen=True)
class Judgement:
    """What the rules decided about one cluster."""

    priority: Priority
    labels: tuple[str, ...]
    title: str  # a rule's title, or "" to let render build one from the template
    impact: str  # a rule's impact text, or ""
    rule: str  # name of the matching rule, or "default"
    ignored: bool = False
    pinned: bool = False  # a rule fixed the priority: escalation never goes past it


@dataclass(frozen=True)
class JudgedCluster:
    cluster: ClusterSummary
    judgement: Judgement
    status: ClusterStatus = ClusterStatus.NEW
    escalated_from: Priority | None = None  # set when a volume spike raised the priority


class IssueState(enum.Enum):
    OPEN = "open"
    CLOSED_COMPLETED = "completed"
    CLOSED_NOT_PLANNED = "not_planned"


@dataclass(frozen=True)
class ExistingIssue:
    """An issue the gardener itself created, found by its marker."""

    number: int
    state: IssueState
    title: str
    body: str
    labels: tuple[str, ...]
    fingerprint: str  # "" for the dashboard issue
    grouping_version: str
    url: str = ""
    closed_at: datetime | None = None
    is_dashboard: bool = False
    comment_run_ids: frozenset[str] = frozenset()  # run-id markers already posted as comments


class OperationKind(enum.Enum):
    ENSURE_LABEL = "ensure-label"
    CREATE_ISSUE = "create-issue"
    UPDATE_ISSUE = "update-issue"  # title/body/labels edit in place
    COMMENT = "comment"
    REOPEN = "reopen"
    CLOSE_COMPLETED = "close-completed"
    CLOSE_DUPLICATE = "close-duplicate"
    CLOSE_FOLDED = "close-folded"  # a template issue whose template joined another problem
    COMMIT_WORKLOG = "commit-worklog"


@dataclass(frozen=True)
class Operation:
    """One external write the plan asks for.  Bodies are already rendered and redacted."""

    kind: OperationKind
    fingerprint: str = ""
    issue_number: int | None = None
    title: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()
    reason: str = ""  # our words, for the worklog and the journal
    color: str = ""  # ENSURE_LABEL only
    description: str = ""  # ENSURE_LABEL only
    run_id: str = ""  # COMMENT: marker that makes a replay skip it
    files: Mapping[str, str] = field(default_factory=dict)  # COMMIT_WORKLOG: path -> content
    counts_as_new_issue: bool = False


class OperationResult(enum.Enum):
    DONE = "done"
    SKIPPED_DRY_RUN = "dry-run"
    DEFERRED_BUDGET = "deferred"  # did not fit this run's budget: pending in state.json
    FAILED = "failed"
    ADOPTED = "adopted"  # a create that had already happened (found by listing again)


@dataclass(frozen=True)
class JournalEntry:
    operation: Operation
    result: OperationResult
    issue_number: int | None = None
    url: str = ""
    detail: str = ""  # our words, never log text
