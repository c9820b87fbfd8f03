"""Options of one run, from CLI flags or action inputs (both end here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from log_gardener.model import Severity


@dataclass(frozen=True)
class RunOptions:
    source: str = ""  # "file:PATH", "-", "gcp", or "" (gcp when the rules have targets)
    config_path: str = ""  # "" -> .github/log-gardener.yml when present, else defaults
    worklog_dir: str = "worklog"
    worklog_branch: str = ""  # "" -> the repository's default branch
    since: datetime | None = None
    until: datetime | None = None
    window: timedelta | None = None
    project: str = ""
    service: str = ""
    filter: str = ""
    min_severity: Severity | None = None
    repo: str = ""  # owner/name
    report_json: str = ""
    assignments: str = ""
    dry_run: bool = False
    max_new_issues: int | None = None  # None -> the rules file, then the default
    max_operations: int | None = None
    max_entries: int = 50_000
    workers: int | None = None  # processes parsing a JSON Lines file; None: the CPU count
    workload_identity_provider: str = ""
    service_account: str = ""
    github_token: str = ""
    linked_dataset: str = ""  # log-analytics: project.dataset linked to the log bucket
    location: str = ""  # log-analytics: BigQuery location ("" = the dataset's)
    max_bytes_billed: int | None = None  # log-analytics: None -> the target's, then 10 GiB
