"""The first grouping pass pushed into Log Analytics (BigQuery SQL over ``_AllLogs``).  Pure.

One query groups the window's entries by (resource type, service, origin, exception type,
masked template) and returns per group: the count, first/last seen, *cells* (one per time
bucket x revision x severity, with their count and first/last time) and up to three full sample
entries.  Python then feeds each group to the same normalizer and clusterer as the pull path:
the samples as real records, the rest of each cell as weighted stand-in records (counted, never
shown).  So the clusterer sees the same counts, severities, revisions, buckets and first/last
times as if it had read every entry, and the samples give the same fingerprints.

The same query returns what the problem layer (``core.problems``) links by, without text: per
group, one compact row per entry that may be a signal (``SIGNAL_HINT``; time, latency, severity,
revision, instance, trace, operation; capped by ``LINKS`` and ``LINK_ROWS``) and the distinct
(revision, instance) places of its other entries (notes).  The ingest step turns each into the
group's record at that moment and hands it to the ``Observer``, which decides its role as for a
pulled entry.

The group key must never merge entries the pull path would keep apart, so it is built from the
whole text (message, text payload, request, and any trace), keeps the HTTP status and Cloud
Run exit codes, and masks only what the pull path's token masking also
masks: quoted values after ``=``/``:``, UUIDs, IPv4 addresses, hex ids and numbers.  The
masking rules are data (``MASK_RULES``): they generate both the SQL ``REGEXP_REPLACE`` chain and
the Python masker (``mask_key``) the tests compare it with.  They are RE2 patterns (no
lookaround, no backreferences in patterns), compiled in Python with ``re.ASCII`` so ``\\d`` and
``\\b`` mean what they mean in BigQuery.

Inputs reach the query only as parameters; the one identifier (the linked dataset) is checked
by ``parse_linked_dataset`` and backquoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from log_gardener.core.grouping.normalize import LOGGER_KEYS, MESSAGE_KEYS, TRACE_KEYS
from log_gardener.core.judging.rules import Target
from log_gardener.errors import ConfigError, quote_value
from log_gardener.model import Severity, Window

DEFAULT_MAX_BYTES_BILLED = 10 * 1024**3  # 10 GiB: about US$0.06 at on-demand rates
DEFAULT_MAX_GROUPS = 20_000
BUCKETS = 12  # the clusterer's buckets over the run window (5 minutes for an hour)
SAMPLES = 3
SAMPLE_CHARS = 32_768  # a sample's text payload is cut here (the pull path reads far less)
VIEW = "_AllLogs"


_X = "[0-9a-fA-F]*"
_D = "[0-9]"
_L = "[a-fA-F]"
# A hex word holding a digit and at least two letters, in any order (RE2 has no lookahead).
# One letter is not enough: the pull path reads "9543e897" as a number and "5110184d" as a
# duration, and the group key must never merge what it keeps apart.
_HEX_DIGIT_AND_TWO_LETTERS = "|".join(
    _X + _X.join(order) + _X for order in ((_D, _L, _L), (_L, _D, _L), (_L, _L, _D))
)


@dataclass(frozen=True)
class MaskRule:
    """One ``REGEXP_REPLACE(text, pattern, replacement)`` step; applied in order."""

    name: str
    pattern: str  # RE2 and Python ``re`` (with re.ASCII) alike: no lookaround
    replacement: str  # ``\\1`` refers to a group in both dialects


MASK_RULES: tuple[MaskRule, ...] = (
    MaskRule("quoted value", r"([=:] ?)(?:\x22[^\x22\n]*\x22|\x27[^\x27\n]*\x27)", r"\1<VALUE>"),
    MaskRule(
        "uuid",
        r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        "<UUID>",
    ),
    MaskRule("ipv4", r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", "<IP>"),
    MaskRule(
        "hex",
        r"\b(?:0[xX][0-9a-fA-F]+|" + _HEX_DIGIT_AND_TWO_LETTERS + r")\b",
        "<HEX>",
    ),
    MaskRule(
        "duration",
        r"\b\d+(?:\.\d+)?(?:ns|us|ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|d|days?)\b",
        "<DURATION>",
    ),
    MaskRule("size", r"\b\d+(?:\.\d+)?(?:[kKMGTPE]i?[bB]?|[bB]|bytes?|px|x)\b", "<NUM>"),
    MaskRule("number", r"\b\d+\b", "<NUM>"),
)
"""Masks of the group key.  Each must be at least as fine as the pull path's masking (where
the pull path keeps a value, or tells two kinds apart, so must this): a hex id needs a digit
and two letters, a quoted string is masked only as a value after ``=`` or ``:``."""

EXCEPTION_TYPE = r"\b([A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception))\b"
EXIT_CODE = r"Container called exit\((-?[0-9]+)\)"
"""Kept unmasked in the group key: the platform catalogue keeps exit codes apart (and the HTTP
status, the other kept value, is a column of its own)."""
SIGNAL_HINT = (
    r"Container called exit\(|probe failed|Memory limit of |The request |"
    r"\n|\\n|Traceback|goroutine "
)
"""With ERROR-or-worse severity, a 5xx status or a trace field: the entries that *may* be signals
(``core.platform.role_of``: a catalogue line, a 5xx, ERROR or worse, a stack trace, which needs
a trace field or several lines).  A superset on purpose: each comes back as a link row and
Python decides its role exactly; the others can only be notes, and come back as the distinct
(revision, instance) places of their group."""
LINKS = 2_000  # link rows per group (the earliest); a run note says when a group had more
LINK_ROWS = 100_000  # link rows in all: groups take turns (each one's 1st, then 2nd...)
NOTE_PLACES = 1_000  # distinct (revision, instance) places of a group's notes

_COMPILED = tuple(
    (re.compile(rule.pattern, re.ASCII), rule.replacement.replace("\\1", r"\g<1>"))
    for rule in MASK_RULES
)
_EXCEPTION = re.compile(EXCEPTION_TYPE, re.ASCII)

_LINKED_DATASET = re.compile(r"([a-z][a-z0-9-]{4,28}[a-z0-9])\.([A-Za-z0-9_]{1,1024})")


def mask_key(text: str) -> str:
    """The Python twin of the SQL masking chain (same rules, same order)."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def exception_type(text: str) -> str:
    match = _EXCEPTION.search(text)
    return match.group(1) if match else ""


