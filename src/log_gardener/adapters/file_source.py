"""Log entries from a file or stdin: JSON Lines, or one JSON array as gcloud prints it.

``gcloud logging read --format=json`` prints one pretty-printed array; the Cloud Logging API
and most exports give one ``LogEntry`` per line.  Both are accepted and told apart by the first
non-blank line: if it decodes on its own the file is JSON Lines, if it opens an array the array
is streamed element by element (memory stays bounded by the largest entry, not the file).

Undecodable lines or elements become ``MalformedEntry`` values with their line number, never
exceptions: a run must survive a bad line, including one nested so deeply that ``json.loads``
raises ``RecursionError``.  Only a file that cannot be read at all, or that is neither format,
raises ``InputError``.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from log_gardener import jsonio
from log_gardener.core.grouping.normalize import parse_timestamp
from log_gardener.errors import InputError, quote_value
from log_gardener.model import MalformedEntry, Window
from log_gardener.ports import FetchReport

STDIN = "-"
CHUNK = 1 << 16
_WHITESPACE = " \t\r\n"
_DECODER = json.JSONDecoder()

Item = tuple[int, object | MalformedEntry]
Bounds = tuple[datetime | None, datetime | None]

# A line's one "timestamp" key with a plain string value (see ``FileSource.bounds``).
_TIMESTAMP_KEY = '"timestamp"'
_TIMESTAMP_VALUE = re.compile(r'"timestamp"[ \t]*:[ \t]*"([^"\\]*)"')


class FileSource:
    """An ``EntrySource`` over a path, ``-`` for stdin, or an open text stream."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._stream: TextIO | None = None
        self._count = 0
        self._note = ""

    @classmethod
    def from_stream(cls, stream: TextIO, name: str = "<stream>") -> FileSource:
        """A source over an already-open text stream (tests, pipes)."""
        source = cls(name)
        source._stream = stream
        return source

    def entries(self, window: Window | None) -> Iterator[Item]:
        """Every decoded value with its 1-based line; the window is the pipeline's business."""
        _ = window  # the pipeline filters by time; a file has no server-side filter
        opened_here = self._stream is None and self._path != STDIN
        stream = self._open()
        try:
            for item in self._read(stream):
                self._count += 1
                yield item
        except OSError as error:
            raise self._error("could not be read", str(error.strerror or error)) from error
        finally:
            if opened_here:
                stream.close()

    def report(self) -> FetchReport:
        return FetchReport(pages=1 if self._count else 0, entries=self._count, note=self._note)

    def bounds(self, limit: datetime) -> Bounds:
        """The earliest and latest timestamp (as the entry parser reads it, ``{seconds, nanos}``
        included) not after ``limit`` over the entries that ``entries`` yields as objects; None
        when no entry has one.

        The same answer as decoding every entry, without decoding most lines of JSON Lines: a
        line whose text holds ``"timestamp"`` once, with a plain string value and no ``\\u``
        escape (the only way to spell that key otherwise), can hold no other top-level
        timestamp, so it can only count with that value (a valid line whose key is top-level)
        or not at all (a nested key, a broken line).  Such a line's value is a candidate; only
        the earliest and the latest candidate decide, so those two lines alone are decoded to
        confirm they count (should one not, every line is decoded).  Other lines are decoded.
        """
        if self._path == STDIN or self._stream is not None:
            return self._decoded_bounds(limit)
        stream = self._open()
        try:
            found = _json_lines_bounds(stream, limit)
        except OSError as error:
            raise self._error("could not be read", str(error.strerror or error)) from error
        finally:
            stream.close()
        return self._decoded_bounds(limit) if found is None else found

    def _decoded_bounds(self, limit: datetime) -> Bounds:
        earliest: datetime | None = None
        latest: datetime | None = None
        for _line, raw in self.entries(None):
            if isinstance(raw, dict):
                earliest, latest = _widen(earliest, latest, _moment(raw.get("timestamp"), limit))
        return earliest, latest

    # --- opening and format detection -----------------------------------------------------

    def _open(self) -> TextIO:
        if self._stream is not None:
            return self._stream
        if self._path == STDIN:
            return _stdin()
        try:
            # Undecodable bytes become U+FFFD: one odd line must not stop the run.
            return open(self._path, encoding="utf-8-sig", errors="replace")
        except FileNotFoundError as error:
            raise self._error(
                "was not found", "a typo in the path or the wrong directory"
            ) from error
        except IsADirectoryError as error:
            raise self._error(
                "is a directory", "a directory was given instead of a file"
            ) from error
        except PermissionError as error:
            raise self._error("is not readable", "file permissions") from error
        except OSError as error:
            raise self._error("could not be opened", str(error.strerror or error)) from error

    def _read(self, stream: TextIO) -> Iterator[Item]:
        line_no, first = _first_line(stream)
        if not first:
            return  # an empty file holds no entries; that is not an error
        decoded = _decode_line(first, line_no)
        if isinstance(decoded[1], list):
            # A whole array on one line (``jq -c`` output): its elements are the entries.
            yield from ((line_no, element) for element in decoded[1])
            yield from _json_lines(stream, line_no)
        elif not isinstance(decoded[1], MalformedEntry):
            yield decoded
            yield from _json_lines(stream, line_no)
        elif _opens_array(first):
            yield from self._json_array(first, stream, line_no)
        elif first.lstrip().startswith(("{", "[")):
            # JSON Lines whose first line is broken: later lines may be fine.
            yield decoded
            yield from _json_lines(stream, line_no)
        else:
            raise self._error(
                "is neither JSON Lines nor a JSON array",
                f"line {line_no} is not JSON (plain-text logs are not supported)",
            )

    def _json_array(self, first: str, stream: TextIO, line_no: int) -> Iterator[Item]:
        reader = _ArrayReader(first, stream, line_no)
        yield from reader.items()
        self._note = reader.note

    def _error(self, what: str, cause: str) -> InputError:
        name = "standard input" if self._path == STDIN else f"log file {quote_value(self._path)}"
        return InputError(
            f"The {name} {what}",
            cause=cause,
            fix=(
                "pass --source file:PATH with JSON Lines of Cloud Logging entries or the "
                "output of `gcloud logging read --format=json`, or --source - to read stdin"
            ),
        )


