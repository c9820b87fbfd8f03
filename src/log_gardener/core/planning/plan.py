"""Clusters vs existing issues -> an ordered list of operations.  Pure.

OWNER: planning helper.  Contract (used by ``pipeline``):

    judged = assess(clusters_with_judgement, existing, state, policy, now,  # core.lifecycle
                    run_id=links.run_id)                                    # statuses, escalation
    plan = plan_issues(PlanInput(..., texts=issue_render))                  # operations

Conventions for ``apply`` (the GitHub adapter's semantics): UPDATE_ISSUE and REOPEN carry the
full title, body and labels (a regression is a COMMENT, then one REOPEN that also edits: the
comment first, so a replay after a failure between the two still words it);
COMMENT, CLOSE_COMPLETED and CLOSE_DUPLICATE carry the comment in ``body`` and ``run_id`` = the
id in its run marker, a digest of the comment's words, so a replay by a LATER job (another job
id, same window, same state) finds the comment and skips it; closes only add ``labels``
(silence adds ``log-gardener:resolved-by-silence``); ENSURE_LABEL names the label in ``title``
and ``labels[0]``; the dashboard is a CREATE_ISSUE / UPDATE_ISSUE with ``fingerprint=""``
whose body starts with the dashboard marker.  The same input gives the same plan.

The planner decides each operation (kind, reason, data); ``texts`` (``IssueTexts``, implemented
by ``core.publishing.issue_render``) words it, so this module never imports publishing.

Budgets are NOT applied here: ``apply.apply_plan`` is the one place that enforces
``max_operations`` / ``max_new_issues``, dry run and the journal.  Operations come in the order
they should be applied (labels first, then the most urgent problems first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Protocol

from log_gardener.core.grouping.problems import FOLDED_LABEL, Fold, ProblemView
from log_gardener.core.judging.lifecycle import (
    MUTED_LABEL,
    RESOLVED_BY_SILENCE_LABEL,
    Spike,
    detect_spike,
    duplicate_issues,
    issue_index,
    silent_issues,
)
from log_gardener.core.judging.rules import CommentMode, IssuePolicy
from log_gardener.core.shared.marker import comment_run_id
from log_gardener.core.shared.redact import RedactionPolicy
from log_gardener.core.shared.state import GardenerState, KnownCluster
from log_gardener.errors import UnsafeDocumentError
from log_gardener.model import (
    ClusterStatus,
    ExistingIssue,
    IssueState,
    JudgedCluster,
    Operation,
    OperationKind,
    Priority,
)


@dataclass(frozen=True)
class RunLinks:
    """Links the renderers put in bodies; all built by the composition root, none from logs."""

    run_id: str  # unique per run attempt, e.g. "<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>" or local
    run_url: str = ""  # link to the Actions run, "" locally
    worklog_url: str = ""  # link to the worklog file on the branch, "" when not committed
    worklog_path: str = ""
    logs_explorer_project: str = ""  # GCP project for Logs Explorer links, "" when unknown
    window_end: datetime | None = None  # end of the run's window, for the issue history table


@dataclass(frozen=True)
class Changes:
    """What happened to a problem that a person should notice (the reasons for a comment)."""

    regression: bool = False
    raised_from: Priority | None = None  # the priority last published, when now more urgent
    new_revisions: tuple[str, ...] = ()
    spike: Spike | None = None
    every_run: bool = False  # comment mode every-run: a comment even when nothing changed

    @property
    def notable(self) -> bool:
        return bool(self.regression or self.raised_from is not None or self.new_revisions)

    @property
    def any(self) -> bool:
        return self.notable or self.spike is not None or self.every_run


@dataclass(frozen=True)
class DashboardRow:
    priority: Priority
    status: ClusterStatus
    title: str  # plain text (an issue title), escaped at render time
    count: int  # events in this run (0 when not seen)
    history: tuple[int, ...]  # counts per run, oldest first, this run last
    last_seen: datetime | None
    issue_number: int | None  # None while the issue is being created in this run


def history_counts(known: KnownCluster | None, run_id: str, count: int) -> list[int]:
    """Counts per run, oldest first, with this run last (a replay does not count twice)."""
    earlier = [] if known is None else [h.count for h in known.history if h.run_id != run_id]
    return [*earlier, count]


class IssueTexts(Protocol):
    """The words the planner asks for.  ``core.publishing.issue_render`` implements it (the
    pipeline passes that module), so the planner decides and publishing writes, and planning
    never imports publishing."""

    DASHBOARD_TITLE: str

    def issue_title(
        self, policy: IssuePolicy, judged: JudgedCluster, redaction: RedactionPolicy | None = None
    ) -> str: ...

    def issue_body(
        self,
        judged: JudgedCluster,
        known: KnownCluster | None,
        links: RunLinks,
        redaction: RedactionPolicy,
        problem: ProblemView | None = None,
    ) -> str: ...

    def change_comment(
        self, judged: JudgedCluster, changes: Changes, links: RunLinks, redaction: RedactionPolicy
    ) -> str: ...

    def silence_comment(self, last_seen: datetime | None, days: int, links: RunLinks) -> str: ...

    def folded_comment(
        self, into: int | None, title: str, links: RunLinks, redaction: RedactionPolicy
    ) -> str: ...

    def duplicate_comment(self, keep_number: int, links: RunLinks) -> str: ...

    def problem_text(self, policy: IssuePolicy, title: str) -> str: ...

    def dashboard_body(
        self,
        rows: Sequence[DashboardRow],
        links: RunLinks,
        now: datetime,
        redaction: RedactionPolicy,
    ) -> str: ...


@dataclass(frozen=True)
class PlanInput:
    judged: Sequence[JudgedCluster]
    existing: Sequence[ExistingIssue]
    state: GardenerState
    policy: IssuePolicy
    redaction: RedactionPolicy
    now: datetime
    links: RunLinks
    problems: Mapping[str, ProblemView] = field(default_factory=dict)  # id -> members, why
    folds: Sequence[Fold] = ()  # template issues now symptoms of another problem
    texts: IssueTexts = field(kw_only=True)  # core.publishing.issue_render


@dataclass(frozen=True)
class Plan:
    operations: tuple[Operation, ...]
    notes: tuple[str, ...] = ()  # our words, for the worklog (e.g. "issue #4 closed as duplicate")
    issue_for: Mapping[str, int] = field(default_factory=dict)  # fingerprint -> known issue
    # What was not planned because its document failed verification (our words): a bug.
    refused: tuple[str, ...] = ()


LABEL_NAME_LIMIT = 50
LABEL_DESCRIPTION_LIMIT = 100
_PRIORITY_COLORS = {
    Priority.P0: "b60205",
    Priority.P1: "d93f0b",
    Priority.P2: "fbca04",
    Priority.P3: "0e8a16",
    Priority.P4: "c5def5",
}
_PRIORITY_WORDS = {
    Priority.P0: "most urgent: act now",
    Priority.P1: "urgent: act today",
    Priority.P2: "important: plan a fix",
    Priority.P3: "minor: fix when convenient",
    Priority.P4: "least urgent: for information",
}
_RULE_COLORS = ("1d76db", "5319e7", "006b75", "bfd4f2", "d4c5f9", "f9d0c4", "c2e0c6", "fef2c0")
# Labels the gardener decides on each run; everything else on an issue was added by a person
# (or by an older rule) and is carried over untouched.
_MANAGED = frozenset({p.label for p in Priority} | {RESOLVED_BY_SILENCE_LABEL})


@dataclass(frozen=True)
class _Label:
    name: str
    color: str
    description: str


def _known_labels(policy: IssuePolicy) -> dict[str, _Label]:
    labels = {
        policy.label: _Label(policy.label, "5319e7", "A problem found in the logs by log-gardener"),
        MUTED_LABEL: _Label(MUTED_LABEL, "eeeeee", "log-gardener never reopens or comments here"),
        RESOLVED_BY_SILENCE_LABEL: _Label(
            RESOLVED_BY_SILENCE_LABEL, "e6e6e6", "Closed by log-gardener: not seen for a while"
        ),
        FOLDED_LABEL: _Label(
            FOLDED_LABEL, "d4c5f9", "Closed by log-gardener: a symptom of another problem"
        ),
    }
    for p in Priority:
        labels[p.label] = _Label(
            p.label, _PRIORITY_COLORS[p], f"Priority {p.label}, {_PRIORITY_WORDS[p]}"
        )
    return labels


def _rule_label(name: str) -> _Label:
    color = _RULE_COLORS[sum(name.encode()) % len(_RULE_COLORS)]  # stable across runs
    return _Label(name, color, "Set by a log-gardener rule")


def _valid_label(name: str) -> bool:
    return 0 < len(name) <= LABEL_NAME_LIMIT and name == name.strip() and "," not in name


def _label_ops(used: Sequence[str], policy: IssuePolicy) -> list[Operation]:
    catalogue = _known_labels(policy)
    names = sorted(set(used) | {policy.label, MUTED_LABEL})
    ops = []
    for name in names:
        label = catalogue.get(name) or _rule_label(name)
        ops.append(
            Operation(
                kind=OperationKind.ENSURE_LABEL,
                title=label.name,
                labels=(label.name,),
                color=label.color,
                description=label.description[:LABEL_DESCRIPTION_LIMIT],
                reason=f"label {label.name} is used",
            )
        )
    return ops


def _dedupe(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


class _Planner:
    """Accumulates the operations and notes of one plan; one method per kind of situation."""

    def __init__(self, inp: PlanInput) -> None:
        self.inp = inp
        self.index = issue_index(inp.existing)
        self.ops: list[Operation] = []
        self.notes: list[str] = []
        self.titles: dict[str, str] = {}  # fingerprint -> issue title, rendered once
        self.refused: list[str] = []
        self.not_created: set[str] = set()  # fingerprints whose new issue was refused

    def unless_refused(self, what: str, act: Callable[[], object]) -> bool:
        """``act`` plans one situation's operations; if one of its documents fails its
        verification (the texts raise ``UnsafeDocumentError``), none of them is planned and the
        worklog says so in our words.  True when planned."""
        ops, notes = len(self.ops), len(self.notes)
        try:
            act()
            return True
        except UnsafeDocumentError:
            del self.ops[ops:]
            del self.notes[notes:]
            words = (
                f"{what} was not published: log text would have shown outside code in it "
                "(a bug in log-gardener, reported as the run's error)"
            )
            self.refused.append(words)
            self.notes.append(words)
            return False

    def title(self, judged: JudgedCluster) -> str:
        fp = judged.cluster.fingerprint
        if fp not in self.titles:
            inp = self.inp
            self.titles[fp] = inp.texts.issue_title(inp.policy, judged, inp.redaction)
        return self.titles[fp]

    # --- helpers ---------------------------------------------------------------------

    def known(self, fingerprint: str) -> KnownCluster | None:
        return self.inp.state.clusters.get(fingerprint)

    def labels_for(self, judged: JudgedCluster, issue: ExistingIssue | None) -> tuple[str, ...]:
        rule_labels = []
        for name in judged.judgement.labels:
            if _valid_label(name):
                rule_labels.append(name)
            else:
                self.notes.append(
                    f"a rule label longer than {LABEL_NAME_LIMIT} characters or "
                    "containing a comma was left out"
                )
        kept = [] if issue is None else sorted(n for n in issue.labels if n not in _MANAGED)
        ours = [self.inp.policy.label, judged.judgement.priority.label, *rule_labels]
        return _dedupe([*ours, *kept])

    def comment(self, issue: ExistingIssue, body: str, reason: str, fingerprint: str) -> None:
        run_id = comment_run_id(body) or ""
        if run_id in issue.comment_run_ids:
            return  # already posted (by this run, or by a run this one replays)
        self.ops.append(
            Operation(
                kind=OperationKind.COMMENT,
                fingerprint=fingerprint,
                issue_number=issue.number,
                body=body,
                reason=reason,
                run_id=run_id,
            )
        )

    def title_body(self, judged: JudgedCluster) -> tuple[str, str]:
        inp = self.inp
        title = self.title(judged)
        fp = judged.cluster.fingerprint
        view = inp.problems.get(fp)
        body = inp.texts.issue_body(
            judged,
            self.known(fp),
            inp.links,
            inp.redaction,
            view if view is not None and len(view.members) > 1 else None,
        )
        return title, body

    # --- problems seen in this run ----------------------------------------------------

    def problem(self, judged: JudgedCluster) -> None:
        fp = judged.cluster.fingerprint
        issue = self.index.get(fp)
        if judged.status is ClusterStatus.MUTED:
            self.muted(judged, issue)
        elif issue is None:
            if not self.unless_refused(
                f"the new issue of problem {fp[:12]}", lambda: self.create(judged)
            ):
                self.not_created.add(fp)  # nor listed on the dashboard as being created
        else:
            self.unless_refused(
                f"the edit or comment of issue {issue.number}", lambda: self.seen(judged, issue)
            )

    def seen(self, judged: JudgedCluster, issue: ExistingIssue) -> None:
        if judged.status is ClusterStatus.REGRESSION:
            self.regression(judged, issue)
        else:
            self.update(judged, issue, "seen again")

    def muted(self, judged: JudgedCluster, issue: ExistingIssue | None) -> None:
        short = judged.cluster.fingerprint[:12]
        if judged.judgement.ignored and issue is None:
            self.notes.append(f"problem {short} matched an ignore rule: counted, no issue")
        elif issue is not None:
            self.notes.append(f"problem {short} is muted on issue {issue.number}: counted only")
        else:
            self.notes.append(f"problem {short} is muted: counted only")

    def create(self, judged: JudgedCluster) -> None:
        title, body = self.title_body(judged)
        self.ops.append(
            Operation(
                kind=OperationKind.CREATE_ISSUE,
                fingerprint=judged.cluster.fingerprint,
                title=title,
                body=body,
                labels=self.labels_for(judged, None),
                reason="new problem",
                counts_as_new_issue=True,
            )
        )

    def update(
        self,
        judged: JudgedCluster,
        issue: ExistingIssue,
        reason: str,
        kind: OperationKind = OperationKind.UPDATE_ISSUE,
    ) -> None:
        """At most one comment for everything notable, then the edit in place (a REOPEN
        carries the same title, body and labels).

        The comment goes first: it is worded from the issue as it was before this run (closed,
        its old priority label).  Were the edit first and the comment to fail, the replay would
        see the edited issue (open, new label) and never word that comment again."""
        title, body = self.title_body(judged)
        fp = judged.cluster.fingerprint
        changes = self.changes(judged, issue)
        if self.wants_comment(changes):
            text = self.inp.texts.change_comment(
                judged, changes, self.inp.links, self.inp.redaction
            )
            self.comment(issue, text, _change_reason(changes), fp)
        self.ops.append(
            Operation(
                kind=kind,
                fingerprint=fp,
                issue_number=issue.number,
                title=title,
                body=body,
                labels=self.labels_for(judged, issue),
                reason=reason,
            )
        )

    def regression(self, judged: JudgedCluster, issue: ExistingIssue) -> None:
        if not self.inp.policy.reopen:
            self.notes.append(
                f"issue {issue.number} is closed and reopening is off: its problem is counted only"
            )
            return
        self.notes.append(f"issue {issue.number} reopened: the problem came back")
        self.update(
            judged, issue, "seen again after it was closed as completed", OperationKind.REOPEN
        )

    def changes(self, judged: JudgedCluster, issue: ExistingIssue) -> Changes:
        known = self.known(judged.cluster.fingerprint)
        published = _published_priority(issue, known)
        priority = judged.judgement.priority
        spike = detect_spike(
            judged.cluster, known, self.inp.policy.escalation, self.inp.links.run_id
        )
        reported = () if known is None else known.revisions
        new_revisions = tuple(r for r in judged.cluster.revisions if r and r not in reported)
        return Changes(
            regression=judged.status is ClusterStatus.REGRESSION,
            raised_from=published if published is not None and priority < published else None,
            # Without a record of what was reported (state lost) every revision would look new.
            new_revisions=new_revisions if reported else (),
            spike=spike if spike is not None and spike.started else None,
            every_run=self.inp.policy.comment is CommentMode.EVERY_RUN,
        )

    def wants_comment(self, changes: Changes) -> bool:
        mode = self.inp.policy.comment
        if mode is CommentMode.NEVER:
            return False
        return (
            changes.any if mode is CommentMode.EVERY_RUN else changes.notable or bool(changes.spike)
        )

    # --- issues not seen in this run --------------------------------------------------

    def silence(self, issue: ExistingIssue) -> None:
        """One CLOSE_COMPLETED that posts the comment (once per run marker) and adds the label;
        labels on a close are only added, so the issue keeps everything else."""
        inp = self.inp
        known = self.known(issue.fingerprint)
        days = inp.policy.auto_resolve_days
        last_seen = None if known is None else known.last_seen
        body = inp.texts.silence_comment(last_seen, days, inp.links)
        self.ops.append(
            Operation(
                kind=OperationKind.CLOSE_COMPLETED,
                fingerprint=issue.fingerprint,
                issue_number=issue.number,
                body=body,
                labels=(RESOLVED_BY_SILENCE_LABEL,),
                reason=f"not seen for {days} days",
                run_id=comment_run_id(body) or "",
            )
        )
        self.notes.append(f"issue {issue.number} closed: not seen for {days} days")

    def folded(self, item: Fold, into: ExistingIssue | None, title: str) -> None:
        """One CLOSE_FOLDED: a comment naming the problem's issue, closed as not planned with
        the folded label.  Never reopened for this: its template now feeds the problem."""
        body = self.inp.texts.folded_comment(
            None if into is None else into.number, title, self.inp.links, self.inp.redaction
        )
        self.ops.append(
            Operation(
                kind=OperationKind.CLOSE_FOLDED,
                fingerprint=item.issue.fingerprint,
                issue_number=item.issue.number,
                body=body,
                labels=(FOLDED_LABEL,),
                reason="now a symptom of "
                + (f"the problem of issue {into.number}" if into else "a new problem"),
                run_id=comment_run_id(body) or "",
            )
        )
        where = f"issue {into.number}" if into is not None else "a new problem"
        self.notes.append(
            f"issue {item.issue.number} folded into {where}: its template is a symptom"
        )

    def duplicate(self, keep: ExistingIssue, close: ExistingIssue) -> None:
        """One CLOSE_DUPLICATE whose comment links the issue that is kept."""
        body = self.inp.texts.duplicate_comment(keep.number, self.inp.links)
        self.ops.append(
            Operation(
                kind=OperationKind.CLOSE_DUPLICATE,
                fingerprint=close.fingerprint,
                issue_number=close.number,
                body=body,
                reason=f"duplicate of issue {keep.number}",
                run_id=comment_run_id(body) or "",
            )
        )
        self.notes.append(f"issue {close.number} closed as a duplicate of issue {keep.number}")


def _published_priority(issue: ExistingIssue, known: KnownCluster | None) -> Priority | None:
    """The priority people see: the issue's label, else what state.json remembers."""
    shown = [p for p in (Priority.parse(label) for label in issue.labels) if p is not None]
    if shown:
        return min(shown)
    return None if known is None else known.priority


