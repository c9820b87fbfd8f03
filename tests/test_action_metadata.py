"""action.yml, the documented tables, the Dockerfile and the workflows keep to the contract."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from log_gardener.config.inputs import EXTRA_INPUT_NAMES, INPUT_NAMES, options_from_action_env

ROOT = Path(__file__).resolve().parent.parent

CONTRACT_INPUTS = [
    "config",
    "workload-identity-provider",
    "service-account",
    "project-id",
    "service",
    "filter",
    "window",
    "min-severity",
    "worklog-dir",
    "worklog-branch",
    "github-token",
    "dry-run",
    "max-new-issues",
    "max-operations",
    "max-entries",
]
CONTRACT_OUTPUTS = [
    "worklog-path",
    "worklog-url",
    "clusters",
    "problems",
    "issues-created",
    "issues-updated",
    "issues-reopened",
    "max-priority",
    "report-path",
]
DEFAULTS = {
    "github-token": "${{ github.token }}",
    "dry-run": "false",
    "worklog-dir": "worklog",
    "max-entries": "50000",
}
WORKFLOWS = sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/workflows/*.yml")])


def action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_inputs_and_outputs_are_the_contract() -> None:
    metadata = action()
    assert list(metadata["inputs"]) == CONTRACT_INPUTS + list(EXTRA_INPUT_NAMES)
    assert list(metadata["outputs"]) == CONTRACT_OUTPUTS
    assert list(INPUT_NAMES) == CONTRACT_INPUTS


def test_input_defaults_and_descriptions() -> None:
    for name, spec in action()["inputs"].items():
        assert spec["required"] is False, name
        assert str(spec.get("default", "")) == DEFAULTS.get(name, ""), name
        assert "Default" in spec["description"], name
        assert name == name.lower() and "_" not in name, name  # kebab-case


def test_action_yml_defaults_parse() -> None:
    """What the runner passes when no `with:` is given is valid (token aside)."""
    env = {"GITHUB_REPOSITORY": "acme/shop"}
    for name, spec in action()["inputs"].items():
        env[f"INPUT_{name.upper()}"] = str(spec.get("default", ""))
    env["INPUT_GITHUB-TOKEN"] = "t"
    options = options_from_action_env(env)
    assert (options.worklog_dir, options.max_entries, options.dry_run) == ("worklog", 50_000, False)


def test_runs_the_dockerfile_with_the_action_command() -> None:
    metadata = action()
    assert metadata["runs"] == {"using": "docker", "image": "Dockerfile", "args": ["action"]}
    assert set(metadata["branding"]) == {"icon", "color"}


def test_dockerfile_shape() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("ARG BASE_IMAGE=python:3.12-slim") == 1
    assert re.findall(r"^FROM .*$", text, flags=re.M) == [
        "FROM ${BASE_IMAGE} AS builder",
        "FROM ${BASE_IMAGE}",
    ]
    assert "requirements/runtime.txt" in text
    assert 'ENTRYPOINT ["log-gardener"]' in text
    assert 'CMD ["action"]' in text
    assert not re.search(r"^USER ", text, flags=re.M)  # GitHub runs Docker actions as root
    final_stage = text.split("FROM ${BASE_IMAGE}\n", 1)[1]
    assert "RUN " not in final_stage  # nothing installed (no build tools) in the final image


def documented_tables() -> str:
    """The README once the lead pastes the tables in; docs/action-reference.md until then."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    if "| Input |" in readme:
        return readme
    return (ROOT / "docs" / "action-reference.md").read_text(encoding="utf-8")


def table(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append([cell.replace("\\|", "|") for cell in cells])
    return rows


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_documented_inputs_match_action_yml() -> None:
    rows = table(documented_tables(), "Input")
    inputs = action()["inputs"]
    assert [row[0] for row in rows] == [f"`{name}`" for name in inputs]
    for (_, default, description), spec in zip(rows, inputs.values(), strict=True):
        expected_default = str(spec.get("default", ""))
        assert default == (f"`{expected_default}`" if expected_default else "")
        assert description == one_line(spec["description"])


def test_documented_outputs_match_action_yml() -> None:
    rows = table(documented_tables(), "Output")
    outputs = action()["outputs"]
    assert [row[0] for row in rows] == [f"`{name}`" for name in outputs]
    for (_, description), spec in zip(rows, outputs.values(), strict=True):
        assert description == one_line(spec["description"])


def uses_lines(path: Path) -> list[str]:
    return re.findall(r"^\s*(?:-\s+)?uses:\s*(.+)$", path.read_text(encoding="utf-8"), flags=re.M)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_sha_with_a_version_comment(path: Path) -> None:
    for line in uses_lines(path):
        ref = line.split("#", 1)[0].strip()
        if ref.startswith(("./", "docker://")):
            continue
        if ref.startswith("OWNER/log-gardener@"):
            # The user's own pin of this action: the comment tells them to use the release SHA.
            assert "commit SHA" in line, line
            continue
        if ref.startswith("my-org/ops/.github/workflows/"):
            continue  # the caller example's own reusable workflow
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), line
        assert re.search(r"#\s*v\d+\.\d+\.\d+$", line), line


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_are_least_privilege_and_time_limited(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "permissions" in workflow, "a top-level permissions block"
    allowed = {"contents", "issues", "id-token", "packages"}
    for name, job in workflow["jobs"].items():
        if "uses" in job:  # a call to a reusable workflow: its own jobs are limited
            assert set(job["permissions"]) <= allowed, name
            continue
        assert 0 < job["timeout-minutes"] <= 30, name
        for scope, level in {**workflow["permissions"], **job.get("permissions", {})}.items():
            assert scope in allowed, (name, scope)
            assert level in ("read", "write"), (name, scope)


def test_the_gardening_examples_grant_exactly_what_the_action_needs() -> None:
    needed = {"contents": "write", "issues": "write", "id-token": "write"}
    for name in ("log-gardener-hourly.yml", "log-gardener-reusable.yml", "log-gardener-caller.yml"):
        workflow = yaml.safe_load((ROOT / "examples" / "workflows" / name).read_text())
        assert workflow["permissions"] == {}, name
        (job,) = workflow["jobs"].values()
        assert job["permissions"] == needed, name


def test_hourly_example_never_overlaps_and_has_the_manual_inputs() -> None:
    text = (ROOT / "examples" / "workflows" / "log-gardener-hourly.yml").read_text()
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"] == [{"cron": "7 * * * *"}]
    assert set(triggers["workflow_dispatch"]["inputs"]) == {"window", "dry-run"}
    assert workflow["concurrency"] == {"group": "log-gardener", "cancel-in-progress": False}


def test_reusable_example_is_callable() -> None:
    workflow = yaml.safe_load(
        (ROOT / "examples" / "workflows" / "log-gardener-reusable.yml").read_text()
    )
    call = workflow[True]["workflow_call"]
    assert call["inputs"]["project-id"]["required"] is True
    assert set(call["outputs"]) == {"clusters", "max-priority", "worklog-url"}


def test_self_test_runs_this_action_in_dry_run_on_the_sample() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "self-test.yml").read_text())
    steps = workflow["jobs"]["dry-run"]["steps"]
    (step,) = [s for s in steps if s.get("uses") == "./"]
    assert step["with"]["dry-run"] == "true"
    assert step["with"]["source"] == "file:examples/cloud-run-backend-hour.jsonl"
    assert (ROOT / "examples" / "cloud-run-backend-hour.jsonl").is_file()
