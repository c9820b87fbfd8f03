"""Issue titles, bodies, comments and the dashboard, from judged clusters.  Pure.

Every log-derived string (template, exception, samples, logger, service and revision names)
goes through ``redact`` and then one of ``code_span`` / ``code_block`` / ``inline_text`` /
``plain_title`` before it reaches markdown; rule texts (trusted config) get ``inline_text``
too, lightly, so a typo cannot mention a team.  Bodies stay under GitHub's limits by dropping
detail in a fixed order (sample first), never by cutting markdown mid-construct.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from log_gardener.core.grouping.normalize import sample_text
from log_gardener.core.grouping.problems import ProblemView
from log_gardener.core.judging.lifecycle import Spike
from log_gardener.core.judging.rules import IssuePolicy
from log_gardener.core.planning.plan import Changes, DashboardRow, RunLinks, history_counts
from log_gardener.core.publishing import commonmark
from log_gardener.core.publishing.markdown import code_block, code_span, inline_text, plain_title
from log_gardener.core.publishing.sparkline import sparkline
from log_gardener.core.shared.marker import (
    dashboard_marker,
    issue_marker,
    members_marker,
    run_marker,
)
from log_gardener.core.shared.redact import (
    DEFAULT_POLICY,
    RedactionPolicy,
    published,
    redact,
    shadow_of,
)
from log_gardener.core.shared.state import KnownCluster
from log_gardener.model import (
    GROUPING_VERSION,
    JudgedCluster,
    StackFrame,
)

TITLE_LIMIT = 256
BODY_CHAR_LIMIT = 65_536
BODY_BYTE_LIMIT = 262_144
SAMPLE_LIMITS = (8_000, 2_000, 0)  # tried in turn until the body fits; 0 drops the sample
HISTORY_ROWS = (24, 6, 0)
LIST_LIMIT = 10  # revisions, services shown in a body
TEMPLATE_LIMIT = 2_000
DASHBOARD_TITLE = "log-gardener dashboard"
_PLACEHOLDERS = ("{status}", "{priority}", "{title}")


# --- verification ------------------------------------------------------------------------

# The only raw HTML of our documents: the markers (hex fingerprints, run keys, the grouping
# version) and the folded "why grouped" list of a problem's body.
_OWN_HTML = re.compile(
    r"<!-- log-gardener:[A-Za-z0-9._=: -]* -->|<details><summary>Why grouped</summary>|</details>"
)


def _verified(
    document: str, render: Callable[[RedactionPolicy], str], redaction: RedactionPolicy
) -> str:
    """``document`` (``render(redaction)``) once ``render`` with every log text a stand-in
    (``shadow_of``) reads the same outside code; else ``UnsafeDocumentError``."""
    return commonmark.verify(document, lambda: render(shadow_of(redaction)), _OWN_HTML)


def _own_words_only(document: str) -> str:
    """A document with no log text at all: its shadow is itself; its HTML is checked."""
    return commonmark.verify(document, lambda: document, _OWN_HTML)


# --- small formatting helpers ------------------------------------------------------------


def utc_text(moment: datetime, pattern: str) -> str:
    """``moment`` in UTC, formatted with strftime's ``pattern`` (the worklog and issues show
    the same few moments thousands of times, so UTC moments are formatted once)."""
    if moment.tzinfo is not UTC:  # naive, or another zone (whose fold equality ignores)
        return moment.astimezone(UTC).strftime(pattern)
    return _utc_text_aware(moment, pattern)


@lru_cache(maxsize=8192)  # equal UTC moments are the same instant: the same text
def _utc_text_aware(moment: datetime, pattern: str) -> str:
    return moment.astimezone(UTC).strftime(pattern)


def when(moment: datetime | None) -> str:
    return "unknown" if moment is None else utc_text(moment, "%Y-%m-%d %H:%M UTC")


def _safe_span(text: str, redaction: RedactionPolicy, limit: int = 200) -> str:
    """Log text as inline code, redacted, cut to ``limit`` characters."""
    cleaned = redact(text, redaction)
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return code_span(cleaned)


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _cell(markdown: str) -> str:
    """A table cell: an unescaped pipe (even inside a code span) would split the row."""
    return _UNESCAPED_PIPE.sub(r"\\|", markdown) if "|" in markdown else markdown


def _table(rows: Sequence[tuple[str, str]]) -> list[str]:
    lines = ["| | |", "|---|---|"]
    lines.extend(f"| {_cell(k)} | {_cell(v)} |" for k, v in rows)
    return lines


def _link(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text


# --- titles ------------------------------------------------------------------------------


def _title_text(judged: JudgedCluster, redaction: RedactionPolicy, limit: int) -> str:
    if judged.judgement.title:
        return plain_title(judged.judgement.title, limit)
    c = judged.cluster
    typed = c.exception_type and not c.template.startswith(f"{c.exception_type}:")
    raw = f"{c.exception_type}: {c.template}" if typed else c.template
    return plain_title(redact(raw, redaction), limit) or "Unnamed problem"


# ``{name}`` placeholders and ``{{``/``}}`` escapes, as the rules file accepts them.
_FORMAT_PART = re.compile(r"\{\{|\}\}|\{([a-z_]+)\}")


def _fill(fmt: str, values: dict[str, str]) -> str:
    """One pass, so a value holding ``{title}`` is never filled in again."""

    def part(found: re.Match[str]) -> str:
        token = found.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values.get(found.group(1), token)

    return _FORMAT_PART.sub(part, fmt)


def _service_text(services: Sequence[str], redaction: RedactionPolicy) -> str:
    # Service names come from the logs' resource labels: redacted and made inert like a title.
    first = plain_title(redact(services[0], redaction), 63) if services else ""
    return f"{first} +{len(services) - 1}" if len(services) > 1 else first


def issue_title(
    policy: IssuePolicy, judged: JudgedCluster, redaction: RedactionPolicy | None = None
) -> str:
    """``title_format`` filled in; never raw log text; at most 256 characters."""
    rules = RedactionPolicy() if redaction is None else redaction
    fmt = policy.title_format if "{title}" in policy.title_format else "{title}"
    values = {
        "status": judged.status.value,
        "priority": judged.judgement.priority.label,
        "count": str(judged.cluster.count),
        "service": _service_text(sorted(judged.cluster.services), rules),
        "title": "",
    }
    room = max(TITLE_LIMIT - len(_fill(fmt, values)), 16)
    values["title"] = _title_text(judged, rules, room)
    return _fill(fmt, values)[:TITLE_LIMIT]


TitleKey = tuple[str, str, str]


def bare_titles(
    judged: Sequence[JudgedCluster], redaction: RedactionPolicy, made: dict[TitleKey, str]
) -> dict[str, str]:
    """Fingerprint -> ``issue_title`` with the format ``{title}`` (the worklog's, the report's).

    That title depends only on the rule's title, the exception type and the template: ``made``
    keeps the ones already rendered (by key) for the template and problem levels of one run."""
    bare = IssuePolicy(title_format="{title}")
    titles: dict[str, str] = {}
    for item in judged:
        c = item.cluster
        key = (item.judgement.title, c.exception_type, c.template)
        if key not in made:
            made[key] = issue_title(bare, item, redaction)
        titles[c.fingerprint] = made[key]
    return titles


# --- the issue body ----------------------------------------------------------------------


def _innermost(frames: Sequence[StackFrame]) -> StackFrame | None:
    in_app = [f for f in frames if f.in_app]
    chosen = in_app or list(frames)
    return chosen[-1] if chosen else None


def _frame_text(frame: StackFrame, redaction: RedactionPolicy) -> str:
    where = f"{frame.module}.{frame.function}" if frame.module else frame.function
    text = _safe_span(where, redaction)
    if frame.file:
        place = frame.file if frame.line is None else f"{frame.file}:{frame.line}"
        text += f" ({_safe_span(place, redaction)})"
    return text


def _root_cause(judged: JudgedCluster, redaction: RedactionPolicy) -> list[str]:
    c = judged.cluster
    lines = ["### Probable root cause", ""]
    frame = _innermost(c.top_frames)
    if c.exception_type:
        cause = f"{_safe_span(c.exception_type, redaction, 120)} raised"
        if frame is not None:
            cause += f" in {_frame_text(frame, redaction)}"
        lines.append(cause + ".")
        if c.exception_value:
            lines += ["", f"Message: {_safe_span(c.exception_value, redaction, 500)}"]
    elif frame is not None:
        lines.append(f"Logged from {_frame_text(frame, redaction)}.")
    else:
        lines.append("No stack trace was logged; the message template is below.")
    if c.logger:
        lines += ["", f"Logger: {_safe_span(c.logger, redaction)}"]
    template = redact(c.template, redaction)[:TEMPLATE_LIMIT]
    lines += ["", "Message template:", "", code_block(template)]
    return lines


def _names(values: Sequence[str], redaction: RedactionPolicy) -> str:
    shown = [_safe_span(v, redaction, 80) for v in values[:LIST_LIMIT] if v]
    more = len(values) - LIST_LIMIT
    return (", ".join(shown) or "none") + (f" and {more} more" if more > 0 else "")


def _revisions(judged: JudgedCluster, redaction: RedactionPolicy) -> str:
    items = list(judged.cluster.revisions.items())
    shown = [f"{_safe_span(r, redaction, 80)} ({n})" for r, n in items[:LIST_LIMIT] if r]
    more = len(items) - LIST_LIMIT
    return (", ".join(shown) or "none") + (f" and {more} more" if more > 0 else "")


def _priority_text(judged: JudgedCluster) -> str:
    text = judged.judgement.priority.label
    if judged.escalated_from is not None:
        text += f" (raised from {judged.escalated_from.label} by a volume spike)"
    return text


def _summary(judged: JudgedCluster, known: KnownCluster | None, red: RedactionPolicy) -> list[str]:
    c = judged.cluster
    first = c.first_seen if known is None or known.first_seen is None else known.first_seen
    severities = ", ".join(
        f"{s.name} {n}" for s, n in sorted(c.severity_counts.items(), key=lambda i: -int(i[0]))
    )
    return _table(
        [
            ("Priority", _priority_text(judged)),
            ("Status", judged.status.value),
            ("Events in the last run", str(c.count)),
            ("Severity", severities or "unknown"),
            ("First seen", when(min(first, c.first_seen))),
            ("Last seen", when(c.last_seen)),
            ("Revisions", _revisions(judged, red)),
            ("Services", _names(c.services, red)),
            ("Rule", _safe_span(judged.judgement.rule, red, 100)),
        ]
    )


_PROSE_ESCAPES = str.maketrans({"<": "&lt;", ">": "&gt;", "@": "\uff20", "\\": "\\\\"})
_ISSUE_REFERENCE = re.compile(r"#(?=\d)")


def trusted_prose(text: str) -> str:
    """Rule texts (trusted config) keep their emphasis and links, but a typo cannot mention
    a team, reference an issue or inject HTML."""
    return _ISSUE_REFERENCE.sub("\uff03", text.translate(_PROSE_ESCAPES)).strip()


def _impact(judged: JudgedCluster) -> list[str]:
    if not judged.judgement.impact:
        return []
    return ["### Impact", "", trusted_prose(judged.judgement.impact)]


def _sample(judged: JudgedCluster, redaction: RedactionPolicy, limit: int) -> list[str]:
    samples = judged.cluster.samples
    if not samples:
        return []
    if limit <= 0:
        return ["### Sample", "", "The sample is too large for an issue; see the worklog."]
    text = redact(sample_text(samples[0]), redaction)
    note = []
    if len(text) > limit:
        text = text[:limit]
        note = ["", f"Cut to its first {limit} characters; the worklog has more."]
    return ["### Sample", "", code_block(text), *note]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.$]{0,199}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_PROJECT = re.compile(r"[a-z][a-z0-9.:-]{3,62}")
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _percent(text: str) -> str:
    """Percent-encoding of everything outside RFC 3986's unreserved set (core has no urllib)."""
    return "".join(
        ch if ch in _URL_SAFE else "".join(f"%{b:02X}" for b in ch.encode()) for ch in text
    )


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unredacted(value: str) -> bool:
    return redact(value) == value


