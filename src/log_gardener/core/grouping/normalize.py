"""Cloud Logging ``LogEntry`` (decoded JSON, camelCase) -> ``LogRecord``.  Pure.

``normalize_entry(entry, line_no)`` never raises for bad input: it returns ``MalformedEntry``
with a reason in our own words (never log text) for an entry that is not an object, has a
missing or unparseable timestamp, an unknown severity or no payload.

Choices worth knowing:
- Timestamps are RFC 3339 (nanoseconds are truncated to microseconds, offsets converted to
  UTC; a value without an offset is read as UTC).  When ``timestamp`` is *absent*, the
  ``receiveTimestamp`` is used (Cloud Logging itself fills one from the other), else the
  caller's ``fallback`` (the ingest step passes the window start and notes it in the worklog);
  a timestamp that is present but broken makes the entry malformed rather than silently re-dated.
- A missing severity is ``DEFAULT``; a severity we do not know is malformed.
- When an entry carries more than one payload, ``jsonPayload`` wins over ``textPayload``, which
  wins over ``protoPayload`` (a deterministic choice); an empty one (``{}``, ``""``, only empty
  fields) gives way to the other.  A request log with only ``httpRequest`` gets the message
  ``"<method> <path> -> <status>"`` (payload kind ``none``), and so does a message that is an
  HTTP request line; an entry with none of these is malformed.
- Escaped newlines and tabs (a literal backslash-n) are unescaped when that reveals a stack
  trace, so a traceback logged on one line is parsed like any other.
- ``message`` is one line; ``text`` is the full text including any stack trace.  A
  ``jsonPayload`` without a message becomes a compact, sorted, bounded JSON dump.  Long texts
  are cut only between whitespace-separated tokens and marked, so a secret is never split into
  a fragment that redaction would no longer recognise.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from log_gardener.core.grouping.infra import SIGNAL_HINTS
from log_gardener.core.grouping.stacktrace import ParsedTrace, looks_like_trace, parse_stack_trace
from log_gardener.model import HttpInfo, LogRecord, MalformedEntry, Severity, StackFrame

MESSAGE_LIMIT = 2048  # characters of the one-line message
DUMP_LIMIT = 8192  # characters of a jsonPayload dump used as text
DUMP_STRING_LIMIT = 1024  # longer string values in a dump are replaced by a marker
DUMP_DEPTH_LIMIT = 16  # deeper subtrees in a dump are replaced by a marker
TRUNCATED = " [...]"

MESSAGE_KEYS = ("message", "msg", "log", "error_message", "errorMessage")
TRACE_KEYS = (
    "stack_trace",
    "stackTrace",
    "stacktrace",
    "exception",
    "traceback",
    "exc_info",
    "stack",
    "err",
    "error",
)
LOGGER_KEYS = ("logger", "logger_name", "loggerName")
_FUNCTION_KEYS = ("function", "funcName", "func", "method_name")
_LINE_KEYS = ("lineno", "line", "lineNumber")
_FILE_KEYS = ("pathname", "filename", "file")
_SOURCE_LOCATION_KEY = "logging.googleapis.com/sourceLocation"


def normalize_entry(
    entry: object, line_no: int, fallback: datetime | None = None
) -> LogRecord | MalformedEntry:
    """One decoded ``LogEntry`` -> a record, or a ``MalformedEntry`` saying why not.
    ``fallback`` dates an entry with neither ``timestamp`` nor ``receiveTimestamp``."""
    if not isinstance(entry, dict):
        return MalformedEntry(line_no, "entry is not a JSON object")
    insert_id = _text(entry.get("insertId"))
    try:
        return _normalize(entry, line_no, insert_id, fallback)
    except (ValueError, TypeError, RecursionError, OverflowError):
        # Belt and braces: odd shapes we did not foresee are malformed, never fatal.
        return MalformedEntry(line_no, "entry has an unexpected shape", insert_id)


def _normalize(
    entry: dict[str, object], line_no: int, insert_id: str, fallback: datetime | None = None
) -> LogRecord | MalformedEntry:
    raw_timestamp = entry.get("timestamp")
    receive_timestamp = parse_timestamp(entry.get("receiveTimestamp"))
    if raw_timestamp is None:
        timestamp = receive_timestamp or fallback
        if timestamp is None:
            return MalformedEntry(line_no, "entry has no timestamp", insert_id)
    else:
        timestamp = parse_timestamp(raw_timestamp)
        if timestamp is None:
            return MalformedEntry(line_no, "timestamp is not RFC 3339", insert_id)
    raw_severity = entry.get("severity")
    severity = _SEVERITIES.get(raw_severity) if type(raw_severity) is str else None
    if severity is None:
        severity = Severity.DEFAULT if raw_severity is None else Severity.parse(raw_severity)
    # Cloud Logging itself stores an unknown severity as DEFAULT; so do we, and the ingest
    # step lists the entry by line number in the worklog.
    severity_unknown = severity is None
    severity = Severity.DEFAULT if severity is None else severity
    payload = _payload(entry)
    if payload is None:
        return MalformedEntry(line_no, "entry has no payload", insert_id)
    resource = _mapping(entry.get("resource"))
    resource_labels = _string_map(resource.get("labels"))
    labels = _string_map(entry.get("labels"))
    resource_type = _text(resource.get("type"))
    service, revision, location = _workload(resource_type, resource_labels, labels)
    log_name = _text(entry.get("logName"))
    source = _source_location(entry.get("sourceLocation"))
    return _record(
        insert_id=insert_id,
        timestamp=timestamp,
        severity=severity,
        message=payload.message,
        text=payload.text,
        receive_timestamp=receive_timestamp,
        log_name=log_name,
        resource_type=resource_type,
        resource_labels=resource_labels,
        labels=labels,
        project=resource_labels.get("project_id") or _project_from_log_name(log_name),
        service=service or payload.service,
        revision=revision,
        location=location,
        logger=payload.logger,
        function=source.function or payload.function,
        source_file=source.file or payload.file,
        source_line=source.line if source.line is not None else payload.line,
        exception_type=payload.exception_type,
        exception_value=payload.exception_value,
        frames=payload.frames,
        trace=_text(entry.get("trace")),
        http=_http(entry.get("httpRequest")),
        operation=_operation(entry.get("operation")),
        payload_kind=payload.kind,
        line_no=line_no,
        severity_unknown=severity_unknown,
        payload=payload.data,
        weight=1,
        stand_in=False,
    )


class Glance(NamedTuple):
    """What the ingest step needs of an entry it is about to skip for its severity."""

    timestamp: datetime
    severity: Severity
    revision: str
    http_status: int | None
    message: str


def glance_below(entry: dict[str, object], minimum: Severity) -> Glance | None:
    """A ``Glance`` at an entry whose severity is below ``minimum``, or None.

    None means "normalize it the full way": the severity is not below the minimum or not
    spelled exactly as the API does, the timestamp is absent, or the entry would be malformed
    (the full way then says why).  For an entry glanced at, the fields are those
    ``normalize_entry`` would give: the same helpers compute them; only the record is not built
    and the fields nobody reads for a skipped entry are not looked at.
    """
    raw_severity = entry.get("severity")
    if raw_severity is None:
        severity = Severity.DEFAULT
    elif type(raw_severity) is str and raw_severity in _SEVERITIES:
        severity = _SEVERITIES[raw_severity]
    else:
        return None
    if severity >= minimum:
        return None
    raw_timestamp = entry.get("timestamp")
    if raw_timestamp is None:
        return None
    timestamp = parse_timestamp(raw_timestamp)
    if timestamp is None:
        return None
    try:
        return _glance(entry, timestamp, severity)
    except (ValueError, TypeError, RecursionError, OverflowError):
        return None  # the full way turns the same failure into a MalformedEntry


def _glance(entry: dict[str, object], timestamp: datetime, severity: Severity) -> Glance | None:
    text = entry.get("textPayload")
    if (
        type(text) is str
        and "jsonPayload" not in entry
        and not _has_hint(text)
        and not looks_like_trace(text)
    ):
        # The message is a line of this text, and only a message holding a hint matters to
        # the platform signals: no payload to build.
        message = ""
    else:
        payload = _payload(entry)
        if payload is None:
            return None
        message = payload.message
    # Evaluated for what they may raise, as the full way evaluates them.
    _source_location(entry.get("sourceLocation"))
    http = _http(entry.get("httpRequest"))
    resource = _mapping(entry.get("resource"))
    labels = _string_map(entry.get("labels"))
    _, revision, _ = _workload(
        _text(resource.get("type")), _string_map(resource.get("labels")), labels
    )
    status = http.status if http is not None else None
    return Glance(timestamp, severity, revision, status, message)


_SEVERITIES = {severity.name: severity for severity in Severity}  # exact API spellings first


def _has_hint(text: str) -> bool:
    return any(hint in text for hint in SIGNAL_HINTS)


_RECORD_FIELDS = frozenset(field.name for field in dataclasses.fields(LogRecord))


def _record(**values: object) -> LogRecord:
    """``LogRecord(**values)``, about three times faster.

    A frozen dataclass assigns each of its 25 fields through ``object.__setattr__``, which
    made construction the largest single cost of normalization.  Filling ``__dict__``
    directly gives an identical, equally immutable record.  When the model gains a field this
    function does not fill, the ordinary constructor runs instead (and supplies the default).
    """
    if values.keys() != _RECORD_FIELDS:
        return LogRecord(**values)  # type: ignore[arg-type]
    record = object.__new__(LogRecord)
    record.__dict__.update(values)
    return record


# --- timestamps -----------------------------------------------------------------------------


def parse_timestamp(value: object) -> datetime | None:
    """RFC 3339 text (or a ``{seconds, nanos}`` object) -> aware UTC datetime, else None."""
    if isinstance(value, str):
        # fromisoformat would also take a bare date or a week date; RFC 3339 needs a time.
        if len(value) < 19 or value[10] not in "Tt ":
            return None
        try:
            if value[10] == "t" or value[-1] == "z":
                value = value.upper()
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment if moment.utcoffset() == _ZERO else moment.astimezone(UTC)
    if isinstance(value, dict):
        seconds, nanos = value.get("seconds"), value.get("nanos", 0)
        if isinstance(seconds, int | str) and isinstance(nanos, int):
            try:
                return datetime.fromtimestamp(int(seconds) + nanos / 1e9, UTC)
            except (ValueError, OverflowError, OSError):
                return None
    return None


_ZERO = datetime(2000, 1, 1, tzinfo=UTC).utcoffset()


# --- payloads -------------------------------------------------------------------------------


class _Payload:
    """What one payload contributes to the record (a plain class: built once per entry)."""

    __slots__ = (
        "data",
        "exception_type",
        "exception_value",
        "file",
        "frames",
        "function",
        "kind",
        "line",
        "logger",
        "message",
        "service",
        "text",
    )

    def __init__(self, kind: str, text: str, message: str | None = None) -> None:
        self.kind = kind
        self.text = text
        self.message = first_line(text) if message is None else message
        self.logger = ""
        self.function = ""
        self.file = ""
        self.line: int | None = None
        self.service = ""
        self.exception_type = ""
        self.exception_value = ""
        self.frames: tuple[StackFrame, ...] = ()
        self.data: Mapping[str, object] | None = None

    def apply_trace(self, trace: ParsedTrace | None) -> None:
        if trace is not None:
            self.exception_type = trace.exception_type
            self.exception_value = trace.exception_value
            self.frames = trace.frames
            if self.message.startswith("Traceback (most recent call last)"):
                # The marker line says nothing; the exception line is what a reader wants.
                summary = trace.exception_type
                if trace.exception_value:
                    summary += ": " + trace.exception_value
                self.message = first_line(summary)


def _payload(entry: Mapping[str, object]) -> _Payload | None:
    # An empty payload ({} or "") never becomes the message: the other payload is used.
    json_payload = entry.get("jsonPayload")
    json_data = json_payload if isinstance(json_payload, dict) else None
    text_payload = entry.get("textPayload")
    text = "" if text_payload is None else _text(text_payload)
    request = entry.get("httpRequest")
    other = text_payload is not None or request is not None or "protoPayload" in entry
    if json_data is not None and not (other and _blank(json_data)):
        payload = _json_payload(json_data)
    elif text and not text.isspace():
        payload = _Payload("text", _unescaped(text))
        if looks_like_trace(payload.text):
            payload.apply_trace(parse_stack_trace(payload.text))
    elif isinstance(proto := entry.get("protoPayload"), dict):
        return _proto_payload(proto)
    elif isinstance(request, dict):
        return _request_payload(request)
    elif json_data is not None:
        payload = _json_payload(json_data)
    elif text_payload is not None:
        payload = _Payload("text", text)
    else:
        return None
    message = payload.message
    if payload.frames:
        return payload
    if isinstance(request, dict) and (not message or message.isspace()):
        return _request_payload(request)
    if message[:1] in _REQUEST_START:
        line = _request_line(message)
        if line is not None:
            payload.message = line
    return payload


def _blank(data: Mapping[str, object]) -> bool:
    """A payload object that says nothing: no fields, or only empty ones."""
    return all(value is None or value in ("", {}, []) for value in data.values())


_REQUEST_LINE = re.compile(
    r'"?(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|CONNECT|TRACE) (/\S*|[a-z][a-z0-9+.-]*://\S+)'
    r'(?: HTTP/\d(?:\.\d)?)?"?(?: ->)? ([1-5]\d\d)(?=\s|$)'
)


_REQUEST_START = frozenset('GHPDOCT"')


def _request_line(message: str) -> str | None:
    """``METHOD /route -> STATUS`` for a message that is an HTTP request line, else None."""
    if len(message) > 4096:
        return None
    found = _REQUEST_LINE.match(message)
    if found is None:
        return None
    method, url, status = found.groups()
    return f"{method} {_url_path(url)} -> {status}"


def _unescaped(text: str) -> str:
    """``text`` with escaped newlines and tabs turned real when that reveals a stack trace
    (a traceback logged as one line: literal backslash-n inside the message)."""
    if "\\n" not in text or (_ESCAPED_TRACE.search(text) is None):
        return text
    candidate = (
        text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')
    )
    return candidate if looks_like_trace(candidate) else text


_ESCAPED_TRACE = re.compile(
    r"Traceback \(most recent call last\)|goroutine \d|\\n(?:\\t|\s)+at |panic: "
)


def _operation(value: object) -> str:
    """``producer|id`` of a LogEntryOperation (entries sharing it are one operation)."""
    if not isinstance(value, dict) or not value.get("id"):
        return ""
    return f"{_text(value.get('producer'))}|{_text(value.get('id'))}"


def _request_payload(request: Mapping[str, object]) -> _Payload:
    """A request log (Cloud Run, load balancers) has only ``httpRequest``: describe the call.

    The message is ``METHOD /path -> STATUS``: the path without host or query, so the calls
    of one route group together (ids in it are masked by grouping), and the status kept, so
    the title says what happened; the text keeps the whole URL for the sample.
    """
    method = _text(request.get("requestMethod")) or "?"
    url = _text(request.get("requestUrl"))
    status = _text(request.get("status")) or "?"
    message = first_line(f"{method} {_url_path(url)} -> {status}")
    text = f"{method} {url} {status}"
    latency = _text(request.get("latency"))
    if latency:
        text += f" ({latency})"
    return _Payload("none", text, message)


def _url_path(url: str) -> str:
    scheme = url.find("://")
    if scheme >= 0:
        slash = url.find("/", scheme + 3)
        url = url[slash:] if slash >= 0 else "/"
    for mark in ("?", "#"):
        url = url.split(mark, 1)[0]
    return url or "/"


def _json_payload(data: Mapping[str, object]) -> _Payload:
    message = _json_message(data)
    trace_text = _json_trace_text(data)
    if message is None:
        message = _error_summary(data)
    if message is None:
        dump = bounded_dump(data)
        payload = _Payload("json", dump, first_line(dump))
    else:
        text = message
        if trace_text and trace_text not in message:
            text = message + "\n" + trace_text if message else trace_text
        payload = _Payload("json", text)
        if len(data) > 1:
            payload.data = data  # the other fields are worth showing beside the message
    _json_location(payload, data)
    _json_exception(payload, data, trace_text or payload.text)
    return payload


def _json_message(data: Mapping[str, object]) -> str | None:
    for key in MESSAGE_KEYS:
        value = data.get(key)
        if value is None or value in ("", {}, []):
            continue
        if isinstance(value, str):
            return _unescaped(value)
        if isinstance(value, dict | list):
            return bounded_dump(value)
        return _text(value)  # numbers and booleans are coerced to text
    return None


def _json_trace_text(data: Mapping[str, object]) -> str:
    for key in TRACE_KEYS:
        value = data.get(key)
        if isinstance(value, str):
            value = _unescaped(value)
            if "\n" in value:
                return value
        if isinstance(value, dict):
            for inner in ("stack", "stack_trace", "stackTrace", "traceback"):
                nested = value.get(inner)
                if isinstance(nested, str) and nested:
                    return _unescaped(nested)
    return ""


def _error_summary(data: Mapping[str, object]) -> str | None:
    """``error: {type, value|message}`` without a message field -> ``"Type: value"``."""
    error = data.get("error")
    if isinstance(error, str) and error:
        return error
    if isinstance(error, dict):
        kind = _text(error.get("type"))
        value = _text(error.get("value") or error.get("message"))
        if kind or value:
            return f"{kind}: {value}" if kind and value else kind or value
    return None


def _json_exception(payload: _Payload, data: Mapping[str, object], text: str) -> None:
    if looks_like_trace(text):
        payload.apply_trace(parse_stack_trace(text))
    if payload.exception_type:
        return
    error = data.get("error")
    if isinstance(error, dict):
        payload.exception_type = _text(error.get("type"))
        payload.exception_value = _text(error.get("value") or error.get("message"))
        return
    kind = data.get("exc_type") or data.get("exception_type")
    if isinstance(kind, str):
        payload.exception_type = kind
        payload.exception_value = _text(data.get("exc_value") or data.get("exception_value"))


def _json_location(payload: _Payload, data: Mapping[str, object]) -> None:
    labels = _mapping(data.get("labels"))
    context = _mapping(data.get("context"))
    payload.logger = (
        _first_text(data, LOGGER_KEYS)
        or _text(context.get("name") or labels.get("logger") or labels.get("module"))
        or _first_text(data, ("module",))
    )
    payload.function = _first_text(data, _FUNCTION_KEYS) or _text(labels.get("function"))
    payload.file = _first_text(data, _FILE_KEYS)
    payload.line = _int(_first_value(data, _LINE_KEYS) or labels.get("line"))
    payload.service = _text(context.get("service")) or _text(
        _mapping(data.get("serviceContext")).get("service")
    )
    location = _source_location(data.get(_SOURCE_LOCATION_KEY))
    payload.function = location.function or payload.function
    payload.file = location.file or payload.file
    payload.line = location.line if location.line is not None else payload.line


def _proto_payload(data: Mapping[str, object]) -> _Payload:
    method = _text(data.get("methodName")) or "unknown method"
    resource = _text(data.get("resourceName")) or _text(data.get("serviceName")) or "unknown"
    status = _mapping(data.get("status"))
    code = _text(status.get("code"))
    status_message = _text(status.get("message"))
    if code in ("", "0") and not status_message:
        outcome = "OK"  # audit logs omit the status of calls that succeeded
    else:
        outcome = f"status {code or '?'} {status_message}".rstrip()
    message = first_line(f"{method} on {resource}: {outcome}")
    payload = _Payload("proto", message, message)
    payload.function = method
    payload.logger = _text(data.get("serviceName"))
    return payload


# --- resources and locations ----------------------------------------------------------------


def _workload(
    resource_type: str, resource: Mapping[str, str], labels: Mapping[str, str]
) -> tuple[str, str, str]:
    """(service, revision, location) for a monitored resource type."""
    get = resource.get
    if resource_type == "cloud_run_revision":
        return get("service_name", ""), get("revision_name", ""), get("location", "")
    if resource_type == "cloud_run_job":
        execution = labels.get("run.googleapis.com/execution_name", "")
        return get("job_name", ""), execution or get("execution_name", ""), get("location", "")
    if resource_type == "k8s_container":
        service = labels.get("k8s-pod/app") or get("container_name", "")
        namespace = get("namespace_name", "")
        if namespace and service:
            service = f"{namespace}/{service}"
        return service, get("pod_name", ""), get("location") or get("cluster_name", "")
    if resource_type == "gce_instance":
        name = labels.get("compute.googleapis.com/resource_name") or get("instance_id", "")
        return name, "", get("zone", "")
    if resource_type in ("cloud_function", "cloud_functions"):
        return get("function_name", ""), "", get("region", "")
    if resource_type == "gae_app":
        return get("module_id", ""), get("version_id", ""), get("zone", "")
    service = ""
    for key in ("service_name", "job", "task_id", "namespace", "name"):
        service = get(key, "")
        if service:
            break
    location = get("location") or get("region") or get("zone") or ""
    return service, "", location


def _project_from_log_name(log_name: str) -> str:
    if log_name.startswith("projects/"):
        return log_name[len("projects/") :].split("/", 1)[0]
    return ""


class _Source:
    __slots__ = ("file", "function", "line")

    def __init__(self, file: str = "", function: str = "", line: int | None = None) -> None:
        self.file = file
        self.function = function
        self.line = line


_NO_SOURCE = _Source()


def _source_location(value: object) -> _Source:
    if not isinstance(value, dict):
        return _NO_SOURCE
    return _Source(_text(value.get("file")), _text(value.get("function")), _int(value.get("line")))


def _http(value: object) -> HttpInfo | None:
    if not isinstance(value, dict):
        return None
    return HttpInfo(
        method=_text(value.get("requestMethod")),
        url=_text(value.get("requestUrl")),
        status=_int(value.get("status")),
        latency=_text(value.get("latency")),
    )


# --- small helpers --------------------------------------------------------------------------


def first_line(text: str) -> str:
    """The first non-empty line, cut between tokens at ``MESSAGE_LIMIT`` characters."""
    if "\n" in text or "\r" in text:
        for line in text.splitlines():
            if line.strip():
                text = line
                break
        else:
            text = ""
    text = text.rstrip()
    return cut_between_tokens(text, MESSAGE_LIMIT) if len(text) > MESSAGE_LIMIT else text


def cut_between_tokens(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` characters plus a marker, never inside a token.

    A token cut in half could be the head of a secret too short for redaction to recognise,
    so the partial token is dropped entirely.
    """
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\t"))
    if cut <= 0:
        return TRUNCATED.strip()
    return head[:cut].rstrip() + TRUNCATED


