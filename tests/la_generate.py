"""Generated Cloud Logging entries for the Log Analytics tests and benchmark: several services
and revisions, text, JSON and request payloads, Python and Java traces, and variable parts of
every kind the masks know (numbers, hex, UUIDs, IPs, quoted values) plus some they do not."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

SEVERITIES = ("DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL")

_TEMPLATES = (
    "db timeout after {n}.{d}s on shard {n}",
    "user {uid} not found in tenant {hex}",
    "connection from {ip} refused: too many clients ({n} of {n})",
    "payment failed for order={n} reason='{word}'",
    'cache miss key="{word}-{n}"',
    "Retrying request {uuid} (attempt {d})",
    "worker {word} stopped",
    "worker {word} started in {n}ms",
    "quota exceeded for project {word}: {n} requests",
    "upstream {ip}:{port} returned {status}",
    "naïve café ５ items ٣ left {n}",
)
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "fox")
_PY_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/app/{mod}.py", line {n}, in handle\n'
    "    result = process(item)\n"
    '  File "/app/{mod}_core.py", line {n}, in process\n'
    "    raise {exc}('bad item {n}')\n"
    "{exc}: bad item {n}"
)
_JAVA_TRACE = (
    "java.lang.{exc}: id {n} invalid\n"
    "\tat com.acme.{mod}.Service.run(Service.java:{n})\n"
    "\tat com.acme.{mod}.Main.main(Main.java:{n})"
)


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        n=rng.randint(0, 99999),
        d=rng.randint(0, 9),
        uid=rng.randint(1, 10**6),
        hex=f"{rng.getrandbits(64):016x}",
        ip=".".join(str(rng.randint(0, 255)) for _ in range(4)),
        port=rng.randint(1, 65535),
        status=rng.choice((500, 502, 503, 429)),
        uuid=uuid.UUID(int=rng.getrandbits(128)),
        word=rng.choice(_WORDS),
        mod=rng.choice(("orders", "billing", "auth")),
        exc=rng.choice(("ValueError", "KeyError", "IllegalStateException", "RuntimeError")),
    )


def entries(
    count: int, start: datetime, span: timedelta, seed: int = 7
) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    seconds = span.total_seconds()
    for index in range(count):
        at = start + timedelta(seconds=rng.random() * seconds)
        service = rng.choice(("api", "worker", "billing"))
        revision = f"{service}-{rng.choice(('00041-abc', '00042-xyz'))}"
        entry: dict[str, object] = {
            "insertId": f"g{seed}-{index:08d}",
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "severity": rng.choice(SEVERITIES),
            "logName": f"projects/gen-project/logs/run.googleapis.com%2F{rng.choice(('stdout', 'stderr'))}",
            "resource": {
                "type": "cloud_run_revision",
                "labels": {
                    "service_name": service,
                    "revision_name": revision,
                    "location": "europe-west1",
                    "project_id": "gen-project",
                },
            },
        }
        kind = rng.random()
        if kind < 0.35:
            entry["textPayload"] = _fill(rng, rng.choice(_TEMPLATES))
        elif kind < 0.6:
            payload: dict[str, object] = {
                "message": _fill(rng, rng.choice(_TEMPLATES)),
                "logger": rng.choice(("app.db", "app.http", "app.jobs")),
            }
            if rng.random() < 0.3:
                payload["request_id"] = str(uuid.UUID(int=rng.getrandbits(128)))
            entry["jsonPayload"] = payload
        elif kind < 0.7:
            entry["textPayload"] = _fill(rng, _PY_TRACE)
        elif kind < 0.78:
            entry["jsonPayload"] = {"message": "unhandled", "stack_trace": _fill(rng, _JAVA_TRACE)}
        else:
            entry["httpRequest"] = {
                "requestMethod": rng.choice(("GET", "POST")),
                "requestUrl": f"https://{service}.run.app/v1/{rng.choice(_WORDS)}/{rng.randint(1, 500)}",
                "status": rng.choice((200, 404, 500, 503)),
                "latency": f"{rng.random() * 3:.6f}s",
            }
        _platform_and_links(rng, entry, service, revision)
        yield entry


def _platform_and_links(
    rng: random.Random, entry: dict[str, object], service: str, revision: str
) -> None:
    """What the problem layer links by (instances, traces, operations), and the constructs
    grouping v2 keeps apart: Cloud Run exit codes and failed requests, an empty jsonPayload
    beside the text, a traceback logged on one line with escaped newlines."""
    entry["labels"] = {"instanceId": f"{revision}-inst-{rng.randint(1, 4)}"}
    if rng.random() < 0.3:
        entry["trace"] = f"projects/gen-project/traces/{rng.randint(1, 300):032x}"
    if rng.random() < 0.1:
        entry["operation"] = {"id": f"op-{rng.randint(1, 40)}", "producer": "gen"}
    special = rng.random()
    if special < 0.04:
        entry.pop("jsonPayload", None)
        entry.pop("httpRequest", None)
        entry["textPayload"] = f"Container called exit({rng.choice((1, 3, 137))})."
    elif special < 0.07:
        entry.pop("jsonPayload", None)
        entry.pop("textPayload", None)
        entry["textPayload"] = (
            "The request failed because the instance could not start successfully."
        )
        entry["httpRequest"] = {
            "requestMethod": "GET",
            "requestUrl": f"https://{service}.run.app/v1/{rng.choice(_WORDS)}",
            "status": rng.choice((500, 503)),
            "latency": f"{rng.random():.6f}s",
        }
    elif special < 0.10:
        entry.pop("httpRequest", None)
        entry["jsonPayload"] = {}
        entry["textPayload"] = _fill(rng, rng.choice(_TEMPLATES))
    elif special < 0.13:
        entry.pop("jsonPayload", None)
        entry.pop("httpRequest", None)
        entry["textPayload"] = _fill(rng, _PY_TRACE).replace("\n", "\\n")