def logs_explorer_filter(judged: JudgedCluster) -> str:
    """A Logging query for this cluster built only from values that pass strict shape checks
    (service names, an exception type that is an identifier, times): log text that does not
    look like a name never reaches a URL."""
    c = judged.cluster
    lowest = min(c.severity_counts, default=c.max_severity)
    clauses = [f"severity>={lowest.name}"]
    types = {s.resource_type for s in c.samples if s.resource_type}
    if len(types) == 1 and _NAME.fullmatch(next(iter(types)).replace("_", "-")):
        resource_type = next(iter(types))
        clauses.append(f'resource.type="{resource_type}"')
        services = [s for s in c.services if _NAME.fullmatch(s) and _unredacted(s)]
        if resource_type == "cloud_run_revision" and len(services) == 1:
            clauses.append(f'resource.labels.service_name="{services[0]}"')
    # A secret can be shaped like an identifier ("ghp_..." where a traceback names the type):
    # a URL is never redacted later, so a value with anything to redact stays out of it.
    if (
        c.exception_type
        and _IDENTIFIER.fullmatch(c.exception_type)
        and _unredacted(c.exception_type)
    ):
        clauses.append(f'"{c.exception_type}"')
    clauses.append(f'timestamp>="{_rfc3339(c.first_seen - timedelta(minutes=1))}"')
    clauses.append(f'timestamp<="{_rfc3339(c.last_seen + timedelta(minutes=1))}"')
    return "\n".join(clauses)


