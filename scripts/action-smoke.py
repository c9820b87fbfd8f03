"""Runs `log-gardener action` in a simulated GitHub Actions runner against the fake GitHub.

    python scripts/action-smoke.py                       # as a subprocess (the installed CLI)
    python scripts/action-smoke.py --docker IMAGE        # as the action's container

The runner is simulated the way it starts a Docker action: every input of action.yml passed as
``INPUT_<NAME>`` (hyphens kept, defaults filled in), the ``GITHUB_*`` variables, the file-command
files (``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``) and the event file mounted under /github, the
workspace as the working directory.  The container runs with ``--network host`` so it reaches
the fake on 127.0.0.1; no bridge network is ever created.

Checks: exit code 0; every output of action.yml written (heredoc form); a job summary under
1 MiB; one worklog commit holding the worklog file and state.json; no line of stdout or stderr
carries log text, the token, or a workflow command other than ours.  Exit 0 when all hold.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from log_gardener.adapters.actions_runner import RunnerOutput  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402

SAMPLE = "examples/cloud-run-backend-hour.jsonl"
RULES = "examples/log-gardener.yml"
REPO = "acme/shop"
OUR_COMMANDS = ("add-mask", "group", "endgroup", "error", "warning", "notice", "debug")


def action_inputs(token: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """INPUT_* as the runner sets them: declared defaults, then the step's ``with:``."""
    metadata = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    env = {}
    for name, spec in metadata["inputs"].items():
        default = str(spec.get("default", ""))
        if default == "${{ github.token }}":
            default = token
        env[f"INPUT_{name.upper()}"] = overrides.get(name, default)
    return env


def runner_env(fake_api: str, token: str, paths: Mapping[str, str]) -> dict[str, str]:
    env = action_inputs(
        token,
        {"source": f"file:{SAMPLE}", "config": RULES, "worklog-dir": "worklog"},
    )
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": fake_api,
            "GITHUB_SERVER_URL": fake_api,
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_EVENT_NAME": "schedule",
            "GITHUB_WORKSPACE": paths["workspace"],
            "GITHUB_EVENT_PATH": paths["event"],
            "GITHUB_OUTPUT": paths["output"],
            "GITHUB_STEP_SUMMARY": paths["summary"],
            "HOME": paths["home"],
        }
    )
    return env


def prepare(tmp: Path) -> None:
    for sub in ("workspace/examples", "file_commands", "workflow", "home"):
        (tmp / sub).mkdir(parents=True)
    for rel in (SAMPLE, RULES):
        shutil.copy(ROOT / rel, tmp / "workspace" / rel)
    (tmp / "workflow" / "event.json").write_text(json.dumps({"schedule": "7 * * * *"}))
    for name in ("output", "summary"):
        (tmp / "file_commands" / name).touch()


