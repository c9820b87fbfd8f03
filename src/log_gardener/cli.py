"""The composition root: the only place that reads argv, the environment and the clock, wires
the adapters to the pure core, and turns errors into exit codes.

Exit codes: 0 done, 1 known error (the message says the fix), 2 usage, 3 unexpected.
Nothing printed here carries log text: lines go through ``RunnerOutput`` (which neutralizes
workflow commands and masks secrets) and say only counts, paths and our own words.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any, TextIO

from log_gardener import __version__, jsonio
from log_gardener.adapters.actions_runner import RunnerOutput, append_step_summary, write_outputs
from log_gardener.adapters.file_source import FileSource
from log_gardener.config.inputs import (
    RunnerContext,
    options_from_action_env,
    parse_location,
    parse_window,
    parse_worklog_dir,
    read_input,
)
from log_gardener.config.options import RunOptions
from log_gardener.config.rules_file import load_rules_file, validate_config_file
from log_gardener.core.grouping.log_analytics import parse_bytes, parse_linked_dataset
from log_gardener.core.grouping.normalize import parse_timestamp
from log_gardener.core.judging.rules import RulesConfig, Target, default_config
from log_gardener.core.judging.windowing import parse_rfc3339, plan_window
from log_gardener.core.planning.plan import RunLinks
from log_gardener.core.publishing import commonmark
from log_gardener.core.shared.state import parse_state
from log_gardener.errors import (
    EXIT_KNOWN_ERROR,
    EXIT_OK,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    ConfigError,
    GardenerError,
    InputError,
    UsageError,
    quote_value,
)
from log_gardener.model import MalformedEntry, OperationKind, OperationResult, Severity, Window
from log_gardener.pipeline import (
    Feed,
    RunOutcome,
    RunSettings,
    dumps_report,
    run,
    state_path,
    worklog_file_path,
)
from log_gardener.ports import EntrySource, FetchReport, IssueTracker
from log_gardener.workers import ParallelFileSource, default_workers

DEFAULT_CONFIG = ".github/log-gardener.yml"
ACTION_REPORT = ".log-gardener/report.json"  # relative to the workspace
DEFAULT_WINDOW = timedelta(hours=1)
OVERLAP = timedelta(minutes=5)  # late-arriving entries are read again, deduplicated by insertId


class _Cancellation:
    """SIGTERM/SIGINT set a flag: the in-flight request finishes, the final commit is skipped."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True