def logs_explorer_url(judged: JudgedCluster, project: str) -> str:
    if not _PROJECT.fullmatch(project):
        return ""
    query = _percent(logs_explorer_filter(judged))
    return f"https://console.cloud.google.com/logs/query;query={query}?project={_percent(project)}"


def _links(judged: JudgedCluster, links: RunLinks) -> list[str]:
    lines = ["### Links", ""]
    if links.worklog_url:
        lines.append(f"- {_link('Worklog of the last run', links.worklog_url)}")
    elif links.worklog_path:
        lines.append(f"- Worklog of the last run: {code_span(links.worklog_path)}")
    explorer = logs_explorer_url(judged, links.logs_explorer_project)
    if explorer:
        lines.append(f"- {_link('These entries in Logs Explorer', explorer)}")
    if links.run_url:
        lines.append(f"- {_link('The run that updated this issue', links.run_url)}")
    return lines if len(lines) > 2 else []


def _runs(n: int) -> str:
    return "1 run" if n == 1 else f"{n} runs"


def _history(
    judged: JudgedCluster, known: KnownCluster | None, links: RunLinks, rows: int
) -> list[str]:
    run_id, window_end = links.run_id, links.window_end
    if rows <= 0:
        return []
    earlier = [] if known is None else [h for h in known.history if h.run_id != run_id]
    counts = history_counts(known, run_id, judged.cluster.count)
    lines = [
        "### History",
        "",
        f"Trend, oldest to newest ({_runs(len(counts))}): {sparkline(counts)}",
        "",
    ]
    lines += ["| Run | Window end | Events |", "|---|---|---|"]
    this_run = f"{code_span(run_id)} (this run)"
    end = when(window_end) if window_end is not None else "now"
    lines.append(f"| {this_run} | {end} | {judged.cluster.count} |")
    lines.extend(
        f"| {code_span(h.run_id)} | {when(h.window_end)} | {h.count} |"
        for h in reversed(earlier[-(rows - 1) :] if rows > 1 else [])
    )
    return lines