def _stdin() -> TextIO:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="replace")


def _opens_array(line: str) -> bool:
    """A first line that starts an array spread over many lines (as gcloud prints it)."""
    stripped = line.strip()
    return stripped.startswith("[") and not stripped.endswith("]")


def _first_line(stream: TextIO) -> tuple[int, str]:
    line_no = 0
    for line in stream:
        line_no += 1
        if line.strip():
            return line_no, line
    return line_no, ""


def _decode_line(line: str, line_no: int) -> Item:
    try:
        return line_no, jsonio.loads(line)
    except RecursionError:
        return line_no, MalformedEntry(line_no, "line is nested too deeply to decode")
    except ValueError:
        return line_no, MalformedEntry(line_no, "line is not valid JSON")


def _widen(earliest: datetime | None, latest: datetime | None, moment: datetime | None) -> Bounds:
    if moment is None:
        return earliest, latest
    if earliest is None or moment < earliest:
        earliest = moment
    if latest is None or moment > latest:
        latest = moment
    return earliest, latest


def _moment(value: object, limit: datetime) -> datetime | None:
    moment = parse_timestamp(value)
    return None if moment is None or moment > limit else moment


def _counted(line: str, limit: datetime) -> datetime | None:
    """The moment a line counts with when decoded (None: it does not count)."""
    try:
        raw = jsonio.loads(line)
    except (ValueError, RecursionError):
        return None
    return _moment(raw.get("timestamp"), limit) if isinstance(raw, dict) else None