def run_subprocess(tmp: Path, fake_api: str, token: str) -> subprocess.CompletedProcess[str]:
    paths = {
        "workspace": str(tmp / "workspace"),
        "event": str(tmp / "workflow" / "event.json"),
        "output": str(tmp / "file_commands" / "output"),
        "summary": str(tmp / "file_commands" / "summary"),
        "home": str(tmp / "home"),
    }
    env = {"PATH": os.environ.get("PATH", ""), **runner_env(fake_api, token, paths)}
    command = [sys.executable, "-m", "log_gardener", "action"]
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        command,
        check=False,
        cwd=paths["workspace"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_docker(
    tmp: Path, fake_api: str, token: str, image: str
) -> subprocess.CompletedProcess[str]:
    paths = {
        "workspace": "/github/workspace",
        "event": "/github/workflow/event.json",
        "output": "/github/file_commands/output",
        "summary": "/github/file_commands/summary",
        "home": "/github/home",
    }
    env = runner_env(fake_api, token, paths)
    command = ["docker", "run", "--rm", "--network", "host", "--workdir", "/github/workspace"]
    for sub in ("workspace", "file_commands", "workflow", "home"):
        command += ["--volume", f"{tmp / sub}:/github/{sub}"]
    for name in env:
        command += ["--env", name]  # value taken from our environment: no token in argv
    command += [image, *action_args()]
    full_env = {**os.environ, **env}
    return subprocess.run(  # noqa: S603
        command, check=False, env=full_env, capture_output=True, text=True, timeout=300
    )


def action_args() -> list[str]:
    metadata = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return [str(arg) for arg in metadata["runs"].get("args", [])]


def parse_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        name, delimiter = line.split("<<", 1)
        value = []
        for value_line in lines:
            if value_line == delimiter:
                break
            value.append(value_line)
        outputs[name] = "\n".join(value)
    return outputs


def log_snippets() -> list[str]:
    """Distinctive pieces of the sample's log text that must never be printed."""
    snippets = set()
    for line in (ROOT / SAMPLE).read_text(encoding="utf-8").splitlines():
        entry: dict[str, Any] = json.loads(line)
        text = entry.get("textPayload") or (entry.get("jsonPayload") or {}).get("message") or ""
        text = str(text).strip()
        if len(text) >= 24:
            snippets.add(text[:24])
    return sorted(snippets)


def _published_titles(tmp: Path) -> set[str]:
    """The problems' titles in the run's report (what the issues publish)."""
    outputs = parse_outputs((tmp / "file_commands" / "output").read_text(encoding="utf-8"))
    report = tmp / "workspace" / outputs.get("report-path", "")
    if not report.is_file():
        return set()
    document = json.loads(report.read_text(encoding="utf-8"))
    return {str(p.get("title", "")) for p in document.get("problems", [])}


def check(
    tmp: Path, result: subprocess.CompletedProcess[str], fake: FakeGitHub, token: str
) -> list[str]:
    problems = []
    if result.returncode != 0:
        problems.append(f"exit code {result.returncode}, expected 0")
    printed = result.stdout + result.stderr
    unmasked = [line for line in printed.splitlines() if not line.startswith("::add-mask::")]
    if any(token in line for line in unmasked):
        problems.append("the token was printed outside ::add-mask::")
    if not result.stdout.startswith(f"::add-mask::{token}\n"):
        problems.append("the token is not masked before anything else is printed")
    # The plan names each problem by its published title (redacted and neutralized like the
    # issue's): those titles must be the report's, and nothing else of the log may be printed.
    titled = re.compile(r'problem \d+ "([^"\n]*)"')
    published = _published_titles(tmp)
    for title in titled.findall(printed):
        if title not in published:
            problems.append(f"printed a problem title the report does not publish: {title!r}")
    untitled = titled.sub("problem", printed)
    for snippet in log_snippets():
        if snippet in untitled:
            problems.append(f"log text printed: {snippet!r}")
    for line in printed.splitlines():
        match = re.match(r"\s*::([a-z-]+)", line)
        if (match and match.group(1) not in OUR_COMMANDS) or line.strip().startswith("##["):
            problems.append(f"unexpected workflow command: {line[:80]!r}")
    metadata = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    outputs = parse_outputs((tmp / "file_commands" / "output").read_text(encoding="utf-8"))
    missing = sorted(set(metadata["outputs"]) - set(outputs))
    if missing:
        problems.append(f"outputs not written: {missing}")
    summary = (tmp / "file_commands" / "summary").read_bytes()
    if not summary.strip() or len(summary) > 1024 * 1024:
        problems.append(f"job summary is {len(summary)} bytes")
    commits = fake.branch_commits()
    if len(commits) != 2:
        problems.append(f"{len(commits) - 1} worklog commits, expected 1")
    worklog_path = outputs.get("worklog-path", "")
    if not worklog_path or fake.file_at(worklog_path) is None:
        problems.append(f"worklog {worklog_path!r} not in the commit")
    report_path = outputs.get("report-path", "")
    if report_path.startswith("/") or not report_path:
        # Inside a Docker action the workspace is /github/workspace, on the host it is not:
        # only a workspace-relative path means the same file to the steps after this one.
        problems.append(f"report-path {report_path!r} is not relative to the workspace")
    if fake.file_at("worklog/state.json") is None:
        problems.append("worklog/state.json not in the commit")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docker", metavar="IMAGE", help="run the action's image instead")
    args = parser.parse_args(argv)
    token = "gh" + "s_" + "SmokeTestToken0123456789abcdefABCDEF"
    with (
        FakeGitHub(
            repo=REPO, tokens={token: "github-actions[bot]"}, installation_tokens=[token]
        ) as fake,
        tempfile.TemporaryDirectory(
            prefix="log-gardener-smoke-", ignore_cleanup_errors=True
        ) as name,
    ):
        tmp = Path(name)
        prepare(tmp)
        if args.docker:
            result = run_docker(tmp, fake.api_url, token, args.docker)
        else:
            result = run_subprocess(tmp, fake.api_url, token)
        problems = check(tmp, result, fake, token)
    mode = f"container {args.docker}" if args.docker else "subprocess"
    if problems:
        print(f"action smoke test ({mode}) FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        # Neutralized: a leak found above must not act on the runner that shows it.
        out = RunnerOutput()
        out.print("--- stdout ---\n" + result.stdout[-4000:])
        out.print("--- stderr ---\n" + result.stderr[-4000:])
        return 1
    print(f"action smoke test ({mode}) passed: outputs, job summary, worklog commit, clean log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
