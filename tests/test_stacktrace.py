"""Stack traces in four languages -> root-cause exception and frames (outermost first)."""

from __future__ import annotations

import pytest

from log_gardener.core.grouping.stacktrace import (
    Language,
    ParsedTrace,
    parse_stack_trace,
    python_module,
)
from log_gardener.model import StackFrame

PYTHON_CHAINED = """\
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/asyncio/tasks.py", line 500, in wait_for
    return fut.result()
  File "/usr/local/lib/python3.11/site-packages/asyncpg/connection.py", line 2421, in connect
    return await connect_utils._connect(
asyncio.exceptions.CancelledError

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/app/startup.py", line 1018, in _initialize_database
    await asyncio.wait_for(engine.connect(), timeout=8.0)
  File "/usr/local/lib/python3.11/asyncio/tasks.py", line 502, in wait_for
    raise exceptions.TimeoutError() from exc
TimeoutError
"""

PYTHON_DURING_HANDLING = """\
Exception in ASGI application
Traceback (most recent call last):
  File "/app/app/routes/users.py", line 40, in get_profile
    return PROFILES[user_id]
KeyError: 'user-17'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/app/routes/users.py", line 42, in get_profile
    raise NotFound(user_id)
  File "<frozen importlib._bootstrap>", line 1, in _load
    pass
app.errors.NotFound: user-17 not found
"""

JAVA_CAUSED_BY = """\
Exception in thread "main" java.lang.IllegalStateException: pool init failed
\tat com.example.db.Pool.init(Pool.java:55)
\tat com.example.App.main(App.java:12)
Caused by: java.sql.SQLTransientConnectionException: Connection is not available, request timed out after 30000ms.
\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)
\tat com.example.db.Pool.connect(Pool.java:80)
\tat java.base/java.lang.Thread.run(Thread.java:833)
\t... 1 more
"""

GO_PANIC = """\
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6c8f2a]

goroutine 17 [running]:
panic({0x6a1e40?, 0x9e8f30?})
\t/usr/local/go/src/runtime/panic.go:914 +0x21f
main.(*Server).handle(0xc0000a4000, {0x7f1c2a, 0xc0001b2000}, 0xc0001c6100)
\t/go/src/example.com/ingest/server.go:112 +0x2a
github.com/gorilla/mux.(*Router).ServeHTTP(0xc0000b8000, {0x8a9e10, 0xc0001b2000})
\t/go/pkg/mod/github.com/gorilla/mux@v1.8.0/mux.go:210 +0x1cf
net/http.HandlerFunc.ServeHTTP(0x0?, {0x8a9e10?, 0xc0001b2000?}, 0x0?)
\t/usr/local/go/src/net/http/server.go:2136 +0x29
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3086 +0x5cb

goroutine 1 [IO wait]:
internal/poll.runtime_pollWait(0x7f0d, 0x72)
\t/usr/local/go/src/runtime/netpoll.go:343 +0x85
"""

NODE_ERROR = """\
TypeError: Cannot read properties of undefined (reading 'id')
    at getUser (/usr/src/app/src/users.js:14:22)
    at async Object.<anonymous> (/usr/src/app/node_modules/express/lib/router/layer.js:95:5)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)
    at /usr/src/app/src/server.js:8:3
"""


def test_python_direct_cause_uses_the_last_block() -> None:
    assert parse_stack_trace(PYTHON_CHAINED) == ParsedTrace(
        Language.PYTHON,
        "TimeoutError",
        "",
        (
            StackFrame("app.startup", "_initialize_database", "/app/app/startup.py", 1018, True),
            StackFrame(
                "asyncio.tasks",
                "wait_for",
                "/usr/local/lib/python3.11/asyncio/tasks.py",
                502,
                False,
            ),
        ),
    )


def test_python_during_handling_with_prefix_and_frozen_frame() -> None:
    parsed = parse_stack_trace(PYTHON_DURING_HANDLING)
    assert parsed is not None
    assert (parsed.exception_type, parsed.exception_value) == (
        "app.errors.NotFound",
        "user-17 not found",
    )
    assert [(f.module, f.function, f.line, f.in_app) for f in parsed.frames] == [
        ("app.routes.users", "get_profile", 42, True),
        ("<frozen importlib._bootstrap>", "_load", 1, False),
    ]