def _json_lines_bounds(stream: TextIO, limit: datetime) -> Bounds | None:
    """``FileSource.bounds`` of a JSON Lines stream; None when the stream is not JSON Lines
    whose first line is an object, or when a deciding candidate does not count."""
    first = _first_line(stream)[1]
    if not first:
        return None, None
    try:
        head = jsonio.loads(first)
    except (ValueError, RecursionError):
        return None
    if not isinstance(head, dict):
        return None
    earliest, latest = _widen(None, None, _moment(head.get("timestamp"), limit))
    low: datetime | None = None  # the earliest and latest candidates, and their lines
    high: datetime | None = None
    low_line = high_line = ""
    for line in stream:
        if line.isspace() or not line:  # as ``not line.strip()``, without a copy
            continue
        if "\\u" not in line and line.count(_TIMESTAMP_KEY) == 1:
            found = _TIMESTAMP_VALUE.search(line)
            if found is not None:
                candidate = _moment(found.group(1), limit)
                if candidate is not None:
                    if low is None or candidate < low:
                        low, low_line = candidate, line
                    if high is None or candidate > high:
                        high, high_line = candidate, line
                continue  # counts with this value or not at all
        earliest, latest = _widen(earliest, latest, _counted(line, limit))
    for candidate, line in ((low, low_line), (high, high_line)):
        if candidate is not None:
            if _counted(line, limit) != candidate:
                return None
            earliest, latest = _widen(earliest, latest, candidate)
    return earliest, latest


def _json_lines(stream: TextIO, line_no: int) -> Iterator[Item]:
    for line in stream:
        line_no += 1
        if line.strip():
            yield _decode_line(line, line_no)


class _ArrayReader:
    """Streams the elements of one top-level JSON array, tracking line numbers."""

    def __init__(self, first: str, stream: TextIO, line_no: int) -> None:
        self._buffer = first
        self._stream = stream
        self._pos = first.index("[") + 1
        self._line = line_no  # line number at self._pos
        self._eof = False
        self.note = ""

    def items(self) -> Iterator[Item]:
        while True:
            if not self._skip_whitespace():
                self.note = "the JSON array was not closed; the entries before the end were read"
                return
            char = self._buffer[self._pos]
            if char == "]":
                return
            if char == ",":
                self._advance(self._pos + 1)
                continue
            item = self._element()
            yield item
            if isinstance(item[1], MalformedEntry) and self.note:
                return

    def _element(self) -> Item:
        start_line = self._line
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buffer, self._pos)
            except RecursionError:
                return start_line, self._skip_deep(start_line)
            except json.JSONDecodeError as error:
                if self._incomplete(error) and self._fill():
                    continue
                self.note = "the JSON array holds invalid JSON; entries after it were not read"
                return start_line, MalformedEntry(start_line, "array element is not valid JSON")
            self._advance(end)
            return start_line, value

    def _skip_deep(self, line_no: int) -> MalformedEntry:
        """Steps over a too-deep element without decoding it (a plain bracket matcher)."""
        while (end := _value_end(self._buffer, self._pos)) < 0:
            if not self._fill():
                self.note = "the JSON array was not closed; the entries before the end were read"
                return MalformedEntry(line_no, "array element is nested too deeply to decode")
        self._advance(end)
        return MalformedEntry(line_no, "array element is nested too deeply to decode")

    def _incomplete(self, error: json.JSONDecodeError) -> bool:
        # Running out of text shows as an error at (or a string opened before) the end.
        return error.pos >= len(self._buffer) - 1 or error.msg.startswith("Unterminated")

    def _skip_whitespace(self) -> bool:
        while True:
            buffer, pos = self._buffer, self._pos
            while pos < len(buffer) and buffer[pos] in _WHITESPACE:
                pos += 1
            self._advance(pos)
            if self._pos < len(self._buffer):
                return True
            if not self._fill():
                return False

    def _advance(self, pos: int) -> None:
        self._line += self._buffer.count("\n", self._pos, pos)
        self._pos = pos
        if pos > CHUNK:  # drop what was consumed so memory stays bounded
            self._buffer = self._buffer[pos:]
            self._pos = 0

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True


def _value_end(text: str, pos: int) -> int:
    """End index of the JSON value starting at ``pos`` by bracket matching; -1 if incomplete."""
    depth = 0
    in_string = False
    escaped = False
    for index in range(pos, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
    return -1
