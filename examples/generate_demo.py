"""Writes examples/cloud-run-backend-hour.jsonl: one synthetic hour of a Cloud Run backend.

Run from the repository root:  python examples/generate_demo.py
The output is deterministic (fixed seed, no clock), so the committed file can be regenerated
and compared byte for byte.  Everything is invented for this project: the service, ids and
addresses (documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, example.com);
the one token-shaped value is assembled from obviously fake parts here, at generation time.
"""

# The embedded tracebacks keep their real, long lines.
# ruff: noqa: E501

from __future__ import annotations

import base64
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20250915
PROJECT = "demo-project"
SERVICE = "backend-staging"
REGION = "us-central1"
START = datetime(2025, 9, 15, 13, 47, tzinfo=UTC)
HOUR_NS = 3600 * 10**9
OUTPUT = Path(__file__).resolve().parent / "cloud-run-backend-hour.jsonl"

# Revision 00688 serves until 00689 takes the traffic; 00690 is rolled out at 13:49 and never
# starts (its database phase times out), so Cloud Run keeps retrying it all hour.
REV_OLD, REV_GOOD, REV_BAD = (
    f"{SERVICE}-00688-xk2",
    f"{SERVICE}-00689-tq4",
    f"{SERVICE}-00690-bn9",
)
SWITCH_NS = 11 * 60 * 10**9  # 13:58: traffic moves from 00688 to 00689

STDOUT, STDERR, REQUESTS, SYSTEM, AUDIT = (
    "run.googleapis.com%2Fstdout",
    "run.googleapis.com%2Fstderr",
    "run.googleapis.com%2Frequests",
    "run.googleapis.com%2Fvarlog%2Fsystem",
    "cloudaudit.googleapis.com%2Factivity",
)

