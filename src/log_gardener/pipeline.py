"""One gardening run: read state -> reconcile -> fetch -> cluster -> judge -> plan -> apply ->
render -> one final commit of worklog + index + state.

The order is what makes a run replay-safe: issue writes are idempotent (markers, run ids), and
the state with its cursor is committed last, so a run killed anywhere before the commit reads
the same window again next time and converges to the same issues.  ``run`` never raises a
``GardenerError``: it returns it in the outcome together with everything gathered before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from log_gardener.apply import apply_plan
from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.infra import InfraSummary, InfraTracker
from log_gardener.core.grouping.ingest import IngestCounts, Ingestor
from log_gardener.core.grouping.platform import Role
from log_gardener.core.grouping.problems import (
    Fold,
    Healthy,
    LinkRule,
    Observer,
    ProblemSet,
    ProblemView,
    find_problems,
    fold,
    folds_for,
    priors_from,
    problem_views,
    recorded,
    specificity,
    template_roles,
)
from log_gardener.core.judging.lifecycle import MUTED_LABEL, assess, record_run, remember
from log_gardener.core.judging.rules import RulesConfig, judge, selects
from log_gardener.core.judging.windowing import OverlapLedger, cursor_after, parse_rfc3339
from log_gardener.core.planning.plan import PlanInput, RunLinks, plan_issues
from log_gardener.core.publishing import issue_render
from log_gardener.core.publishing.issue_render import bare_titles
from log_gardener.core.publishing.markdown import code_text
from log_gardener.core.publishing.render import (
    IssueLink,
    WorklogInput,
    order_clusters,
    render_index,
    render_job_summary,
    render_worklog,
    report_document,
)
from log_gardener.core.shared.json_text import dumps_indented
from log_gardener.core.shared.redact import RedactionPolicy, for_one_run, redact
from log_gardener.core.shared.state import (
    HEALTHY_RUNS_LIMIT,
    PENDING_CREATES_LIMIT,
    GardenerState,
    HealthyRun,
    PendingWork,
    RunSummary,
    parse_state,
    published,
    state_to_json,
)
from log_gardener.errors import Cancelled, GardenerError, GitHubError, UnsafeDocumentError
from log_gardener.model import (
    ClusterStatus,
    ClusterSummary,
    ExistingIssue,
    GroupingKind,
    IssueState,
    JournalEntry,
    JudgedCluster,
    Judgement,
    MalformedEntry,
    OperationKind,
    OperationResult,
    Severity,
    Window,
)
from log_gardener.ports import EntrySource, FetchReport, IssueTracker
from log_gardener.workers import ParallelFileSource, fewer_collections, full_samples, take

COMMIT_MESSAGE = "log-gardener: worklog and state"  # constant: never any log text
STATE_FILE = "state.json"
INDEX_FILE = "README.md"


@dataclass(frozen=True)
class Feed:
    """One target's entries for this run."""

    key: str  # cursor key in state.json (the target name)
    source: EntrySource
    window: Window
    min_severity: Severity
    overlap: timedelta = timedelta(0)  # the part of the window the next run reads again


@dataclass(frozen=True)
class RunSettings:
    config: RulesConfig
    now: datetime
    target_label: str  # our words, for the header and the file name
    worklog_dir: str
    links: RunLinks
    dry_run: bool = False
    max_new_issues: int | None = None  # None: the rules file's issue policy decides
    max_operations: int | None = None
    # (insertId, template fingerprint, problem id) per kept entry, once the problems are known
    assign: Callable[[str, str, str], None] | None = None
    should_stop: Callable[[], bool] = lambda: False
    progress: Callable[[str], None] = lambda _message: None


@dataclass
class RunOutcome:
    worklog_path: str = ""
    worklog_text: str = ""
    summary_markdown: str = ""
    report: dict[str, object] = field(default_factory=dict)
    judged: Sequence[JudgedCluster] = ()
    journal: Sequence[JournalEntry] = ()
    files: dict[str, str] = field(default_factory=dict)  # path -> content to write/commit
    commit: JournalEntry | None = None
    worklog_url: str = ""  # set once the commit landed
    error: GardenerError | None = None
    state_warning: str = ""

    def count(self, kind: OperationKind) -> int:
        done = (OperationResult.DONE, OperationResult.ADOPTED)
        return sum(
            1
            for e in self.journal
            if e.operation.kind is kind and e.result in done and e.operation.fingerprint
        )

    @property
    def max_priority(self) -> str:
        return self.judged[0].judgement.priority.name if self.judged else ""