MEMBER_ROWS = 25


def _fits(body: str) -> bool:
    return len(body) <= BODY_CHAR_LIMIT and len(body.encode()) <= BODY_BYTE_LIMIT


def issue_body(
    judged: JudgedCluster,
    known: KnownCluster | None,
    links: RunLinks,
    redaction: RedactionPolicy,
    problem: ProblemView | None = None,
) -> str:
    """The whole body; its first line is the issue marker.  ``problem`` lists the symptoms
    when the problem folds more than one template."""
    body = ""
    limits = (SAMPLE_LIMITS[0], HISTORY_ROWS[0])
    for limits in ((sample, rows) for sample in SAMPLE_LIMITS for rows in HISTORY_ROWS):
        body = _assemble(judged, known, links, redaction, limits, problem)
        if _fits(body):
            break
    # Else the smallest form: no sample, no history (bounded by LIST_LIMIT etc.).  The shadow
    # keeps the limits chosen for the document.
    return _verified(
        body, lambda red: _assemble(judged, known, links, red, limits, problem), redaction
    )


def _assemble(
    judged: JudgedCluster,
    known: KnownCluster | None,
    links: RunLinks,
    redaction: RedactionPolicy,
    limits: tuple[int, int],  # sample characters, history rows
    problem: ProblemView | None = None,
) -> str:
    sample_limit, history_rows = limits
    sections = [
        [issue_marker(judged.cluster.fingerprint, GROUPING_VERSION)],
        _summary(judged, known, redaction),
        _root_cause(judged, redaction),
        *(problem_sections(problem, redaction) if problem is not None else []),
        _impact(judged),
        _sample(judged, redaction, sample_limit),
        _links(judged, links),
        _history(judged, known, links, history_rows),
        ["_Kept up to date by log-gardener each run; edits to this text are replaced._"],
    ]
    # A blank line between sections: a paragraph right after a table would become a row.
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"