def parse_linked_dataset(value: str, name: str = "linked-dataset") -> tuple[str, str]:
    """``project.dataset`` -> (project, dataset); ``ConfigError`` naming ``name`` otherwise."""
    match = _LINKED_DATASET.fullmatch(value.strip())
    if match is None:
        raise ConfigError(
            f"{name} is {quote_value(value)}, not `project.dataset`",
            fix="give the BigQuery dataset linked to the log bucket as `PROJECT_ID.DATASET` "
            "(`gcloud logging links list --bucket=BUCKET --location=LOCATION` shows it; "
            "letters, digits and `_` in the dataset)",
        )
    return match.group(1), match.group(2)


def parse_bytes(value: str, name: str = "max-bytes-billed") -> int:
    """``10737418240``, ``500MiB``, ``10GiB``, ``1TiB`` (or MB/GB/TB) -> bytes, above zero."""
    match = re.fullmatch(r"(\d+)\s*([KMGT]i?B)?", value.strip(), re.ASCII | re.IGNORECASE)
    units = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
    if match is None or int(match.group(1)) <= 0:
        raise ConfigError(
            f"{name} is {quote_value(value)}, not a byte count above zero",
            fix="write a whole number of bytes or a size such as `10GiB`, `500MiB` or `1TB`",
        )
    unit = (match.group(2) or "").lower()
    factor = 1
    if unit:
        factor = 1024 ** ("kmgt".index(unit[0]) + 1) if "i" in unit else units[unit[0]]
    return int(match.group(1)) * factor


