"""The worklog (one markdown report per run), the job summary and the JSON report.  Pure.

Every log-derived string goes through ``Published`` (redact, then neutralize into code) and is
remembered, so that the finished document can be verified (``commonmark``: GitHub's parser):
no log text outside a code span or block.  Everything else in the documents is our own words
and numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from log_gardener.core.grouping.infra import InfraSummary
from log_gardener.core.grouping.ingest import IngestCounts
from log_gardener.core.grouping.normalize import sample_text
from log_gardener.core.grouping.problems import ProblemView
from log_gardener.core.publishing import commonmark
from log_gardener.core.publishing.issue_render import offset_text, utc_text
from log_gardener.core.publishing.markdown import (
    code_block,
    code_span,
    inline_text,
)
from log_gardener.core.publishing.sparkline import sparkline
from log_gardener.core.shared.redact import DEFAULT_POLICY, RedactionPolicy, redact
from log_gardener.core.shared.state import GardenerState
from log_gardener.model import (
    GROUPING_VERSION,
    JournalEntry,
    JudgedCluster,
    MalformedEntry,
    OperationKind,
    OperationResult,
    Priority,
    Severity,
    StackFrame,
)

SUMMARY_LIMIT = 900_000  # bytes; the runner refuses job summaries over 1 MiB
SAMPLE_LIMIT = 4_000  # characters of one sample shown in the worklog
CHART_SERIES = 5


def utc(moment: datetime | None) -> str:
    return "-" if moment is None else utc_text(moment, "%Y-%m-%dT%H:%M:%SZ")


STAND_IN = "x"  # what log text becomes in the shadow rendering


@dataclass(frozen=True)
class Published:
    """Turns log-derived text into safe markdown: redacted, then inside code.

    With ``shadow`` every log-derived text is replaced by a stand-in.  A document is accepted
    only when its text outside code is identical to the shadow rendering's: then no log text,
    whatever it contains, changed anything outside a code span or block.  (Comparing with our
    own words this way cannot be fooled by a log line that happens to equal them.)
    """

    policy: RedactionPolicy = DEFAULT_POLICY
    shadow: bool = False

    def _clean(self, text: str) -> str:
        return STAND_IN if self.shadow else redact(text, self.policy)

    def span(self, text: str) -> str:
        return code_span(self._clean(text)) if text else "-"

    def cell(self, text: str) -> str:
        return inline_text(self._clean(text)) if text else "-"

    def block(self, text: str, info: str = "text") -> str:
        # Redacted before it is cut: a secret straddling the cut would leave a head too short
        # to recognise as one.  Only a head is redacted (a sample may be 256 KiB), long enough
        # that what is shown ends well before the head's own cut, however much was replaced.
        head = 2 * SAMPLE_LIMIT
        cleaned = self._clean(text[:head])
        while head < len(text) and len(cleaned) < SAMPLE_LIMIT + 200:
            head *= 4
            cleaned = self._clean(text[:head])
        if len(cleaned) > SAMPLE_LIMIT:
            cleaned = cleaned[:SAMPLE_LIMIT] + "\n[... trimmed]"
        return code_block(cleaned, info)


def verified(render: Callable[[Published], str], policy: RedactionPolicy) -> str:
    """Renders twice (log text, then stand-ins) and raises ``UnsafeDocumentError`` unless both
    render the same outside code (as GitHub's parser reads them) and hold no raw HTML."""
    return commonmark.verify(
        render(Published(policy)), lambda: render(Published(policy, shadow=True))
    )


@dataclass(frozen=True)
class IssueLink:
    number: int
    url: str


@dataclass(frozen=True)
class WorklogInput:
    generated_at: datetime
    window_start: datetime
    window_end: datetime
    target: str  # our words / config: "backend-staging (demo-project)"
    run_id: str
    counts: IngestCounts
    judged: Sequence[JudgedCluster]  # already ordered: priority, then count
    titles: Mapping[str, str]  # fingerprint -> publishable problem title
    infra: InfraSummary
    journal: Sequence[JournalEntry] = ()
    issue_links: Mapping[str, IssueLink] = field(default_factory=dict)
    planned_actions: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> our words
    malformed: Sequence[MalformedEntry] = ()
    warnings: Sequence[MalformedEntry] = ()  # entries read with a doubt (unknown severity)
    notes: Sequence[str] = ()  # our words: warnings, truncation, state rebuilt...
    errors: Sequence[str] = ()  # our words: a failed step
    run_url: str = ""
    dry_run: bool = False
    redaction: RedactionPolicy = DEFAULT_POLICY
    templates: Sequence[JudgedCluster] = ()  # the template level ("clusters" in the report)
    template_titles: Mapping[str, str] = field(default_factory=dict)  # fingerprint -> title
    problems: Mapping[str, ProblemView] = field(default_factory=dict)  # id -> members, why


def order_clusters(judged: Iterable[JudgedCluster]) -> list[JudgedCluster]:
    """Priority first, then volume, then fingerprint so the order is total and stable."""
    return sorted(
        judged, key=lambda j: (j.judgement.priority, -j.cluster.count, j.cluster.fingerprint)
    )


def render_worklog(data: WorklogInput) -> str:
    return verified(lambda pub: _worklog(data, pub), data.redaction)


def _worklog(data: WorklogInput, pub: Published) -> str:
    parts = [
        _header(data, pub),
        _executive_summary(data, pub),
        _cluster_table(data, pub),
        _time_chart(data),
        _cluster_sections(data, pub),
        _infrastructure(data, pub),
        _issue_actions(data),
        _run_notes(data),
        _run_status(data),
    ]
    return "\n\n".join(p for p in parts if p).rstrip() + "\n"


def render_job_summary(data: WorklogInput, worklog_url: str = "") -> str:
    """The job summary: the worklog's summary parts, under the runner's 1 MiB limit."""
    document = verified(lambda pub: _job_summary(data, worklog_url, pub), data.redaction)
    if len(document.encode("utf-8")) > SUMMARY_LIMIT:
        # Cut at whole sections only: a cut inside a code span would expose its text.
        link = f" Full worklog: {worklog_url}" if worklog_url else ""
        document = f"## log-gardener\n\nThe summary is too large to show.{link}\n"
    return document


def _job_summary(data: WorklogInput, worklog_url: str, pub: Published) -> str:
    link = f"\n\nFull worklog: {worklog_url}" if worklog_url else ""
    parts = [
        f"## log-gardener: {len(data.judged)} problems in {data.target}{link}",
        _window_line(data),
        _executive_summary(data, pub),
        _cluster_table(data, pub),
        _issue_actions(data),
        _run_notes(data),
    ]
    return "\n\n".join(p for p in parts if p).rstrip() + "\n"


def _window_line(data: WorklogInput) -> str:
    return f"**Time window:** {utc(data.window_start)} to {utc(data.window_end)} (UTC)"


def _header(data: WorklogInput, pub: Published) -> str:
    services = sorted({s for j in data.judged for s in j.cluster.services})
    lines = [
        f"# log-gardener worklog: {data.target}",
        "",
        f"**Generated:** {utc(data.generated_at)}  ",
        _window_line(data) + "  ",
        f"**Services:** {', '.join(pub.span(s) for s in services) or '-'}  ",
        f"**Run:** {data.run_url or data.run_id}{' (dry run)' if data.dry_run else ''}  ",
        f"**Grouping:** {GROUPING_VERSION}  ",
        (
            f"**Entries:** {data.counts.read} read, {data.counts.kept} kept, "
            f"{data.counts.skipped} skipped ({data.counts.skipped_severity} below the minimum "
            f"severity, {data.counts.skipped_window} outside the window, "
            f"{data.counts.duplicates} duplicates), {data.counts.malformed} malformed"
        ),
    ]
    return "\n".join(lines)


def _executive_summary(data: WorklogInput, pub: Published) -> str:
    lines = ["## Executive summary", ""]
    if not data.judged:
        lines.append("No problems found in this window.")
        return "\n".join(lines)
    by_priority = {p: 0 for p in Priority}
    for judged in data.judged:
        by_priority[judged.judgement.priority] += 1
    counts = ", ".join(f"{n} at {p.name}" for p, n in by_priority.items() if n)
    worst = data.judged[0]
    folded = len(data.templates) > len(data.judged)
    templates = f" (from {len(data.templates)} message templates)" if folded else ""
    lines.append(f"**{len(data.judged)} problems** found{templates}: {counts}.")
    lines.append("")
    lines.append(
        f"**Worst:** {worst.judgement.priority.name} {_title(data, worst, pub)}: "
        f"{worst.cluster.count} events, {worst.status.value}, last seen "
        f"{utc(worst.cluster.last_seen)}."
    )
    return "\n".join(lines)


def _title(data: WorklogInput, judged: JudgedCluster, pub: Published) -> str:
    """A rule's title is our users' words; a title made from log text stays in code."""
    title = data.titles.get(judged.cluster.fingerprint, "")
    if judged.judgement.title:
        return _own_words(title)
    return pub.cell(title) if title else "(untitled problem)"


def _issue_cell(data: WorklogInput, fingerprint: str) -> str:
    link = data.issue_links.get(fingerprint)
    if link is None:
        return "-"
    # "issue 12", never "#12": a bare reference is what log text is kept from writing.
    return f"[issue {link.number}]({link.url})" if link.url else f"issue {link.number}"


def _cluster_table(data: WorklogInput, pub: Published) -> str:
    if not data.judged:
        return ""
    rows = [
        "| # | Priority | Status | Problem | Count | First seen | Last seen | Trend | Issue |",
        "|---|---|---|---|---:|---|---|---|---|",
    ]
    for index, judged in enumerate(data.judged, start=1):
        c = judged.cluster
        rows.append(
            f"| {index} | {judged.judgement.priority.name} | {judged.status.value} | "
            f"{_title(data, judged, pub)} | {c.count} | {utc(c.first_seen)} | {utc(c.last_seen)} | "
            f"{sparkline(c.buckets)} | {_issue_cell(data, c.fingerprint)} |"
        )
    return "\n".join(rows)


def _bucket_labels(data: WorklogInput, buckets: int) -> list[str]:
    span = (data.window_end - data.window_start) / max(buckets, 1)
    return [(data.window_start + span * i).strftime("%H:%M") for i in range(buckets)]


def _time_chart(data: WorklogInput) -> str:
    top = [j for j in data.judged if j.cluster.buckets][:CHART_SERIES]
    if not top:
        return ""
    buckets = len(top[0].cluster.buckets)
    peak = max(max(j.cluster.buckets) for j in top)
    labels = ", ".join(f'"{label}"' for label in _bucket_labels(data, buckets))
    lines = [
        "## Over time",
        "",
        "```mermaid",
        "xychart-beta",
        '    title "Events per interval, top problems"',
        f"    x-axis [{labels}]",
        f'    y-axis "events" 0 --> {max(peak, 1)}',
    ]
    lines += [f"    line [{', '.join(str(v) for v in j.cluster.buckets)}]" for j in top]
    lines += ["```", ""]
    lines += [
        f"- line {i}: problem {i} ({j.judgement.priority.name}, {j.cluster.count} events)"
        for i, j in enumerate(top, start=1)
    ]
    return "\n".join(lines)


def _innermost(frames: Sequence[StackFrame]) -> StackFrame | None:
    candidates = [f for f in frames if f.in_app] or list(frames)
    return candidates[-1] if candidates else None


def _frame_text(frame: StackFrame) -> str:
    line = f":{frame.line}" if frame.line is not None else ""
    where = frame.file or frame.module
    return f"{frame.module}.{frame.function} ({where}{line})"


def _root_cause(judged: JudgedCluster, pub: Published) -> str:
    c = judged.cluster
    frame = _innermost(c.top_frames)
    if c.exception_type:
        cause = pub.span(c.exception_type)
        if c.exception_value:
            cause += ": " + pub.span(c.exception_value)
        if frame is not None:
            cause += " raised in " + pub.span(_frame_text(frame))
        return cause
    if c.logger:
        return "reported by " + pub.span(c.logger) + " (no stack trace in the entries)"
    return "no exception or stack trace in the entries"


def _location(judged: JudgedCluster, pub: Published) -> str:
    c = judged.cluster
    frame = _innermost(c.top_frames)
    if frame is not None:
        return pub.span(_frame_text(frame))
    sample = c.samples[0] if c.samples else None
    if sample is None:
        return "-"
    pieces = [sample.logger, sample.function, sample.source_file]
    where = ".".join(p for p in pieces[:2] if p)
    if sample.source_file:
        where += (
            f" ({sample.source_file}{':' + str(sample.source_line) if sample.source_line else ''})"
        )
    return pub.span(where) if where else "-"


def _severity_text(counts: Mapping[Severity, int]) -> str:
    ordered = sorted(counts.items(), key=lambda kv: -int(kv[0]))
    return ", ".join(f"{n} {s.name}" for s, n in ordered)


def _cluster_sections(data: WorklogInput, pub: Published) -> str:
    if not data.judged:
        return ""
    sections = ["## Problems"]
    for index, judged in enumerate(data.judged, start=1):
        sections.append(_cluster_section(data, index, judged, pub))
    return "\n\n".join(sections)


def _cluster_section(data: WorklogInput, index: int, judged: JudgedCluster, pub: Published) -> str:
    c, j = judged.cluster, judged.judgement
    revisions = ", ".join(f"{pub.span(r)} ({n})" for r, n in c.revisions.items()) or "-"
    escalated = (
        f" (raised from {judged.escalated_from.name}: volume spike)"
        if judged.escalated_from is not None
        else ""
    )
    lines = [
        f"### {index}. {j.priority.name} · {_title(data, judged, pub)}",
        "",
        f"- **Priority:** {j.priority.name}{escalated}",
        f"- **Status:** {judged.status.value}",
        f"- **Impact:** {_impact(judged)}",
        f"- **Probable root cause:** {_root_cause(judged, pub)}",
        f"- **Location:** {_location(judged, pub)}",
        f"- **Count:** {c.count} ({_severity_text(c.severity_counts)})",
        f"- **First seen:** {utc(c.first_seen)}; **last seen:** {utc(c.last_seen)}",
        f"- **Revisions:** {revisions}",
        f"- **Services:** {', '.join(pub.span(s) for s in c.services) or '-'}",
        f"- **Trend:** {sparkline(c.buckets)}",
        f"- **Issue:** {_issue_cell(data, c.fingerprint)} "
        f"{data.planned_actions.get(c.fingerprint, '')}".rstrip(),
        f"- **Rule:** {code_span(j.rule)}; **labels:** "
        f"{', '.join(code_span(label) for label in j.labels) or '-'}",
        f"- **Fingerprint:** `{c.fingerprint}` ({c.kind.value} grouping {GROUPING_VERSION})",
    ]
    view = data.problems.get(c.fingerprint)
    if view is not None and len(view.members) > 1:
        lines.insert(
            2,
            f"- **Folds:** {len(view.members)} templates (the root and "
            f"{len(view.members) - 1} symptoms)",
        )
    if c.samples:
        lines += [
            "",
            "**Sample** (redacted):",
            "",
            pub.block(sample_text(c.samples[-1])),
        ]
    lines += ["", "**Technical details:**", ""]
    lines += _technical_details(judged, pub)
    if view is not None and len(view.members) > 1:
        lines += _problem_details(view, pub)
    return "\n".join(lines)


def _problem_details(view: ProblemView, pub: Published) -> list[str]:
    lines = ["- Members (role, events, first and last seen, fingerprint):"]
    lines += [
        f"  - {m.role}: {pub.span(m.title)}, {m.count} events, {utc(m.first_seen)} to "
        f"{utc(m.last_seen)}, `{m.fingerprint}`"
        for m in view.members
    ]
    if view.timeline:
        steps = " -> ".join(f"{offset_text(t)} {pub.span(title)}" for title, t in view.timeline)
        lines.append(f"- One occurrence: {steps}")
    if view.why:
        lines.append("- Why grouped:")
        lines += [
            f"  - {pub.span(child)} under {pub.span(parent)}: {_own_words(words)}"
            for child, parent, words in view.why
        ]
    return lines


def _impact(judged: JudgedCluster) -> str:
    if judged.judgement.impact:
        return _own_words(judged.judgement.impact)
    severity = judged.cluster.max_severity
    if severity >= Severity.CRITICAL:
        return "critical failures reported by the service"
    if severity >= Severity.ERROR:
        return "errors: requests or jobs are failing"
    return "warnings: degraded behaviour or a misconfiguration to clean up"


def _technical_details(judged: JudgedCluster, pub: Published) -> list[str]:
    c = judged.cluster
    lines = [f"- Template: {pub.span(c.template)}"]
    if c.top_frames:
        lines.append("- Top frames (innermost last):")
        lines += [f"  - {pub.span(_frame_text(f))}" for f in c.top_frames]
    if c.locations:
        lines.append(f"- Locations: {', '.join(pub.span(loc) for loc in c.locations)}")
    ids = [s.insert_id for s in c.samples if s.insert_id]
    lines.append(f"- Sample insertIds: {', '.join(pub.span(i) for i in ids) or '-'}")
    return lines


def _infrastructure(data: WorklogInput, pub: Published) -> str:
    infra = data.infra
    lines = ["## Infrastructure", ""]
    if infra.revisions:
        lines += ["| Revision | Entries | First seen | Last seen |", "|---|---:|---|---|"]
        lines += [
            f"| {pub.cell(r.name)} | {r.entries} | {utc(r.first_seen)} | {utc(r.last_seen)} |"
            for r in infra.revisions
        ]
        lines.append("")
    for code, times in infra.container_exits:
        lines.append(f"- Container exits with code {code}: {times}")
    for description, times in infra.signals:
        lines.append(f"- {description.capitalize()}: {times}")
    if infra.requests:
        lines.append(
            f"- HTTP requests logged: {infra.requests} "
            f"({infra.server_errors} with status 5xx, {infra.client_errors} with 4xx)"
        )
    if len(lines) == 2:
        lines.append("No platform signals (revisions, exits, probes) in this window.")
    return "\n".join(lines).rstrip()


_ACTION_WORDS = {
    OperationKind.ENSURE_LABEL: "label",
    OperationKind.CREATE_ISSUE: "create issue",
    OperationKind.UPDATE_ISSUE: "update issue",
    OperationKind.COMMENT: "comment",
    OperationKind.REOPEN: "reopen",
    OperationKind.CLOSE_COMPLETED: "close as completed",
    OperationKind.CLOSE_DUPLICATE: "close as duplicate",
    OperationKind.CLOSE_FOLDED: "close as folded",
    OperationKind.COMMIT_WORKLOG: "commit worklog",
}


def _issue_actions(data: WorklogInput) -> str:
    lines = ["## Issue actions", ""]
    shown = [e for e in data.journal if e.operation.kind is not OperationKind.ENSURE_LABEL]
    if not shown:
        lines.append("No issue actions in this run.")
        return "\n".join(lines)
    lines += ["| Action | Problem | Issue | Result | Why |", "|---|---|---|---|---|"]
    numbered: dict[str, tuple[int, JudgedCluster]] = {}
    for index, judged in enumerate(data.judged, start=1):
        numbered.setdefault(judged.cluster.fingerprint, (index, judged))
    titles = Published(data.redaction)  # titles in code, as in the problems table
    for entry in shown:
        op = entry.operation
        number = entry.issue_number or op.issue_number
        issue = (
            f"[issue {number}]({entry.url})"
            if number and entry.url
            else (f"issue {number}" if number else "-")
        )
        problem = _problem_name(data, op.fingerprint, numbered, titles)
        lines.append(
            f"| {_ACTION_WORDS[op.kind]} | {problem} | {issue} | {_result_words(entry)} | "
            f"{_cell_words(op.reason)} |"
        )
    deferred = sum(1 for e in data.journal if e.result is OperationResult.DEFERRED_BUDGET)
    if deferred:
        lines += [
            "",
            f"{deferred} operations did not fit this run's budget; the next run does them.",
        ]
    return "\n".join(lines)


def _problem_name(
    data: WorklogInput,
    fingerprint: str,
    numbered: Mapping[str, tuple[int, JudgedCluster]],
    pub: Published,
) -> str:
    """ "3. <title>" as in the problems table; a template issue folded away by its fingerprint."""
    if not fingerprint:
        return "-"
    if fingerprint in numbered:
        index, judged = numbered[fingerprint]
        return _cell_words(f"{index}. ") + _title(data, judged, pub)
    return f"`{fingerprint}`"


def _result_words(entry: JournalEntry) -> str:
    words = {
        OperationResult.DONE: "done",
        OperationResult.SKIPPED_DRY_RUN: "planned (dry run)",
        OperationResult.DEFERRED_BUDGET: "deferred (budget)",
        OperationResult.FAILED: "failed",
        OperationResult.ADOPTED: "adopted existing issue",
    }[entry.result]
    shown = entry.detail and entry.result is not OperationResult.SKIPPED_DRY_RUN
    return f"{words}: {_cell_words(entry.detail)}" if shown else words


def _own_words(text: str) -> str:
    """Our users' words from the rules file: trusted, but kept from breaking the layout."""
    flat = " ".join(text.split())
    return "".join("\\" + ch if ch in "\\`*_[]<>|#@!~" else ch for ch in flat)


def _cell_words(text: str) -> str:
    """Our own words in a table cell: pipes and line breaks would break the table."""
    return text.replace("|", "/").replace("\n", " ")


def _run_status(data: WorklogInput) -> str:
    """The closing checklist an engineer's hand-written report ends with."""
    failed = bool(data.errors)
    done = (OperationResult.DONE, OperationResult.ADOPTED)
    writes = [e for e in data.journal if e.operation.kind is not OperationKind.ENSURE_LABEL]
    tally: dict[str, int] = {}
    for entry in writes:
        if entry.result in done:
            key = _ACTION_WORDS[entry.operation.kind]
        else:
            key = _result_words(entry).split(":")[0]
        tally[key] = tally.get(key, 0) + 1
    actions = ", ".join(f"{key}: {n}" for key, n in tally.items()) or "nothing to do"
    if writes and all(e.result is OperationResult.SKIPPED_DRY_RUN for e in writes):
        actions = f"{len(writes)} actions planned, none applied (dry run, or no GitHub target)"
    mark = "x" if data.counts.read or not failed else " "
    lines = [
        "## Run status",
        "",
        f"- [{mark}] Log collection: {data.counts.read} entries read, {data.counts.kept} kept",
        f"- [{mark}] Clustering: {len(data.judged)} problems",
        f"- [{' ' if failed else 'x'}] Issue sync: {actions}",
        f"- [{' ' if failed else 'x'}] Worklog and state saved"
        + (" (a dry run saves nothing)" if data.dry_run else ""),
    ]
    if failed:
        lines.append("")
        lines.append("The run failed (see the error above): the next run replays this window.")
    return "\n".join(lines)


def _run_notes(data: WorklogInput) -> str:
    lines: list[str] = []
    lines += [f"- **Error:** {_cell_words(e)}" for e in data.errors]
    lines += [f"- {_cell_words(n)}" for n in data.notes]
    if data.malformed:
        lines.append(f"- {data.counts.malformed} malformed entries were skipped:")
        lines += [f"  - line {m.line_no}: {_cell_words(m.reason)}" for m in data.malformed]
    if data.warnings:
        doubts = [
            f"{data.counts.unknown_severity} entries had an unknown severity",
            f"{data.counts.no_timestamp} entries had no timestamp (read at their"
            " receiveTimestamp, else the window start)",
        ]
        counts = (data.counts.unknown_severity, data.counts.no_timestamp)
        lines.append("- " + "; ".join(d for d, n in zip(doubts, counts, strict=True) if n) + ":")
        lines += [f"  - line {m.line_no}: {_cell_words(m.reason)}" for m in data.warnings]
    return "## Run notes\n\n" + "\n".join(lines) if lines else ""


def report_document(
    data: WorklogInput, operations_planned: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """The ``--report-json`` document (schema in the README).  Published, so redacted."""
    pub = Published(data.redaction)
    problem_of = {m.fingerprint: pid for pid, v in data.problems.items() for m in v.members}
    clusters = [
        _report_cluster(
            data,
            j,
            operations_planned.get(
                problem_of.get(j.cluster.fingerprint, j.cluster.fingerprint), ()
            ),
            pub,
            problem_of.get(j.cluster.fingerprint, j.cluster.fingerprint),
        )
        for j in (data.templates or data.judged)
    ]
    problems = [
        _report_problem(data, j, operations_planned.get(j.cluster.fingerprint, ()))
        for j in data.judged
    ]
    return {
        "schema": "log-gardener/report/v1",
        "grouping_version": GROUPING_VERSION,
        "run_id": data.run_id,
        "generated_at": utc(data.generated_at),
        "window": {"start": utc(data.window_start), "end": utc(data.window_end)},
        "target": data.target,
        "dry_run": data.dry_run,
        "entries": {
            "read": data.counts.read,
            "kept": data.counts.kept,
            "skipped": data.counts.skipped,
            "skipped_below_severity": data.counts.skipped_severity,
            "skipped_outside_window": data.counts.skipped_window,
            "duplicates": data.counts.duplicates,
            "malformed": data.counts.malformed,
            "unknown_severity": data.counts.unknown_severity,
            "no_timestamp": data.counts.no_timestamp,
        },
        "malformed": [{"line": m.line_no, "reason": m.reason} for m in data.malformed],
        "warnings": [{"line": m.line_no, "reason": m.reason} for m in data.warnings],
        "clusters": clusters,
        "problems": problems,
        "max_priority": data.judged[0].judgement.priority.name if data.judged else "",
        "journal": [_journal_json(e) for e in data.journal],
        "notes": list(data.notes),
        "errors": list(data.errors),
    }


def _report_problem(
    data: WorklogInput, judged: JudgedCluster, planned: Sequence[str]
) -> dict[str, Any]:
    c, j = judged.cluster, judged.judgement
    view = data.problems.get(c.fingerprint)
    link = data.issue_links.get(c.fingerprint)
    members = (
        [
            {"fingerprint": m.fingerprint, "role": m.role, "kind": m.kind, "count": m.count}
            for m in view.members
        ]
        if view is not None
        else [{"fingerprint": c.fingerprint, "role": "root", "kind": "", "count": c.count}]
    )
    return {
        "id": c.fingerprint,
        "root": view.root if view is not None else c.fingerprint,
        "title": data.titles.get(c.fingerprint, ""),
        "priority": j.priority.name,
        "status": judged.status.value,
        "count": c.count,
        "members": members,
        "templates": len(members),
        "why": [words for _c, _p, words in view.why] if view is not None else [],
        "issue_action": list(planned),
        "issue_number": link.number if link else None,
    }


def _report_cluster(
    data: WorklogInput,
    judged: JudgedCluster,
    planned: Sequence[str],
    pub: Published,
    problem: str = "",
) -> dict[str, Any]:
    c, j = judged.cluster, judged.judgement
    link = data.issue_links.get(problem or c.fingerprint)
    title = data.template_titles.get(c.fingerprint, "") or data.titles.get(c.fingerprint, "")
    return {
        "fingerprint": c.fingerprint,
        "problem": problem or c.fingerprint,
        "title": title,
        "priority": j.priority.name,
        "labels": list(j.labels),
        "status": judged.status.value,
        "count": c.count,
        "first_seen": utc(c.first_seen),
        "last_seen": utc(c.last_seen),
        "severity_counts": {s.name: n for s, n in sorted(c.severity_counts.items())},
        "services": [redact(s, pub.policy) for s in c.services],
        "revisions": {redact(r, pub.policy): n for r, n in c.revisions.items()},
        "sample_insert_ids": [redact(s.insert_id, pub.policy) for s in c.samples if s.insert_id],
        "rule": j.rule,
        "ignored": j.ignored,
        "escalated_from": judged.escalated_from.name if judged.escalated_from is not None else None,
        "issue_action": list(planned),
        "issue_number": link.number if link else None,
        "issue_url": link.url if link else "",
        "buckets": list(c.buckets),
    }


def _journal_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "action": entry.operation.kind.value,
        "fingerprint": entry.operation.fingerprint,
        "issue_number": entry.issue_number or entry.operation.issue_number,
        "result": entry.result.value,
        "url": entry.url,
        "detail": entry.detail,
        "reason": entry.operation.reason,
    }


INDEX_RUNS = 50
INDEX_PROBLEMS = 100


def render_index(state: GardenerState, worklog_dir: str, policy: RedactionPolicy) -> str:
    """``<worklog-dir>/README.md``: the recent runs (newest first) and the problems in
    ``state`` (the caller passes the open ones)."""
    return verified(lambda pub: _index(state, worklog_dir, pub), policy)


def _index(state: GardenerState, worklog_dir: str, pub: Published) -> str:
    prefix = worklog_dir.rstrip("/") + "/"
    lines = ["# log-gardener worklog", "", "## Recent runs", ""]
    if state.runs:
        lines += [
            "| Generated | Worklog | Problems | Entries kept | Worst |",
            "|---|---|---:|---:|---|",
        ]
    for run in state.runs[:INDEX_RUNS]:
        relative = run.worklog_path.removeprefix(prefix)
        lines.append(
            f"| {utc(run.generated_at)} | [{_cell_words(relative)}]({_link_path(relative)}) | "
            f"{run.clusters} | {run.entries} | {run.max_priority or '-'} |"
        )
    lines += ["", "## Open problems", ""]
    known = sorted(
        state.clusters.values(),
        key=lambda k: (
            k.priority if k.priority is not None else Priority.P4,
            -(k.last_seen.timestamp() if k.last_seen else 0),
            k.fingerprint,
        ),
    )[:INDEX_PROBLEMS]
    if not known:
        lines.append("None yet.")
    else:
        lines += ["| Priority | Problem | Last seen | Trend | Issue |", "|---|---|---|---|---|"]
        lines += [
            f"| {k.priority.name if k.priority is not None else '-'} | "
            f"{pub.cell(k.title or k.template)} | "
            f"{utc(k.last_seen)} | {sparkline([h.count for h in k.history])} | "
            f"{'issue ' + str(k.issue_number) if k.issue_number else '-'} |"
            for k in known
        ]
    return "\n".join(lines) + "\n"


def _link_path(relative: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "/-_.~" else f"%{ord(ch):02X}" for ch in relative)