# --- problems folding several templates --------------------------------------------------


def offset_text(seconds: float) -> str:
    """``+0 ms``, ``+150 ms``, ``+10.2 s``: a step of a timeline."""
    if abs(seconds) < 1:
        return f"+{round(seconds * 1000)} ms"
    return f"+{seconds:.1f} s"


def problem_sections(problem: ProblemView, redaction: RedactionPolicy) -> list[list[str]]:
    """Symptoms with counts and first/last seen, one timeline, and why they were grouped."""
    members = problem.members[:MEMBER_ROWS]
    symptoms = [
        f"This problem folds {len(problem.members)} message templates: the root, then the "
        "symptoms that follow from it (one issue for all of them).",
        "",
        "| Role | Template | Events in the last run | First seen | Last seen |",
        "|---|---|---:|---|---|",
    ]
    symptoms += [
        f"| {m.role} | {_cell(_safe_span(m.title, redaction, 120))} | {m.count} | "
        f"{when(m.first_seen) if m.count else '-'} | {when(m.last_seen) if m.count else '-'} |"
        for m in members
    ]
    # Hidden: the members, so the problem can be rebuilt from GitHub if state.json is lost.
    # Only fingerprints (hex) are written, never log text.
    hidden = members_marker(problem.id, [m.fingerprint for m in problem.members])
    sections = [["### Root and symptoms", "", *symptoms, "", hidden]]
    if problem.timeline:
        steps = " → ".join(
            f"{offset_text(offset)} {_safe_span(title, redaction, 60)}"
            for title, offset in problem.timeline[:MEMBER_ROWS]
        )
        sections.append(["### One occurrence", "", steps])
    if problem.why:
        why = [
            f"- {_safe_span(child, redaction, 80)} under {_safe_span(parent, redaction, 80)}: "
            f"{trusted_prose(words)}"
            for child, parent, words in problem.why[:MEMBER_ROWS]
        ]
        sections.append(["<details><summary>Why grouped</summary>", "", *why, "", "</details>"])
    return sections


