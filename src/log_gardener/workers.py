"""Worker processes for large JSON Lines files: parse, normalize and mask on every core.

    source = ParallelFileSource(path, workers=4, limit=max_entries)
    for item in source.prepared(min_severity, config):      # in input order
        ingestor.take(item)
    summaries = full_samples(clusterer.summaries())

The parent reads the file in batches of lines and hands each batch to a pool of worker
processes.  A worker decodes each line (``jsonio``), runs the ingest step's stateless part
(``ingest.prepare``: the glance below the minimum severity, ``normalize_entry``, the rules'
grouping key, ``cluster.message_template``) and sends back compact tuples: the few record
fields the ingest step and the clusterer count with (no payload, resource labels or full
text; a batch's repeated strings and labels sent once).
The parent takes the results batch by batch in input order and feeds them to the one
``Ingestor`` and ``Clusterer``, so grouping stays single-threaded and the results are the
same for any number of workers.  The records the clusterer keeps as samples are rebuilt in
full from their lines at the end (``full_samples``): a handful per cluster.

Only a JSON Lines file is read this way; a JSON array (``gcloud --format=json``), standard
input, a file shorter than one batch, or ``workers`` <= 1 take the ordinary one-process path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TextIO

from log_gardener import jsonio
from log_gardener.adapters.file_source import FileSource
from log_gardener.core.grouping.infra import may_signal
from log_gardener.core.grouping.ingest import Grouping, Ingestor, prepare
from log_gardener.core.grouping.normalize import Glance, normalize_entry
from log_gardener.core.judging.rules import RulesConfig
from log_gardener.errors import WorkerError
from log_gardener.model import ClusterSummary, LogRecord, MalformedEntry, Severity, Window
from log_gardener.ports import FetchReport

BATCH_LINES = 2000  # lines per task: large enough that a task's overhead is small
_READ_HINT = 4 << 20  # characters read at a time
_RAW = "_raw_line"  # a light record's key (outside the fields) holding its line
# Fields a light record carries; the bulky ones are rebuilt for samples only.
_HEAVY: dict[str, object] = {"text": "", "resource_labels": {}, "payload": None}
_LIGHT = tuple(f.name for f in dataclasses.fields(LogRecord) if f.name not in _HEAVY)

Prepared = Glance | MalformedEntry | tuple[LogRecord, Grouping]
_Wire = tuple[object, ...]  # one entry as a worker sends it


def default_workers() -> int:
    """The CPUs this process may run on (the ``--workers`` default)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


GC_YOUNG = 50_000  # allocations between young collections while entries stream (default 700)


class fewer_collections:  # a context manager, named like contextlib's
    """Young-generation garbage collection every ``GC_YOUNG`` allocations instead of 700 while
    entries stream: each entry allocates a dozen short-lived containers (its decoded JSON, its
    record), so the default made the collector scan the young objects every ~50 entries, a
    tenth of the run.  Nothing lives longer for it (the entries hold no reference cycles), and
    the older generations keep their thresholds."""

    def __init__(self) -> None:
        self._before = gc.get_threshold()

    def __enter__(self) -> None:
        self._before = gc.get_threshold()
        gc.set_threshold(GC_YOUNG, self._before[1], self._before[2])

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self._before)


def take(ingestor: Ingestor, item: Prepared) -> None:
    """Feeds one prepared entry to the ingest step, as ``Ingestor.add`` would the raw one."""
    if isinstance(item, Glance):
        ingestor.add_glanced(item)
    elif isinstance(item, MalformedEntry):
        ingestor.add_prepared(item.line_no, item, None)
    else:
        ingestor.add_prepared(item[0].line_no, item[0], item[1])


def full_samples(summaries: Sequence[ClusterSummary]) -> list[ClusterSummary]:
    """The summaries with every light sample record rebuilt in full from its line."""
    return [
        dataclasses.replace(summary, samples=tuple(_full(s) for s in summary.samples))
        if any(_RAW in sample.__dict__ for sample in summary.samples)
        else summary
        for summary in summaries
    ]


def _full(record: LogRecord) -> LogRecord:
    raw = record.__dict__.get(_RAW)
    if raw is None:
        return record
    # An entry without any timestamp was read at the window start: the light record has it.
    full = normalize_entry(jsonio.loads(raw), record.line_no, record.timestamp)
    assert isinstance(full, LogRecord)  # the same line gave a record in the worker
    return full


