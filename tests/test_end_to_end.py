"""The whole gardener through its CLI: the bundled demo, split runs, GitHub sync, dry run, errors.

GitHub is the stateful fake on 127.0.0.1 driven by the real PyGithub; nothing of ours is mocked.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from log_gardener.cli import main
from tests.fakes.github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "cloud-run-backend-hour.jsonl"
RULES = ROOT / "examples" / "log-gardener.yml"
TOKEN = "test-token-e2e"
BOT = "log-gardener-bot"


def run_cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = main(args, env=env or {}, stdout=out)
    return code, out.getvalue()


def demo_args(tmp: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--source",
        f"file:{DEMO}",
        "--config",
        str(RULES),
        "--worklog-dir",
        str(tmp / "worklog"),
        "--report-json",
        str(tmp / "report.json"),
        "--assignments",
        str(tmp / "assignments.jsonl"),
        *extra,
    ]


def read_assignments(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["insertId"]: json.loads(line)["fingerprint"] for line in lines}


def worklogs(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.md") if p.name != "README.md")


def test_demo_reads_like_the_hand_written_report(tmp_path: Path) -> None:
    code, printed = run_cli(demo_args(tmp_path))
    assert code == 0, printed
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    clusters = report["clusters"]
    first = clusters[0]
    assert (first["priority"], first["title"]) == (
        "P0",
        "Database initialization timeout blocks startup",
    )
    by_title = {c["title"]: c for c in clusters}
    assert by_title["Duplicate WebSocket manager classes"]["priority"] == "P3"
    assert by_title["SERVICE_ID sanitized at startup"]["priority"] == "P4"
    assert report["entries"]["read"] == report["entries"]["kept"] + report["entries"]["skipped"]
    assert report["entries"]["malformed"] == 0
    [worklog] = worklogs(tmp_path / "worklog")
    text = worklog.read_text(encoding="utf-8")
    for heading in (
        "## Executive summary",
        "## Problems",
        "## Infrastructure",
        "## Issue actions",
        "## Run status",
    ):
        assert heading in text
    assert "xychart-beta" in text
    assert "### 1. P0 · Database initialization timeout blocks startup" in text
    assert "Container exits with code 3" in text
    MarkdownIt("commonmark").enable("table").parse(text)  # parses whatever the logs contain
    assignments = read_assignments(tmp_path / "assignments.jsonl")
    assert len(assignments) == report["entries"]["kept"]
    assert set(assignments.values()) == {c["fingerprint"] for c in clusters}
    assert f"Worklog: {worklog}" in printed
    assert (tmp_path / "worklog" / "state.json").is_file()
    assert (tmp_path / "worklog" / "README.md").is_file()


def test_split_runs_keep_every_fingerprint(tmp_path: Path) -> None:
    whole, first, second = tmp_path / "whole", tmp_path / "first", tmp_path / "second"
    assert run_cli(demo_args(whole))[0] == 0
    middle = "2025-09-15T14:17:00Z"
    shared = ["--worklog-dir", str(tmp_path / "shared-worklog")]
    code_1, _ = run_cli(
        [*demo_args(first), *shared, "--since", "2025-09-15T13:00:00Z", "--until", middle]
    )
    code_2, _ = run_cli(
        [*demo_args(second), *shared, "--since", middle, "--until", "2025-09-15T15:00:00Z"]
    )
    assert (code_1, code_2) == (0, 0)
    together = read_assignments(whole / "assignments.jsonl")
    apart = read_assignments(first / "assignments.jsonl") | read_assignments(
        second / "assignments.jsonl"
    )
    assert apart.keys() == together.keys()
    split_of: dict[str, set[str]] = defaultdict(set)
    for insert_id, fingerprint in together.items():
        split_of[fingerprint].add(apart[insert_id])
    assert {fp: sorted(s) for fp, s in split_of.items()} == {fp: [fp] for fp in split_of}


def test_a_malformed_rules_file_names_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - name: x\n    match:\n      severity: ERRR\n", encoding="utf-8")
    code, printed = run_cli(["validate-config", str(rules)])
    assert code == 1
    assert f"{rules}:4:" in printed
    assert "ERRR" in printed
    code, printed = run_cli(demo_args(tmp_path, "--config", str(rules)))
    assert code == 1
    assert f"{rules}:4:" in printed


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["run", "--source", "file:/nonexistent/entries.jsonl"], 1, "not found"),
        (["run", "--source", "file:x", "--since", "yesterday"], 2, "RFC 3339"),
        (["run", "--source", "nowhere:x"], 2, "not a log source"),
        (["run"], 2, "No log source"),
        (["run", "--source", "gcp"], 2, "--source gcp has no target to read"),
        (
            ["run", "--source", "file:x", "--repo", "a/b", "--worklog-dir", "/abs"],
            2,
            "`--worklog-dir` is '/abs', not a relative directory",
        ),
        (["frobnicate"], 2, ""),
    ],
)
def test_errors_map_to_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    got, printed = run_cli(args)
    assert got == code
    assert words in printed


def test_malformed_entries_are_counted_not_fatal(tmp_path: Path) -> None:
    source = tmp_path / "entries.jsonl"
    good = {
        "insertId": "a1",
        "timestamp": "2025-09-15T13:50:00Z",
        "severity": "ERROR",
        "textPayload": "boom",
    }
    source.write_text(
        "\n".join([json.dumps(good), "{not json", "[1, 2]", "[" * 100_000, ""]),
        encoding="utf-8",
    )
    code, _ = run_cli(
        [
            "run",
            "--source",
            f"file:{source}",
            "--worklog-dir",
            str(tmp_path / "wl"),
            "--report-json",
            str(tmp_path / "r.json"),
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["entries"]["malformed"] == 3
    assert [m["line"] for m in report["malformed"]] == [2, 3, 4]
    assert report["entries"]["kept"] == 1


# --- with GitHub -------------------------------------------------------------------------------


def github_env(fake: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_SERVER_URL": "https://github.example",
        "LOG_GARDENER_WRITE_INTERVAL": "0",
    }


def gardener_issues(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in fake.issues.values() if "log-gardener" in _label_names(i)]


def _label_names(issue: dict[str, Any]) -> list[str]:
    return [label["name"] if isinstance(label, dict) else label for label in issue["labels"]]


def repo_args(tmp: Path, *extra: str) -> list[str]:
    """Demo arguments for a run that commits: the worklog dir is inside the repository."""
    return [*demo_args(tmp), "--worklog-dir", "worklog", "--repo", "acme/shop", *extra]


def test_github_sync_creates_once_defers_over_budget_and_never_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: BOT}) as fake:
        env = github_env(fake)
        args = repo_args(tmp_path / "run1", "--max-new-issues", "5")
        code, printed = run_cli(args, env)
        assert code == 0, printed
        report = json.loads((tmp_path / "run1" / "report.json").read_text(encoding="utf-8"))
        problems = [p for p in report["problems"] if p["priority"]]
        ignored = {c["problem"] for c in report["clusters"] if c["ignored"]}
        problems = [p for p in problems if p["id"] not in ignored]
        created = [i for i in gardener_issues(fake) if "fingerprint=" in i["body"].split("\n")[0]]
        assert len(created) == 5  # the budget holds exactly; the dashboard is not a problem
        assert len(gardener_issues(fake)) == 6
        commits = fake.branch_commits()
        assert commits[0]["message"] == "log-gardener: worklog and state"
        state = json.loads(fake.file_at("worklog/state.json") or "{}")
        assert state["pending"], "deferred work is remembered"

        for attempt in range(2, 6):
            run_dir = tmp_path / f"run{attempt}"
            code, printed = run_cli(repo_args(run_dir), env)
            assert code == 0, printed
        issues = gardener_issues(fake)
        markers = [i["body"].split("\n", 1)[0] for i in issues]
        assert len(markers) == len(set(markers)), "one issue per problem, never a duplicate"
        fingerprints = {
            m.split("fingerprint=")[1].split()[0] for m in markers if "fingerprint=" in m
        }
        assert fingerprints == {p["id"] for p in problems}
        ours = [
            c for c in fake.branch_commits() if c["message"] == "log-gardener: worklog and state"
        ]
        assert len(ours) == 5, "one commit per run"
        final = json.loads(fake.file_at("worklog/state.json") or "{}")
        assert final["pending"] == []


def test_dry_run_with_github_makes_zero_write_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: BOT}) as fake:
        code, printed = run_cli(repo_args(tmp_path, "--dry-run"), github_env(fake))
        assert code == 0, printed
        assert fake.write_requests() == []
        assert "Plan (nothing written to GitHub):" in printed
        assert worklogs(tmp_path / "worklog") == []
        report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
        assert report["dry_run"] is True
        assert report["clusters"][0]["issue_action"] == ["create-issue"]


def test_window_alone_counts_back_from_the_files_last_entry(tmp_path: Path) -> None:
    code, _ = run_cli(demo_args(tmp_path, "--window", "30m"))
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["window"] == {"start": "2025-09-15T14:16:59Z", "end": "2025-09-15T14:46:59Z"}
    assert report["entries"]["skipped_outside_window"] > 0
    assert report["clusters"], "an old export is read in its own time, not skipped whole"


def test_max_entries_caps_a_file_source_and_says_so(tmp_path: Path) -> None:
    code, _ = run_cli(demo_args(tmp_path, "--max-entries", "100"))
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["entries"]["read"] == 100
    assert any("max-entries (100) reached" in note for note in report["notes"])
