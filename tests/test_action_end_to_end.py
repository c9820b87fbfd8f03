"""The action entrypoint end to end: keyless auth, Cloud Logging, GitHub, outputs, summary,
replays after lost state, and cancellation.  Real google-auth, google-cloud-logging and PyGithub
against the fakes on 127.0.0.1; the run itself is ``log-gardener action`` (in process, or as a
subprocess where signals matter).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from log_gardener.cli import main
from tests.fakes.gcp import FakeGcp
from tests.fakes.github import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "gh-e2e-" + "token"
PROJECT = "demo-project"
SECRET = "gh" + "p_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seed(fake: FakeGcp, now: datetime) -> None:
    """Three problems in the last hour, one of them carrying hostile text."""
    entries = []
    for i in range(6):
        at = now - timedelta(minutes=50 - i * 5)
        entries.append(fake.entry(f"db-{i}", stamp(at), text=f"db timeout after {i + 2}.0s"))
        entries.append(
            fake.entry(
                f"x-{i}",
                stamp(at + timedelta(seconds=30)),
                severity="WARNING",
                text=f"::add-mask::oops @octocat closes #{i} token={SECRET} <!-- x -->",
            )
        )
    entries.append(fake.entry("info-1", stamp(now - timedelta(minutes=10)), severity="INFO"))
    fake.add_entries(PROJECT, entries)


def action_env(gcp: FakeGcp, github: FakeGitHub, workspace: Path, **inputs: str) -> dict[str, str]:
    env = gcp.env(
        GITHUB_REPOSITORY="acme/shop",
        GITHUB_API_URL=github.api_url,
        GITHUB_SERVER_URL="https://github.example",
        GITHUB_RUN_ID=str(time.monotonic_ns()),
        GITHUB_RUN_ATTEMPT="1",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(workspace / "output.txt"),
        GITHUB_STEP_SUMMARY=str(workspace / "summary.md"),
        LOG_GARDENER_WRITE_INTERVAL="0",
    )
    env.update(
        {
            "INPUT_WORKLOAD-IDENTITY-PROVIDER": gcp.provider,
            "INPUT_SERVICE-ACCOUNT": gcp.service_account,
            "INPUT_PROJECT-ID": PROJECT,
            "INPUT_SERVICE": "shop-api",
            "INPUT_GITHUB-TOKEN": TOKEN,
        }
    )
    env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()})
    return env


def outputs(workspace: Path) -> dict[str, str]:
    """Parses the ``name<<delimiter`` blocks the runner reads."""
    found: dict[str, str] = {}
    lines = iter((workspace / "output.txt").read_text(encoding="utf-8").splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        value = []
        for item in lines:
            if item == delimiter:
                break
            value.append(item)
        found[name] = "\n".join(value)
    return found


def run_action(env: dict[str, str]) -> tuple[int, str]:
    stdout = io.StringIO()
    code = main(["action"], env=env, stdout=stdout)
    return code, stdout.getvalue()


def marked(github: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in github.issues.values() if "fingerprint=" in i["body"].split("\n")[0]]


@pytest.fixture
def fakes(tmp_path: Path) -> Any:
    with FakeGcp(project=PROJECT) as gcp, FakeGitHub("acme/shop", {TOKEN: "gardener"}) as gh:
        yield gcp, gh, tmp_path


def test_scheduled_run_end_to_end(fakes: Any) -> None:
    gcp, github, workspace = fakes
    seed(gcp, datetime.now(UTC))
    code, printed = run_action(action_env(gcp, github, workspace))
    assert code == 0, printed
    # keyless: OIDC -> STS -> generateAccessToken, and the minted token read the logs
    assert len(gcp.oidc_requests) == 1 and len(gcp.sts_requests) == 1
    assert gcp.logging_requests[0].authorization == "Bearer " + gcp.iam_tokens[-1]
    window_filter = gcp.logging_requests[0].body["filter"]
    assert window_filter.startswith('timestamp>="') and 'timestamp<"' in window_filter
    # every token is masked before anything else is printed
    first_lines = printed.splitlines()[:4]
    assert f"::add-mask::{TOKEN}" in first_lines
    assert f"::add-mask::{gcp.request_token}" in first_lines
    assert all(f"::add-mask::{token}" in printed for token in gcp.iam_tokens)
    # no raw log text reaches stdout: no workflow command but ours, no secret, no mention
    for line in printed.splitlines():
        assert not line.startswith("::") or line.split("::")[1].split(" ")[0] in {
            "add-mask",
            "group",
            "endgroup",
        }
    # The plan names each problem by its title (issue 12): redacted and neutralized, so the
    # log's "@octocat" is printed as a fullwidth "＠octocat", which mentions nobody.
    assert SECRET not in printed and "@octocat" not in printed
    assert len(marked(github)) == 2
    result = outputs(workspace)
    assert set(result) == {
        "worklog-path",
        "worklog-url",
        "clusters",
        "problems",
        "issues-created",
        "issues-updated",
        "issues-reopened",
        "max-priority",
        "report-path",
    }
    assert result["problems"] == result["clusters"]
    assert (result["clusters"], result["issues-created"], result["max-priority"]) == (
        "2",
        "2",
        "P1",
    )
    assert github.file_at(result["worklog-path"]) is not None
    assert result["worklog-url"].startswith("https://github.example/acme/shop/blob/main/worklog/")
    report = json.loads((workspace / result["report-path"]).read_text(encoding="utf-8"))
    assert report["entries"]["kept"] == 12
    summary = (workspace / "summary.md").read_text(encoding="utf-8")
    assert "## Executive summary" in summary and SECRET not in summary
    everything = json.dumps(github.issues) + json.dumps(github.comments) + summary
    assert SECRET not in everything and "@octocat" not in everything


def test_a_second_run_with_late_entries_counts_each_entry_once(fakes: Any) -> None:
    gcp, github, workspace = fakes
    now = datetime.now(UTC)
    seed(gcp, now)
    assert run_action(action_env(gcp, github, workspace))[0] == 0
    state = json.loads(github.file_at("worklog/state.json") or "{}")
    cursor = datetime.fromisoformat(state["cursors"]["shop-api"].replace("Z", "+00:00"))
    # a late arrival stamped inside the overlap the next run reads again
    late = gcp.entry("late", stamp(cursor - timedelta(minutes=1)), text="db timeout after 9.0s")
    gcp.add_entries(PROJECT, [late])
    code, printed = run_action(action_env(gcp, github, workspace))
    assert code == 0, printed
    report = json.loads((workspace / ".log-gardener" / "report.json").read_text(encoding="utf-8"))
    assert report["entries"]["kept"] == 1, "only the late entry is new"
    assert len(marked(github)) == 2, "no duplicate issue"


@pytest.mark.parametrize("damage", ["deleted", "truncated", "future-version"])
def test_lost_state_rebuilds_from_the_issues_without_duplicates(fakes: Any, damage: str) -> None:
    gcp, github, workspace = fakes
    seed(gcp, datetime.now(UTC))
    assert run_action(action_env(gcp, github, workspace))[0] == 0
    before = {i["number"]: i["title"] for i in marked(github)}
    state = github.file_at("worklog/state.json") or ""
    damaged = {
        "deleted": None,
        "truncated": state[: len(state) // 2],
        "future-version": json.dumps({**json.loads(state), "version": 99}),
    }[damage]
    if damaged is None:
        tree = github.trees[github.commits[github.refs["heads/main"]]["tree"]]
        github.push_commit({}, message="someone deleted the state")
        tree_sha = github.commits[github.refs["heads/main"]]["tree"]
        github.trees[tree_sha] = {p: s for p, s in tree.items() if not p.endswith("state.json")}
    else:
        github.push_commit({"worklog/state.json": damaged})
    code, printed = run_action(action_env(gcp, github, workspace, window="2h"))
    assert code == 0, printed
    assert {i["number"]: i["title"] for i in marked(github)}.keys() == before.keys()
    assert "::warning" in printed and "state.json" in printed
    worklog = github.file_at(outputs(workspace)["worklog-path"]) or ""
    assert "state.json" in worklog
    assert json.loads(github.file_at("worklog/state.json") or "{}")["version"] == 1


def test_bad_input_and_missing_runner_context_exit_codes(fakes: Any) -> None:
    gcp, github, workspace = fakes
    code, printed = run_action(action_env(gcp, github, workspace, dry_run="yes"))
    assert code == 1
    assert "::error" in printed and "dry-run" in printed
    env = action_env(gcp, github, workspace)
    del env["GITHUB_REPOSITORY"]
    assert run_action(env)[0] == 2


def test_sigterm_during_the_fetch_skips_the_commit_and_the_next_run_replays(fakes: Any) -> None:
    gcp, github, workspace = fakes
    now = datetime.now(UTC)
    seed(gcp, now)
    gcp.hang_page(1, 3.0)
    env = {**os.environ, **action_env(gcp, github, workspace), "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "log_gardener", "action"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not gcp.logging_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stdout + stderr
    assert "cancelled" in stdout
    assert github.file_at("worklog/state.json") is None, "no commit after a cancellation"
    code, printed = run_action(action_env(gcp, github, workspace))
    assert code == 0, printed
    assert len(marked(github)) == 2
    assert json.loads(github.file_at("worklog/state.json") or "{}")["cursors"]


def test_a_credentials_failure_is_recorded_in_a_worklog_and_keeps_the_state(fakes: Any) -> None:
    gcp, github, workspace = fakes
    env = action_env(gcp, github, workspace)
    del env["ACTIONS_ID_TOKEN_REQUEST_URL"]  # the workflow lacks `permissions: id-token: write`
    code, printed = run_action(env)
    assert code == 1
    assert "::error" in printed and "id-token: write" in printed
    assert gcp.logging_requests == []
    worklog_path = outputs(workspace)["worklog-path"]
    worklog = github.file_at(worklog_path) or ""
    assert "**Error:**" in worklog and "id-token: write" in worklog
    assert github.file_at("worklog/state.json") is None, "the cursor does not move"
    assert "Committed the worklog alone:" in printed
    assert "worklog and state" not in printed
    assert marked(github) == []