def test_java_deepest_caused_by_with_restored_common_frames() -> None:
    parsed = parse_stack_trace(JAVA_CAUSED_BY)
    assert parsed is not None
    assert parsed.language is Language.JAVA
    assert parsed.exception_type == "java.sql.SQLTransientConnectionException"
    assert parsed.exception_value == (
        "Connection is not available, request timed out after 30000ms."
    )
    assert [(f.module, f.function, f.file, f.line, f.in_app) for f in parsed.frames] == [
        ("com.example.App", "main", "App.java", 12, True),  # restored from "... 1 more"
        ("java.lang.Thread", "run", "Thread.java", 833, False),
        ("com.example.db.Pool", "connect", "Pool.java", 80, True),
        (
            "com.zaxxer.hikari.pool.HikariPool",
            "createTimeoutException",
            "HikariPool.java",
            696,
            True,
        ),
    ]


def test_java_without_cause_and_logger_prefix() -> None:
    text = (
        "ERROR request failed: java.lang.NullPointerException: name is null\n"
        "\tat com.example.web.Handler.handle(Handler.java:31)\n"
        "\tat sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)\n"
    )
    parsed = parse_stack_trace(text)
    assert parsed is not None
    assert (parsed.exception_type, parsed.exception_value) == (
        "java.lang.NullPointerException",
        "name is null",
    )
    assert parsed.frames == (
        StackFrame("sun.reflect.NativeMethodAccessorImpl", "invoke0", "Native Method", None, False),
        StackFrame("com.example.web.Handler", "handle", "Handler.java", 31, True),
    )


def test_go_panic_first_goroutine_only() -> None:
    parsed = parse_stack_trace(GO_PANIC)
    assert parsed is not None
    assert (parsed.language, parsed.exception_type, parsed.exception_value) == (
        Language.GO,
        "panic",
        "runtime error: invalid memory address or nil pointer dereference",
    )
    assert [(f.module, f.function, f.line, f.in_app) for f in parsed.frames] == [
        ("net/http", "(*Server).Serve", 3086, False),
        ("net/http", "HandlerFunc.ServeHTTP", 2136, False),
        ("github.com/gorilla/mux", "(*Router).ServeHTTP", 210, False),
        ("main", "(*Server).handle", 112, True),
        ("", "panic", 914, False),
    ]


def test_node_error_stack() -> None:
    parsed = parse_stack_trace(NODE_ERROR)
    assert parsed is not None
    assert (parsed.language, parsed.exception_type, parsed.exception_value) == (
        Language.NODE,
        "TypeError",
        "Cannot read properties of undefined (reading 'id')",
    )
    assert [(f.module, f.function, f.line, f.in_app) for f in parsed.frames] == [
        ("src/server.js", "<anonymous>", 8, True),
        ("node:internal/process/task_queues", "process.processTicksAndRejections", 95, False),
        ("node_modules/express/lib/router/layer.js", "Object.<anonymous>", 95, False),
        ("src/users.js", "getUser", 14, True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "one line with no trace",
        "Traceback (most recent call last):",  # a marker and nothing else
        'Traceback (most recent call last):\n  File "x.py", line 1, in f\n',  # cut short
        "meet at noon\nsee you at 5",
        "panic: boom\nno goroutine header here",
        "NoMethodError: undefined method `name' for nil\n  app/models/user.rb:12:in `display'",
        "at\n" * 50,
    ],
)
def test_text_without_a_known_trace(text: str) -> None:
    assert parse_stack_trace(text) is None


def test_runaway_recursion_keeps_the_innermost_frames() -> None:
    frames = "".join(
        f'  File "/app/app/r.py", line {n}, in f{n}\n    f()\n' for n in range(1, 1001)
    )
    parsed = parse_stack_trace(
        "Traceback (most recent call last):\n" + frames + "RecursionError: too deep\n"
    )
    assert parsed is not None
    assert len(parsed.frames) == 200
    assert (parsed.frames[0].function, parsed.frames[-1].function) == ("f801", "f1000")


@pytest.mark.parametrize(
    ("path", "module"),
    [
        (
            "/usr/local/lib/python3.11/site-packages/sqlalchemy/engine/base.py",
            "sqlalchemy.engine.base",
        ),
        ("/usr/lib/python3/dist-packages/yaml/__init__.py", "yaml"),
        ("/usr/local/lib/python3.11/asyncio/tasks.py", "asyncio.tasks"),
        ("/app/app/startup.py", "app.startup"),
        ("w.py", "w"),
        ("<string>", "<string>"),
    ],
)
def test_python_module_names(path: str, module: str) -> None:
    assert python_module(path) == module
