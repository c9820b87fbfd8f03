"""``--workers N``: the same worklog, report, state and assignments for any N, and both JSON
parsers (orjson and the standard library) read entries alike.

The runs go through the CLI on real files; worker processes are real (spawned) processes.
The batch size is lowered so the 3,316-line demo spans many batches, and the clock is fixed so
two runs can be compared byte for byte.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from log_gardener import cli, jsonio, workers
from log_gardener.cli import main
from log_gardener.core.grouping.infra import may_signal
from log_gardener.core.grouping.normalize import Glance
from log_gardener.core.judging.rules import RulesConfig
from log_gardener.errors import WorkerError
from log_gardener.model import LogRecord, MalformedEntry, Severity
from tests.fresh_demo import demo_outputs

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "cloud-run-backend-hour.jsonl"
RULES = ROOT / "examples" / "log-gardener.yml"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz: object = None) -> _FixedClock:  # type: ignore[override]
        del tz
        return cls.fromtimestamp(NOW.timestamp(), UTC)


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # restored after the test
    monkeypatch.setattr(cli, "datetime", _FixedClock)
    monkeypatch.setattr(workers, "BATCH_LINES", 150)


def run(tmp: Path, source: Path, *extra: str) -> tuple[str, dict[str, bytes]]:
    """Runs the gardener into ``tmp``; returns what it printed and every file it wrote."""
    out = io.StringIO()
    tmp.mkdir(parents=True, exist_ok=True)
    os.chdir(tmp)  # relative output paths: the files must not name the directory
    args = [
        "run",
        "--source",
        f"file:{source}",
        "--config",
        str(RULES),
        "--worklog-dir",
        "worklog",
        "--report-json",
        "report.json",
        "--assignments",
        "assignments.jsonl",
        *extra,
    ]
    code = main(args, env={}, stdout=out)
    assert code == 0, out.getvalue()
    files = {str(p.relative_to(tmp)): p.read_bytes() for p in tmp.rglob("*") if p.is_file()}
    return out.getvalue(), files


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("extra", [(), ("--min-severity", "DEFAULT"), ("--max-entries", "1000")])
def test_any_number_of_workers_gives_the_same_outputs(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    one = run(tmp_path / "one", DEMO, "--workers", "1", *extra)
    for count in ("2", "3"):
        many = run(tmp_path / count, DEMO, "--workers", count, *extra)
        assert many[0] == one[0]
        assert many[1].keys() == one[1].keys()
        for name, content in one[1].items():
            assert many[1][name] == content, name
    report = json.loads(one[1]["report.json"])
    assert report["entries"]["kept"] > 0
    if extra == ("--max-entries", "1000"):
        assert report["entries"]["read"] == 1000
        assert any("max-entries (1000) reached" in note for note in report["notes"])


@pytest.mark.usefixtures("fixed_clock")
def test_blank_malformed_and_deep_lines_keep_their_line_numbers(tmp_path: Path) -> None:
    good = DEMO.read_text(encoding="utf-8").splitlines()[:400]
    lines = [*good[:100], "", "{not json", "   ", "[1, 2]", "[" * 5000, "7", *good[100:]]
    source = tmp_path / "mixed.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = run(tmp_path / "one", source, "--workers", "1", "--min-severity", "DEFAULT")
    two = run(tmp_path / "two", source, "--workers", "2", "--min-severity", "DEFAULT")
    assert one == two
    report = json.loads(one[1]["report.json"])
    assert [m["line"] for m in report["malformed"]] == [102, 104, 105, 106]


@pytest.mark.usefixtures("fixed_clock")
def test_entries_without_timestamps_read_alike_in_workers(tmp_path: Path) -> None:
    # Issue 12's fallback: an entry with neither timestamp is read at the window start (and
    # listed as a warning); the workers get that start, and a sample rebuilt in the parent too.
    entries = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()[:900]]
    for index, entry in enumerate(entries):
        if index % 7 == 3:
            entry.pop("timestamp", None)
            if index % 2:
                entry.pop("receiveTimestamp", None)
            entry["severity"] = "ERROR"
            entry["textPayload"] = f"undated failure {index % 3}"
            entry.pop("jsonPayload", None)
    source = tmp_path / "undated.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    one = run(tmp_path / "one", source, "--workers", "1", "--min-severity", "DEFAULT")
    two = run(tmp_path / "two", source, "--workers", "2", "--min-severity", "DEFAULT")
    assert one == two
    assert b"undated failure" in one[1]["report.json"]
    assert json.loads(one[1]["report.json"])["entries"]["no_timestamp"] == 129  # every 7th


@pytest.mark.usefixtures("fixed_clock")
def test_a_json_array_file_takes_the_one_process_path(tmp_path: Path) -> None:
    entries = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()[:600]]
    source = tmp_path / "gcloud.json"
    source.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    one = run(tmp_path / "one", source, "--workers", "1")
    two = run(tmp_path / "two", source, "--workers", "2")
    assert one == two
    assert json.loads(one[1]["report.json"])["entries"]["read"] == 600


def test_workers_must_be_at_least_one(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(["run", "--source", f"file:{DEMO}", "--workers", "0"], env={}, stdout=out)
    assert code == 1 or code == 2
    assert "--workers must be 1 or more" in out.getvalue()


# --- orjson and its fallback ----------------------------------------------------------------

ODD_LINES = [
    '{"a": NaN, "b": Infinity}',  # orjson refuses; json.loads reads them
    '{"a": 1e400}',
    '{"s": "\\ud800 lone surrogate"}',
    '{"a": 1, "a": 2}',
    '{"f": [0.1, 1e-05, -0.0, 12345678901234567]}',
    '{"u": "caf\\u00e9 \\u2028 \\n"}',
    "[" * 2000 + "]" * 2000,
    '{"x": }',
    '"just a string"',
]


@pytest.mark.parametrize("line", ODD_LINES)
def test_jsonio_reads_as_the_standard_library_does(line: str) -> None:
    def outcome(parse: object) -> object:
        assert callable(parse)
        try:
            return ("value", repr(parse(line)))
        except RecursionError:
            return ("error", "RecursionError")
        except ValueError:
            return ("error", "ValueError")

    assert outcome(jsonio.loads) == outcome(json.loads)


def test_orjson_is_used_where_installed() -> None:
    assert jsonio.BACKEND == "orjson"


def test_without_orjson_the_outputs_are_the_same(tmp_path: Path) -> None:
    """LOG_GARDENER_JSON=stdlib (the seam that stands for a missing wheel) in a fresh process."""
    outputs = [
        demo_outputs(tmp_path / name, "LOG_GARDENER_JSON", name, "jsonio.BACKEND == value")
        for name in ("orjson", "stdlib")
    ]
    assert len(outputs[0]) >= 3
    assert outputs[0] == outputs[1]


def _wire_round_trip(lines: list[str], minimum: Severity) -> list[object]:
    """What the parent decodes from one batch a worker prepared and pickled (in this process)."""
    from log_gardener.core.judging.rules import RulesConfig

    workers._init(RulesConfig(), False)
    batch = (1, lines)
    wires = pickle.loads(pickle.dumps(workers._work(batch, int(minimum), None)))
    return list(workers._decode_wire(batch, wires))


@pytest.mark.parametrize("minimum", [Severity.DEFAULT, Severity.ERROR])
def test_the_wire_gives_the_records_the_one_process_path_gives(minimum: Severity) -> None:
    """Repeated strings and labels travel once per batch (shared objects in the parent): the
    decoded records, groupings and glances equal the ones prepared in this process, field by
    field, on the demo's varied entries and on entries that share labels in another order."""
    from log_gardener.core.grouping.ingest import prepare
    from log_gardener.core.judging.rules import RulesConfig

    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:600]
    extra = [
        '{"insertId":"a","timestamp":"2024-05-01T12:00:00Z","severity":"ERROR",'
        '"labels":{"x":"1","y":"2"},"textPayload":"boom 1"}\n',
        '{"insertId":"b","timestamp":"2024-05-01T12:00:01Z","severity":"ERROR",'
        '"labels":{"y":"2","x":"1"},"textPayload":"boom 2"}\n',
        '{"insertId":"c","timestamp":"2024-05-01T12:00:02Z","severity":"ERROR",'
        '"labels":{"x":"1","y":"2"},"textPayload":"boom 3"}\n',
        "\n",
        "not json\n",
    ]
    lines = lines + extra
    decoded = _wire_round_trip(lines, minimum)
    expected = []
    for line_no, line in enumerate(lines, 1):
        if line.isspace():
            continue
        try:
            raw: object = jsonio.loads(line)
        except ValueError:
            raw = MalformedEntry(line_no, "line is not valid JSON")
        expected.append(prepare(raw, line_no, minimum, RulesConfig(), False, None))
    assert len(decoded) == len(expected)
    light = [f.name for f in dataclasses.fields(LogRecord) if f.name not in workers._HEAVY]
    for got, want in zip(decoded, expected, strict=True):
        if isinstance(want, tuple) and isinstance(want[0], LogRecord):
            assert isinstance(got, tuple)
            assert got[1] == want[1]
            for name in light:
                assert getattr(got[0], name) == getattr(want[0], name), name
            assert workers._full(got[0]) == want[0]
        elif isinstance(want, Glance):
            # A glance's message travels only when the platform signals would look into it.
            assert isinstance(got, Glance)
            assert got._replace(message="") == want._replace(message="")
            assert got.message == (want.message if may_signal(want.message) else "")
        else:
            assert got == want