class ParallelFileSource:
    """An ``EntrySource`` over a JSON Lines file that can also hand out prepared entries.

    ``entries``/``report`` behave as ``FileSource`` capped at ``limit`` entries (the
    ``max-entries`` cap: an entry past it sets ``truncated``); ``prepared`` reads the same
    entries through ``workers`` processes."""

    def __init__(self, path: str, workers: int, limit: int) -> None:
        self._path = path
        self._workers = workers
        self._limit = limit
        self._plain = FileSource(path)
        self._count = 0
        self._truncated = False
        self._used_prepared = False

    def entries(self, window: Window | None) -> Iterator[tuple[int, object | MalformedEntry]]:
        for count, item in enumerate(self._plain.entries(window)):
            if count >= self._limit:
                self._truncated = True
                return
            yield item

    def report(self) -> FetchReport:
        if self._used_prepared:
            report = FetchReport(pages=1 if self._count else 0, entries=self._count)
        else:
            report = self._plain.report()
        if not self._truncated:
            return report
        return dataclasses.replace(
            report,
            truncated=True,
            note=f"max-entries ({self._limit}) reached: the rest of the input was not read.",
        )

    def prepared(
        self, min_severity: Severity, config: RulesConfig, fallback: datetime | None = None
    ) -> Iterator[Prepared]:
        """Every entry up to the cap, prepared, in input order; the plain path when the file
        is not JSON Lines (or fits in one batch, or one worker is asked for)."""
        batches = self._batches()
        first = next(batches, None)
        if first is None or self._workers <= 1 or not _is_json_lines(first[1]):
            batches.close()
            self._count, self._truncated = 0, False
            yield from self._plain_prepared(min_severity, config, fallback)
            return
        self._used_prepared = True
        grouping = any(rule.group_by for rule in config.rules)
        second = next(batches, None)
        if second is None:  # small input: not worth starting processes
            yield from _prepare_lines(first, min_severity, config, grouping, fallback)
            return
        yield from self._pooled(first, second, batches, min_severity, config, grouping, fallback)

    def _plain_prepared(
        self, min_severity: Severity, config: RulesConfig, fallback: datetime | None
    ) -> Iterator[Prepared]:
        grouping = any(rule.group_by for rule in config.rules)
        for line_no, raw in self.entries(None):
            yield prepare(raw, line_no, min_severity, config, grouping, fallback)

    def _pooled(
        self,
        first: tuple[int, list[str]],
        second: tuple[int, list[str]],
        batches: Iterator[tuple[int, list[str]]],
        min_severity: Severity,
        config: RulesConfig,
        grouping: bool,
        fallback: datetime | None,
    ) -> Iterator[Prepared]:
        task = (int(min_severity), fallback)
        with _Pool(self._workers, config, grouping) as pool:
            pending: deque[tuple[int, list[str]]] = deque()  # in the order the workers got them
            for batch in itertools.chain((first, second), batches):
                if len(pending) < pool.size:
                    pool.submit(batch, task)
                    pending.append(batch)
                    continue
                done, wires = pending.popleft(), pool.result()
                pool.submit(batch, task)  # the worker that sent it waits: the next batch at once
                pending.append(batch)
                yield from _decode_wire(done, wires)
            while pending:
                yield from _decode_wire(pending.popleft(), pool.result())

    def _batches(self) -> Generator[tuple[int, list[str]], None, None]:
        """(first line number, lines) up to the cap; counts entries as ``FileSource`` does."""
        remaining = self._limit
        line_no = 1
        with _open(self._plain, self._path) as stream:
            while True:
                lines = stream.readlines(_READ_HINT)
                if not lines:
                    return
                for start in range(0, len(lines), BATCH_LINES):
                    chunk = lines[start : start + BATCH_LINES]
                    entries = sum(1 for line in chunk if not line.isspace())
                    if entries > remaining:
                        chunk = _cut(chunk, remaining)
                        self._truncated = True
                        self._count += remaining + 1  # the plain reader read one past the cap
                        if chunk:
                            yield line_no, chunk
                        return
                    remaining -= entries
                    self._count += entries
                    yield line_no, chunk
                    line_no += len(chunk)


def _open(source: FileSource, path: str) -> TextIO:
    del path
    return source._open()  # the same opening, encoding and errors as the plain reader