@dataclass
class _Gathered:
    """What the run has gathered so far: kept, and reported, whatever fails later."""

    state: GardenerState = field(default_factory=GardenerState)
    existing: Sequence[ExistingIssue] = ()
    counts: IngestCounts = field(default_factory=lambda: IngestCounts(0, 0, 0, 0, 0, 0))
    infra: InfraSummary = field(default_factory=lambda: InfraTracker().summary())
    judged: list[JudgedCluster] = field(default_factory=list)
    journal: list[JournalEntry] = field(default_factory=list)
    malformed: list[MalformedEntry] = field(default_factory=list)
    warnings: list[MalformedEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fetches: dict[str, FetchReport] = field(default_factory=dict)
    overlap_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cursors: dict[str, datetime] = field(default_factory=dict)
    planned: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    issue_for: dict[str, int] = field(default_factory=dict)
    observer: Observer = field(default_factory=Observer)
    templates: list[JudgedCluster] = field(default_factory=list)  # the template level
    problem_set: ProblemSet = field(default_factory=lambda: ProblemSet((), {}))
    views: dict[str, ProblemView] = field(default_factory=dict)
    folds: list[Fold] = field(default_factory=list)
    template_titles: dict[str, str] = field(default_factory=dict)
    bare_titles: dict[issue_render.TitleKey, str] = field(default_factory=dict)  # rendered once


def worklog_file_path(worklog_dir: str, now: datetime, target_label: str) -> str:
    """``<dir>/YYYY/MM/DD/HHMMSSZ-<target>.md``; the run time makes it unique per run."""
    stamp = now.astimezone(UTC)
    name = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in target_label)
    return f"{worklog_dir.rstrip('/')}/{stamp:%Y/%m/%d/%H%M%SZ}-{name[:60] or 'run'}.md"


def state_path(worklog_dir: str) -> str:
    return f"{worklog_dir.rstrip('/')}/{STATE_FILE}"


def run(
    settings: RunSettings,
    feeds: Sequence[Feed],
    tracker: IssueTracker | None,
    state_text: str | None,
    preflight: GardenerError | None = None,
) -> RunOutcome:
    """``preflight`` is an error met before any entry could be read (Google credentials,
    say): the run is then only recorded, in a worklog that says what failed."""
    # One memo of redactions for the run: titles, templates and services are published many times.
    config = replace(settings.config, redaction=for_one_run(settings.config.redaction))
    settings = replace(settings, config=config)
    gathered = _Gathered()
    outcome = RunOutcome()
    gathered.state, warning = parse_state(state_text)
    window = union_window(feeds, settings.now)
    try:
        if preflight is not None:
            raise preflight
        gathered.existing = tracker.list_marked_issues() if tracker is not None else ()
        if warning and (state_text is not None or gathered.existing):
            # Missing state on a first run is normal; anywhere else a person should know.
            outcome.state_warning = warning
            gathered.notes.append(warning)
        gathered.state = reconcile(gathered.state, gathered.existing)
        summaries = _ingest(settings, feeds, gathered, window)
        gathered.judged = _judge(settings, summaries, gathered)
        _assign(settings, gathered)
        _plan_and_apply(settings, tracker, gathered)
        _stop_if_cancelled(settings)
        _fail_if_writes_failed(gathered.journal)
    except GardenerError as error:
        outcome.error = error
    _render(settings, gathered, outcome, window)
    if tracker is not None and not settings.dry_run:
        if outcome.error is None:
            _commit(settings, tracker, outcome)
        elif not isinstance(outcome.error, Cancelled):
            _record_failed_run(tracker, outcome)
    return outcome


def _record_failed_run(tracker: IssueTracker, outcome: RunOutcome) -> None:
    """A failed run commits its worklog alone: the state (and its cursor) stays as it was, so
    the next run replays the window, and the worklog says what this one did and did not do."""
    try:
        outcome.commit = tracker.commit_files(
            {outcome.worklog_path: outcome.worklog_text}, COMMIT_MESSAGE
        )
    except GardenerError:
        outcome.commit = None  # GitHub itself is failing: the run's own error says enough