def _change_reason(changes: Changes) -> str:
    parts = [
        name
        for name, present in (
            ("regression", changes.regression),
            ("priority raised", changes.raised_from is not None),
            ("volume spike", changes.spike is not None),
            ("new revision", bool(changes.new_revisions)),
        )
        if present
    ]
    return ", ".join(parts) or "every-run comment"


def _problem_order(judged: JudgedCluster) -> tuple[int, int, str]:
    return (int(judged.judgement.priority), -judged.cluster.count, judged.cluster.fingerprint)


def plan_issues(inp: PlanInput) -> Plan:
    """Labels first, then problems from the most urgent, duplicates, silence, the dashboard."""
    planner = _Planner(inp)
    judged = sorted(inp.judged, key=_problem_order)
    for item in judged:
        planner.problem(item)
    seen = {j.cluster.fingerprint for j in judged}
    planner.ops.extend(_pending_creates(inp, seen | set(planner.index)))
    duplicates = duplicate_issues(inp.existing)
    for keep, close in duplicates:
        planner.unless_refused(
            f"the duplicate comment on issue {close.number}",
            partial(planner.duplicate, keep, close),
        )
    titles = {j.cluster.fingerprint: planner.title(j) for j in judged}
    closing = {c.number for _, c in duplicates}
    for fold_item in inp.folds:
        if fold_item.issue.number not in closing:
            into = planner.index.get(fold_item.problem_id)
            planner.unless_refused(
                f"the folded comment on issue {fold_item.issue.number}",
                partial(planner.folded, fold_item, into, titles.get(fold_item.problem_id, "")),
            )
            closing.add(fold_item.issue.number)
    silent = silent_issues(inp.existing, inp.state, inp.policy, inp.now, seen)
    for issue in silent:
        if issue.number not in closing:
            planner.unless_refused(
                f"the closing comment on issue {issue.number}",
                partial(planner.silence, issue),
            )
    if inp.policy.dashboard:
        closed = {i.number for i in silent} | closing
        listed = [j for j in judged if j.cluster.fingerprint not in planner.not_created]
        planner.unless_refused(
            "the dashboard",
            lambda: planner.ops.append(_dashboard_op(inp, planner.index, listed, closed, titles)),
        )
    used = [label for op in planner.ops for label in op.labels]
    operations = (*_label_ops(used, inp.policy), *planner.ops)
    issue_for = {fp: issue.number for fp, issue in sorted(planner.index.items())}
    notes = tuple(dict.fromkeys(planner.notes))  # one note per fact, however many clusters
    return Plan(
        operations=operations, notes=notes, issue_for=issue_for, refused=tuple(planner.refused)
    )