def test_glances_count_alike_with_or_without_their_messages() -> None:
    """Below the minimum severity, the worker's glances (messages dropped where they hold no
    platform signal) give the same revisions, statuses, exits and signals as the full way."""
    from log_gardener.core.grouping.infra import InfraTracker
    from log_gardener.core.grouping.normalize import glance_below

    messages = [
        "Container called exit(137).",
        "x" * 401 + " Container called exit(1).",  # too long to be looked into
        "Memory limit of 512 MiB exceeded with 600 MiB used.",
        "plain request log line",
        "GET /health 200",
        "",
        "Shutting down",
    ]
    lines = [
        json.dumps(
            {
                "insertId": str(index),
                "timestamp": f"2024-05-01T12:00:{index:02d}Z",
                "severity": "INFO",
                "resource": {"type": "cloud_run_revision", "labels": {"revision_name": "r-1"}},
                "httpRequest": {"status": 500 + index},
                "textPayload": message,
            }
        )
        + "\n"
        for index, message in enumerate(messages)
    ]
    decoded = _wire_round_trip(lines, Severity.ERROR)
    full, light = InfraTracker(), InfraTracker()
    for line, got in zip(lines, decoded, strict=True):
        want = glance_below(json.loads(line), Severity.ERROR)
        assert isinstance(want, Glance) and isinstance(got, Glance)
        full.observe_parts(want.revision, want.timestamp, want.http_status, want.message)
        light.observe_parts(got.revision, got.timestamp, got.http_status, got.message)
    assert light.summary() == full.summary()
    assert full.summary().container_exits and full.summary().signals


