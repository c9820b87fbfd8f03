"""Cloud Logging entries -> LogRecord or MalformedEntry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from log_gardener.core.grouping.normalize import (
    DUMP_LIMIT,
    MESSAGE_LIMIT,
    bounded_dump,
    normalize_entry,
    parse_timestamp,
)
from log_gardener.model import HttpInfo, LogRecord, MalformedEntry, Severity, StackFrame

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "untrusted_entries.jsonl"

RUN_RESOURCE = {
    "type": "cloud_run_revision",
    "labels": {
        "service_name": "backend-staging",
        "revision_name": "backend-staging-00690-bn9",
        "location": "us-central1",
        "project_id": "demo-project",
        "configuration_name": "backend-staging",
    },
}


def entry(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "insertId": "id-1",
        "timestamp": "2025-09-15T13:47:00.123456789Z",
        "severity": "WARNING",
        "resource": RUN_RESOURCE,
        "logName": "projects/demo-project/logs/run.googleapis.com%2Fstderr",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def record(raw: object, line_no: int = 1) -> LogRecord:
    result = normalize_entry(raw, line_no)
    assert isinstance(result, LogRecord), result
    return result


def test_text_entry_fills_every_field_it_can() -> None:
    raw = entry(
        textPayload="SERVICE_ID contained whitespace - sanitized\nsecond line",
        receiveTimestamp="2025-09-15T13:47:00.5Z",
        labels={"instanceId": "00ab"},
        trace="projects/demo-project/traces/0af7651916cd43dd8448eb211c80319c",
        sourceLocation={"file": "shared/logging/unified_logging.py", "line": "88", "function": "f"},
    )
    assert normalize_entry(raw, 7) == LogRecord(
        insert_id="id-1",
        timestamp=datetime(2025, 9, 15, 13, 47, 0, 123456, tzinfo=UTC),
        severity=Severity.WARNING,
        message="SERVICE_ID contained whitespace - sanitized",
        text="SERVICE_ID contained whitespace - sanitized\nsecond line",
        receive_timestamp=datetime(2025, 9, 15, 13, 47, 0, 500000, tzinfo=UTC),
        log_name="projects/demo-project/logs/run.googleapis.com%2Fstderr",
        resource_type="cloud_run_revision",
        resource_labels=RUN_RESOURCE["labels"],
        labels={"instanceId": "00ab"},
        project="demo-project",
        service="backend-staging",
        revision="backend-staging-00690-bn9",
        location="us-central1",
        function="f",
        source_file="shared/logging/unified_logging.py",
        source_line=88,
        trace="projects/demo-project/traces/0af7651916cd43dd8448eb211c80319c",
        payload_kind="text",
        line_no=7,
    )


def test_fast_construction_matches_the_constructor() -> None:
    made = record(entry(textPayload="x"))
    rebuilt = LogRecord(**made.__dict__)
    assert made == rebuilt
    assert hash(made.message) == hash(rebuilt.message)
    with pytest.raises(AttributeError):
        made.message = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-09-15T13:47:00Z", datetime(2025, 9, 15, 13, 47, tzinfo=UTC)),
        ("2025-09-15T13:47:00.123456789Z", datetime(2025, 9, 15, 13, 47, 0, 123456, tzinfo=UTC)),
        ("2025-09-15T15:47:00.5+02:00", datetime(2025, 9, 15, 13, 47, 0, 500000, tzinfo=UTC)),
        ("2025-09-15t13:47:00z", datetime(2025, 9, 15, 13, 47, tzinfo=UTC)),
        ("2025-09-15T13:47:00", datetime(2025, 9, 15, 13, 47, tzinfo=UTC)),  # no offset: UTC
        (
            {"seconds": 1757944020, "nanos": 500000000},
            datetime(2025, 9, 15, 13, 47, 0, 500000, tzinfo=UTC),
        ),
        ("2025-13-45T25:61:61Z", None),
        ("2025-09-15", None),
        ("yesterday", None),
        ("", None),
        (1757944020, None),
        (None, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ([1, 2], "entry is not a JSON object"),
        ("text", "entry is not a JSON object"),
        (None, "entry is not a JSON object"),
        (entry(timestamp=None, textPayload="x"), "entry has no timestamp"),
        (entry(timestamp="2025-13-45T25:61:61Z", textPayload="x"), "timestamp is not RFC 3339"),
        (entry(timestamp=["x"], textPayload="x"), "timestamp is not RFC 3339"),
        (entry(), "entry has no payload"),
        (entry(jsonPayload="not an object"), "entry has no payload"),
    ],
)
def test_malformed_entries_say_why_in_our_words(raw: object, reason: str) -> None:
    result = normalize_entry(raw, 3)
    expected_id = raw.get("insertId", "") if isinstance(raw, dict) else ""
    assert result == MalformedEntry(3, reason, expected_id)


@pytest.mark.parametrize("severity", ["SEVERE", 123, "", True])
def test_unknown_severity_is_read_as_default_and_flagged(severity: object) -> None:
    result = record(entry(severity=severity, textPayload="x"))
    assert (result.severity, result.severity_unknown) == (Severity.DEFAULT, True)


def test_known_severity_is_not_flagged() -> None:
    result = record(entry(severity="warn", textPayload="x"))
    assert (result.severity, result.severity_unknown) == (Severity.WARNING, False)


def test_missing_timestamp_falls_back_to_receive_timestamp() -> None:
    result = record(entry(timestamp=None, receiveTimestamp="2025-09-15T13:48:00Z", textPayload="x"))
    assert result.timestamp == datetime(2025, 9, 15, 13, 48, tzinfo=UTC)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (None, Severity.DEFAULT),
        ("CRITICAL", Severity.CRITICAL),
        ("warn", Severity.WARNING),
        (500, Severity.ERROR),
        ("NOTICE", Severity.NOTICE),
    ],
)
def test_severities(severity: object, expected: Severity) -> None:
    assert record(entry(severity=severity, textPayload="x")).severity is expected


@pytest.mark.parametrize(
    ("resource", "labels", "expected"),
    [
        (
            {
                "type": "cloud_run_job",
                "labels": {"job_name": "nightly", "location": "europe-west1", "project_id": "p"},
            },
            {"run.googleapis.com/execution_name": "nightly-abc12"},
            ("p", "nightly", "nightly-abc12", "europe-west1"),
        ),
        (
            {
                "type": "k8s_container",
                "labels": {
                    "project_id": "p",
                    "location": "us-east1-b",
                    "cluster_name": "c1",
                    "namespace_name": "shop",
                    "pod_name": "api-7d9f-x2",
                    "container_name": "api",
                },
            },
            {},
            ("p", "shop/api", "api-7d9f-x2", "us-east1-b"),
        ),
        (
            {"type": "k8s_container", "labels": {"pod_name": "p-1", "container_name": "app"}},
            {"k8s-pod/app": "checkout"},
            ("from-log-name", "checkout", "p-1", ""),
        ),
        (
            {"type": "gce_instance", "labels": {"instance_id": "123", "zone": "us-central1-a"}},
            {"compute.googleapis.com/resource_name": "vm-1"},
            ("from-log-name", "vm-1", "", "us-central1-a"),
        ),
        (
            {
                "type": "cloud_function",
                "labels": {"function_name": "resize", "region": "us-central1", "project_id": "p"},
            },
            {},
            ("p", "resize", "", "us-central1"),
        ),
        (
            {"type": "generic_task", "labels": {"job": "etl", "location": "eu", "project_id": "p"}},
            {},
            ("p", "etl", "", "eu"),
        ),
        ({"type": "global", "labels": {}}, {}, ("from-log-name", "", "", "")),
        ("not a mapping", {}, ("from-log-name", "", "", "")),
    ],
)
def test_resource_types(
    resource: object, labels: dict[str, str], expected: tuple[str, str, str, str]
) -> None:
    result = record(
        entry(
            resource=resource,
            labels=labels,
            textPayload="x",
            logName="projects/from-log-name/logs/app",
        )
    )
    assert (result.project, result.service, result.revision, result.location) == expected


def test_non_string_labels_become_text() -> None:
    result = record(entry(labels={"n": 3, "b": True, "d": {"k": "v"}}, textPayload="x"))
    assert result.labels == {"n": "3", "b": "true", "d": '{"k":"v"}'}


SEED_PAYLOAD = {
    "message": "CRITICAL STARTUP FAILURE: Database initialization timeout after 8.0s",
    "error": {"type": "DeterministicStartupError", "value": "CRITICAL STARTUP FAILURE: x"},
    "context": {"name": "app.startup", "service": "backend"},
    "labels": {"function": "_initialize_database", "line": "1018", "module": "app.startup"},
}


def test_json_payload_with_error_context_and_labels() -> None:
    result = record(entry(severity="CRITICAL", jsonPayload=SEED_PAYLOAD))
    assert (result.message, result.text, result.payload_kind) == (
        SEED_PAYLOAD["message"],
        SEED_PAYLOAD["message"],
        "json",
    )
    assert (result.logger, result.function, result.source_line) == (
        "app.startup",
        "_initialize_database",
        1018,
    )
    assert (result.exception_type, result.exception_value) == (
        "DeterministicStartupError",
        "CRITICAL STARTUP FAILURE: x",
    )
    assert result.frames == ()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"msg": "from msg"}, "from msg"),
        ({"message": 12345, "code": "E_TIMEOUT"}, "12345"),
        ({"message": ["step1 failed", {"k": "v"}, 3.5]}, '["step1 failed",{"k":"v"},3.5]'),
        ({"error": "boom\nmore"}, "boom"),
        ({"error": {"type": "ValueError", "message": "bad"}}, "ValueError: bad"),
        ({"message": "", "zeta": 1, "alpha": "a"}, '{"alpha":"a","message":"","zeta":1}'),
    ],
)
def test_json_payload_messages(payload: dict[str, Any], message: str) -> None:
    assert record(entry(jsonPayload=payload)).message == message


def test_json_payload_logger_fields_in_order_of_trust() -> None:
    result = record(
        entry(
            jsonPayload={
                "message": "m",
                "logger": "app.websocket_core.websocket_manager",
                "funcName": "register",
                "lineno": 211,
                "pathname": "/app/app/websocket_core/websocket_manager.py",
                "logging.googleapis.com/sourceLocation": {"file": "w.py", "line": "5"},
            }
        )
    )
    assert (result.logger, result.function, result.source_file, result.source_line) == (
        "app.websocket_core.websocket_manager",
        "register",
        "w.py",
        5,
    )


PY_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/app/app/routes/users.py", line 40, in get_profile\n'
    "    return PROFILES[user_id]\n"
    "KeyError: 'user-17'\n"
)


def test_text_payload_traceback_gives_exception_and_a_useful_message() -> None:
    result = record(entry(severity="ERROR", textPayload=PY_TRACE))
    assert (result.message, result.exception_type, result.exception_value) == (
        "KeyError: 'user-17'",
        "KeyError",
        "'user-17'",
    )
    assert result.frames == (
        StackFrame("app.routes.users", "get_profile", "/app/app/routes/users.py", 40, True),
    )
    assert result.text == PY_TRACE


@pytest.mark.parametrize("key", ["exc_info", "stack_trace", "traceback", "exception"])
def test_json_payload_trace_fields(key: str) -> None:
    result = record(entry(jsonPayload={"message": "Unhandled exception", key: PY_TRACE}))
    assert result.message == "Unhandled exception"
    assert result.text == "Unhandled exception\n" + PY_TRACE
    assert result.exception_type == "KeyError"


def test_json_payload_error_stack_node() -> None:
    stack = "TypeError: x is undefined\n    at handler (/app/src/h.js:3:7)"
    result = record(entry(jsonPayload={"message": "request failed", "error": {"stack": stack}}))
    assert (result.exception_type, result.exception_value) == ("TypeError", "x is undefined")
    assert result.frames == (StackFrame("src/h.js", "handler", "/app/src/h.js", 3, True),)
    assert result.text == "request failed\n" + stack


def test_proto_payload_audit_entry() -> None:
    proto = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "serviceName": "run.googleapis.com",
        "methodName": "google.cloud.run.v1.Services.ReplaceService",
        "resourceName": "namespaces/demo-project/services/backend-staging",
        "status": {"code": 7, "message": "Permission denied"},
    }
    result = record(entry(severity="ERROR", protoPayload=proto))
    assert result.message == (
        "google.cloud.run.v1.Services.ReplaceService on "
        "namespaces/demo-project/services/backend-staging: status 7 Permission denied"
    )
    assert (result.payload_kind, result.logger, result.function) == (
        "proto",
        "run.googleapis.com",
        "google.cloud.run.v1.Services.ReplaceService",
    )
    ok = record(entry(protoPayload={"methodName": "m", "resourceName": "r"}))
    assert ok.message == "m on r: OK"


def test_json_wins_over_text_when_both_present() -> None:
    result = record(entry(textPayload="text variant", jsonPayload={"message": "json variant"}))
    assert (result.message, result.payload_kind) == ("json variant", "json")


def test_http_request() -> None:
    result = record(
        entry(
            textPayload="x",
            httpRequest={
                "requestMethod": "POST",
                "requestUrl": "https://api.example.com/v1/chat",
                "status": 502,
                "latency": "1.204s",
            },
        )
    )
    assert result.http == HttpInfo("POST", "https://api.example.com/v1/chat", 502, "1.204s")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://svc-abc-uc.a.run.app/api/v1/threads?user=a%40example.com#x",
            "GET /api/v1/threads -> 429",
        ),
        ("https://svc-abc-uc.a.run.app", "GET / -> 429"),
        ("/health", "GET /health -> 429"),
        ("", "GET / -> 429"),
    ],
)
def test_request_log_without_payload(url: str, message: str) -> None:
    request = {"requestMethod": "GET", "requestUrl": url, "status": 429, "latency": "0.003s"}
    result = record(entry(httpRequest=request))
    assert (result.message, result.text, result.payload_kind) == (
        message,
        f"GET {url} 429 (0.003s)",
        "none",
    )
    assert result.http == HttpInfo("GET", url, 429, "0.003s")


def test_long_message_is_cut_between_tokens() -> None:
    token = "tok" + "x" * 40
    text = "start " + " ".join([token] * 200)
    message = record(entry(textPayload=text)).message
    assert len(message) <= MESSAGE_LIMIT + 6
    assert message.endswith(" [...]")
    assert all(part in ("start", token, "[...]") for part in message.split(" "))
    assert record(entry(textPayload="A" * 5000)).message == "[...]"


def test_first_non_empty_line_and_odd_line_breaks() -> None:
    assert record(entry(textPayload="\n\n  \nreal line  \nnext")).message == "real line"
    assert record(entry(textPayload="line1\rline2\u2028line3")).message == "line1"
    assert record(entry(textPayload="")).message == ""


def test_bounded_dump_drops_whole_values_never_parts() -> None:
    secretish = "pem" + "Q" * 2000
    deep: Any = "leaf"
    for _ in range(50):
        deep = {"a": deep}
    dumped = bounded_dump({"big": secretish, "deep": deep, "many": list(range(5000))})
    assert "QQQQ" not in dumped
    assert '"big":"[TRUNCATED:2003 chars]"' in dumped
    assert "[TRUNCATED:depth]" in dumped
    assert len(dumped) < DUMP_LIMIT + 200
    assert json.loads(dumped)["many"][-1].startswith("[TRUNCATED:")


def test_deep_payload_without_message_does_not_raise() -> None:
    deep: Any = {}
    for _ in range(900):
        deep = {"a": deep}
    result = record(entry(jsonPayload={"data": deep}))
    assert "[TRUNCATED:depth]" in result.text


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not present")
def test_shared_corpus_never_raises() -> None:
    kinds: dict[str, int] = {}
    for line_no, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), 1):
        try:
            raw = json.loads(line)
        except RecursionError:
            continue
        result = normalize_entry(raw, line_no)
        name = type(result).__name__
        kinds[name] = kinds.get(name, 0) + 1
        if isinstance(result, MalformedEntry):
            assert result.line_no == line_no
            assert result.reason in {
                "entry has no payload",
                "timestamp is not RFC 3339",
            }
    assert kinds.get("LogRecord", 0) >= 50


# --- real payload quirks ----------------------------------------------------------------------

_ESCAPED = {
    "python": (
        'Traceback (most recent call last):\\n  File "/app/handlers.py", line 10, in handle\\n'
        '    load()\\n  File "/app/store.py", line 5, in load\\n    raise KeyError("k")\\n'
        "KeyError: 'k'",
        "KeyError: 'k'",
        "KeyError",
    ),
    "java": (
        "java.lang.IllegalStateException: pool closed\\n\\tat com.acme.Pool.get(Pool.java:10)"
        "\\n\\tat com.acme.Api.call(Api.java:3)",
        "java.lang.IllegalStateException: pool closed",
        "java.lang.IllegalStateException",
    ),
    "go": (
        "panic: runtime error: index out of range [3] with length 3\\n\\ngoroutine 1 [running]:"
        "\\nmain.handle()\\n\\t/app/main.go:12 +0x1d\\nmain.main()\\n\\t/app/main.go:20 +0x25",
        "panic: runtime error: index out of range [3] with length 3",
        "panic",
    ),
    "node": (
        "TypeError: x is undefined\\n    at handle (/app/src/index.js:10:5)\\n"
        "    at run (/app/src/server.js:3:1)",
        "TypeError: x is undefined",
        "TypeError",
    ),
}


@pytest.mark.parametrize("language", sorted(_ESCAPED))
@pytest.mark.parametrize("where", ["jsonPayload.message", "textPayload"])
def test_escaped_newlines_are_parsed_as_a_stack_trace(language: str, where: str) -> None:
    escaped, message, exception_type = _ESCAPED[language]
    assert "\n" not in escaped  # one line with literal backslash-n, as exports carry it
    payload = {"jsonPayload": {"message": escaped}} if where != "textPayload" else {}
    payload = payload or {"textPayload": escaped}
    result = record(entry(**payload))
    real = record(entry(textPayload=escaped.replace("\\n", "\n").replace("\\t", "\t")))
    assert (result.message, result.exception_type) == (message, exception_type)
    assert result.frames and result.frames == real.frames
    assert "\\n" not in result.message


def test_escaped_newlines_in_an_ordinary_message_stay_as_they_are() -> None:
    result = record(entry(textPayload="wrote 'a\\nb' to the file"))
    assert result.message == "wrote 'a\\nb' to the file"
    assert not result.frames


@pytest.mark.parametrize("empty", [{}, {"message": ""}, {"message": None, "labels": {}}])
def test_an_empty_json_payload_gives_way_to_the_text_payload(empty: dict[str, Any]) -> None:
    result = record(entry(jsonPayload=empty, textPayload="database connection refused"))
    assert (result.message, result.payload_kind) == ("database connection refused", "text")


def test_an_empty_text_payload_gives_way_to_the_request() -> None:
    request = {"requestMethod": "POST", "requestUrl": "/api/v1/chat/messages", "status": 502}
    for payload in ({"textPayload": ""}, {"jsonPayload": {}}, {"textPayload": "  "}):
        result = record(entry(httpRequest=request, **payload))
        assert result.message == "POST /api/v1/chat/messages -> 502"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("GET /api/v1/users/12 HTTP/1.1 404 12ms", "GET /api/v1/users/12 -> 404"),
        ('"POST /api/v1/chat/messages?x=1 HTTP/2" 502 0 1.2s', "POST /api/v1/chat/messages -> 502"),
        ("DELETE /items/9 -> 500", "DELETE /items/9 -> 500"),
        ("GET requests are slow today", "GET requests are slow today"),
    ],
)
def test_request_lines_are_titled_method_route_status(line: str, message: str) -> None:
    assert record(entry(textPayload=line)).message == message


def test_records_are_built_without_the_dataclass_constructor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """normalize fills every field of LogRecord itself (its fast path, three times cheaper than
    the frozen dataclass's __init__): a field added to the model must be added there too, and
    the record equals the one the constructor builds."""
    calls: list[int] = []
    original = LogRecord.__init__

    def counting(self: LogRecord, *args: object, **kwargs: object) -> None:
        calls.append(1)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LogRecord, "__init__", counting)
    entry = {
        "insertId": "x1",
        "timestamp": "2024-05-01T12:00:00Z",
        "severity": "ERROR",
        "jsonPayload": {"message": "boom", "logger": "app"},
        "httpRequest": {"requestMethod": "GET", "requestUrl": "/a", "status": 500},
    }
    record = normalize_entry(entry, 3)
    assert isinstance(record, LogRecord)
    assert calls == []
    monkeypatch.setattr(LogRecord, "__init__", original)
    assert record == LogRecord(**record.__dict__)
