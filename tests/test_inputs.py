"""Action inputs (INPUT_*) and runner variables (GITHUB_*)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from log_gardener.config.inputs import (
    RunnerContext,
    options_from_action_env,
    parse_window,
    read_input,
)
from log_gardener.config.options import RunOptions
from log_gardener.errors import ConfigError, UsageError
from log_gardener.model import Severity

PROVIDER = "projects/123456789/locations/global/workloadIdentityPools/github/providers/my-repo"
TOKEN = "gh" + "s_" + "0123456789abcdefghijABCDEFGHIJ"


def action_env(**inputs: str) -> dict[str, str]:
    """The environment the runner gives a Docker action: hyphens kept in INPUT_ names."""
    env = {"GITHUB_REPOSITORY": "acme/shop", "INPUT_GITHUB-TOKEN": TOKEN}
    for key, value in inputs.items():
        env["INPUT_" + key.upper().replace("_", "-")] = value
    return env


def test_defaults_match_the_contract() -> None:
    options = options_from_action_env(action_env())
    assert options == RunOptions(
        worklog_dir="worklog",
        repo="acme/shop",
        dry_run=False,
        max_new_issues=None,  # None -> the rules file's budget, else 10
        max_operations=None,  # None -> the rules file's budget, else 50
        max_entries=50_000,
        github_token=TOKEN,
    )


def test_every_input_with_hyphenated_names() -> None:
    env = action_env(
        config=".github/gardener.yml",
        workload_identity_provider=PROVIDER,
        service_account="gardener@shop-prod.iam.gserviceaccount.com",
        project_id="shop-prod",
        service="backend",
        filter='jsonPayload.component="checkout"',
        window="2h30m",
        min_severity="warning",
        worklog_dir="ops/worklog/",
        worklog_branch="refs/heads/gardener",
        dry_run="true",
        max_new_issues="3",
        max_operations="0",
        max_entries="1000",
        source="file:examples/cloud-run-backend-hour.jsonl",
    )
    assert "INPUT_WORKLOAD-IDENTITY-PROVIDER" in env
    assert options_from_action_env(env) == RunOptions(
        source="file:examples/cloud-run-backend-hour.jsonl",
        config_path=".github/gardener.yml",
        worklog_dir="ops/worklog",
        worklog_branch="gardener",
        window=timedelta(hours=2, minutes=30),
        project="shop-prod",
        service="backend",
        filter='jsonPayload.component="checkout"',
        min_severity=Severity.WARNING,
        repo="acme/shop",
        dry_run=True,
        max_new_issues=3,
        max_operations=0,
        max_entries=1000,
        workload_identity_provider=PROVIDER,
        service_account="gardener@shop-prod.iam.gserviceaccount.com",
        github_token=TOKEN,
    )


def test_underscore_names_are_a_fallback_and_hyphens_win() -> None:
    env = {"INPUT_MAX_NEW_ISSUES": "4", "INPUT_PROJECT_ID": "under-score"}
    assert read_input(env, "max-new-issues") == "4"
    env["INPUT_PROJECT-ID"] = " hyphen-wins "
    assert read_input(env, "project-id") == "hyphen-wins"


def test_provider_prefix_is_dropped() -> None:
    env = action_env(workload_identity_provider="//iam.googleapis.com/" + PROVIDER)
    assert options_from_action_env(env).workload_identity_provider == PROVIDER


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False)],
)
def test_booleans(value: str, expected: bool) -> None:
    assert options_from_action_env(action_env(dry_run=value)).dry_run is expected


@pytest.mark.parametrize("value", ["yes", "1", "on", "tru", "'true'", "no"])
def test_booleans_are_strict(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        options_from_action_env(action_env(dry_run=value))
    assert str(caught.value) == (
        f"input `dry-run` is '{value.replace(chr(39), chr(92) + chr(39))}', not a boolean. "
        "Fix: write `dry-run: true` or `dry-run: false`."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1d", timedelta(days=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("90s", timedelta(seconds=90)),
        (" 1H ", timedelta(hours=1)),
    ],
)
def test_parse_window(text: str, expected: timedelta) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["", "1", "h", "1m1h", "-1h", "1.5h", "0m", "1 h", "1w"])
def test_parse_window_rejects(text: str) -> None:
    with pytest.raises(
        ConfigError,
        match=r"^input `window` is .*Fix: .*`window: 1h`|Fix: give a duration above zero",
    ):
        parse_window(text)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"max_new_issues": "-1"}, "input `max-new-issues` is '-1', not a whole number >= 0"),
        ({"max_operations": "ten"}, "input `max-operations` is 'ten', not a whole number >= 0"),
        ({"max_entries": "1e3"}, "input `max-entries` is '1e3', not a whole number >= 0"),
        ({"min_severity": "loud"}, "input `min-severity` is 'loud', not a Cloud Logging severity"),
        (
            {
                "workload_identity_provider": "projects/shop-prod/locations/global/"
                "workloadIdentityPools/github/providers/repo"
            },
            "input `workload-identity-provider` is 'projects/shop-prod/locations/global/"
            "workloadIdentityPools/github/providers/repo', not a Workload Identity provider name",
        ),
        (
            {"service_account": "gardener"},
            "input `service-account` is 'gardener', not a service account email",
        ),
        (
            {"project_id": "Shop Prod"},
            "input `project-id` is 'Shop Prod', not a Google Cloud project ID",
        ),
        ({"service": "Backend_1"}, "input `service` is 'Backend_1', not a Cloud Run service name"),
        ({"worklog_dir": "/etc"}, "input `worklog-dir` is '/etc', not a relative directory"),
        (
            {"worklog_dir": "a/../../b"},
            "input `worklog-dir` is 'a/../../b', not a relative directory",
        ),
        ({"worklog_branch": "a..b"}, "input `worklog-branch` is 'a..b', not a valid branch name"),
        ({"worklog_branch": "-x"}, "input `worklog-branch` is '-x', not a valid branch name"),
        ({"source": "http://x"}, "input `source` is 'http://x', not a log source"),
        ({"window": "forever"}, "input `window` is 'forever', not a duration"),
    ],
)
def test_errors_name_the_input_and_the_fix(inputs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        options_from_action_env(action_env(**inputs))
    assert str(caught.value).startswith(message)
    assert "Fix: " in str(caught.value)


def test_provider_error_explains_number_versus_id() -> None:
    with pytest.raises(ConfigError, match="the project is the number, not the ID"):
        options_from_action_env(action_env(workload_identity_provider="my-provider"))


def test_a_hostile_value_is_quoted_harmlessly() -> None:
    with pytest.raises(ConfigError) as caught:
        options_from_action_env(action_env(max_entries="1\n::add-mask::x"))
    text = str(caught.value)
    assert "\n" not in text
    assert "::" not in text


def test_empty_token_is_an_error_unless_dry_run() -> None:
    env = action_env()
    env["INPUT_GITHUB-TOKEN"] = ""
    with pytest.raises(ConfigError, match=r"^input `github-token` is empty.*dry-run: true"):
        options_from_action_env(env)
    env["INPUT_DRY-RUN"] = "true"
    assert options_from_action_env(env).github_token == ""


def test_token_never_appears_in_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        options_from_action_env(action_env(dry_run="maybe"))
    assert TOKEN not in str(caught.value)


def test_filter_too_long() -> None:
    with pytest.raises(ConfigError, match="input `filter` is 20001 characters long"):
        options_from_action_env(action_env(filter="x" * 20_001))


def test_runner_context_from_env() -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_API_URL": "http://127.0.0.1:8080/api/v3/",
        "GITHUB_SERVER_URL": "http://127.0.0.1:8080",
        "GITHUB_RUN_ID": "42",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_NAME": "schedule",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_OUTPUT": "/github/file_commands/out",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/token",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
    }
    context = RunnerContext.from_env(env)
    assert context == RunnerContext(
        repository="acme/shop",
        api_url="http://127.0.0.1:8080/api/v3",
        server_url="http://127.0.0.1:8080",
        run_id="42",
        run_attempt="2",
        workspace="/github/workspace",
        event_name="schedule",
        event_path="/github/workflow/event.json",
        output_path="/github/file_commands/out",
        step_summary_path="/github/file_commands/summary",
        id_token_request_url="http://127.0.0.1:9/token",
        id_token_request_token="request-token",
    )
    assert context.run_url == "http://127.0.0.1:8080/acme/shop/actions/runs/42/attempts/2"
    assert context.can_request_id_token is True
    assert "request-token" not in repr(context)


def test_runner_context_defaults() -> None:
    context = RunnerContext.from_env({"GITHUB_REPOSITORY": "acme/shop"})
    assert (context.api_url, context.server_url, context.run_attempt) == (
        "https://api.github.com",
        "https://github.com",
        "1",
    )
    assert context.run_url == ""
    assert context.can_request_id_token is False


@pytest.mark.parametrize("repository", ["", "shop", "acme/shop/x", "acme/sh op"])
def test_runner_context_needs_a_repository(repository: str) -> None:
    with pytest.raises(UsageError, match=r"^GITHUB_REPOSITORY is .*not owner/name"):
        RunnerContext.from_env({"GITHUB_REPOSITORY": repository})