def _stop_if_cancelled(settings: RunSettings) -> None:
    if settings.should_stop():
        raise Cancelled(
            "The run was cancelled (SIGTERM or SIGINT) after its in-flight request finished",
            cause="the job was cancelled or timed out",
            fix="nothing to do: the final commit was skipped, so the next run replays this window",
        )


def _fail_if_writes_failed(journal: Sequence[JournalEntry]) -> None:
    """A failed issue write fails the run before its commit.  Committing would move the cursor
    past entries whose issue, edit or comment never happened, and nothing would redo them
    unless the problem came back; skipping it keeps the old state, so the next run replays the
    window and redoes only what is missing (every write is idempotent)."""
    failed = [e for e in journal if e.result is OperationResult.FAILED]
    if failed:
        raise GitHubError(
            f"{len(failed)} of the run's GitHub issue writes failed; the first: "
            + failed[0].detail.rstrip("."),
            cause="GitHub failed or refused them (the issue actions in the worklog and the "
            "report list every write with its result)",
            fix="nothing when it was transient: the final commit was skipped, so the next run "
            "replays this window and redoes only what is missing",
        )


def union_window(feeds: Sequence[Feed], now: datetime) -> Window:
    if not feeds:
        return Window(now, now)
    return Window(min(f.window.start for f in feeds), max(f.window.end for f in feeds))


def reconcile(state: GardenerState, existing: Sequence[ExistingIssue]) -> GardenerState:
    """GitHub is the truth for issue numbers; the lowest number wins for a fingerprint."""
    lowest: dict[str, int] = {}
    for issue in sorted(existing, key=lambda i: i.number):
        if issue.fingerprint:
            lowest.setdefault(issue.fingerprint, issue.number)
    clusters = {
        fp: replace(known, issue_number=lowest[fp]) if fp in lowest else known
        for fp, known in state.clusters.items()
    }
    dashboards = sorted(i.number for i in existing if i.is_dashboard)
    dashboard = dashboards[0] if dashboards else state.dashboard_issue
    return replace(state, clusters=clusters, dashboard_issue=dashboard)


def _ingest(
    settings: RunSettings, feeds: Sequence[Feed], gathered: _Gathered, window: Window
) -> list[ClusterSummary]:
    with fewer_collections():
        return _ingest_feeds(settings, feeds, gathered, window)


def _ingest_feeds(
    settings: RunSettings, feeds: Sequence[Feed], gathered: _Gathered, window: Window
) -> list[ClusterSummary]:
    clusterer = Clusterer(
        window, tuple(gathered.state.clusters.values()), legacy=gathered.state.legacy
    )
    gathered.observer = Observer(keep_insert_ids=settings.assign is not None)
    ingestor = Ingestor(
        clusterer, settings.config, Severity.DEFAULT, window, None, observer=gathered.observer
    )
    for feed in feeds:
        ingestor.start_feed(feed.window, feed.min_severity, feed.overlap)
        ledger = OverlapLedger(gathered.state.overlap_ids.get(feed.key, ()))
        if isinstance(feed.source, ParallelFileSource) and not feed.overlap:
            fallback = feed.window.start if feed.window is not None else None
            prepared = feed.source.prepared(feed.min_severity, settings.config, fallback)
            for item in prepared:
                take(ingestor, item)  # parsed and normalized in worker processes, in order
        else:
            for line_no, raw in feed.source.entries(feed.window):
                if feed.overlap and isinstance(raw, dict) and not ledger.admit(raw):
                    ingestor.count_already_counted()
                    continue
                ingestor.add(line_no, raw)
        report = feed.source.report()
        gathered.fetches[feed.key] = report
        reached = parse_rfc3339(report.reached) if report.reached else None
        cursor = cursor_after(feed.window, truncated=report.truncated, reached=reached)
        gathered.cursors[feed.key] = cursor
        if feed.overlap:
            gathered.overlap_keys[feed.key] = ledger.next_ids(cursor, feed.overlap)
        _note_fetch(feed.key, gathered)
        settings.progress(f"target {feed.key}: {gathered.fetches[feed.key].entries} entries read")
        if settings.should_stop():
            break
    ingestor.finish()
    gathered.observer.resolve(clusterer.resolve)
    gathered.counts = ingestor.counts()
    gathered.malformed = list(ingestor.malformed_examples)
    gathered.warnings = list(ingestor.warnings)
    gathered.infra = ingestor.infra.summary()
    return full_samples(clusterer.summaries())