def folded_comment(
    into: int | None, title: str, links: RunLinks, redaction: RedactionPolicy | None = None
) -> str:
    """``title`` is the problem's issue title (log-derived, already redacted)."""
    red = DEFAULT_POLICY if redaction is None else redaction
    lines = _folded_lines(into, title, red)
    return _verified(
        _signed(lines, links),
        lambda shadow: _signed(_folded_lines(into, title, shadow), links, comment_key(lines)),
        red,
    )


def _folded_lines(into: int | None, title: str, redaction: RedactionPolicy) -> list[str]:
    where = f"#{into}" if into is not None else "a new issue opened in the same run"
    shown = published(title, redaction)
    return [
        f"This template is now a symptom of a larger problem, tracked in {where}"
        + (f" ({code_span(plain_title(shown, 120))})" if shown else "")
        + ". Closing this one as not planned; new occurrences are counted there. "
        "The `log-gardener:folded` label marks it; log-gardener never reopens it for this."
    ]


# --- comments ----------------------------------------------------------------------------


def comment_key(lines: Sequence[str]) -> str:
    """The idempotency key in a comment's run marker: a digest of what the comment says.

    A run killed before its state commit is replayed by the NEXT job, with another job id but
    the same window and the same state, so it renders the same words: keying the marker on
    the words (not the job id) makes the replay find its comment and skip it.  Two genuinely
    different events never render the same words (times, counts or revisions differ).
    """
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:20]
    return f"c-{digest}"


def _signed(lines: Sequence[str], links: RunLinks, key: str = "") -> str:
    """``key``: the document's own, for its shadow (whose stand-ins would change the digest)."""
    tail = [f"_From {_link('this log-gardener run', links.run_url)}._"] if links.run_url else []
    # Blank lines between parts: each is its own paragraph; the marker is an HTML block.
    return "\n\n".join([*lines, *tail, run_marker(key or comment_key(lines))]) + "\n"


def _came_back(judged: JudgedCluster, redaction: RedactionPolicy) -> str:
    c = judged.cluster
    revision = next((r for r in c.revisions if r), "")
    where = f" in revision {_safe_span(revision, redaction, 80)}" if revision else ""
    return f"**Regression**: seen again at {when(c.first_seen)}{where} after this issue was closed."


def _spike_text(spike: Spike) -> str:
    return (
        f"**Volume spike**: {spike.count} events in this run, against a usual "
        f"{spike.mean:.1f} ± {spike.stddev:.1f} over {spike.baseline_runs} runs "
        f"(limit {spike.threshold:.1f})."
    )


def change_comment(
    judged: JudgedCluster, changes: Changes, links: RunLinks, redaction: RedactionPolicy
) -> str:
    """One comment for everything notable in one run (regression, priority, revisions,
    spike), ending with the run marker so a replay of the run skips it."""
    lines = _change_lines(judged, changes, redaction)
    return _verified(
        _signed(lines, links),
        lambda shadow: _signed(_change_lines(judged, changes, shadow), links, comment_key(lines)),
        redaction,
    )


def _change_lines(judged: JudgedCluster, changes: Changes, redaction: RedactionPolicy) -> list[str]:
    lines: list[str] = []
    if changes.regression:
        lines.append(_came_back(judged, redaction))
    if changes.raised_from is not None:
        lines.append(
            f"**Priority raised** from {changes.raised_from.label} to "
            f"{judged.judgement.priority.label}."
        )
    if changes.spike is not None:
        lines.append(_spike_text(changes.spike))
    if changes.new_revisions:
        lines.append(f"**New revision affected**: {_names(changes.new_revisions, redaction)}.")
    if not lines:
        c = judged.cluster
        lines.append(f"Seen again: {c.count} events, last at {when(c.last_seen)}.")
    return lines


def silence_comment(last_seen: datetime | None, days: int, links: RunLinks) -> str:
    return _own_words_only(
        _signed(
            [
                f"Not seen for {days} days or more (last seen {when(last_seen)}): closing as "
                "resolved. If it comes back, log-gardener reopens this issue."
            ],
            links,
        )
    )