WS_MANAGERS = [
    "app.websocket_core.websocket_manager.UnifiedWebSocketManager",
    "app.websocket_core.websocket_manager.WebSocketManagerFactory",
    "app.websocket_core.manager_compat.LegacyWebSocketManager",
    "app.websocket_core.isolated_manager.IsolatedWebSocketManager",
]
STARTUP_ERROR = (
    "CRITICAL STARTUP FAILURE: Database initialization timeout after 8.0s in staging "
    "environment. This may indicate Cloud SQL connection issues. Check POSTGRES_HOST "
    "configuration and Cloud SQL instance accessibility."
)
USERS = ["ana", "bo", "chen", "dara", "eli", "fatima", "gus", "hiro", "ines", "jon"]
ROUTES = [
    ("GET", "/api/v1/threads"),
    ("GET", "/api/v1/threads/{id}/messages"),
    ("POST", "/api/v1/chat/messages"),
    ("GET", "/api/v1/agents"),
    ("GET", "/api/v1/users/me"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/health"),
]


@dataclass
class Demo:
    rng: random.Random
    entries: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    pools: dict[str, list[str]] = field(default_factory=dict)  # revision -> serving instances

    # --- building blocks ------------------------------------------------------------------

    def hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def add(
        self,
        at_ns: int,
        severity: str,
        log: str,
        revision: str,
        instance: str,
        **payload: object,
    ) -> dict[str, object]:
        at_ns = max(0, min(HOUR_NS - 1, at_ns))
        entry: dict[str, object] = {
            "insertId": self.hex(24),
            "timestamp": stamp(at_ns),
            "receiveTimestamp": stamp(at_ns + self.rng.randint(8, 240) * 10**6 + 123),
            "severity": severity,
            "logName": f"projects/{PROJECT}/logs/{log}",
            "resource": {
                "type": "cloud_run_revision",
                "labels": {
                    "service_name": SERVICE,
                    "revision_name": revision,
                    "location": REGION,
                    "project_id": PROJECT,
                    "configuration_name": SERVICE,
                },
            },
            "labels": {"instanceId": instance},
        }
        entry.update(payload)
        self.entries.append((at_ns, entry))
        return entry

    def app_json(
        self,
        at_ns: int,
        severity: str,
        revision: str,
        instance: str,
        message: str,
        logger: str,
        function: str,
        line: int,
        **extra: object,
    ) -> dict[str, object]:
        payload: dict[str, object] = {
            "message": message,
            "logger": logger,
            "context": {"name": logger, "service": "backend"},
            "labels": {"function": function, "line": str(line), "module": logger},
        }
        payload.update(extra)
        return self.add(at_ns, severity, STDOUT, revision, instance, jsonPayload=payload)

    def trace(self) -> str:
        return f"projects/{PROJECT}/traces/{self.hex(32)}"

    def instance(self) -> str:
        return "00" + self.hex(62)

    def serving(self, at_ns: int) -> tuple[str, str]:
        """The revision taking traffic at ``at_ns`` and one of its instances."""
        revision = REV_OLD if at_ns < SWITCH_NS else REV_GOOD
        return revision, self.rng.choice(self.pools[revision])

    def around(self, count: int, start_ns: int = 0, end_ns: int = HOUR_NS) -> Iterator[int]:
        """``count`` sorted random moments in ``[start_ns, end_ns)``."""
        yield from sorted(self.rng.randrange(start_ns, end_ns) for _ in range(count))


def stamp(at_ns: int) -> str:
    moment = START + timedelta(seconds=at_ns // 10**9)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{at_ns % 10**9:09d}Z"


def seconds(value: float) -> int:
    return int(value * 10**9)


# --- problem 1: the revision that never starts -------------------------------------------------


def startup_traceback(rng: random.Random) -> str:
    connect_line = rng.choice([1005, 1005, 1005, 1006])
    return f"""Traceback (most recent call last):
  File "/usr/local/lib/python3.11/asyncio/tasks.py", line 500, in wait_for
    return fut.result()
           ^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/ext/asyncio/engine.py", line 268, in connect
    return await self.start(is_ctxmanager=True)
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/dialects/postgresql/asyncpg.py", line 1071, in connect
    await_only(creator_fn(*arg, **kw)),
  File "/usr/local/lib/python3.11/site-packages/asyncpg/connection.py", line 2421, in connect
    return await connect_utils._connect(
  File "/usr/local/lib/python3.11/site-packages/asyncpg/connect_utils.py", line 1049, in _connect
    conn = await _connect_addr(
asyncio.exceptions.CancelledError

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/app/startup.py", line {connect_line}, in _initialize_database
    await asyncio.wait_for(self._warm_up_engine(engine), timeout=self.db_timeout)
  File "/usr/local/lib/python3.11/asyncio/tasks.py", line 502, in wait_for
    raise exceptions.TimeoutError() from exc
TimeoutError

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/app/startup.py", line 1882, in run_startup
    await self._run_phase(StartupPhase.DATABASE, self._initialize_database)
  File "/app/app/startup.py", line 412, in _run_phase
    await handler()
  File "/app/app/startup.py", line 1018, in _initialize_database
    raise DeterministicStartupError(
app.startup.DeterministicStartupError: {STARTUP_ERROR}"""


def failing_startup(demo: Demo, at_ns: int) -> None:
    rng, instance = demo.rng, demo.instance()
    demo.add(
        at_ns,
        "INFO",
        SYSTEM,
        REV_BAD,
        instance,
        textPayload=(
            "Starting new instance. Reason: DEPLOYMENT_ROLLOUT - Instance started due to "
            "traffic shifting between revisions due to deployment, traffic split adjustment, "
            "or deployment health check."
        ),
    )
    startup_common(demo, at_ns, REV_BAD, instance)
    init = rng.uniform(0.05, 0.07)
    deps = rng.uniform(29.5, 32.5)
    db_phase = rng.uniform(4.9, 5.3)
    t = at_ns + seconds(init + deps)
    demo.app_json(
        t,
        "INFO",
        REV_BAD,
        instance,
        f"Phase DEPENDENCIES completed in {deps:.3f}s (INIT {init:.3f}s)",
        "app.startup",
        "_run_phase",
        431,
    )
    demo.add(
        t + seconds(0.2),
        "INFO",
        SYSTEM,
        REV_BAD,
        instance,
        textPayload=(
            'Default STARTUP TCP probe succeeded after 1 attempt for container "backend-1" '
            "on port 8000."
        ),
    )
    t += seconds(db_phase + 8.0)
    demo.app_json(
        t,
        "CRITICAL",
        REV_BAD,
        instance,
        f"DeterministicStartupError: {STARTUP_ERROR}",
        "app.startup",
        "_initialize_database",
        1018,
        error={"type": "DeterministicStartupError", "value": STARTUP_ERROR},
        phase={"name": "DATABASE", "elapsed_s": round(db_phase, 3), "timeout_s": 8.0},
        traceback=startup_traceback(rng),
    )
    demo.add(
        t + seconds(0.01),
        "ERROR",
        STDERR,
        REV_BAD,
        instance,
        textPayload="ERROR:    Application startup failed. Exiting.",
    )
    demo.add(
        t + seconds(rng.uniform(0.3, 0.9)),
        "WARNING",
        SYSTEM,
        REV_BAD,
        instance,
        textPayload="Container called exit(3).",
    )
    for probe in range(rng.randint(0, 2)):
        demo.add(
            t - seconds(rng.uniform(1, 7)) + probe,
            "WARNING",
            STDOUT,
            REV_BAD,
            instance,
            textPayload="GET /health 503 Service Unavailable (startup in progress)",
        )


def ws_managers_found(rng: random.Random) -> list[str]:
    # The third class found differs between instances (import order): one varying token.
    return [*WS_MANAGERS[:2], rng.choice(WS_MANAGERS[2:])]


def startup_common(demo: Demo, at_ns: int, revision: str, instance: str) -> None:
    """What every instance logs while importing: the two known warnings among them."""
    rng = demo.rng
    t = at_ns + seconds(rng.uniform(0.3, 0.9))
    demo.app_json(
        t,
        "WARNING",
        revision,
        instance,
        "SERVICE_ID contained whitespace - sanitized from 'backend\\n' to 'backend'",
        "shared.logging.unified_logging",
        "_sanitize_service_id",
        rng.choice([212, 212, 214]),
    )
    found = ws_managers_found(rng)
    demo.app_json(
        t + seconds(rng.uniform(0.5, 2.0)),
        "WARNING",
        revision,
        instance,
        f"SSOT WARNING: Found other WebSocket Manager classes: {found}",
        "app.websocket_core.websocket_manager",
        "_check_ssot_compliance",
        96,
    )
    demo.app_json(
        t + seconds(rng.uniform(2.0, 3.0)),
        "INFO",
        revision,
        instance,
        "OpenTelemetry automatic instrumentation initialized (exporter=cloud-trace)",
        "app.observability",
        "setup_tracing",
        58,
    )
    demo.add(
        t + seconds(rng.uniform(3.0, 4.0)),
        "DEBUG",
        STDOUT,
        revision,
        instance,
        textPayload=f"VPC connector egress=private-ranges-only; migration run {1757350810}",
    )


def healthy_startup(demo: Demo, at_ns: int, revision: str) -> str:
    instance = demo.instance()
    demo.add(
        at_ns,
        "INFO",
        SYSTEM,
        revision,
        instance,
        textPayload=(
            "Starting new instance. Reason: AUTOSCALING - Instance started due to configured "
            "scaling factors (e.g. CPU utilization, request throughput, etc.) or no existing "
            "capacity for current traffic."
        ),
    )
    startup_common(demo, at_ns, revision, instance)
    demo.app_json(
        at_ns + seconds(demo.rng.uniform(36, 40)),
        "NOTICE",
        revision,
        instance,
        "Application startup complete: all phases passed",
        "app.startup",
        "run_startup",
        1901,
    )
    return instance


# --- the other problems ------------------------------------------------------------------------


def redis_outage(demo: Demo) -> None:
    # A 6-minute outage of the cache: refused connections, then timeouts while it comes back.
    start = seconds(25 * 60)
    for t in demo.around(70, start, start + seconds(360)):
        host = demo.rng.choice(["192.0.2.41:6379", "192.0.2.42:6379", "192.0.2.41:6380"])
        refused = t < start + seconds(300)
        message = (
            f"Redis connection failed: Error 111 connecting to {host}. Connection refused."
            if refused
            else f"Redis connection failed: Timeout connecting to {host} after 5.0s"
        )
        demo.app_json(
            t,
            "ERROR",
            *demo.serving(t),
            message,
            "app.cache.redis_client",
            "get_connection",
            147,
            retry={
                "attempt": demo.rng.randint(1, 5),
                "backoff_ms": demo.rng.choice([100, 200, 400]),
            },
        )


def upstream_502(demo: Demo) -> None:
    for t in demo.around(45, seconds(8 * 60), seconds(52 * 60)):
        request_id = "req_" + demo.hex(16)
        elapsed = demo.rng.randint(180, 30000)
        (revision, instance), trace = demo.serving(t), demo.trace()
        demo.add(
            t,
            "ERROR",
            STDERR,
            revision,
            instance,
            textPayload=(
                f"Upstream llm-gateway returned 502 Bad Gateway for request {request_id} "
                f"after {elapsed}ms (attempt {demo.rng.randint(1, 3)}/3)"
            ),
            trace=trace,
        )
        demo.add(
            t + seconds(0.004),
            "ERROR",
            REQUESTS,
            revision,
            instance,
            httpRequest={
                "requestMethod": "POST",
                "requestUrl": "https://backend-staging-abc123-uc.a.run.app/api/v1/chat/messages",
                "status": 502,
                "latency": f"{elapsed / 1000 + 0.012:.6f}s",
                "remoteIp": f"198.51.100.{demo.rng.randint(2, 250)}",
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) DemoClient/1.0",
                "protocol": "HTTP/1.1",
            },
            trace=trace,
        )


def key_error(demo: Demo) -> None:
    for t in demo.around(38, seconds(14 * 60), HOUR_NS):
        user = f"user_{demo.rng.randint(1000, 99999)}"
        line = demo.rng.choice([88, 88, 88, 91])
        text = f"""Exception in ASGI application
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/uvicorn/protocols/http/httptools_impl.py", line 426, in run_asgi
    result = await app(  # type: ignore[func-returns-value]
  File "/usr/local/lib/python3.11/site-packages/starlette/routing.py", line 677, in __call__
    await route.handle(scope, receive, send)
  File "/app/app/routes/threads.py", line 142, in list_threads
    prefs = await load_preferences(user_id)
  File "/app/app/services/preferences.py", line {line}, in load_preferences
    return _PREFERENCE_CACHE[user_id]
           ~~~~~~~~~~~~~~~~~^^^^^^^^^
KeyError: '{user}'"""
        demo.add(
            t,
            "ERROR",
            STDERR,
            *demo.serving(t),
            textPayload=text,
            trace=demo.trace(),
        )


def slow_queries(demo: Demo) -> None:
    tables = ["threads", "messages", "agent_runs"]
    for t in demo.around(85):
        took = demo.rng.uniform(1.05, 9.8)
        table = demo.rng.choice(tables)
        demo.app_json(
            t,
            "WARNING",
            *demo.serving(t),
            f"Slow query on {table}: {took:.3f}s > threshold 1.000s "
            f"(rows={demo.rng.randint(1, 50000)})",
            "app.db.monitor",
            "after_cursor_execute",
            63,
            query_hash=demo.hex(12),
        )


def rate_limits(demo: Demo) -> None:
    for t in demo.around(110, seconds(30 * 60), seconds(48 * 60)):
        client = f"203.0.113.{demo.rng.randint(2, 254)}"
        email = f"{demo.rng.choice(USERS)}.{demo.rng.randint(1, 99)}@example.com"
        count = demo.rng.randint(121, 400)
        revision, instance = demo.serving(t)
        demo.add(
            t,
            "WARNING",
            STDOUT,
            revision,
            instance,
            textPayload=(
                f"Rate limit exceeded for client {client} (user {email}): "
                f"{count} requests in 60s, limit 120"
            ),
        )
        demo.add(
            t + seconds(0.002),
            "WARNING",
            REQUESTS,
            revision,
            instance,
            httpRequest={
                "requestMethod": "GET",
                "requestUrl": "https://backend-staging-abc123-uc.a.run.app/api/v1/threads",
                "status": 429,
                "latency": "0.003120s",
                "remoteIp": client,
            },
        )


def fake_jwt(demo: Demo, user: str) -> str:
    """A token-shaped, obviously fake value: it says so in its own claims and signature."""

    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header = part({"alg": "HS256", "typ": "JWT"})
    claims = part({"sub": user, "demo": "not-a-real-token", "exp": 1757944000})
    return ".".join([header, claims, "FAKE" + "signature" + "ForTheDemo" + demo.hex(6)])


def jwt_failures(demo: Demo) -> None:
    reasons = ["Signature has expired", "Signature has expired", "Invalid audience"]
    for t in demo.around(28, seconds(5 * 60), HOUR_NS):
        user = f"demo-user-{demo.rng.randint(1, 40)}"
        demo.app_json(
            t,
            "WARNING",
            *demo.serving(t),
            f"JWT validation failed: {demo.rng.choice(reasons)} (token={fake_jwt(demo, user)})",
            "app.auth.jwt_validator",
            "validate_token",
            77,
        )


def node_sidecar(demo: Demo) -> None:
    for t in demo.around(16, seconds(20 * 60), seconds(44 * 60)):
        column = demo.rng.choice([19, 19, 23])
        stack = f"""TypeError: Cannot read properties of undefined (reading 'threadId')
    at routeFrame (/usr/src/app/src/relay.js:57:{column})
    at WebSocket.<anonymous> (/usr/src/app/src/relay.js:31:5)
    at WebSocket.emit (node:events:517:28)
    at Receiver.receiverOnMessage (/usr/src/app/node_modules/ws/lib/websocket.js:1209:20)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"""
        revision, instance = demo.serving(t)
        demo.add(
            t,
            "ERROR",
            STDERR,
            revision,
            instance,
            textPayload=stack,
            labels={"instanceId": instance, "container_name": "ws-relay"},
        )


def recurring_warnings(demo: Demo) -> None:
    """The two known warnings also recur while serving: per WebSocket factory and per worker."""
    for t in demo.around(70, seconds(60)):
        found = ws_managers_found(demo.rng)
        demo.app_json(
            t,
            "WARNING",
            *demo.serving(t),
            f"SSOT WARNING: Found other WebSocket Manager classes: {found}",
            "app.websocket_core.websocket_manager",
            "_check_ssot_compliance",
            96,
        )
    for t in demo.around(20, seconds(60)):
        demo.app_json(
            t,
            "WARNING",
            *demo.serving(t),
            "SERVICE_ID contained whitespace - sanitized from 'backend\\n' to 'backend'",
            "shared.logging.unified_logging",
            "_sanitize_service_id",
            212,
        )


# --- background noise --------------------------------------------------------------------------


def requests(demo: Demo) -> None:
    for t in demo.around(1500):
        method, route = demo.rng.choice(ROUTES)
        path = route.replace("{id}", demo.hex(8))
        demo.add(
            t,
            "INFO",
            REQUESTS,
            *demo.serving(t),
            httpRequest={
                "requestMethod": method,
                "requestUrl": f"https://backend-staging-abc123-uc.a.run.app{path}",
                "status": demo.rng.choice([200, 200, 200, 200, 201, 204, 304]),
                "latency": f"{demo.rng.uniform(0.004, 0.9):.6f}s",
                "remoteIp": f"198.51.100.{demo.rng.randint(2, 250)}",
                "responseSize": str(demo.rng.randint(120, 40000)),
            },
            trace=demo.trace(),
        )


def chatter(demo: Demo) -> None:
    messages: list[tuple[str, Callable[[], str]]] = [
        ("DEBUG", lambda: f"WebSocket heartbeat ok (connections={demo.rng.randint(3, 90)})"),
        ("DEBUG", lambda: f"cache hit ratio {demo.rng.uniform(0.6, 0.99):.2f} over 60s"),
        ("INFO", lambda: f"Agent run {demo.hex(8)} finished in {demo.rng.uniform(0.4, 12):.2f}s"),
        ("INFO", lambda: f"Thread {demo.hex(8)} created by user {demo.rng.randint(1000, 99999)}"),
        ("NOTICE", lambda: f"Connection pool resized to {demo.rng.randint(5, 20)}"),
    ]
    for t in demo.around(900):
        severity, make = demo.rng.choice(messages)
        demo.add(
            t,
            severity,
            STDOUT,
            *demo.serving(t),
            textPayload=make(),
        )


def audit(demo: Demo) -> None:
    for at_min, revision in ((2, REV_BAD), (10, REV_GOOD)):
        demo.add(
            seconds(at_min * 60),
            "NOTICE",
            AUDIT,
            revision,
            "",
            protoPayload={
                "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "serviceName": "run.googleapis.com",
                "methodName": "google.cloud.run.v1.Services.ReplaceService",
                "resourceName": f"namespaces/{PROJECT}/services/{SERVICE}",
                "authenticationInfo": {"principalEmail": "deployer@example.com"},
            },
        )


def build() -> list[dict[str, object]]:
    demo = Demo(random.Random(SEED))
    audit(demo)
    demo.pools[REV_OLD] = [healthy_startup(demo, seconds(-40) + n, REV_OLD) for n in range(2)]
    demo.pools[REV_GOOD] = [
        healthy_startup(demo, SWITCH_NS - seconds(60) + n * seconds(400), REV_GOOD)
        for n in range(3)
    ]
    # The failing revision: retried with a backoff, over the whole hour.
    t = seconds(2 * 60 + 5)
    while t < HOUR_NS - seconds(50):
        failing_startup(demo, t)
        t += seconds(demo.rng.uniform(95, 200))
    for problem in (
        redis_outage,
        upstream_502,
        key_error,
        slow_queries,
        rate_limits,
        jwt_failures,
        node_sidecar,
        recurring_warnings,
        requests,
        chatter,
    ):
        problem(demo)
    demo.entries.sort(key=lambda item: item[0])
    return [entry for _, entry in demo.entries]


def main() -> int:
    entries = build()
    with OUTPUT.open("w", encoding="utf-8", newline="\n") as out:
        for entry in entries:
            out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {len(entries)} entries to {OUTPUT.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
