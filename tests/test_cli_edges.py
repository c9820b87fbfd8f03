"""The CLI with unusual but valid input, found by an acceptance audit: each test pins one fix."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from log_gardener.adapters.actions_runner import RunnerOutput
from log_gardener.cli import Invocation, build_parser, garden, main, options_from_args, unused_path
from log_gardener.errors import ConfigError, GitHubError


def _entry(insert_id: str, seconds: int, nanos: int = 0) -> dict[str, object]:
    return {
        "insertId": insert_id,
        "timestamp": {"seconds": seconds, "nanos": nanos},
        "severity": "ERROR",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "shop"}},
        "textPayload": "payment gateway unreachable",
    }


def test_timestamps_as_seconds_and_nanos_give_the_file_its_span(tmp_path: Path) -> None:
    # 2025-09-15T13:47:00Z and 13:52:00Z: the file's own span is the window, nothing skipped.
    source = tmp_path / "entries.jsonl"
    lines = [_entry("a", 1757944020, 5), _entry("b", 1757944320)]
    source.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    report = tmp_path / "report.json"
    args = ["run", "--source", f"file:{source}", "--dry-run", "--report-json", str(report)]
    code = main([*args, "--worklog-dir", str(tmp_path / "wl")], env={}, stdout=io.StringIO())
    assert code == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["entries"]["kept"] == 2
    assert data["entries"]["skipped_outside_window"] == 0
    assert data["window"] == {"start": "2025-09-15T13:47:00Z", "end": "2025-09-15T13:52:00Z"}


def test_a_bad_window_flag_is_named_as_the_flag(tmp_path: Path) -> None:
    out = io.StringIO()
    args = ["run", "--source", "file:x.jsonl", "--window", "0m"]
    assert main(args, env={}, stdout=out) == 2
    assert out.getvalue() == (
        "error: `--window` is '0m', an empty window. Fix: give a duration above zero, e.g. `1h`.\n"
    )


class _ClosedAfter(io.StringIO):
    """A pipe whose reader leaves after ``lines`` lines (`log-gardener run ... | head -2`)."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.left = lines

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= 1
        return super().write(text)


def test_a_reader_that_leaves_does_not_turn_the_run_into_a_crash(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "examples" / "cloud-run-backend-hour.jsonl"
    report = tmp_path / "report.json"
    out = _ClosedAfter(2)
    args = ["run", "--source", f"file:{demo}", "--worklog-dir", str(tmp_path / "wl")]
    assert main([*args, "--report-json", str(report)], env={}, stdout=out) == 0
    assert len(out.getvalue().splitlines()) == 2
    assert json.loads(report.read_text(encoding="utf-8"))["entries"]["read"] == 3316
    assert len(list((tmp_path / "wl").rglob("*Z-cloud-run-backend-hour.md"))) == 1


def test_a_second_run_in_the_same_second_never_overwrites_a_worklog(tmp_path: Path) -> None:
    assert unused_path("wl/a.md", {"wl/a.md", "wl/a-2.md"}.__contains__) == "wl/a-3.md"
    assert unused_path("wl/a.md", set().__contains__) == "wl/a.md"
    source = tmp_path / "entries.jsonl"
    source.write_text(json.dumps(_entry("a", 1757944020)) + "\n", encoding="utf-8")
    args = build_parser().parse_args(["run", "--source", f"file:{source}", "--worklog-dir", "wl"])
    now = datetime(2025, 9, 15, 14, 0, 0, 250_000, tzinfo=UTC)
    inv = Invocation(options_from_args(args, {}), {}, now, tmp_path, "local-1")
    paths = [garden(inv, RunnerOutput(io.StringIO()), lambda: False).worklog_path for _ in "ab"]
    assert paths == ["wl/2025/09/15/140000Z-entries.md", "wl/2025/09/15/140000Z-entries-2.md"]
    assert all((tmp_path / path).is_file() for path in paths)


def test_an_annotation_title_never_shows_a_private_class_name() -> None:
    class _Private(GitHubError):
        pass

    assert _Private("GitHub answered 401").title == "GitHubError"
    assert ConfigError("bad").title == "ConfigError"