def _pending_creates(inp: PlanInput, handled: set[str]) -> list[Operation]:
    """Creates an earlier run's budget deferred, for problems quiet in this run: their issue
    is opened from the body rendered then (a problem seen now is planned from fresh data)."""
    return [
        Operation(
            OperationKind.CREATE_ISSUE,
            fingerprint=pending.fingerprint,
            title=pending.title,
            body=pending.body,
            labels=pending.labels,
            reason="new problem (deferred by an earlier run's budget)",
            counts_as_new_issue=True,
        )
        for pending in inp.state.pending
        if pending.kind == OperationKind.CREATE_ISSUE.value
        and pending.body
        and pending.fingerprint not in handled
    ]


# --- the dashboard ---------------------------------------------------------------------


def _seen_row(
    inp: PlanInput, judged: JudgedCluster, issue: ExistingIssue | None, title: str
) -> DashboardRow:
    fp = judged.cluster.fingerprint
    known = inp.state.clusters.get(fp)
    return DashboardRow(
        priority=judged.judgement.priority,
        status=judged.status,
        title=inp.texts.problem_text(inp.policy, title),
        count=judged.cluster.count,
        history=tuple(history_counts(known, inp.links.run_id, judged.cluster.count)),
        last_seen=judged.cluster.last_seen,
        issue_number=None if issue is None else issue.number,
    )