def _sources(fetches: Mapping[str, FetchReport]) -> dict[str, dict[str, object]]:
    """Per target: which source ran, and (log-analytics) the BigQuery bytes processed."""
    return {
        key: {
            "source": report.source or "file",
            "entries": report.entries,
            "bytes_processed": report.bytes_processed,
            "groups": report.groups,
        }
        for key, report in fetches.items()
    }


def _note_fetch(key: str, gathered: _Gathered) -> None:
    report = gathered.fetches[key]
    if report.truncated and report.reached:
        gathered.notes.append(
            f"Target {key}: the window was truncated at {report.reached}; the next run "
            f"continues from there. {report.note}".rstrip()
        )
    elif report.truncated:
        gathered.notes.append(f"Target {key}: the window was truncated. {report.note}".rstrip())
    elif report.note:
        gathered.notes.append(f"Target {key}: {report.note}")


def _judge(
    settings: RunSettings, summaries: Iterable[ClusterSummary], gathered: _Gathered
) -> list[JudgedCluster]:
    """Templates judged one by one, folded into problems, then assessed as problems."""
    pairs = {s.fingerprint: (s, judge(settings.config, s)) for s in summaries}
    problem_set = _problems(settings, pairs, gathered)
    known = gathered.state.clusters
    folded = [
        f for f in (fold(p, pairs, known.get(p.id)) for p in problem_set.problems) if f is not None
    ]
    assessed = order_clusters(
        assess(folded, gathered.existing, gathered.state, settings.config.issues, settings.now)
    )
    gathered.templates = order_clusters(_template_level(pairs, problem_set, assessed))
    policy = settings.config.redaction
    titles = bare_titles(gathered.templates, policy, gathered.bare_titles)
    roles = template_roles(gathered.observer)
    by_fp = {j.cluster.fingerprint: j for j in gathered.templates}
    gathered.problem_set = problem_set
    gathered.template_titles = titles
    gathered.views = problem_views(problem_set, by_fp, titles, roles)
    seen = {j.cluster.fingerprint for j in assessed}
    gathered.folds = [f for f in folds_for(problem_set, gathered.existing) if f.problem_id in seen]
    return assessed


def _template_level(
    pairs: Mapping[str, tuple[ClusterSummary, Judgement]],
    problem_set: ProblemSet,
    assessed: Sequence[JudgedCluster],
) -> list[JudgedCluster]:
    """Each template judged as itself, with its problem's status; a template that is its own
    problem is exactly that problem (its escalation included)."""
    by_id = {j.cluster.fingerprint: j for j in assessed}
    sizes = {p.id: len(p.members) for p in problem_set.problems}
    templates = []
    for fp, (summary, judgement) in pairs.items():
        pid = problem_set.problem_of.get(fp, fp)
        problem = by_id.get(pid)
        if problem is not None and sizes.get(pid, 1) == 1:
            templates.append(replace(problem, cluster=summary))
        else:
            status = problem.status if problem is not None else ClusterStatus.NEW
            templates.append(JudgedCluster(summary, judgement, status))
    return templates