# --- a worker that dies ---------------------------------------------------------------------


def _pool_result_within(pool: workers._Pool, seconds: float) -> BaseException:
    """What ``pool.result()`` raises, asked in a thread so that a hang fails the test."""
    caught: list[BaseException] = []

    def ask() -> None:
        try:
            pool.result()
        except BaseException as error:  # the test inspects it
            caught.append(error)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the parent waited for a dead worker"
    assert caught, "a dead worker gave a result"
    return caught[0]


def test_a_worker_killed_while_sending_its_result_fails_at_once() -> None:
    """The case ``ProcessPoolExecutor`` hangs on: the worker dies half way through a result
    larger than the pipe holds."""
    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:1500]
    with workers._Pool(1, RulesConfig(), False) as pool:
        pool.submit((1, lines), (int(Severity.DEFAULT), None))
        reader = pool._results[0]
        assert reader.poll(60), "the worker sent nothing"
        time.sleep(0.2)  # the result is far larger than a pipe: the worker is blocked writing
        os.kill(pool._processes[0].pid or 0, signal.SIGKILL)
        error = _pool_result_within(pool, 30)
    assert isinstance(error, WorkerError)
    assert "Worker process 1 of 1 was killed by signal 9" in str(error)
    assert "--workers 1" in str(error)