def _cut(lines: list[str], entries: int) -> list[str]:
    """The lines up to (not including) the non-blank one after the first ``entries``."""
    seen = 0
    for index, line in enumerate(lines):
        if not line.isspace():
            if seen == entries:
                return lines[:index]
            seen += 1
    return lines


def _is_json_lines(lines: list[str]) -> bool:
    """The plain reader's test: the first non-blank line decodes on its own to an object."""
    for line in lines:
        if not line.isspace():
            try:
                return isinstance(jsonio.loads(line), dict)
            except (ValueError, RecursionError):
                return False
    return False


class _Pool:
    """Worker processes, each with a pipe for its batches and one for its results.  Batch i
    goes to worker i mod n and result i comes from it, so results arrive in input order; a
    worker has one batch at a time (it reads its next batch only after its result was taken,
    so neither side can block the other on a full pipe).

    The parent keeps only its own end of each pipe: a worker that dies (killed by the kernel
    for want of memory, or by a signal) ends its pipe, and the parent's next read or write
    fails at once with a ``WorkerError`` instead of waiting for ever, as
    ``concurrent.futures.ProcessPoolExecutor`` does when a worker dies while sending a result.
    """

    def __init__(self, size: int, config: RulesConfig, grouping: bool) -> None:
        self.size = size
        self._config = config
        self._grouping = grouping
        self._sent = 0
        self._received = 0
        self._tasks: list[Connection] = []
        self._results: list[Connection] = []
        self._processes: list[BaseProcess] = []

    def _start(self) -> None:
        """One more worker (on its first batch: a file of three batches starts three)."""
        context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        task_reader, task_writer = context.Pipe(duplex=False)
        result_reader, result_writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_serve,
            args=(task_reader, result_writer, self._config, self._grouping),
            daemon=True,  # never outlives the run
        )
        try:
            process.start()
        finally:
            task_reader.close()
            result_writer.close()
        self._tasks.append(task_writer)
        self._results.append(result_reader)
        self._processes.append(process)

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, batch: tuple[int, list[str]], task: tuple[int, datetime | None]) -> None:
        index = self._sent % self.size
        if index == len(self._processes):
            self._start()
        try:
            self._tasks[index].send((batch, *task))
        except OSError as error:  # BrokenPipeError: the worker is gone
            raise self._died(index) from error
        self._sent += 1

    def result(self) -> list[_Wire]:
        """The oldest batch's result (a worker's own exception is raised here as it was)."""
        index = self._received % self.size
        try:
            outcome, value = self._results[index].recv()
        except (EOFError, OSError) as error:
            raise self._died(index) from error
        self._received += 1
        if outcome == "error":
            assert isinstance(value, BaseException)
            raise value
        assert isinstance(value, list)
        return value

    def _died(self, index: int) -> WorkerError:
        process = self._processes[index]
        process.join(timeout=5)
        code = process.exitcode
        how = (
            f"was killed by signal {-code}"
            if code is not None and code < 0
            else f"exited with code {code}"
            if code is not None
            else "stopped answering"
        )
        return WorkerError(
            f"Worker process {index + 1} of {self.size} {how} before it finished its part of "
            "the input file",
            cause="the machine ran out of memory (the kernel kills the largest process), or "
            "the process was stopped from outside",
            fix="run again; with --workers 1 the file is read in one process, which needs "
            "less memory",
        )

    def close(self) -> None:
        """Asks each worker to stop, and stops any that does not within a few seconds."""
        for connection in self._tasks:
            with contextlib.suppress(OSError):  # a worker already gone
                connection.send(None)
        for connection in (*self._tasks, *self._results):
            connection.close()
        for process in self._processes:
            process.join(timeout=5)
            if process.exitcode is None:
                process.kill()
                process.join()
        self._tasks, self._results, self._processes = [], [], []


# --- the worker side ---------------------------------------------------------------------------

_config: RulesConfig | None = None
_grouping = False


def _init(config: RulesConfig, grouping: bool) -> None:
    global _config, _grouping  # one worker process, one configuration
    _config, _grouping = config, grouping
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])  # as ``fewer_collections``