def table_reference(project: str, dataset: str) -> str:
    """The backquoted view name (both parts already checked by ``parse_linked_dataset``)."""
    return f"`{project}.{dataset}.{VIEW}`"


def _chain(expression: str) -> str:
    for rule in MASK_RULES:
        expression = f"REGEXP_REPLACE({expression}, r'{rule.pattern}', r'{rule.replacement}')"
    return expression


def _json(path: str, column: str = "json_payload") -> str:
    return f"JSON_VALUE({column}, '$.{path}')"


# The payload fields the group key reads: the pull path's (normalize), plus the nested and
# function fields it reads by other means (exception objects, source locations).
_MESSAGE_KEYS = MESSAGE_KEYS
_TRACE_KEYS = (
    *TRACE_KEYS,
    "exc_type",
    "exception_type",
    "error.type",
    "error.value",
    "error.message",
    "error.stack",
    "error.stack_trace",
    "exception.stack",
    "context.name",
)
_LOGGER_KEYS = (*LOGGER_KEYS, "module", "funcName", "function")


def grouping_sql(
    table: str,
    max_groups: int = DEFAULT_MAX_GROUPS,
    max_links: int = LINKS,
    max_link_rows: int = LINK_ROWS,
) -> str:
    """The query.  Parameters: @start, @end TIMESTAMP (half-open window), @severities
    ARRAY<STRING>, @service STRING ('' = any), @log_prefix STRING, @bucket_us INT64,
    @sample_chars INT64.  ``max_groups`` is ours (an int, never an input) and goes in as a
    literal: whether BigQuery takes a parameter in LIMIT is not documented where we looked."""
    messages = ", ".join(_json(key) for key in _MESSAGE_KEYS)
    traces = ", '|', ".join(f"COALESCE({_json(k)}, '')" for k in _TRACE_KEYS)
    loggers = ", '|', ".join(f"COALESCE({_json(k)}, '')" for k in _LOGGER_KEYS)
    labels = "resource.labels"
    # The only formatted-in identifier is the table, checked by parse_linked_dataset.
    return f"""WITH base AS (
  SELECT
    timestamp,
    COALESCE(severity, 'DEFAULT') AS severity,
    insert_id,
    trace,
    log_name,
    resource.type AS resource_type,
    resource.labels AS resource_labels,
    labels,
    json_payload,
    SUBSTR(text_payload, 1, @sample_chars) AS text_payload,
    TO_JSON_STRING(proto_payload) AS proto_json,
    http_request.request_method AS http_method,
    http_request.request_url AS http_url,
    http_request.status AS http_status,
    COALESCE(http_request.latency.seconds, 0)
      + COALESCE(http_request.latency.nanos, 0) / 1000000000.0 AS latency_s,
    JSON_VALUE(labels, '$.instanceId') AS instance,
    operation.id AS op_id,
    operation.producer AS op_producer,
    CONCAT({traces}) AS trace_text,
    source_location.file AS src_file,
    source_location.line AS src_line,
    source_location.function AS src_function,
    CONCAT(COALESCE(resource.type, ''), '/',
      COALESCE({_json("service_name", labels)}, {_json("job_name", labels)},
               {_json("container_name", labels)}, {_json("function_name", labels)},
               {_json("module_id", labels)}, ''), '/',
      COALESCE({_json("namespace_name", labels)}, ''), '/',
      COALESCE(JSON_VALUE(labels, '$."k8s-pod/app"'), ''), '/',
      COALESCE(JSON_VALUE(labels, '$."compute.googleapis.com/resource_name"'), ''), '/',
      COALESCE(JSON_VALUE(json_payload, '$.context.service'),
               JSON_VALUE(json_payload, '$.serviceContext.service'), '')) AS service,
    COALESCE({_json("revision_name", labels)},
             JSON_VALUE(labels, '$."run.googleapis.com/execution_name"'),
             {_json("execution_name", labels)}, {_json("pod_name", labels)},
             {_json("version_id", labels)}, '') AS revision,
    CONCAT(COALESCE(source_location.file, ''), '|', COALESCE(source_location.function, ''),
      '|', {loggers}) AS origin,
    CONCAT(
      COALESCE({messages},
               IF(json_payload IS NULL, NULL, TO_JSON_STRING(json_payload)), ''),
      '|', COALESCE(text_payload, ''),
      '|', COALESCE(IF(proto_payload IS NULL, NULL, CONCAT(
                 COALESCE({_json("audit_log.method_name", "TO_JSON_STRING(proto_payload)")}, ''),
                 ' on ',
                 COALESCE({_json("audit_log.resource_name", "TO_JSON_STRING(proto_payload)")},
                          {_json("audit_log.service_name", "TO_JSON_STRING(proto_payload)")}, ''),
                 ': ',
                 COALESCE({_json("audit_log.status.code", "TO_JSON_STRING(proto_payload)")}, ''),
                 ' ',
                 COALESCE({_json("audit_log.status.message", "TO_JSON_STRING(proto_payload)")},
                          ''))), ''),
      '|', COALESCE(http_request.request_method, ''), ' ',
      COALESCE(http_request.request_url, ''),
      '|', {traces}) AS body
  FROM {table}
  WHERE timestamp >= @start AND timestamp < @end
    AND COALESCE(severity, 'DEFAULT') IN UNNEST(@severities)
    AND STARTS_WITH(log_name, @log_prefix)
    AND (@service = ''
         OR (resource.type = 'cloud_run_revision'
             AND {_json("service_name", labels)} = @service))
),
masked AS (
  SELECT
    *,
    COALESCE(REGEXP_EXTRACT(body, r'{EXCEPTION_TYPE}'), '') AS exc_type,
    CONCAT(COALESCE(CAST(http_status AS STRING), ''), '|',
      COALESCE(REGEXP_EXTRACT(body, r'{EXIT_CODE}'), '')) AS kept,
    {_chain("body")} AS template,
    DIV((UNIX_MICROS(timestamp) - UNIX_MICROS(@start)), @bucket_us) AS bucket,
    (severity IN ('ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY')
      OR COALESCE(http_status, 0) >= 500
      OR REGEXP_CONTAINS(trace_text, r'[^|]')
      OR REGEXP_CONTAINS(body, r'{SIGNAL_HINT}')) AS hinted
  FROM base
),
cells AS (
  SELECT
    service, origin, exc_type, kept, template, bucket, revision, severity,
    COUNT(*) AS n,
    COUNTIF(hinted) AS n_hinted,
    MIN(timestamp) AS first_ts,
    MAX(timestamp) AS last_ts,
    ANY_VALUE(STRUCT(timestamp AS ts, insert_id, trace, log_name, resource_type,
      resource_labels, labels, json_payload, text_payload, proto_json, http_method, http_url,
      http_status,
      src_file, src_line, src_function, severity, revision, bucket)
      HAVING MIN timestamp) AS sample
  FROM masked
  GROUP BY service, origin, exc_type, kept, template, bucket, revision, severity
),
ranked AS (
  SELECT
    service, origin, exc_type, kept, template, timestamp, insert_id, latency_s, severity,
    revision, instance, trace, op_id, op_producer,
    ROW_NUMBER() OVER (PARTITION BY service, origin, exc_type, kept, template
                       ORDER BY timestamp, insert_id) AS rn
  FROM masked
  WHERE hinted
),
chosen AS (
  SELECT * FROM (
    SELECT *, ROW_NUMBER() OVER (ORDER BY rn, timestamp, insert_id) AS overall
    FROM ranked
    WHERE rn <= {int(max_links)}
  )
  WHERE overall <= {int(max_link_rows)}
),
links AS (
  SELECT
    service, origin, exc_type, kept, template,
    ARRAY_AGG(STRUCT(timestamp AS ts, latency_s, severity, revision, instance, trace, op_id,
      op_producer) ORDER BY timestamp, insert_id) AS links
  FROM chosen
  GROUP BY service, origin, exc_type, kept, template
),
note_places AS (
  SELECT service, origin, exc_type, kept, template, revision, instance
  FROM masked
  WHERE NOT hinted AND COALESCE(instance, '') != ''
  GROUP BY service, origin, exc_type, kept, template, revision, instance
),
notes AS (
  SELECT
    service, origin, exc_type, kept, template,
    COUNT(*) AS n_notes,
    ARRAY_AGG(STRUCT(revision, instance) ORDER BY revision, instance LIMIT {NOTE_PLACES}) AS notes
  FROM note_places
  GROUP BY service, origin, exc_type, kept, template
),
grouped AS (
SELECT
  service, origin, exc_type, kept, template,
  SUM(n) AS n,
  SUM(n_hinted) AS n_links,
  MIN(first_ts) AS first_ts,
  MAX(last_ts) AS last_ts,
  ARRAY_AGG(STRUCT(bucket, revision, severity, n, first_ts, last_ts)
    ORDER BY first_ts, bucket, revision, severity) AS cells,
  ARRAY_AGG(sample ORDER BY sample.ts, sample.insert_id LIMIT {SAMPLES}) AS samples
FROM cells
GROUP BY service, origin, exc_type, kept, template
)
SELECT
  g.n, g.first_ts, g.last_ts, g.cells, g.samples,
  g.n_links, l.links,
  COALESCE(p.n_notes, 0) AS n_notes, p.notes
FROM grouped AS g
LEFT JOIN links AS l
  ON l.service = g.service AND l.origin = g.origin AND l.exc_type = g.exc_type
  AND l.kept = g.kept AND l.template = g.template
LEFT JOIN notes AS p
  ON p.service = g.service AND p.origin = g.origin AND p.exc_type = g.exc_type
  AND p.kept = g.kept AND p.template = g.template
ORDER BY g.n DESC, g.first_ts, g.template, g.kept
LIMIT {int(max_groups)}
"""  # noqa: S608