@contextmanager
def _signals_caught() -> Iterator[_Cancellation]:
    cancellation = _Cancellation()
    previous = {sig: signal.signal(sig, cancellation) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield cancellation
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def version_text() -> str:
    """The version and what this installation runs with.  A failed mypyc build makes ``pip
    install .`` fall back to pure Python without a word (about 1.6x slower), and orjson or
    cmark-gfm may lack a wheel: ``--version`` tells a slow install from a fast one."""
    from log_gardener.core.grouping import cluster

    file = cluster.__file__ or ""
    compiled = any(file.endswith(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES)
    build = "compiled per-entry modules (mypyc)" if compiled else "pure Python (not compiled)"
    return (
        f"log-gardener {__version__}: {build}, JSON read by {jsonio.BACKEND}, "
        f"markdown checked by {commonmark.backend()}"
    )


class _Version(argparse.Action):
    """``--version``: one line, printed as it is (argparse's own action wraps it)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        sys.stdout.write(version_text() + "\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="log-gardener",
        description="Cluster Cloud Logging problems, judge them, write a worklog, sync issues.",
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="one gardening run")
    _add_run_flags(run_parser)
    commands.add_parser("action", help="the GitHub Action entrypoint (reads INPUT_* variables)")
    validate = commands.add_parser("validate-config", help="check a rules file")
    validate.add_argument("path", help="the rules file, e.g. .github/log-gardener.yml")
    return parser


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--source",
        default="",
        help="file:PATH (JSON Lines or a JSON array), - (stdin), gcp, or log-analytics",
    )
    add("--config", default="", help=f"rules file (default {DEFAULT_CONFIG} when present)")
    add("--worklog-dir", default="worklog", help="where the worklog and state.json go")
    add("--since", default="", help="window start, RFC 3339 (e.g. 2025-09-15T13:47:00Z)")
    add("--until", default="", help="window end, RFC 3339 (default: now)")
    add("--window", default="", help="window length, e.g. 30m, 1h, 1d (default 1h for gcp)")
    add("--project", default="", help="Google Cloud project ID (one-target setup)")
    add("--service", default="", help="Cloud Run service name (one-target setup)")
    add("--filter", default="", help="extra Cloud Logging filter (one-target setup)")
    add("--min-severity", default="", help="minimum severity (default WARNING)")
    add("--repo", default="", help="owner/name to sync issues with (needs GITHUB_TOKEN)")
    add("--worklog-branch", default="", help="branch for the worklog commit (default: default)")
    add("--report-json", default="", help="write the machine-readable run report here")
    add("--assignments", default="", help="write one JSON line per kept entry here")
    add("--dry-run", action="store_true", help="print the plan; write nothing else")
    add("--max-new-issues", type=int, default=None, help="issues created at most (default 10)")
    add("--max-operations", type=int, default=None, help="GitHub writes at most (default 50)")
    add("--max-entries", type=int, default=50_000, help="entries read at most per run")
    add("--workers", type=int, default=None, help="processes reading a file (default: CPUs)")
    add("--workload-identity-provider", default="", help="WIF provider resource name")
    add("--service-account", default="", help="service account to impersonate (optional)")
    add("--linked-dataset", default="", help="log-analytics: project.dataset of the log bucket")
    add("--location", default="", help="log-analytics: BigQuery location (default: dataset's)")
    add("--max-bytes-billed", default="", help="log-analytics: cap per query (default 10GiB)")


def _time_flag(name: str, value: str) -> datetime | None:
    if not value:
        return None
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise UsageError(
            f"--{name} {quote_value(value)} is not an RFC 3339 timestamp",
            fix=f"write it like --{name} 2025-09-15T13:47:00Z",
        )
    return parsed


def options_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> RunOptions:
    severity = None
    if args.min_severity:
        severity = Severity.parse(args.min_severity)
        if severity is None:
            raise UsageError(
                f"--min-severity {quote_value(args.min_severity)} is not a severity",
                fix="use one of " + ", ".join(s.name for s in Severity),
            )
    for flag in ("max_new_issues", "max_operations", "max_entries"):
        value = getattr(args, flag)
        if value is not None and value < 0:
            raise UsageError(f"--{flag.replace('_', '-')} must be 0 or more", fix="pass a count")
    if args.workers is not None and args.workers < 1:
        raise UsageError(
            "--workers must be 1 or more", fix="pass 1 to read in one process, or leave it out"
        )
    return RunOptions(
        source=args.source,
        config_path=args.config,
        worklog_dir=args.worklog_dir,
        worklog_branch=args.worklog_branch,
        since=_time_flag("since", args.since),
        until=_time_flag("until", args.until),
        window=_window_flag(args.window),
        project=args.project,
        service=args.service,
        filter=args.filter,
        min_severity=severity,
        repo=args.repo,
        report_json=args.report_json,
        assignments=args.assignments,
        dry_run=args.dry_run,
        max_new_issues=args.max_new_issues,
        max_operations=args.max_operations,
        max_entries=args.max_entries,
        workers=args.workers,
        workload_identity_provider=args.workload_identity_provider,
        service_account=args.service_account,
        github_token=env.get("GITHUB_TOKEN", "") if args.repo else "",
        **_log_analytics_flags(args),
    )


def _log_analytics_flags(args: argparse.Namespace) -> dict[str, Any]:
    try:
        if args.linked_dataset:
            parse_linked_dataset(args.linked_dataset, "--linked-dataset")
        cap = (
            parse_bytes(args.max_bytes_billed, "--max-bytes-billed")
            if args.max_bytes_billed
            else None
        )
    except GardenerError as error:
        raise UsageError(error.what, fix=error.fix) from None
    return {
        "linked_dataset": args.linked_dataset,
        "location": parse_location(args.location, "--location"),
        "max_bytes_billed": cap,
    }


def _window_flag(value: str) -> timedelta | None:
    if not value:
        return None
    try:
        return parse_window(value)
    except GardenerError as error:
        # parse_window speaks of the action input; here the user typed a flag.
        what = error.what.replace("input `window`", "`--window`")
        raise UsageError(what, fix=error.fix.replace("`window: ", "`--window ")) from None


# --- configuration -------------------------------------------------------------------------


def load_config(options: RunOptions, base: Path) -> RulesConfig:
    if options.config_path:
        return load_rules_file(str(base / options.config_path))
    default = base / DEFAULT_CONFIG
    return load_rules_file(str(default)) if default.is_file() else default_config()


def _severity_or(chosen: Severity | None, default: Severity) -> Severity:
    # Not `chosen or default`: DEFAULT is severity 0, and falsy.
    return default if chosen is None else chosen


def effective_targets(options: RunOptions, config: RulesConfig) -> tuple[Target, ...]:
    """Flags and action inputs override the rules file's targets."""
    if options.service or options.filter:
        target = Target(
            name=options.service or "filter",
            project=options.project,
            service=options.service,
            filter=options.filter,
            min_severity=_severity_or(options.min_severity, Severity.WARNING),
        )
        return (target,)
    targets = tuple(
        replace(
            t,
            project=options.project or t.project,
            min_severity=_severity_or(options.min_severity, t.min_severity),
        )
        for t in config.targets
    )
    if not targets and options.project:
        return (Target(name="project", project=options.project),)
    return targets


def reads_log_analytics(options: RunOptions, target: Target) -> bool:
    """An explicit --source gcp|log-analytics wins over the target's own ``source``."""
    chosen = options.source if options.source in ("gcp", "log-analytics") else target.source
    return chosen == "log-analytics"


def source_kind(options: RunOptions, targets: Sequence[Target]) -> str:
    if options.source in ("gcp", "log-analytics") and not targets:
        raise UsageError(
            f"--source {options.source} has no target to read",
            fix="pass --project (and --service or --filter), or list `targets` in the rules file",
        )
    for target in targets:
        pushdown = reads_log_analytics(options, target)
        if pushdown and target.filter.strip():
            raise ConfigError(
                f"target {quote_value(target.name)} reads Log Analytics but has a Logging "
                "`filter`, which has no faithful translation into SQL",
                fix="use `service` and `min-severity` for this target, or read it with "
                "--source gcp (action input `source: gcp`)",
            )
        if pushdown and not (options.linked_dataset or target.linked_dataset):
            raise ConfigError(
                f"target {quote_value(target.name)} reads Log Analytics but no linked dataset "
                "is named",
                fix="pass --linked-dataset PROJECT_ID.DATASET (action input `linked-dataset`), "
                "or set `linked_dataset` on the target in the rules file; docs/gcp-setup.md "
                "shows how to link a dataset to the log bucket",
            )
    if options.source in ("-", "gcp", "log-analytics") or options.source.startswith("file:"):
        return options.source
    if options.source:
        raise UsageError(
            f"--source {quote_value(options.source)} is not a log source",
            fix="use --source file:PATH, --source - (stdin), --source gcp or "
            "--source log-analytics",
        )
    if targets:
        return "gcp"
    raise UsageError(
        "No log source: no --source flag and no targets in the rules file",
        fix="pass --source file:PATH for a saved export, or --project/--service "
        "(or targets in .github/log-gardener.yml) to read Cloud Logging",
    )


# --- windows and feeds ---------------------------------------------------------------------


def explicit_window(options: RunOptions, now: datetime) -> Window | None:
    if options.since is None and options.until is None and options.window is None:
        return None
    end = options.until or (
        options.since + options.window if options.since and options.window else now
    )
    start = options.since or end - (options.window or DEFAULT_WINDOW)
    if start >= end:
        raise UsageError(
            "The window is empty: --since is not before --until",
            fix="give --since earlier than --until, or use --window 1h",
        )
    return Window(start, end)


FUTURE_SKEW = timedelta(days=1)  # Cloud Logging refuses entries further in the future


def span_of(items: Iterable[tuple[int, object]], now: datetime) -> Window | None:
    """The entries' own time span.  A timestamp in the future never stretches it: such an
    entry falls outside the window and is counted as skipped."""
    counted = _counted_moment(now)
    earliest: datetime | None = None
    latest: datetime | None = None
    for _line, raw in items:
        if not isinstance(raw, dict):
            continue
        moment = counted(raw.get("timestamp"))
        if moment is None:
            continue
        earliest = moment if earliest is None or moment < earliest else earliest
        latest = moment if latest is None or moment > latest else latest
    return _span(earliest, latest)


def file_span(source: FileSource, now: datetime) -> Window | None:
    """``span_of`` the file's entries, decoding only the lines that decide it
    (``FileSource.bounds``): a file run reads its entries once more afterwards."""
    return _span(*source.bounds(now + FUTURE_SKEW))


def _counted_moment(now: datetime) -> Callable[[object], datetime | None]:
    limit = now + FUTURE_SKEW

    def counted(value: object) -> datetime | None:
        # The entry parser's reading, so the span agrees with what the run keeps (a
        # ``{seconds, nanos}`` timestamp included).
        moment = parse_timestamp(value)
        return None if moment is None or moment > limit else moment

    return counted


def _span(earliest: datetime | None, latest: datetime | None) -> Window | None:
    if earliest is None or latest is None:
        return None
    return Window(earliest, latest + timedelta(microseconds=1))


class _ListSource:
    """Entries already read (stdin can be read once only, and its span is needed first)."""

    def __init__(self, items: list[tuple[int, object | MalformedEntry]]) -> None:
        self._items = items

    def entries(self, window: Window | None) -> Iterator[tuple[int, object | MalformedEntry]]:
        del window
        return iter(self._items)

    def report(self) -> FetchReport:
        return FetchReport(entries=len(self._items))


def file_feeds(options: RunOptions, now: datetime, base: Path) -> tuple[list[Feed], str]:
    severity = _severity_or(options.min_severity, Severity.WARNING)
    if options.source == "-":
        items = list(FileSource("-").entries(None))
        source: EntrySource = _ListSource(items)
        label = "stdin"
        span = span_of(items, now)
    else:
        path = str(base / options.source.removeprefix("file:"))
        source = FileSource(path)
        label = options.service or Path(path).stem
        span = file_span(FileSource(path), now)
    window = file_window(options, now, span)
    workers = default_workers() if options.workers is None else options.workers
    capped: EntrySource
    if options.source != "-" and workers > 1:
        capped = ParallelFileSource(path, workers, options.max_entries)
    else:
        capped = _Capped(source, options.max_entries)
    return [Feed(label, capped, window, severity)], label


def file_window(options: RunOptions, now: datetime, span: Window | None) -> Window:
    """A saved export is read in its own time: ``--window`` alone counts back from the file's
    last entry (not from now, which would skip an old export whole)."""
    only_length = options.window is not None and options.since is None and options.until is None
    if only_length and span is not None and options.window is not None:
        return Window(span.end - options.window, span.end)
    return explicit_window(options, now) or span or Window(now, now)


class _Capped:
    """``max-entries`` for any source: stop reading past the cap and say so."""

    def __init__(self, inner: EntrySource, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self._truncated = False

    def entries(self, window: Window | None) -> Iterator[tuple[int, object | MalformedEntry]]:
        for count, item in enumerate(self._inner.entries(window)):
            if count >= self._limit:
                self._truncated = True
                return
            yield item

    def report(self) -> FetchReport:
        report = self._inner.report()
        if not self._truncated:
            return report
        return replace(
            report,
            truncated=True,
            note=f"max-entries ({self._limit}) reached: the rest of the input was not read.",
        )


def gcp_feeds(
    options: RunOptions,
    targets: Sequence[Target],
    cursors: Mapping[str, datetime],
    now: datetime,
    env: Mapping[str, str],
    out: RunnerOutput,
    should_stop: Callable[[], bool],
) -> list[Feed]:
    from log_gardener.adapters.cloud_logging import CloudLoggingSource
    from log_gardener.adapters.gcp_auth import credentials_for_run

    feeds = []
    explicit = explicit_window(options, now)
    for target in targets:
        if not target.project:
            raise UsageError(
                f"Target {quote_value(target.name)} has no Google Cloud project",
                fix="pass --project (action input `project-id`) or set `project` on the target",
            )
    # One token exchange serves every target: the principal is the same.
    credentials = credentials_for_run(
        workload_identity_provider=options.workload_identity_provider,
        service_account=options.service_account,
        env=env,
        project=targets[0].project if targets else "",
        on_secret=out.add_mask,
        bigquery=any(reads_log_analytics(options, t) for t in targets),
    )
    for target in targets:
        pushdown = reads_log_analytics(options, target)
        # Log Analytics counts in BigQuery: no insertId ledger, so no re-read overlap.
        overlap = timedelta(0) if explicit or pushdown else OVERLAP
        window = explicit or plan_window(
            now,
            cursors.get(target.name),
            lookback=options.window or DEFAULT_WINDOW,
            overlap=overlap,
        )
        source: EntrySource
        if pushdown:
            source = log_analytics_source(options, target, credentials, env, out)
        else:
            source = CloudLoggingSource(
                project=target.project,
                target=target,
                credentials=credentials,
                endpoint=env.get("LOG_GARDENER_LOGGING_ENDPOINT", ""),
                max_entries=options.max_entries,
                progress=out.print,
                should_stop=should_stop,
            )
        feeds.append(Feed(target.name, source, window, target.min_severity, overlap))
    return feeds


def log_analytics_source(
    options: RunOptions,
    target: Target,
    credentials: Any,
    env: Mapping[str, str],
    out: RunnerOutput,
) -> EntrySource:
    from log_gardener.adapters.log_analytics import LogAnalyticsSource
    from log_gardener.core.grouping.log_analytics import DEFAULT_MAX_BYTES_BILLED

    dataset = options.linked_dataset or target.linked_dataset  # checked by source_kind
    cap = options.max_bytes_billed or target.max_bytes_billed or DEFAULT_MAX_BYTES_BILLED
    return LogAnalyticsSource(
        target,
        project=target.project,
        linked_dataset=dataset,
        location=options.location or target.location,
        max_bytes_billed=cap,
        credentials=credentials,
        endpoint=env.get("LOG_GARDENER_BIGQUERY_ENDPOINT", ""),
        progress=out.print,
    )


# --- GitHub --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubTarget:
    repo: str
    token: str
    api_url: str
    server_url: str


def github_target(options: RunOptions, env: Mapping[str, str]) -> GitHubTarget | None:
    if not options.repo or not options.github_token:
        return None
    return GitHubTarget(
        repo=options.repo,
        token=options.github_token,
        api_url=env.get("GITHUB_API_URL", "").rstrip("/") or "https://api.github.com",
        server_url=env.get("GITHUB_SERVER_URL", "").rstrip("/") or "https://github.com",
    )


def make_tracker(
    target: GitHubTarget, options: RunOptions, config: RulesConfig, env: Mapping[str, str]
) -> IssueTracker:
    from log_gardener.adapters.github import GitHubTracker

    return GitHubTracker(
        target.repo,
        target.token,
        target.api_url,
        label=config.issues.label,
        branch=options.worklog_branch,
        server_url=target.server_url,
        min_write_interval=_write_interval(env),
    )


def _write_interval(env: Mapping[str, str]) -> float:
    """GitHub asks integrations to space writes at least 1 s apart; a GitHub Enterprise
    Server without that limit (or a test server) may lower it."""
    raw = env.get("LOG_GARDENER_WRITE_INTERVAL", "")
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60:
        raise UsageError(
            f"LOG_GARDENER_WRITE_INTERVAL is {quote_value(raw)}",
            fix="set it to a number of seconds between 0 and 60, or unset it (default 1)",
        )
    return value


# --- one run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    options: RunOptions
    env: Mapping[str, str]
    now: datetime
    base: Path  # where relative paths (config, file source, worklog) resolve
    run_id: str
    run_url: str = ""


def garden(inv: Invocation, out: RunnerOutput, should_stop: Callable[[], bool]) -> RunOutcome:
    options = inv.options
    config = load_config(options, inv.base)
    targets = effective_targets(options, config)
    kind = source_kind(options, targets)
    github = github_target(options, inv.env)
    if options.repo:
        # Committed paths live inside the repository: the same check as the action input.
        try:
            options = replace(options, worklog_dir=parse_worklog_dir(options.worklog_dir))
        except GardenerError as error:
            what = error.what.replace("input `worklog-dir`", "`--worklog-dir`")
            raise UsageError(what, fix=error.fix) from None
    tracker = make_tracker(github, options, config, inv.env) if github else None
    if tracker is None:
        out.print("No --repo/GITHUB_TOKEN: no GitHub writes; the plan is shown instead.")
    state_text = _read_state(tracker, options, inv.base)
    preflight: GardenerError | None = None
    if kind in ("gcp", "log-analytics"):
        cursors = parse_state(state_text)[0].cursors
        label = targets[0].name if len(targets) == 1 else f"{len(targets)}-targets"
        try:
            feeds = gcp_feeds(options, targets, cursors, inv.now, inv.env, out, should_stop)
        except UsageError:
            raise
        except GardenerError as error:  # e.g. credentials: the worklog records the failure
            feeds, preflight = [], error
    else:
        feeds, label = file_feeds(options, inv.now, inv.base)
    worklog_path = unused_path(
        worklog_file_path(options.worklog_dir, inv.now, label),
        lambda path: _file_exists(tracker, inv.base, path),
    )
    links = RunLinks(
        run_id=inv.run_id,
        run_url=inv.run_url,
        worklog_url=_worklog_url(github, tracker, worklog_path),
        worklog_path=worklog_path,
        window_end=max((f.window.end for f in feeds), default=None),
        logs_explorer_project=targets[0].project if targets else options.project,
    )
    settings = RunSettings(
        config=config,
        now=inv.now,
        target_label=label,
        worklog_dir=options.worklog_dir,
        links=links,
        dry_run=options.dry_run,
        max_new_issues=options.max_new_issues,
        max_operations=options.max_operations,
        should_stop=should_stop,
        progress=out.print,
    )
    with _assignments_writer(options.assignments, inv.base) as assign:
        outcome = run(replace(settings, assign=assign), feeds, tracker, state_text, preflight)
    _write_local(outcome, options, inv.base)
    return outcome


def unused_path(path: str, exists: Callable[[str], bool]) -> str:
    """A worklog is never overwritten: a second run in the same second gets ``-2``, ``-3``..."""
    stem, candidate, number = path.removesuffix(".md"), path, 1
    while exists(candidate):
        number += 1
        candidate = f"{stem}-{number}.md"
    return candidate


def _file_exists(tracker: IssueTracker | None, base: Path, path: str) -> bool:
    if tracker is not None:
        return tracker.read_file(path) is not None
    return (base / path).exists()


def _worklog_url(github: GitHubTarget | None, tracker: IssueTracker | None, path: str) -> str:
    if github is None or tracker is None:
        return ""
    branch = tracker.branch()
    return f"{github.server_url}/{github.repo}/blob/{branch}/{path}"


def _read_state(tracker: IssueTracker | None, options: RunOptions, base: Path) -> str | None:
    path = state_path(options.worklog_dir)
    if tracker is not None:
        return tracker.read_file(path)
    local = base / path
    try:
        return local.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ""  # unreadable: parse_state reports it damaged, the run rebuilds


@contextmanager
def _assignments_writer(path: str, base: Path) -> Iterator[Callable[[str, str, str], None] | None]:
    if not path:
        yield None
        return
    handle = _open_output(base / path)
    with handle:

        def assign(insert_id: str, fingerprint: str, problem: str) -> None:
            record = {"insertId": insert_id, "fingerprint": fingerprint, "problem": problem}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

        yield assign


def _open_output(path: Path) -> IO[str]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("w", encoding="utf-8")
    except OSError as error:
        raise InputError(
            f"Cannot write {path}",
            cause=error.strerror or type(error).__name__,
            fix="choose a writable path",
        ) from None


def _write_local(outcome: RunOutcome, options: RunOptions, base: Path) -> None:
    if options.report_json:
        with _open_output(base / options.report_json) as handle:
            handle.write(dumps_report(outcome.report))
    if options.dry_run:
        return
    for relative, content in outcome.files.items():
        with _open_output(base / relative) as handle:
            handle.write(content)


# --- printing ------------------------------------------------------------------------------


def print_outcome(outcome: RunOutcome, options: RunOptions, out: RunnerOutput) -> None:
    report = outcome.report
    entries = report.get("entries", {})
    assert isinstance(entries, dict)
    by_priority: dict[str, int] = {}
    for judged in outcome.judged:
        name = judged.judgement.priority.name
        by_priority[name] = by_priority.get(name, 0) + 1
    spread = ", ".join(f"{p}: {n}" for p, n in sorted(by_priority.items())) or "none"
    out.print(
        f"{len(outcome.judged)} problems ({spread}) from {entries.get('read', 0)} entries: "
        f"{entries.get('kept', 0)} kept, {entries.get('skipped', 0)} skipped, "
        f"{entries.get('malformed', 0)} malformed."
    )
    if not options.dry_run and outcome.worklog_path:
        out.print(f"Worklog: {outcome.worklog_path}")
    if options.report_json:
        out.print(f"Report: {options.report_json}")
    if outcome.judged:
        worst = outcome.judged[0]
        name = _problem_names(outcome).get(worst.cluster.fingerprint, "problem 1")
        out.print(
            f"Worst: {worst.judgement.priority.name}, {worst.cluster.count} events, "
            f"{name}, {worst.status.value}."
        )
    _print_journal(outcome, options, out)
    if outcome.commit is not None and outcome.commit.result is OperationResult.DONE:
        # A failed run commits its worklog alone (the state stays, so the next run replays).
        what = "the worklog alone" if outcome.error is not None else "the worklog and state"
        out.print(f"Committed {what}: {outcome.commit.url}")


def _print_journal(outcome: RunOutcome, options: RunOptions, out: RunnerOutput) -> None:
    shown = [e for e in outcome.journal if e.operation.kind is not OperationKind.ENSURE_LABEL]
    if not shown:
        return
    offline = all(e.result is OperationResult.SKIPPED_DRY_RUN for e in shown)
    out.print("Plan (nothing written to GitHub):" if offline else "Issue actions:")
    names = _problem_names(outcome)
    for entry in shown:
        op = entry.operation
        number = entry.issue_number or op.issue_number
        target = f"issue {number}" if number else (op.fingerprint or "dashboard")
        if op.fingerprint in names:
            target = f"{target} ({names[op.fingerprint]})" if number else names[op.fingerprint]
        out.print(f"  {op.kind.value} {target}: {entry.result.value}. {op.reason}".rstrip())


def _problem_names(outcome: RunOutcome) -> dict[str, str]:
    """Problem id -> "problem N: <title>", numbered as in the worklog's problems table.  The
    titles are the report's: redacted and neutralized like every published title."""
    listed = outcome.report.get("problems", [])
    titles = {
        str(p.get("id")): str(p.get("title", ""))
        for p in (listed if isinstance(listed, list) else [])
        if isinstance(p, dict)
    }
    return {
        j.cluster.fingerprint: f'problem {n} "{titles.get(j.cluster.fingerprint, "")}"'
        for n, j in enumerate(outcome.judged, start=1)
    }


# --- commands ------------------------------------------------------------------------------


def _local_run_id(now: datetime) -> str:
    return f"local-{now:%Y%m%dT%H%M%SZ}"


def command_run(args: argparse.Namespace, env: Mapping[str, str], out: RunnerOutput) -> int:
    options = options_from_args(args, env)
    now = datetime.now(UTC)
    inv = Invocation(options, env, now, Path.cwd(), _local_run_id(now))
    with _signals_caught() as cancellation:
        outcome = garden(inv, out, lambda: cancellation.requested)
    print_outcome(outcome, options, out)
    return _finish(outcome, out, in_actions=False)


def _finish(outcome: RunOutcome, out: RunnerOutput, *, in_actions: bool) -> int:
    if outcome.state_warning:
        if in_actions:
            out.warning(outcome.state_warning, title="log-gardener state")
        else:
            out.print(f"warning: {outcome.state_warning}")
    if outcome.error is None:
        return EXIT_OK
    if in_actions:
        out.error(outcome.error.message, title=outcome.error.title)
    else:
        out.print(f"error: {outcome.error.message}")
    return outcome.error.exit_code


def command_action(env: Mapping[str, str], out: RunnerOutput) -> int:
    ctx = RunnerContext.from_env(env)
    for secret in (ctx.id_token_request_token, read_input(env, "github-token")):
        if secret:
            out.add_mask(secret)  # before anything else is printed
    options = options_from_action_env(env)
    now = datetime.now(UTC)
    base = Path(ctx.workspace) if ctx.workspace else Path.cwd()
    run_id = f"{ctx.run_id}-{ctx.run_attempt}" if ctx.run_id else _local_run_id(now)
    if not options.report_json:
        # Inside the workspace: the one folder a Docker action shares with later steps.
        options = replace(options, report_json=ACTION_REPORT)
    inv = Invocation(options, env, now, base, run_id, ctx.run_url)
    with _signals_caught() as cancellation, out.group("log-gardener run"):
        outcome = garden(inv, out, lambda: cancellation.requested)
        print_outcome(outcome, options, out)
    _runner_outputs(outcome, options, env, base)
    append_step_summary(env, outcome.summary_markdown)
    return _finish(outcome, out, in_actions=True)


def _runner_outputs(
    outcome: RunOutcome, options: RunOptions, env: Mapping[str, str], base: Path
) -> None:
    write_outputs(
        env,
        {
            "worklog-path": "" if options.dry_run else outcome.worklog_path,
            "worklog-url": outcome.worklog_url,
            "clusters": str(len(outcome.judged)),  # kept for older workflows: = problems
            "problems": str(len(outcome.judged)),
            "issues-created": str(outcome.count(OperationKind.CREATE_ISSUE)),
            "issues-updated": str(outcome.count(OperationKind.UPDATE_ISSUE)),
            "issues-reopened": str(outcome.count(OperationKind.REOPEN)),
            "max-priority": outcome.max_priority,
            "report-path": options.report_json,
        },
    )


def command_validate(path: str, out: RunnerOutput) -> int:
    problems = validate_config_file(path)
    for problem in problems:
        out.print(problem)
    if problems:
        return EXIT_KNOWN_ERROR
    out.print(f"{path}: valid")
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
) -> int:
    environment = os.environ if env is None else env
    commonmark.use(environment.get("LOG_GARDENER_MARKDOWN", ""))  # markdown-it: no cmark-gfm
    out = RunnerOutput(stdout)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code in (0, None) else EXIT_USAGE
    try:
        if args.command == "run":
            return command_run(args, environment, out)
        if args.command == "action":
            return command_action(environment, out)
        return command_validate(args.path, out)
    except GardenerError as error:
        if args.command == "action":
            out.error(error.message, title=error.title)
        else:
            out.print(f"error: {error.message}")
        return error.exit_code
    except KeyboardInterrupt:
        out.print("error: interrupted; nothing was committed, the next run replays this window.")
        return EXIT_KNOWN_ERROR
    except Exception as error:  # the last line of defence: exit code 3
        out.print(_unexpected(error))
        return EXIT_UNEXPECTED


def _unexpected(error: BaseException) -> str:
    """Type and where, never the message: it could quote log text."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return (
        f"unexpected error: {type(error).__name__}{where}. This is a bug in log-gardener; "
        "please open an issue with this line and the log-gardener version "
        f"{__version__}."
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
