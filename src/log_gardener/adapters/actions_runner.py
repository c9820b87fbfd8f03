"""The GitHub Actions runner: outputs, job summary, workflow commands and safe printing.

Everything that reaches the runner goes through here.  The runner obeys a workflow command on
*any* line of a step's stdout or stderr (``::add-mask::``, ``::stop-commands::``, ``::error::``),
so a line we print is either one of our own commands, built with the toolkit's escaping, or a
plain line whose ``::``/``##[`` openings are broken.  The environment is always passed in as a
``Mapping``; nothing here reads ``os.environ``.
"""

from __future__ import annotations

import enum
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from log_gardener.errors import GardenerError

SUMMARY_LIMIT_BYTES = 1024 * 1024
"""GitHub rejects a step's job summary above 1 MiB (and then shows none of it)."""

_SUMMARY_NOTE_RESERVE = 1024
"""Bytes kept free under the limit for the truncation note and a closing fence."""

DELIMITER_PREFIX = "ghadelimiter_"

_ZWSP = "\u200b"
# The runner trims a line (.NET ``String.Trim``) and then looks for "::" (v2 commands) or
# "##[" (v1 commands) at its start.  A zero-width space is not whitespace to .NET, so it
# survives the trim and keeps the line from parsing as a command.
_COMMAND_OPENINGS = (("::", ":" + _ZWSP + ":"), ("##[", "#" + _ZWSP + "#["))
# Control characters (ANSI escapes, backspace, NUL) could hide or rewrite what the log shows.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What the runner's line reader (and Python's splitlines) treat as line breaks.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class AnnotationKind(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


class RunnerError(GardenerError):
    """The runner's files ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY) could not be written."""


def in_actions(env: Mapping[str, str]) -> bool:
    """True inside a GitHub Actions job (the runner always sets GITHUB_ACTIONS=true)."""
    return env.get("GITHUB_ACTIONS", "") == "true"


def escape_data(text: str) -> str:
    """A command's message, escaped like @actions/core's ``escapeData``."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value, escaped like @actions/core's ``escapeProperty``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_command(
    command: str, message: str = "", properties: Mapping[str, str] | None = None
) -> str:
    """``::command key=value,key=value::message`` with every part escaped."""
    props = ",".join(
        f"{key}={escape_property(value)}" for key, value in (properties or {}).items() if value
    )
    head = f"::{command} {props}" if props else f"::{command}"
    return f"{head}::{escape_data(message)}"


def annotation(
    kind: AnnotationKind | str,
    message: str,
    title: str = "",
    file: str = "",
    line: int | None = None,
) -> str:
    """One ``::error``/``::warning``/``::notice`` line (kind as the enum or its value)."""
    kind = AnnotationKind(kind)
    properties = {"title": title, "file": file, "line": "" if line is None else str(line)}
    return format_command(kind.value, message, properties)


def neutralize_line(text: str) -> str:
    """One plain line that the runner cannot read as a workflow command."""
    text = _CONTROL.sub("\ufffd", text)
    for opening, broken in _COMMAND_OPENINGS:
        text = text.replace(opening, broken)
    return text


def plain_lines(text: str) -> list[str]:
    """``text`` split the way the runner splits output, each line neutralized."""
    return [neutralize_line(part) for part in _LINE_BREAKS.split(text)]


class RunnerOutput:
    """The only way the CLI prints: plain lines are neutralized, commands are built here.

    Secrets registered with ``add_mask`` are also replaced by ``***`` in anything printed
    afterwards, so a token never reaches the job log even if a message quotes it.
    """

    def __init__(self, stream: TextIO | None = None, secrets: tuple[str, ...] = ()) -> None:
        self._stream = stream
        self._reader_gone = False
        self._secrets: list[str] = []
        for secret in secrets:
            self.add_mask(secret)

    @property
    def stream(self) -> TextIO:
        # Resolved at call time so pytest's capsys and redirections see our output.
        return self._stream if self._stream is not None else sys.stdout

    def _write(self, line: str) -> None:
        if self._reader_gone:
            return
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except BrokenPipeError:
            # The reader left (`log-gardener run ... | head`).  Printing is only a report:
            # the run goes on and ends with its own exit code, its files written.
            self._reader_gone = True
            _discard_rest(self.stream)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def print(self, text: str) -> None:
        """Plain text, any number of lines; never a workflow command."""
        for line in plain_lines(self._scrub(text)):
            self._write(line)

    def command(
        self, command: str, message: str = "", properties: Mapping[str, str] | None = None
    ) -> None:
        """One of our own workflow commands (the message may hold any text: it is escaped)."""
        props = {key: self._scrub(value) for key, value in (properties or {}).items()}
        self._write(format_command(command, self._scrub(message), props))

    def add_mask(self, secret: str) -> None:
        """Masks ``secret`` in the job log; a multi-line secret line by line as well."""
        values = [secret, *secret.splitlines()] if "\n" in secret or "\r" in secret else [secret]
        for value in values:
            if value.strip() and value not in self._secrets:
                self._write(format_command("add-mask", value))
                self._secrets.append(value)
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets.sort(key=len, reverse=True)

    def annotate(self, kind: AnnotationKind | str, message: str, title: str = "") -> None:
        self._write(annotation(kind, self._scrub(message), title=self._scrub(title)))

    def error(self, message: str, title: str = "") -> None:
        self.annotate(AnnotationKind.ERROR, message, title)

    def warning(self, message: str, title: str = "") -> None:
        self.annotate(AnnotationKind.WARNING, message, title)

    def notice(self, message: str, title: str = "") -> None:
        self.annotate(AnnotationKind.NOTICE, message, title)

    def debug(self, message: str) -> None:
        self.command("debug", message)

    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        """A collapsible section of the job log; always closed, even on an exception."""
        self.command("group", name)
        try:
            yield
        finally:
            self.command("endgroup")


def _discard_rest(stream: TextIO) -> None:
    """Points the stream's descriptor at /dev/null, so the interpreter's final flush of
    what is still buffered does not fail a second time at exit."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not backed by a descriptor (a test's StringIO): nothing flushes at exit
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def add_mask(secret: str, stream: TextIO | None = None) -> None:
    """Prints ``::add-mask::`` for ``secret`` (escaped); nothing for an empty value."""
    RunnerOutput(stream).add_mask(secret)


