"""Clusters vs existing issues -> an ordered list of operations.  Pure.

OWNER: planning helper.  Contract (used by ``pipeline``):

    judged = assess(clusters_with_judgement, existing, state, policy, now)  # statuses, escalation
    plan = plan_issues(PlanInput(...))                                      # operations

Budgets are NOT applied here: ``apply.apply_plan`` is the one place that enforces
``max_operations`` / ``max_new_issues``, dry run and the journal.  Operations come in the order
they should be applied (labels first, then the most urgent problems first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from log_gardener.core.redact import RedactionPolicy
from log_gardener.core.rules import IssuePolicy
from log_gardener.core.state import GardenerState
from log_gardener.model import ExistingIssue, JudgedCluster, Operation


@dataclass(frozen=True)
class RunLinks:
    """Links the renderers put in bodies; all built by the composition root, none from logs."""

    run_id: str  # unique per run attempt, e.g. "<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>" or local
    run_url: str = ""  # link to the Actions run, "" locally
    worklog_url: str = ""  # link to the worklog file on the branch, "" when not committed
    worklog_path: str = ""
    logs_explorer_project: str = ""  # GCP project for Logs Explorer links, "" when unknown


@dataclass(frozen=True)
class PlanInput:
    judged: Sequence[JudgedCluster]
    existing: Sequence[ExistingIssue]
    state: GardenerState
    policy: IssuePolicy
    redaction: RedactionPolicy
    now: datetime
    links: RunLinks


@dataclass(frozen=True)
class Plan:
    operations: tuple[Operation, ...]
    notes: tuple[str, ...] = ()  # our words, for the worklog (e.g. "issue #4 closed as duplicate")
    issue_for: Mapping[str, int] = field(default_factory=dict)  # fingerprint -> known issue