def _problems(
    settings: RunSettings,
    pairs: Mapping[str, tuple[ClusterSummary, Judgement]],
    gathered: _Gathered,
) -> ProblemSet:
    observer = gathered.observer
    roles = template_roles(observer)
    templates = {
        fp: (
            roles.get(fp, Role.APP_NOTE),
            specificity(s.exception_type, s.template, bool(s.top_frames)),
        )
        for fp, (s, _j) in pairs.items()
    }
    rules = settings.config.problems
    summaries = [s for s, _j in pairs.values()]
    links = [
        LinkRule(
            rule.name,
            frozenset(s.fingerprint for s in summaries if selects(rule.root, s)),
            frozenset(
                s.fingerprint for s in summaries if any(selects(x, s) for x in rule.symptoms)
            ),
        )
        for rule in rules.link
    ]
    separate = [
        frozenset({a.fingerprint, b.fingerprint})
        for left, right in rules.separate
        for a in summaries
        if selects(left, a)
        for b in summaries
        if selects(right, b) and a.fingerprint != b.fingerprint
    ]
    return find_problems(
        observer.observations,
        templates,
        priors=priors_from(gathered.state.problems, gathered.existing),
        link_rules=links,
        separate=separate,
        excluded=[fp for fp, (_s, j) in pairs.items() if j.ignored],
        notes_on=observer.notes_on,
        earlier_healthy=_earlier_healthy(gathered.state, settings.links.run_id),
        first_seen={
            fp: min(s.first_seen.timestamp(), observer.first_seen.get(fp, float("inf")))
            for fp, (s, _j) in pairs.items()
        },
    )


def _earlier_healthy(state: GardenerState, run_id: str) -> Healthy:
    """Healthy instances earlier runs saw (a replay of this run does not count twice)."""
    total = Healthy()
    for run in state.healthy:
        if run.run_id != run_id:
            total = total.plus(Healthy(run.instances, run.notes))
    return total


def _assign(settings: RunSettings, gathered: _Gathered) -> None:
    """The ``--assignments`` rows: each kept entry, its template and its problem."""
    if settings.assign is None:
        return
    problem_of = gathered.problem_set.problem_of
    for insert_id, fingerprint in gathered.observer.assigned:
        settings.assign(insert_id, fingerprint, problem_of.get(fingerprint, fingerprint))


def _plan_and_apply(
    settings: RunSettings, tracker: IssueTracker | None, gathered: _Gathered
) -> None:
    plan = plan_issues(
        PlanInput(
            judged=gathered.judged,
            existing=gathered.existing,
            state=gathered.state,
            policy=settings.config.issues,
            redaction=settings.config.redaction,
            now=settings.now,
            links=settings.links,
            problems=gathered.views,
            folds=tuple(gathered.folds),
            texts=issue_render,
        )
    )
    gathered.notes.extend(plan.notes)
    gathered.issue_for = dict(plan.issue_for)
    for op in plan.operations:
        if op.fingerprint:
            gathered.planned[op.fingerprint].append(op.kind.value)
    offline = settings.dry_run or tracker is None
    gathered.journal = list(
        apply_plan(
            plan.operations,
            None if offline else tracker,
            max_operations=_budget(settings.max_operations, settings.config.issues.max_operations),
            max_new_issues=_budget(settings.max_new_issues, settings.config.issues.max_new_issues),
            dry_run=offline,
            should_stop=settings.should_stop,
        )
    )
    for entry in gathered.journal:
        created = entry.operation.kind is OperationKind.CREATE_ISSUE
        if created and entry.issue_number and entry.operation.fingerprint:
            gathered.issue_for[entry.operation.fingerprint] = entry.issue_number
    if plan.refused:
        # The rest was applied; the worklog's run notes name what was not.  Like a refused
        # worklog, a bug: exit code 3, and the state is not committed.
        raise UnsafeDocumentError(
            f"{len(plan.refused)} issue document(s) of this run failed their verification and "
            f"were not published; the first: {plan.refused[0]}"
        )


def _budget(from_options: int | None, from_rules: int) -> int:
    return from_rules if from_options is None else from_options


def issue_links(
    gathered_existing: Sequence[ExistingIssue],
    journal: Sequence[JournalEntry],
    issue_for: Mapping[str, int],
) -> dict[str, IssueLink]:
    links = {fp: IssueLink(number, "") for fp, number in issue_for.items()}
    for issue in sorted(gathered_existing, key=lambda i: -i.number):
        if (
            issue.fingerprint
            and links.get(issue.fingerprint, IssueLink(issue.number, "")).number == issue.number
        ):
            links[issue.fingerprint] = IssueLink(issue.number, issue.url)
    for entry in journal:
        created = entry.operation.kind is OperationKind.CREATE_ISSUE
        if created and entry.issue_number and entry.operation.fingerprint:
            links[entry.operation.fingerprint] = IssueLink(entry.issue_number, entry.url)
    return links