def links_note(groups: Sequence[Group]) -> str:
    """The run note when some group had more link rows (or note places) than the query returns:
    its problems are linked on its earliest entries only.  Empty when nothing was cut."""
    cut = [group for group in groups if group.links_cut]
    if not cut:
        return ""
    entries = sum(max(0, g.link_count - len(g.links)) for g in cut)
    return (
        f"{len(cut)} groups had more entries to link than the query returns ({entries} "
        f"entries past the first {LINKS} of a group or {LINK_ROWS} in all, or instances "
        f"past {NOTE_PLACES}): their problems are linked on the earliest entries only"
    )


# --- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """A query parameter in plain terms; the adapter makes the client's objects of them."""

    name: str
    type: str  # TIMESTAMP, STRING, INT64
    value: object
    array: bool = False


def severities_from(minimum: Severity) -> tuple[str, ...]:
    return tuple(s.name for s in Severity if s >= minimum)


def bucket_micros(window: Window) -> int:
    span = int((window.end - window.start).total_seconds() * 1_000_000)
    return max(1, span // BUCKETS)


def query_parameters(target: Target, window: Window, project: str) -> tuple[Parameter, ...]:
    return (
        Parameter("start", "TIMESTAMP", window.start.astimezone(UTC)),
        Parameter("end", "TIMESTAMP", window.end.astimezone(UTC)),
        Parameter("severities", "STRING", list(severities_from(target.min_severity)), True),
        Parameter("service", "STRING", target.service),
        Parameter("log_prefix", "STRING", f"projects/{project}/logs/"),
        Parameter("bucket_us", "INT64", bucket_micros(window)),
        Parameter("sample_chars", "INT64", SAMPLE_CHARS),
    )


# --- rows -> weighted entries -------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    bucket: int
    revision: str
    severity: str
    count: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class LinkRow:
    """One entry of a group that may be a signal: what the problem layer links by (the rest of
    the entry is the group's, as for a stand-in)."""

    timestamp: datetime
    latency_s: float
    severity: Severity
    revision: str
    instance: str
    trace: str
    operation: str  # "producer|id", "" when none (as ``normalize`` builds it)


@dataclass(frozen=True)
class Group:
    count: int
    first: datetime
    last: datetime
    cells: tuple[Cell, ...]
    samples: tuple[Mapping[str, object], ...]  # as returned (snake_case struct fields)
    links: tuple[LinkRow, ...] = ()
    link_count: int = 0  # entries that may be signals (``links`` holds the first LINKS)
    notes: tuple[tuple[str, str], ...] = ()  # (revision, instance) of the other entries
    note_count: int = 0

    @property
    def links_cut(self) -> bool:
        return self.link_count > len(self.links) or self.note_count > len(self.notes)


@dataclass(frozen=True)
class WeightedEntry:
    """A raw ``LogEntry`` (camelCase, as the pull path reads it) standing for ``weight``
    entries: the normalized record takes ``timestamp``, ``severity`` and ``revision`` from
    here.  ``sample`` entries are real ones (shown); the others are stand-ins (counted only)."""

    entry: Mapping[str, object]
    weight: int
    timestamp: datetime
    severity: Severity
    revision: str
    sample: bool
    # The group's first item carries what the problem layer needs of all its entries.
    links: tuple[LinkRow, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()


def group_from_row(row: Mapping[str, object]) -> Group:
    """One result row (as the BigQuery client decodes it: dicts, lists, datetimes)."""
    cells = tuple(
        Cell(
            bucket=int(_int(cell.get("bucket"))),
            revision=str(cell.get("revision") or ""),
            severity=str(cell.get("severity") or "DEFAULT"),
            count=int(_int(cell.get("n"))),
            first=_utc(cell.get("first_ts")),
            last=_utc(cell.get("last_ts")),
        )
        for cell in _dicts(row.get("cells"))
    )
    links = tuple(_link_row(link) for link in _dicts(row.get("links")))
    notes = tuple(
        (str(note.get("revision") or ""), str(note.get("instance") or ""))
        for note in _dicts(row.get("notes"))
    )
    return Group(
        count=int(_int(row.get("n"))),
        first=_utc(row.get("first_ts")),
        last=_utc(row.get("last_ts")),
        cells=cells,
        samples=tuple(_dicts(row.get("samples"))),
        links=links,
        link_count=int(_int(row.get("n_links"))),
        notes=notes,
        note_count=int(_int(row.get("n_notes"))),
    )


def _link_row(row: Mapping[str, object]) -> LinkRow:
    op_id, producer = row.get("op_id"), row.get("op_producer")
    latency = row.get("latency_s")
    return LinkRow(
        timestamp=_utc(row.get("ts")),
        latency_s=float(latency) if isinstance(latency, int | float | str) else 0.0,
        severity=Severity.parse(str(row.get("severity") or "DEFAULT")) or Severity.DEFAULT,
        revision=str(row.get("revision") or ""),
        instance=str(row.get("instance") or ""),
        trace=str(row.get("trace") or ""),
        operation=f"{producer or ''}|{op_id}" if op_id else "",
    )


def weighted_entries(groups: Sequence[Group]) -> list[WeightedEntry]:
    """Every group as weighted entries, in time order across groups (as the pull path reads).

    Per cell: a sample taken from it enters as itself (weight 1); the cell's other entries
    enter as a stand-in at its first time (weight 1) and one at its last time (the rest), so
    the counts, buckets, severities, revisions and first/last seen are exact.
    """
    out: list[tuple[datetime, int, int, WeightedEntry]] = []
    for order, group in enumerate(groups):
        if not group.samples:
            continue
        entries = [sample_entry(s) for s in group.samples]
        by_cell: dict[tuple[int, str, str], int] = {}
        for index, sample in enumerate(group.samples):
            key = (int(_int(sample.get("bucket"))), str(sample.get("revision") or ""))
            by_cell.setdefault((*key, str(sample.get("severity") or "DEFAULT")), index)
        stand_in = entries[0]
        seq = 0
        for cell in group.cells:
            severity = Severity.parse(cell.severity) or Severity.DEFAULT
            remaining = cell.count
            found = by_cell.get((cell.bucket, cell.revision, cell.severity))
            if found is not None:
                sample_time = _utc(group.samples[found].get("ts"))
                item = WeightedEntry(entries[found], 1, sample_time, severity, cell.revision, True)
                out.append((sample_time, order, seq, item))
            else:
                item = WeightedEntry(stand_in, 1, cell.first, severity, cell.revision, False)
                out.append((cell.first, order, seq, item))
            seq += 1
            remaining -= 1
            if remaining > 0:
                item = WeightedEntry(stand_in, remaining, cell.last, severity, cell.revision, False)
                out.append((cell.last, order, seq, item))
                seq += 1
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    items = [item for _, _, _, item in out]
    first_of: dict[int, int] = {}
    for index, (_, order, _, _) in enumerate(out):
        first_of.setdefault(order, index)
    for order, index in first_of.items():
        group = groups[order]
        if group.links or group.notes:
            items[index] = replace(items[index], links=group.links, notes=group.notes)
    return items


def sample_entry(sample: Mapping[str, object]) -> dict[str, object]:
    """A sample struct -> the camelCase ``LogEntry`` the normalizer reads."""
    entry: dict[str, object] = {
        "insertId": sample.get("insert_id") or "",
        "timestamp": _utc(sample.get("ts")).isoformat().replace("+00:00", "Z"),
        "severity": sample.get("severity") or "DEFAULT",
        "logName": sample.get("log_name") or "",
        "resource": {
            "type": sample.get("resource_type") or "",
            "labels": _dict_or_empty(sample.get("resource_labels")),
        },
    }
    labels = sample.get("labels")
    if isinstance(labels, dict):
        entry["labels"] = labels
    if sample.get("trace"):
        entry["trace"] = sample["trace"]
    # Every payload the entry had, as the pull path reads it: an empty ``jsonPayload`` beside a
    # text payload gives way to the text there (``normalize``), so both must come back.
    payload = sample.get("json_payload")
    if isinstance(payload, dict):
        entry["jsonPayload"] = payload
    if sample.get("text_payload") is not None:
        entry["textPayload"] = sample["text_payload"]
    if isinstance(sample.get("proto_json"), str):
        proto = _proto_payload(str(sample["proto_json"]))
        if proto:
            entry["protoPayload"] = proto
    request = {
        key: value
        for key, value in (
            ("requestMethod", sample.get("http_method")),
            ("requestUrl", sample.get("http_url")),
            ("status", sample.get("http_status")),
        )
        if value is not None
    }
    if request:
        entry["httpRequest"] = request
    location = {
        key: value
        for key, value in (
            ("file", sample.get("src_file")),
            ("line", sample.get("src_line")),
            ("function", sample.get("src_function")),
        )
        if value is not None
    }
    if location:
        entry["sourceLocation"] = location
    return entry


def _proto_payload(text: str) -> dict[str, object]:
    """``TO_JSON_STRING(proto_payload)`` (``{"audit_log": {snake_case...}}`` in a log view) ->
    the camelCase ``protoPayload`` of the API."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if isinstance(value, dict) and len(value) == 1:
        inner = next(iter(value.values()))
        value = inner if isinstance(inner, dict) else value
    camel = _camel_keys(value)
    return camel if isinstance(camel, dict) else {}


def _camel_keys(value: object) -> object:
    if isinstance(value, dict):
        return {_camel(str(k)): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _dicts(value: object) -> list[Mapping[str, object]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _dict_or_empty(value: object) -> dict[str, object]:
    return dict(value) if isinstance(value, Mapping) else {}


def _int(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str | float):
        return int(value)
    return 0


def _utc(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    raise ValueError("a timestamp column is missing from the query result")