def sample_text(record: LogRecord) -> str:
    """What a sample shows: the text, and the structured payload's other fields."""
    if record.payload is None:
        return record.text or record.message
    return f"{record.text or record.message}\n\njsonPayload: {bounded_dump(record.payload)}"


def bounded_dump(value: object) -> str:
    """Compact JSON, sorted keys, at most about ``DUMP_LIMIT`` characters, never raising."""
    budget = [DUMP_LIMIT]
    pruned = _prune(value, 0, budget)
    try:
        return json.dumps(pruned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return "[unprintable payload]"


def _prune(value: object, depth: int, budget: list[int]) -> object:
    # Whole values are dropped (with a marker) rather than cut, for the reason given in
    # ``cut_between_tokens``; the budget counts roughly the characters already emitted.
    if budget[0] <= 0:
        return "[TRUNCATED:size]"
    if isinstance(value, str):
        if len(value) > DUMP_STRING_LIMIT:
            budget[0] -= 24
            return f"[TRUNCATED:{len(value)} chars]"
        budget[0] -= len(value) + 3
        return value
    if isinstance(value, dict | list) and depth >= DUMP_DEPTH_LIMIT:
        budget[0] -= 18
        return "[TRUNCATED:depth]"
    if isinstance(value, dict):
        result: dict[str, object] = {}
        for key in sorted(value, key=str):
            if budget[0] <= 0:
                result["~truncated"] = f"{len(value) - len(result)} more keys"
                break
            budget[0] -= len(str(key)) + 4
            result[str(key)] = _prune(value[key], depth + 1, budget)
        return result
    if isinstance(value, list):
        items: list[object] = []
        for item in value:
            if budget[0] <= 0:
                items.append(f"[TRUNCATED:{len(value) - len(items)} more items]")
                break
            items.append(_prune(item, depth + 1, budget))
        return items
    budget[0] -= 8
    return value if value is None or isinstance(value, bool | int | float) else str(value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return bounded_dump(value)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else _EMPTY


_EMPTY: Mapping[str, object] = {}


def _string_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    for item in value.values():
        if type(item) is not str:
            return {str(key): _text(item) for key, item in value.items()}
    return dict(value)  # the usual case: every value a string


def _first_value(data: Mapping[str, object], keys: tuple[str, ...]) -> object:
    for key in keys:
        value = data.get(key)
        if value is not None and value != "":
            return value
    return None


def _first_text(data: Mapping[str, object], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
