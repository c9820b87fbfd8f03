"""The apply step: the ONE place where the budget, the dry run and the run journal live.

``apply_plan`` walks the planned operations in order and hands each to the tracker, or records
why it did not (dry run, budget, cancellation, an earlier failure).  Rules:

* Dry run, or no tracker (local run without a repository): every operation is
  ``SKIPPED_DRY_RUN`` and the tracker is never called, so not one write request is made.
* ``max_operations`` counts operations that write (ENSURE_LABEL included); ``max_new_issues``
  counts ``CREATE_ISSUE`` operations marked ``counts_as_new_issue`` (the dashboard issue is not).
  What does not fit is ``DEFERRED_BUDGET``; the planner keeps it pending in ``state.json``.
  An operation that turned out to write nothing (label already there, comment already posted,
  issue already current: detail in ``NO_WRITE_DETAILS``) gives its budget unit back.
* ENSURE_LABEL operations are held back and applied just before the first operation that uses
  the label (GitHub would otherwise auto-create it grey and without a description); labels no
  applied operation needs are applied at the end while the budget lasts.  A label is tried when
  it fits the budget alone (an existing one costs nothing), so at worst a label is created and
  the operation needing it waits for the next run.
* A failed operation is ``FAILED`` with our words in ``detail`` and the run goes on, except after
  ``errors.CreateUnconfirmed`` (a create that may have happened and could not be confirmed):
  every later create is ``FAILED`` without a request, so a run never risks a duplicate.
* After a failed write to an issue, later writes to that same issue are ``FAILED`` without a
  request: a regression's comment is worded from the issue as it was (closed, the old
  priority label), so the reopen that follows must wait for the replay that words it again.
* ``should_stop()`` (SIGTERM/SIGINT) is checked between operations: the in-flight request
  finishes, every later operation is ``DEFERRED_BUDGET`` with detail ``CANCELLED`` and no
  further request is made.
* COMMIT_WORKLOG operations (if a plan carries one) go to ``tracker.commit_files`` with the
  operation's ``title`` as the constant commit message; they never count toward the budget but
  are skipped on dry run and after cancellation.

The journal is returned in execution order (held labels appear where they were applied;
unapplied ones at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from log_gardener.errors import CreateUnconfirmed, GardenerError
from log_gardener.model import JournalEntry, Operation, OperationKind, OperationResult
from log_gardener.ports import IssueTracker

ALREADY_POSTED = "already posted"
LABEL_EXISTS = "label already exists"
ALREADY_CURRENT = "issue already current"
NO_WRITE_DETAILS = frozenset({ALREADY_POSTED, LABEL_EXISTS, ALREADY_CURRENT})

DRY_RUN = "dry run: not applied"
NO_TRACKER = "no GitHub repository configured: not applied"
OVER_OPERATIONS = "over the max-operations budget of this run; pending for the next run"
OVER_NEW_ISSUES = "over the max-new-issues budget of this run; pending for the next run"
CANCELLED = "run cancelled before this operation; pending for the next run"
CREATES_HALTED = (
    "not attempted: an earlier issue create could not be confirmed, so no more issues are "
    "created this run (the next run adopts or creates it)"
)
ISSUE_HALTED = (
    "not attempted: an earlier write to this issue failed this run (the next run replays both)"
)
DEFAULT_COMMIT_MESSAGE = "log-gardener: worklog and state"


@dataclass
class Budget:
    """Counts what this run may still write."""

    max_operations: int
    max_new_issues: int
    operations: int = 0
    new_issues: int = 0

    def refusal(self, op: Operation) -> str:
        """Why ``op`` does not fit, or "" when it does."""
        if self.operations + 1 > self.max_operations:
            return OVER_OPERATIONS
        if _is_new_issue(op) and self.new_issues + 1 > self.max_new_issues:
            return OVER_NEW_ISSUES
        return ""

    def spend(self, entry: JournalEntry) -> None:
        if entry.result in (OperationResult.SKIPPED_DRY_RUN, OperationResult.DEFERRED_BUDGET):
            return
        if entry.result is OperationResult.DONE and entry.detail in NO_WRITE_DETAILS:
            return
        self.operations += 1
        if _is_new_issue(entry.operation):
            self.new_issues += 1


def _is_new_issue(op: Operation) -> bool:
    return op.kind is OperationKind.CREATE_ISSUE and op.counts_as_new_issue


@dataclass
class _Run:
    tracker: IssueTracker
    budget: Budget
    should_stop: Callable[[], bool]
    held_labels: dict[str, Operation] = field(default_factory=dict)  # lower-case name -> op
    journal: list[JournalEntry] = field(default_factory=list)
    creates_halted: bool = False
    failed_issues: set[int] = field(default_factory=set)
    stopped: bool = False

    def record(self, op: Operation, result: OperationResult, detail: str) -> None:
        self.journal.append(JournalEntry(op, result, op.issue_number, detail=detail))

    def attempt(self, op: Operation) -> None:
        """Calls the tracker once for ``op``; a known failure becomes a FAILED entry."""
        if op.kind is OperationKind.CREATE_ISSUE and self.creates_halted:
            self.record(op, OperationResult.FAILED, CREATES_HALTED)
            return
        if op.issue_number is not None and op.issue_number in self.failed_issues:
            self.record(op, OperationResult.FAILED, ISSUE_HALTED)
            return
        try:
            if op.kind is OperationKind.COMMIT_WORKLOG:
                entry = self.tracker.commit_files(op.files, op.title or DEFAULT_COMMIT_MESSAGE)
            else:
                entry = self.tracker.apply(op)
        except CreateUnconfirmed as error:
            self.creates_halted = True
            entry = JournalEntry(op, OperationResult.FAILED, op.issue_number, detail=error.message)
        except GardenerError as error:
            entry = JournalEntry(op, OperationResult.FAILED, op.issue_number, detail=error.message)
        if op.kind is not OperationKind.COMMIT_WORKLOG:
            self.budget.spend(entry)
        if entry.result is OperationResult.FAILED and op.issue_number is not None:
            self.failed_issues.add(op.issue_number)
        self.journal.append(entry)

    def check_stop(self) -> bool:
        if not self.stopped and self.should_stop():
            self.stopped = True
        return self.stopped

    def needed_labels(self, op: Operation) -> list[Operation]:
        return [self.held_labels[n.lower()] for n in op.labels if n.lower() in self.held_labels]

    def run(self, op: Operation) -> None:
        if self.check_stop():
            self.record(op, OperationResult.DEFERRED_BUDGET, CANCELLED)
            return
        if op.kind is OperationKind.COMMIT_WORKLOG:
            self.attempt(op)
            return
        if refusal := self.budget.refusal(op):
            self.record(op, OperationResult.DEFERRED_BUDGET, refusal)
            return
        requested = False  # a cancellation is checked between requests, labels included
        for label_op in self.needed_labels(op):
            # A label that already exists costs nothing, so it is tried as soon as it fits alone;
            # at worst a label is created and its operation waits for the next run.
            if (requested and self.check_stop()) or self.budget.refusal(label_op):
                break
            del self.held_labels[_label_key(label_op)]
            self.attempt(label_op)
            requested = True
        if requested and self.check_stop():
            self.record(op, OperationResult.DEFERRED_BUDGET, CANCELLED)
            return
        if refusal := self.budget.refusal(op):
            self.record(op, OperationResult.DEFERRED_BUDGET, refusal)
            return
        self.attempt(op)

    def finish_labels(self) -> None:
        for label_op in list(self.held_labels.values()):
            if self.check_stop():
                self.record(label_op, OperationResult.DEFERRED_BUDGET, CANCELLED)
            elif refusal := self.budget.refusal(label_op):
                self.record(label_op, OperationResult.DEFERRED_BUDGET, refusal)
            else:
                self.attempt(label_op)
        self.held_labels.clear()


def _label_key(op: Operation) -> str:
    """ENSURE_LABEL carries the label name in ``title`` (or, failing that, ``labels[0]``)."""
    return (op.title or (op.labels[0] if op.labels else "")).lower()


def apply_plan(
    operations: Sequence[Operation],
    tracker: IssueTracker | None,
    *,
    max_operations: int,
    max_new_issues: int,
    dry_run: bool,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[JournalEntry, ...]:
    """Applies ``operations`` in order within the budget; returns the run journal."""
    if dry_run or tracker is None:
        detail = DRY_RUN if dry_run else NO_TRACKER
        return tuple(
            JournalEntry(op, OperationResult.SKIPPED_DRY_RUN, op.issue_number, detail=detail)
            for op in operations
        )
    run = _Run(tracker, Budget(max_operations, max_new_issues), should_stop)
    for op in operations:
        if op.kind is OperationKind.ENSURE_LABEL:
            run.held_labels.setdefault(_label_key(op), op)
        else:
            run.run(op)
    run.finish_labels()
    return tuple(run.journal)