def _serve(tasks: Connection, results: Connection, config: RulesConfig, grouping: bool) -> None:
    """A worker process: batches in, wires out, until told to stop or the parent is gone."""
    # Ctrl-C reaches the whole process group: the parent decides (it finishes and says so).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init(config, grouping)
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            return  # the parent is gone
        if task is None:
            return
        batch, min_severity, fallback = task
        try:
            wires = _work(batch, min_severity, fallback)
        except Exception as error:  # a bug: the parent raises it as its own
            results.send(("error", _picklable(error)))
            return
        try:
            results.send(("ok", wires))
        except OSError:
            return  # the parent stopped reading (it failed or finished early)


def _picklable(error: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes: can it cross?)
    except Exception:
        return RuntimeError(f"{type(error).__name__} in a worker process: {error}")
    return error


def _work(
    batch: tuple[int, list[str]], min_severity: int, fallback: datetime | None
) -> list[_Wire]:
    assert _config is not None
    prepared = _prepare_lines(batch, Severity(min_severity), _config, _grouping, fallback)
    shared: dict[str, str] = {}  # one batch's repeated values, sent once each
    mappings: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}
    return [_to_wire(item, shared, mappings) for item in prepared]


def _prepare_lines(
    batch: tuple[int, list[str]],
    min_severity: Severity,
    config: RulesConfig,
    grouping: bool,
    fallback: datetime | None,
) -> Iterator[Prepared]:
    line_no = batch[0] - 1
    for line in batch[1]:
        line_no += 1
        if line.isspace():
            continue
        raw: object
        try:
            raw = jsonio.loads(line)
        except RecursionError:
            raw = MalformedEntry(line_no, "line is nested too deeply to decode")
        except ValueError:
            raw = MalformedEntry(line_no, "line is not valid JSON")
        yield prepare(raw, line_no, min_severity, config, grouping, fallback)


def _to_wire(
    item: Prepared,
    shared: dict[str, str],
    mappings: dict[tuple[tuple[str, str], ...], Mapping[str, str]],
) -> _Wire:
    """One entry as plain values.  The strings that repeat across a batch's entries (service,
    revision, template, ...) and equal label mappings become one object each (``shared``):
    pickle then sends a repeat as a two-byte reference and the parent decodes it to the same
    object, whose hash is computed once.  The values are equal either way: nothing mutates a
    record's labels (a frozen record's mapping, read only)."""
    if isinstance(item, Glance):
        # The parent only counts a glance (window, revision, status, platform signals): a
        # message ``InfraTracker`` would not look into travels as "" (the same counts).
        revision = item.revision
        message = item.message if may_signal(item.message) else ""
        return (
            "g",
            item.timestamp,
            item.severity,
            shared.setdefault(revision, revision),
            item.http_status,
            message,
        )
    if isinstance(item, MalformedEntry):
        return ("m", item)
    record, grouping = item
    values = record.__dict__
    one = shared.setdefault
    wire: list[object] = [values[name] for name in _LIGHT]
    for index in _SHARED_AT:
        value = wire[index]
        if value:
            assert isinstance(value, str)
            wire[index] = one(value, value)
    labels: Mapping[str, str] = values["labels"]
    if labels:
        wire[_LABELS_AT] = mappings.setdefault(tuple(labels.items()), labels)
    key, platform, template, no_timestamp = grouping
    if template is not None:
        template = one(template, template)
    return ("r", (key, platform, template, no_timestamp), *wire)


# Light record fields whose values repeat across entries (not ids, times or messages).
_SHARED = frozenset(
    {
        "log_name",
        "resource_type",
        "project",
        "service",
        "revision",
        "location",
        "logger",
        "function",
        "source_file",
        "exception_type",
        "exception_value",
        "payload_kind",
    }
)
_SHARED_AT = tuple(index for index, name in enumerate(_LIGHT) if name in _SHARED)
_LABELS_AT = _LIGHT.index("labels")


def _decode_wire(batch: tuple[int, list[str]], wires: list[_Wire]) -> Iterator[Prepared]:
    first, lines = batch
    for wire in wires:
        tag = wire[0]
        if tag == "g":
            yield Glance(*wire[1:])  # type: ignore[arg-type]
        elif tag == "m":
            entry = wire[1]
            assert isinstance(entry, MalformedEntry)
            yield entry
        else:
            record = object.__new__(LogRecord)
            values = record.__dict__
            values.update(zip(_LIGHT, wire[2:], strict=True))
            values.update(_HEAVY)
            values[_RAW] = lines[values["line_no"] - first]
            grouping = wire[1]
            yield record, grouping  # type: ignore[misc]
