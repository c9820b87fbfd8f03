"""The platform catalogue: what a log line *is* (its role), decided before template mining.  Pure.

A fixed, versioned list (no learning).  Cloud Run writes a few lines of its own about the
instances it runs: ``Container called exit(N).``, failed start-up or liveness probes, a killed
instance over its memory limit, and request logs with a 5xx status such as "The request failed
because the instance could not start successfully."  They are symptoms, never the cause, and the
template miner would mask the very number that tells them apart (``exit(3)`` is an app's chosen
code, ``exit(137)`` a kill), so the catalogue gives each a constant grouping key that keeps it.

Roles:

* ``app_error``: an application entry at ERROR or worse, or one carrying a stack trace.
* ``app_note``: an application entry below ERROR (WARNING, NOTICE...).  Notes never join a
  problem through co-occurrence: only through the healthy-vs-failed contrast (``problems``).
* ``platform_failure``: a catalogue failure line or a request log with a 5xx status.
* ``platform_lifecycle``: instance start, probe succeeded, shutdown: context, never a signal.
"""

from __future__ import annotations

import enum
import re

from log_gardener.model import LogRecord, Severity

CATALOGUE_VERSION = "cloud-run-1"
"""Changes whenever a pattern or a key below changes (part of the problem grouping version)."""


class Role(enum.Enum):
    APP_ERROR = "app_error"
    APP_NOTE = "app_note"
    PLATFORM_FAILURE = "platform_failure"
    PLATFORM_LIFECYCLE = "platform_lifecycle"

    @property
    def signal(self) -> bool:
        """Signal entries form failure bursts and take part in the link statistics."""
        return self in (Role.APP_ERROR, Role.PLATFORM_FAILURE)

    @property
    def layer(self) -> int:
        """Lower layers are better roots: the app's own error before what the platform saw."""
        return _LAYERS[self]


_LAYERS = {
    Role.APP_ERROR: 0,
    Role.APP_NOTE: 1,
    Role.PLATFORM_FAILURE: 2,
    Role.PLATFORM_LIFECYCLE: 3,
}

_EXIT = re.compile(r"\AContainer called exit\((-?\d{1,6})\)\.?\s*\Z")
_PROBE_FAILED = re.compile(
    r"\A(?:Default )?(STARTUP|LIVENESS|READINESS) (?:TCP|HTTP|HTTP/2|GRPC|gRPC) probe failed\b",
    re.IGNORECASE,
)
_MEMORY = re.compile(r"\AMemory limit of \d+ ?[KMG]i?B exceeded with \d+ ?[KMG]i?B used\b")
_REQUEST_LINES = (
    (
        "The request failed because the instance could not start successfully",
        "instance could not start",
    ),
    (
        "The request failed because either the HTTP response was malformed or connection to "
        "the instance had an error",
        "malformed response or connection error",
    ),
    ("The request was aborted because there was no available instance", "no available instance"),
)
_LIFECYCLE = (
    "Starting new instance.",
    "Shutting down user disabled instance",
    "Default STARTUP TCP probe succeeded",
    "Default STARTUP HTTP probe succeeded",
    "STARTUP TCP probe succeeded",
    "STARTUP HTTP probe succeeded",
)


def platform_key(record: LogRecord) -> str | None:
    """The catalogue's grouping key for a platform failure line, or None.

    The key keeps what distinguishes failure modes: the exit code, the probe kind, the HTTP
    status.  Cheap for ordinary lines (a few substring tests).
    """
    message = record.message
    if message.startswith("Container called exit("):
        found = _EXIT.match(message)
        return f"cloud-run:exit({int(found[1])})" if found else None
    status = record.http.status if record.http is not None else None
    if message.startswith("The request "):
        for text, words in _REQUEST_LINES:
            if message.startswith(text):
                return f"cloud-run:request {status or '5xx'} {words}"
        return None
    if "probe failed" in message:
        found = _PROBE_FAILED.match(message)
        return f"cloud-run:{found[1].lower()} probe failed" if found else None
    if message.startswith("Memory limit of "):
        return "cloud-run:memory limit exceeded" if _MEMORY.match(message) else None
    return None


def role_of(record: LogRecord, key: str | None) -> Role:
    """The role of one entry; ``key`` is what ``platform_key`` returned for it."""
    if key is not None and key.startswith("cloud-run:"):
        return Role.PLATFORM_FAILURE
    status = record.http.status if record.http is not None else None
    if status is not None and status >= 500:
        return Role.PLATFORM_FAILURE
    if record.severity >= Severity.ERROR or record.frames:
        return Role.APP_ERROR
    if record.message.startswith(_LIFECYCLE):
        return Role.PLATFORM_LIFECYCLE
    return Role.APP_NOTE


def platform_template(key: str) -> str:
    """The constant template of a catalogue key (our words plus the kept code or status)."""
    name = key.removeprefix("cloud-run:")
    if name.startswith("exit("):
        return f"Container called {name}."
    if name.startswith("request "):
        return f"Cloud Run {name}"
    return f"Cloud Run {name}"


def exit_code(key: str) -> int | None:
    """The exit code a catalogue key keeps (for titles and tests), or None."""
    found = re.fullmatch(r"cloud-run:exit\((-?\d+)\)", key)
    return int(found[1]) if found else None