def _unseen_row(inp: PlanInput, issue: ExistingIssue) -> DashboardRow:
    known = inp.state.clusters.get(issue.fingerprint)
    priority = _published_priority(issue, known)
    return DashboardRow(
        priority=Priority.P4 if priority is None else priority,
        status=ClusterStatus.ONGOING,
        title=inp.texts.problem_text(inp.policy, issue.title),
        count=0,
        history=tuple(history_counts(known, inp.links.run_id, 0)),
        last_seen=None if known is None else known.last_seen,
        issue_number=issue.number,
    )


def _open_after_plan(inp: PlanInput, judged: JudgedCluster, issue: ExistingIssue | None) -> bool:
    if judged.status is ClusterStatus.MUTED:
        return False
    if issue is not None and issue.state is not IssueState.OPEN:
        return inp.policy.reopen and judged.status is ClusterStatus.REGRESSION
    return True


def _dashboard_rows(
    inp: PlanInput,
    index: Mapping[str, ExistingIssue],
    judged: Sequence[JudgedCluster],
    closing: set[int],
    titles: Mapping[str, str],
) -> list[DashboardRow]:
    rows = [
        _seen_row(inp, j, index.get(j.cluster.fingerprint), titles[j.cluster.fingerprint])
        for j in judged
        if _open_after_plan(inp, j, index.get(j.cluster.fingerprint))
    ]
    seen = {j.cluster.fingerprint for j in judged}
    rows.extend(
        _unseen_row(inp, issue)
        for fp, issue in sorted(index.items())
        if fp not in seen
        and issue.state is IssueState.OPEN
        and MUTED_LABEL not in issue.labels
        and issue.number not in closing
    )
    return rows


def _dashboard_op(
    inp: PlanInput,
    index: Mapping[str, ExistingIssue],
    judged: Sequence[JudgedCluster],
    closing: set[int],
    titles: Mapping[str, str],
) -> Operation:
    body = inp.texts.dashboard_body(
        _dashboard_rows(inp, index, judged, closing, titles), inp.links, inp.now, inp.redaction
    )
    dashboards = sorted((i for i in inp.existing if i.is_dashboard), key=lambda i: i.number)
    if not dashboards:
        return Operation(
            kind=OperationKind.CREATE_ISSUE,
            title=inp.texts.DASHBOARD_TITLE,
            body=body,
            labels=(inp.policy.label,),
            reason="dashboard issue",
        )
    return Operation(
        kind=OperationKind.UPDATE_ISSUE,
        issue_number=dashboards[0].number,
        title=inp.texts.DASHBOARD_TITLE,
        body=body,
        labels=_dedupe([inp.policy.label, *dashboards[0].labels]),
        reason="dashboard rewritten",
    )