def _published_fingerprints(journal: Sequence[JournalEntry]) -> set[str]:
    """Fingerprints none of whose writes failed or waited: their issue shows this run."""
    ok = (OperationResult.DONE, OperationResult.ADOPTED)
    failed = {e.operation.fingerprint for e in journal if e.result not in ok}
    return {e.operation.fingerprint for e in journal if e.result in ok} - failed


def _pending(journal: Sequence[JournalEntry]) -> tuple[PendingWork, ...]:
    """What the budget deferred; creates keep their rendered issue (see ``PendingWork``)."""
    deferred = [e.operation for e in journal if e.result is OperationResult.DEFERRED_BUDGET]
    creates = [op for op in deferred if op.kind is OperationKind.CREATE_ISSUE and op.fingerprint]
    carried = {op.fingerprint for op in creates[:PENDING_CREATES_LIMIT]}
    return tuple(
        PendingWork(
            op.fingerprint,
            op.kind.value,
            op.reason,
            *((op.title, op.body, op.labels) if op.fingerprint in carried else ()),
        )
        for op in deferred
    )


def _next_state(
    settings: RunSettings,
    gathered: _Gathered,
    window: Window,
    worklog_path: str,
) -> GardenerState:
    published = None if not gathered.journal else _published_fingerprints(gathered.journal)
    if settings.dry_run:
        published = set()
    state = record_run(
        gathered.state,
        gathered.judged,
        run_id=settings.links.run_id,
        window_end=window.end,
        issue_for=gathered.issue_for,
        published=published,
    )
    state = _with_templates(state, gathered, settings.links.run_id, window.end)
    pending = _pending(gathered.journal)
    cursors = {**state.cursors, **gathered.cursors}
    summary = RunSummary(
        run_id=settings.links.run_id,
        generated_at=settings.now,
        worklog_path=worklog_path,
        clusters=len(gathered.judged),
        entries=gathered.counts.kept,
        max_priority=gathered.judged[0].judgement.priority.name if gathered.judged else "",
    )
    runs = (summary, *(r for r in state.runs if r.run_id != summary.run_id))
    overlap = {**state.overlap_ids, **gathered.overlap_keys}
    problems = recorded(gathered.problem_set, state.problems)
    seen = gathered.problem_set.healthy
    healthy = tuple(h for h in state.healthy if h.run_id != settings.links.run_id)
    if seen.instances:
        healthy = (*healthy, HealthyRun(settings.links.run_id, seen.instances, seen.notes))
    return replace(
        state,
        healthy=healthy[-HEALTHY_RUNS_LIMIT:],
        pending=pending,
        cursors=cursors,
        runs=runs,
        overlap_ids=overlap,
        problems=problems,
    )


def _with_templates(
    state: GardenerState, gathered: _Gathered, run_id: str, window_end: datetime
) -> GardenerState:
    """Symptom templates are remembered too (later runs match their entries to them), and a
    problem id keeps its own template's text even when another member stood for it."""
    ids = {j.cluster.fingerprint for j in gathered.judged}
    symptoms = [j for j in gathered.templates if j.cluster.fingerprint not in ids]
    for item in symptoms:
        known = remember(state.clusters.get(item.cluster.fingerprint), item, run_id, window_end)
        state = state.with_cluster(known)
    own = {j.cluster.fingerprint: j.cluster for j in gathered.templates}
    before = gathered.state.clusters
    for pid in ids:
        found = state.clusters.get(pid)
        source = own.get(pid)
        if found is None:
            continue
        known = found
        if source is not None:
            known = replace(known, kind=source.kind, template=source.template, logger=source.logger)
        elif pid in before:
            old = before[pid]
            known = replace(
                known,
                kind=old.kind,
                template=old.template,
                logger=old.logger,
                service=old.service,
                exception_type=old.exception_type,
            )
        else:
            # Only another member's text is known (state rebuilt from GitHub): never let it
            # match that member's entries to this id in later runs.
            known = replace(known, kind=GroupingKind.CUSTOM)
        state = state.with_cluster(known)
    return state


