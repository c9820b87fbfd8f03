"""The ports between the pure core and the adapters (Protocols, so fakes need no inheritance)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from log_gardener.model import ExistingIssue, JournalEntry, MalformedEntry, Operation, Window


@dataclass(frozen=True)
class FetchReport:
    """How a fetch went, in our words (never log text)."""

    pages: int = 0
    entries: int = 0
    truncated: bool = False  # max-entries reached, or throttling that did not clear
    reached: str = ""  # RFC 3339 timestamp of the last complete point when truncated
    note: str = ""
    source: str = ""  # "log-analytics" when BigQuery grouped the entries ("" = entries read)
    bytes_processed: int | None = None  # BigQuery bytes processed (log-analytics only)
    groups: int = 0  # groups the query returned (log-analytics only)


class EntrySource(Protocol):
    """Yields raw entries (decoded JSON values) or ``MalformedEntry`` with their position."""

    def entries(self, window: Window | None) -> Iterator[tuple[int, object | MalformedEntry]]: ...

    def report(self) -> FetchReport: ...


class IssueTracker(Protocol):
    """The GitHub side, as the apply step needs it."""

    def list_marked_issues(self) -> Sequence[ExistingIssue]: ...

    def apply(self, operation: Operation) -> JournalEntry: ...

    def commit_files(self, files: Mapping[str, str], message: str) -> JournalEntry: ...

    def branch(self) -> str: ...

    def read_file(self, path: str) -> str | None: ...
