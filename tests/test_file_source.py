"""The file source: JSON Lines or one JSON array, from a path, stdin or a stream."""

from __future__ import annotations

import io
import json
import os
import runpy
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from log_gardener.adapters import file_source
from log_gardener.adapters.file_source import FileSource
from log_gardener.core.grouping.normalize import normalize_entry
from log_gardener.errors import InputError
from log_gardener.model import LogRecord, MalformedEntry, Severity
from log_gardener.ports import EntrySource, FetchReport

ENTRIES = [
    {"insertId": f"id-{n}", "timestamp": f"2025-09-15T13:47:0{n}Z", "textPayload": f"line {n}"}
    for n in range(3)
]
TOO_DEEP = "[" * 100_000 + "]" * 100_000


def read(source: EntrySource) -> list[tuple[int, object]]:
    return list(source.entries(None))


def test_json_lines_with_blank_bad_and_too_deep_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(ENTRIES[0]), "", "{not json", TOO_DEEP, "   ", json.dumps(ENTRIES[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = FileSource(str(path))
    assert read(source) == [
        (1, ENTRIES[0]),
        (3, MalformedEntry(3, "line is not valid JSON")),
        (4, MalformedEntry(4, "line is nested too deeply to decode")),
        (6, ENTRIES[1]),
    ]
    assert source.report() == FetchReport(pages=1, entries=4)


def test_first_line_too_deep_still_reads_the_rest() -> None:
    stream = io.StringIO(TOO_DEEP + "\n" + json.dumps(ENTRIES[0]) + "\n")
    assert read(FileSource.from_stream(stream)) == [
        (1, MalformedEntry(1, "line is nested too deeply to decode")),
        (2, ENTRIES[0]),
    ]


def test_gcloud_pretty_array_streams_elements_with_their_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(file_source, "CHUNK", 16)  # force many refills mid-element
    text = json.dumps(ENTRIES, indent=2)
    starts = [n + 1 for n, line in enumerate(text.splitlines()) if line == "  {"]
    assert read(FileSource.from_stream(io.StringIO(text))) == list(
        zip(starts, ENTRIES, strict=True)
    )


def test_array_with_too_deep_element_and_invalid_element() -> None:
    text = "[\n " + json.dumps(ENTRIES[0]) + ",\n " + TOO_DEEP + ",\n " + json.dumps(ENTRIES[1])
    text += ',\n {"bad": x},\n ' + json.dumps(ENTRIES[2]) + "\n]\n"
    source = FileSource.from_stream(io.StringIO(text))
    assert read(source) == [
        (2, ENTRIES[0]),
        (3, MalformedEntry(3, "array element is nested too deeply to decode")),
        (4, ENTRIES[1]),
        (5, MalformedEntry(5, "array element is not valid JSON")),
    ]
    assert source.report().note == (
        "the JSON array holds invalid JSON; entries after it were not read"
    )


def test_unclosed_array_keeps_what_was_read() -> None:
    source = FileSource.from_stream(io.StringIO("[\n" + json.dumps(ENTRIES[0]) + ",\n"))
    assert read(source) == [(2, ENTRIES[0])]
    assert source.report().note.startswith("the JSON array was not closed")


def test_one_line_array_and_empty_input() -> None:
    assert read(FileSource.from_stream(io.StringIO(json.dumps(ENTRIES)))) == [
        (1, entry) for entry in ENTRIES
    ]
    empty = FileSource.from_stream(io.StringIO("\n\n"))
    assert read(empty) == []
    assert empty.report() == FetchReport()


def test_bom_and_invalid_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(ENTRIES[0]).encode()
        + b'\n{"insertId": "x", "textPayload": "caf\xe9"}\n'
    )
    assert read(FileSource(str(path))) == [
        (1, ENTRIES[0]),
        (2, {"insertId": "x", "textPayload": "caf\ufffd"}),
    ]


def test_missing_file_names_path_and_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(InputError) as caught:
        read(FileSource(str(missing)))
    message = caught.value.message
    assert f"The log file '{missing}' was not found." in message
    assert "Fix: pass --source file:PATH" in message


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        read(FileSource(str(tmp_path)))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(InputError, match="is not readable"):
        read(FileSource(str(path)))


def test_plain_text_is_neither_format() -> None:
    source = FileSource.from_stream(io.StringIO("\n2025-09-15 13:47:00 INFO hello\n"), "app.log")
    with pytest.raises(InputError) as caught:
        read(source)
    assert caught.value.message == (
        "The log file 'app.log' is neither JSON Lines nor a JSON array. "
        "Likely cause: line 2 is not JSON (plain-text logs are not supported). "
        "Fix: pass --source file:PATH with JSON Lines of Cloud Logging entries or the output "
        "of `gcloud logging read --format=json`, or --source - to read stdin."
    )


def test_stdin_dash() -> None:
    code = (
        "from log_gardener.adapters.file_source import FileSource\n"
        "source = FileSource('-')\n"
        "print([n for n, _ in source.entries(None)], source.report().entries)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input="\n".join(json.dumps(e) for e in ENTRIES),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert done.stdout == "[1, 2, 3] 3\n"


DEMO = Path(__file__).resolve().parents[1] / "examples" / "cloud-run-backend-hour.jsonl"


def test_bundled_demo_reads_and_normalizes_cleanly() -> None:
    source = FileSource(str(DEMO))
    records = [normalize_entry(value, line_no) for line_no, value in source.entries(None)]
    assert all(isinstance(r, LogRecord) for r in records)
    kept = [r for r in records if isinstance(r, LogRecord) and r.severity >= Severity.WARNING]
    messages = Counter(
        phrase
        for r in kept
        for phrase in (
            "Database initialization timeout",
            "Found other WebSocket Manager classes",
            "SERVICE_ID contained whitespace",
            "Container called exit(3).",
        )
        if phrase in r.message
    )
    assert messages == {
        "Database initialization timeout": 23,
        "Found other WebSocket Manager classes": 98,
        "SERVICE_ID contained whitespace": 48,
        "Container called exit(3).": 23,
    }
    assert len(records) - len(kept) > 2000  # the noise the default minimum severity skips
    assert source.report().entries == len(records)


def test_demo_generator_reproduces_the_committed_file() -> None:
    generator = runpy.run_path(str(DEMO.parent / "generate_demo.py"))
    lines = [
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        for entry in generator["build"]()
    ]
    assert "".join(lines) == DEMO.read_text(encoding="utf-8")