def duplicate_comment(keep_number: int, links: RunLinks) -> str:
    return _own_words_only(
        _signed(
            [f"Duplicate of #{keep_number}, which tracks the same problem. Closing this one."],
            links,
        )
    )


# --- the dashboard -----------------------------------------------------------------------


def problem_text(policy: IssuePolicy, title: str) -> str:
    """The ``{title}`` part of an issue title made from ``title_format`` (the whole title when
    it does not follow the format, e.g. after a person renamed the issue)."""
    if "{title}" not in policy.title_format:
        return title
    found = re.fullmatch(_title_pattern(policy.title_format), title, re.DOTALL)
    return found["title"] if found and found["title"] else title


_PART_PATTERNS = {"status": "[A-Za-z0-9-]+", "priority": "[A-Za-z0-9-]+", "count": "[0-9]+"}


def _title_pattern(fmt: str) -> str:
    """A regex matching titles made from ``fmt``; its first ``{title}`` is the group."""
    parts, position, titled = [], 0, False
    for found in _FORMAT_PART.finditer(fmt):
        parts.append(re.escape(fmt[position : found.start()]))
        name = found.group(1)
        if name is None:
            parts.append(re.escape(found.group(0)[0]))
        elif name == "title" and not titled:
            parts.append("(?P<title>.*)")
            titled = True
        else:
            parts.append(_PART_PATTERNS.get(name, ".*?"))
        position = found.end()
    parts.append(re.escape(fmt[position:]))
    return "".join(parts)


def _dashboard_row(row: DashboardRow, redaction: RedactionPolicy) -> str:
    # A relative link resolves against the dashboard's own URL (.../issues/N); written as
    # "issue 12" rather than "#12", the form log text is kept from ever producing.
    issue = (
        f"[issue {row.issue_number}]({row.issue_number})"
        if row.issue_number is not None
        else "being created"
    )
    title = _cell(inline_text(published(row.title, redaction)))
    return (
        f"| {row.priority.label} | {issue} | {title} | {row.status.value} "
        f"| {row.count} | {sparkline(row.history[-12:])} | {when(row.last_seen)} |"
    )


def _dashboard_sort_key(row: DashboardRow) -> tuple[int, int, int]:
    number = row.issue_number if row.issue_number is not None else 1 << 62
    return (int(row.priority), -row.count, number)


def dashboard_body(
    rows: Sequence[DashboardRow],
    links: RunLinks,
    now: datetime,
    redaction: RedactionPolicy | None = None,
) -> str:
    """Every open problem by priority, rewritten in place each run, within the size limit.
    The rows' titles are issue titles (log-derived, already redacted, or a person's)."""
    red = DEFAULT_POLICY if redaction is None else redaction
    ordered = sorted(rows, key=_dashboard_sort_key)
    shown = len(ordered)
    while True:
        body = _dashboard(ordered, shown, links, now, red)
        if _fits(body) or shown == 0:
            break
        shown = shown // 2
    return _verified(body, lambda shadow: _dashboard(ordered, shown, links, now, shadow), red)


def _dashboard(
    rows: Sequence[DashboardRow],
    shown: int,
    links: RunLinks,
    now: datetime,
    redaction: RedactionPolicy,
) -> str:
    lines = [dashboard_marker(), "", f"Open problems as of {when(now)}: {len(rows)}.", ""]
    if rows:
        lines += [
            "| Priority | Issue | Problem | Status | Events (last run) | Trend | Last seen |",
            "|---|---|---|---|---|---|---|",
        ]
        lines.extend(_dashboard_row(r, redaction) for r in rows[:shown])
    else:
        lines.append("Nothing open. The garden is tidy.")
    if shown < len(rows):
        lines += ["", f"{len(rows) - shown} more are listed in the worklog."]
    lines.append("")
    if links.worklog_url:
        lines += [f"{_link('Worklog of the last run', links.worklog_url)}.", ""]
    lines.append("_Rewritten by log-gardener each run; edits here are replaced._")
    return "\n".join(lines) + "\n"