def test_a_worker_killed_between_batches_fails_at_once() -> None:
    minimum = (int(Severity.DEFAULT), None)
    with workers._Pool(2, RulesConfig(), False) as pool:
        pool.submit((1, ['{"textPayload": "a"}\n']), minimum)
        pool.submit((2, ['{"textPayload": "b"}\n']), minimum)
        assert pool.result() and pool.result()
        os.kill(pool._processes[1].pid or 0, signal.SIGKILL)
        pool._processes[1].join(30)
        pool.submit((3, ['{"textPayload": "c"}\n']), minimum)
        assert pool.result()  # the first worker still answers
        with pytest.raises(WorkerError, match="Worker process 2 of 2 was killed by signal 9"):
            pool.submit((4, ['{"textPayload": "d"}\n'] * 20000), minimum)
            pool.result()


def test_a_pool_starts_a_worker_per_batch_up_to_its_size() -> None:
    """A file of two batches starts two workers, however many CPUs the machine has."""
    with workers._Pool(8, RulesConfig(), False) as pool:
        for line_no in (1, 2):
            pool.submit((line_no, ['{"textPayload": "a"}\n']), (int(Severity.DEFAULT), None))
        assert pool.result() and pool.result()
        assert len(pool._processes) == 2


def test_an_error_inside_a_worker_is_raised_in_the_parent() -> None:
    with workers._Pool(1, RulesConfig(), False) as pool:
        pool.submit((1, [42]), (int(Severity.DEFAULT), None))  # type: ignore[list-item]
        with pytest.raises(AttributeError, match="isspace"):
            pool.result()


def test_a_killed_worker_ends_the_run_with_an_error_and_a_worklog(tmp_path: Path) -> None:
    """End to end: the run stops with exit code 1 and says what happened and what to do;
    the worklog still records the run."""
    source = tmp_path / "entries.jsonl"
    demo = DEMO.read_text(encoding="utf-8")
    source.write_text(demo * 12, encoding="utf-8")  # ~40,000 entries: 20 batches
    command = [
        sys.executable,
        "-m",
        "log_gardener",
        "run",
        "--source",
        f"file:{source}",
        "--min-severity",
        "DEFAULT",
        "--workers",
        "2",
        "--worklog-dir",
        str(tmp_path / "worklog"),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    ) as run:
        killed = _kill_a_worker_of(run.pid, deadline=time.monotonic() + 60)
        output, _ = run.communicate(timeout=120)
    assert killed, output
    assert run.returncode == 1, output
    assert "WorkerError" in output or "Worker process" in output, output
    assert "was killed by signal 9" in output, output
    assert "--workers 1" in output, output
    worklogs = [p for p in (tmp_path / "worklog").rglob("*.md") if p.name != "README.md"]
    assert len(worklogs) == 1
    assert "Worker process" in worklogs[0].read_text(encoding="utf-8")


def _kill_a_worker_of(parent: int, deadline: float) -> bool:
    """SIGKILL the first worker process of ``parent`` (a spawned child) once it runs."""
    while time.monotonic() < deadline:
        children = Path(f"/proc/{parent}/task/{parent}/children")
        try:
            pids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            return False  # the run already ended
        for pid in pids:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing" in command and b"resource_tracker" not in command:
                time.sleep(0.3)  # let it start on its first batch
                os.kill(pid, signal.SIGKILL)
                return True
        time.sleep(0.01)
    return False