@contextmanager
def group(name: str, stream: TextIO | None = None) -> Iterator[None]:
    """``::group::name`` ... ``::endgroup::`` around the block."""
    with RunnerOutput(stream).group(name):
        yield


def format_outputs(
    outputs: Mapping[str, str],
    new_delimiter: Callable[[], str] = lambda: DELIMITER_PREFIX + str(uuid.uuid4()),
) -> str:
    """The ``$GITHUB_OUTPUT`` text: ``name<<DELIM`` / value / ``DELIM`` per output.

    The heredoc form is safe for any value, multiline included, as long as the delimiter
    occurs in neither name nor value; a random UUID makes a collision a bug worth failing on.
    """
    chunks = []
    for name, value in outputs.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise ValueError(f"invalid output name {name!r}")
        delimiter = new_delimiter()
        if delimiter in value:
            raise ValueError(f"output {name!r} contains its delimiter")
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def write_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> bool:
    """Appends ``outputs`` to ``$GITHUB_OUTPUT``; False (nothing written) outside a runner."""
    path = env.get("GITHUB_OUTPUT", "")
    if not path:
        return False
    _append(path, format_outputs(outputs), "GITHUB_OUTPUT")
    return True


def cap_summary(markdown: str, limit: int) -> str:
    """``markdown`` cut to at most ``limit`` UTF-8 bytes, at a line end, with a note saying so."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    budget = max(0, limit - _SUMMARY_NOTE_RESERVE)
    kept = data[:budget].decode("utf-8", errors="ignore")
    kept = kept[: kept.rindex("\n") + 1] if "\n" in kept else ""  # never cut a line
    dropped = len(data) - len(kept.encode("utf-8"))
    if kept.count("```") % 2 == 1:
        kept += "```\n"  # close a cut code block so the note renders as text
    note = (
        f"\n> **Summary truncated:** {dropped} bytes did not fit GitHub's 1 MiB job summary "
        "limit. The full report is in the worklog file.\n"
    )
    return kept + note


def append_step_summary(env: Mapping[str, str], markdown: str) -> bool:
    """Appends ``markdown`` to ``$GITHUB_STEP_SUMMARY``, keeping the file under 1 MiB.

    False (nothing written) outside a runner.  What the step already wrote counts too.
    """
    path = env.get("GITHUB_STEP_SUMMARY", "")
    if not path:
        return False
    try:
        used = Path(path).stat().st_size
    except FileNotFoundError:
        used = 0
    text = cap_summary(
        markdown if markdown.endswith("\n") else markdown + "\n", SUMMARY_LIMIT_BYTES - used
    )
    if text.encode("utf-8") and used + len(text.encode("utf-8")) <= SUMMARY_LIMIT_BYTES:
        _append(path, text, "GITHUB_STEP_SUMMARY")
    return True


def _append(path: str, text: str, variable: str) -> None:
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise RunnerError(
            f"cannot append to ${variable} ({exc.strerror})",
            cause="the runner's file is missing or not writable by the container user",
            fix="run the action as the runner's default user (root in Docker actions) "
            f"and do not override {variable} in the workflow's env",
        ) from exc