def _render(
    settings: RunSettings,
    gathered: _Gathered,
    outcome: RunOutcome,
    window: Window,
) -> None:
    # The caller may have picked another name (never overwrite an earlier run's worklog).
    path = settings.links.worklog_path or worklog_file_path(
        settings.worklog_dir, settings.now, settings.target_label
    )
    links = issue_links(gathered.existing, gathered.journal, gathered.issue_for)
    policy = settings.config.redaction
    titles = bare_titles(gathered.judged, policy, gathered.bare_titles)
    planned = {fp: ", ".join(kinds) for fp, kinds in gathered.planned.items()}
    data = WorklogInput(
        generated_at=settings.now,
        window_start=window.start,
        window_end=window.end,
        target=settings.target_label,
        run_id=settings.links.run_id,
        counts=gathered.counts,
        judged=gathered.judged,
        titles=titles,
        infra=gathered.infra,
        journal=gathered.journal,
        issue_links=links,
        planned_actions={fp: f"({text})" for fp, text in planned.items()},
        malformed=gathered.malformed,
        warnings=gathered.warnings,
        notes=gathered.notes,
        errors=[outcome.error.message] if outcome.error else [],
        run_url=settings.links.run_url,
        dry_run=settings.dry_run,
        redaction=policy,
        templates=gathered.templates,
        template_titles=gathered.template_titles,
        problems=gathered.views,
    )
    outcome.worklog_path = path
    outcome.judged = gathered.judged
    outcome.journal = gathered.journal
    outcome.worklog_text = render_worklog(data)
    outcome.summary_markdown = render_job_summary(data, settings.links.worklog_url)
    outcome.report = report_document(data, gathered.planned)
    outcome.report["sources"] = _sources(gathered.fetches)
    state = _next_state(settings, gathered, window, path)
    state = replace(
        state,
        clusters={
            fp: replace(known, title=titles.get(fp, known.title))
            for fp, known in state.clusters.items()
        },
    )
    open_problems = _open_problems(gathered)
    listed = replace(
        state, clusters={fp: state.clusters[fp] for fp in open_problems if fp in state.clusters}
    )
    index = render_index(listed, settings.worklog_dir, policy)
    outcome.files = {
        path: outcome.worklog_text,
        f"{settings.worklog_dir.rstrip('/')}/{INDEX_FILE}": index,
    }
    if outcome.error is None:
        # A failed run keeps the old state: the next run replays its window.
        clean = partial(_clean_for_state, policy=policy)
        outcome.files[state_path(settings.worklog_dir)] = state_to_json(published(state, clean))


def _open_problems(gathered: _Gathered) -> set[str]:
    """Problems whose issue is open after this run; without GitHub, the ones seen now."""
    if not gathered.existing and not gathered.issue_for:
        return {j.cluster.fingerprint for j in gathered.judged if not j.judgement.ignored}
    by_number = {i.number: i.fingerprint for i in gathered.existing if i.fingerprint}
    by_number.update({n: fp for fp, n in gathered.issue_for.items()})
    opened = {
        i.fingerprint
        for i in gathered.existing
        if i.fingerprint and i.state is IssueState.OPEN and MUTED_LABEL not in i.labels
    }
    done = (OperationResult.DONE, OperationResult.ADOPTED)
    for entry in gathered.journal:
        if entry.result not in done:
            continue
        kind = entry.operation.kind
        number = entry.issue_number or entry.operation.issue_number
        fingerprint = entry.operation.fingerprint or by_number.get(number or 0, "")
        if kind in (OperationKind.CREATE_ISSUE, OperationKind.REOPEN) and fingerprint:
            opened.add(fingerprint)
        elif kind is OperationKind.CLOSE_COMPLETED:  # a closed duplicate leaves its twin open
            opened.discard(fingerprint)
    return opened


def _clean_for_state(text: str, policy: RedactionPolicy) -> str:
    return code_text(redact(text, policy))


def _commit(settings: RunSettings, tracker: IssueTracker, outcome: RunOutcome) -> None:
    try:
        outcome.commit = tracker.commit_files(outcome.files, COMMIT_MESSAGE)
        if outcome.commit.result is OperationResult.DONE:
            outcome.worklog_url = settings.links.worklog_url or outcome.commit.url
    except GardenerError as error:
        outcome.error = error


def dumps_report(report: Mapping[str, object]) -> str:
    return dumps_indented(report) + "\n"
