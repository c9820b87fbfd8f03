"""One error hierarchy.  Every message says what failed, the likely cause and the fix.

``cli.main`` maps these to exit codes: ``GardenerError`` -> 1, ``UsageError`` -> 2, anything
else -> 3.  Messages never carry raw log text; a value quoted from input goes through
``quote_value`` so it cannot form a workflow command or a long blob in the job log.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_KNOWN_ERROR = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 3


def quote_value(value: object, limit: int = 120) -> str:
    """A short, single-line, workflow-command-proof rendering of a user-supplied value."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    escaped = text.encode("unicode_escape").decode("ascii")
    # "::" starts a workflow command only at a line start, but keep it broken everywhere.
    return "'" + escaped.replace("::", ":\u200b:").replace("'", "\\'") + "'"


class GardenerError(Exception):
    """A known failure.  ``what``, ``cause`` and ``fix`` are our own words."""

    exit_code = EXIT_KNOWN_ERROR

    def __init__(self, what: str, cause: str = "", fix: str = "") -> None:
        self.what = what
        self.cause = cause
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [self.what.rstrip(".") + "."]
        if self.cause:
            parts.append("Likely cause: " + self.cause.rstrip(".") + ".")
        if self.fix:
            parts.append("Fix: " + self.fix.rstrip(".") + ".")
        return " ".join(parts)

    @property
    def title(self) -> str:
        """One line for an ``::error::`` annotation title: the nearest public class name (an
        adapter's private subclass such as ``_ApiError`` reads as its public parent)."""
        return next(c.__name__ for c in type(self).__mro__ if not c.__name__.startswith("_"))


class UsageError(GardenerError):
    """Bad command-line usage (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(GardenerError):
    """The rules file or an action input is invalid; names the file, line and path."""

    def __init__(
        self, what: str, *, source: str = "", line: int | None = None, path: str = "", fix: str = ""
    ) -> None:
        self.source = source
        self.line = line
        self.path = path
        location = source
        if line is not None:
            location = f"{location}:{line}" if location else f"line {line}"
        prefix = f"{location}: " if location else ""
        prefix += f"{path}: " if path else ""
        super().__init__(prefix + what, fix=fix)


class InputError(GardenerError):
    """Log input that cannot be read at all (missing file, not JSON Lines nor a JSON array)."""


class AuthError(GardenerError):
    """Getting Google credentials failed (OIDC, STS, impersonation, ADC)."""


class SourceError(GardenerError):
    """Cloud Logging refused or failed (permissions, filter, project, quota)."""


class WorkerError(GardenerError):
    """A worker process reading a large file (``--workers``) died before it finished."""


class GitHubError(GardenerError):
    """The GitHub API refused or failed."""


class StateError(GardenerError):
    """``state.json`` could not be read or written."""


class Cancelled(GardenerError):
    """SIGTERM/SIGINT: the in-flight request finished, the final commit was skipped."""


class CreateUnconfirmed(GitHubError):
    """An issue create failed in a way that may have created it (5xx, timeout) and listing the
    issues again to adopt it failed too: the apply step creates nothing more this run."""


class UnsafeDocumentError(GardenerError, ValueError):
    """A rendered markdown document failed its verification: log text would have shown
    outside code, or it holds raw HTML that is not the gardener's own.  Nothing in it is
    published.  A bug in log-gardener's neutralization, so the run ends with exit code 3."""

    exit_code = EXIT_UNEXPECTED

    def __init__(self, what: str, cause: str = "", fix: str = "") -> None:
        super().__init__(
            what,
            cause or "a bug in log-gardener's neutralization of log text",
            fix
            or "please open an issue on log-gardener with this message and the worklog's run "
            "notes; the document was not published",
        )
