"""Action inputs (``INPUT_*``) and runner variables (``GITHUB_*``) turned into run options.

The runner passes ``with:`` values as ``INPUT_<NAME>``: the name upper-cased with its hyphens
*kept* (``INPUT_WORKLOAD-IDENTITY-PROVIDER``).  Some callers (a shell, ``docker run -e`` from a
script) cannot set such names, so the underscore spelling is read as a fallback.  Every error
names the input, shows the value (quoted, never a token) and says how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from log_gardener.config.options import RunOptions
from log_gardener.core.grouping.log_analytics import parse_bytes, parse_linked_dataset
from log_gardener.errors import ConfigError, UsageError, quote_value
from log_gardener.model import Severity

INPUT_NAMES = (
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
)
"""The contract's inputs, in action.yml order."""

EXTRA_INPUT_NAMES = ("source", "linked-dataset", "location", "max-bytes-billed")
"""Inputs beyond the first contract: ``source`` (``gcp``, ``log-analytics``, ``file:PATH``) and
the log-analytics settings."""

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")
# The same spellings as @actions/core's getBooleanInput (YAML 1.2 core schema); nothing else.

_WINDOW = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_PROVIDER = re.compile(
    r"projects/(\d+)/locations/global/workloadIdentityPools/([a-z0-9-]{4,32})/providers/([a-z0-9-]{4,32})"
)
_PROVIDER_PREFIX = "//iam.googleapis.com/"
_SERVICE_ACCOUNT = re.compile(r"[a-z0-9-]+@[a-z0-9.-]+\.gserviceaccount\.com")
_PROJECT_ID = re.compile(r"(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]|\d+")
_SERVICE = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_BRANCH_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//")
_FILTER_LIMIT = 20_000  # Cloud Logging rejects longer filters
_LOCATION = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,62}")


def read_input(env: Mapping[str, str], name: str) -> str:
    """``INPUT_<NAME>`` (hyphens kept, else underscores), trimmed like the toolkit does."""
    upper = name.upper()
    value = env.get(f"INPUT_{upper}")
    if value is None:
        value = env.get(f"INPUT_{upper.replace('-', '_')}", "")
    return value.strip()


def _bad(name: str, value: str, expected: str, fix: str) -> ConfigError:
    return ConfigError(f"input `{name}` is {quote_value(value)}, {expected}", fix=fix)


def parse_bool(name: str, value: str, default: bool = False) -> bool:
    """Strictly ``true`` or ``false`` (any of the toolkit's three casings); empty -> default."""
    if value == "":
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _bad(name, value, "not a boolean", f"write `{name}: true` or `{name}: false`")


def parse_count(name: str, value: str, default: int | None) -> int | None:
    """A whole number >= 0; empty -> default."""
    if value == "":
        return default
    if not value.isascii() or not value.isdigit():
        raise _bad(name, value, "not a whole number >= 0", f'write e.g. `{name}: "10"`')
    return int(value)


def parse_window(text: str) -> timedelta:
    """``30m``, ``1h``, ``2h30m``, ``1d``, ``90s``: units d, h, m, s in that order, total > 0."""
    match = _WINDOW.fullmatch(text.strip().lower())
    if not text.strip() or match is None:
        raise _bad(
            "window", text, "not a duration", "write e.g. `window: 1h`, `30m`, `2h30m` or `1d`"
        )
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    window = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if window <= timedelta(0):
        raise _bad("window", text, "an empty window", "give a duration above zero, e.g. `1h`")
    return window


def parse_severity(value: str) -> Severity | None:
    if value == "":
        return None
    severity = Severity.parse(value)
    if severity is None:
        names = ", ".join(member.name for member in Severity)
        raise _bad("min-severity", value, "not a Cloud Logging severity", f"use one of {names}")
    return severity


def parse_provider(value: str) -> str:
    """The provider's resource name ``projects/NUMBER/locations/global/...`` (prefix dropped)."""
    if value == "":
        return ""
    name = value.removeprefix(_PROVIDER_PREFIX)
    if _PROVIDER.fullmatch(name) is None:
        raise _bad(
            "workload-identity-provider",
            value,
            "not a Workload Identity provider name",
            "copy the provider's full name: projects/<project NUMBER>/locations/global/"
            "workloadIdentityPools/<pool>/providers/<provider> "
            "(`gcloud iam workload-identity-pools providers describe ... --format='value(name)'`); "
            "the project is the number, not the ID",
        )
    return name


def _checked(name: str, value: str, pattern: re.Pattern[str], expected: str, fix: str) -> str:
    if value and pattern.fullmatch(value) is None:
        raise _bad(name, value, expected, fix)
    return value


def parse_worklog_dir(value: str) -> str:
    """A relative directory inside the repository; ``worklog`` when empty."""
    if value == "":
        return "worklog"
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value or path.parts[:1] == (".git",):
        raise _bad(
            "worklog-dir",
            value,
            "not a relative directory inside the repository",
            "write a path like `worklog` or `ops/worklog` (no leading `/`, no `..`)",
        )
    return path.as_posix()


def parse_branch(value: str) -> str:
    """A branch name (``refs/heads/`` dropped); empty -> the default branch."""
    name = value.removeprefix("refs/heads/")
    if value and (
        _BRANCH_FORBIDDEN.search(name)
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
    ):
        raise _bad(
            "worklog-branch",
            value,
            "not a valid branch name",
            "write a branch name like `log-gardener/worklog`, or leave it empty for the "
            "default branch",
        )
    return name


def parse_filter(value: str) -> str:
    if len(value) > _FILTER_LIMIT or "\x00" in value:
        raise ConfigError(
            f"input `filter` is {len(value)} characters long or holds a NUL byte",
            fix=f"keep the Logging filter under {_FILTER_LIMIT} characters",
        )
    return value


def parse_source(value: str) -> str:
    """``gcp`` (or empty) reads Cloud Logging entries, ``log-analytics`` groups them in
    BigQuery first, ``file:PATH`` reads a saved export."""
    if value in ("", "gcp", "log-analytics") or (
        value.startswith("file:") and len(value) > len("file:")
    ):
        return value
    raise _bad(
        "source",
        value,
        "not a log source",
        "write `gcp`, `log-analytics` or `file:path/to/entries.jsonl`",
    )


def parse_location(value: str, name: str = "location") -> str:
    """A BigQuery location (``US``, ``EU``, ``europe-west1``); empty -> the dataset's."""
    if value and _LOCATION.fullmatch(value) is None:
        raise _bad(
            name,
            value,
            "not a BigQuery location",
            "write the linked dataset's location, e.g. `US`, `EU` or `europe-west1`, or leave "
            "it empty to use the dataset's",
        )
    return value


def _log_analytics_inputs(env: Mapping[str, str]) -> dict[str, Any]:
    dataset = read_input(env, "linked-dataset")
    if dataset:
        parse_linked_dataset(dataset, "input `linked-dataset`")
    cap = read_input(env, "max-bytes-billed")
    return {
        "linked_dataset": dataset,
        "location": parse_location(read_input(env, "location")),
        "max_bytes_billed": parse_bytes(cap, "input `max-bytes-billed`") if cap else None,
    }


def options_from_action_env(env: Mapping[str, str]) -> RunOptions:
    """All inputs, checked; raises ``ConfigError`` naming the first bad input and its fix."""
    dry_run = parse_bool("dry-run", read_input(env, "dry-run"))
    token = read_input(env, "github-token")
    if not token and not dry_run:
        raise ConfigError(
            "input `github-token` is empty, so issues and the worklog cannot be written",
            fix="leave `github-token` unset (it defaults to `${{ github.token }}`) or pass a token "
            "with contents:write and issues:write; or set `dry-run: true`",
        )
    return RunOptions(
        source=parse_source(read_input(env, "source")),
        config_path=read_input(env, "config"),
        worklog_dir=parse_worklog_dir(read_input(env, "worklog-dir")),
        worklog_branch=parse_branch(read_input(env, "worklog-branch")),
        window=_window_or_none(read_input(env, "window")),
        project=_checked(
            "project-id",
            read_input(env, "project-id"),
            _PROJECT_ID,
            "not a Google Cloud project ID",
            "use the project ID (e.g. `my-project-123`), as `gcloud projects list` shows it",
        ),
        service=_checked(
            "service",
            read_input(env, "service"),
            _SERVICE,
            "not a Cloud Run service name",
            "use the name `gcloud run services list` shows (lowercase letters, digits, `-`)",
        ),
        filter=parse_filter(read_input(env, "filter")),
        min_severity=parse_severity(read_input(env, "min-severity")),
        repo=env.get("GITHUB_REPOSITORY", ""),
        dry_run=dry_run,
        max_new_issues=parse_count("max-new-issues", read_input(env, "max-new-issues"), None),
        max_operations=parse_count("max-operations", read_input(env, "max-operations"), None),
        max_entries=_max_entries(read_input(env, "max-entries")),
        workload_identity_provider=parse_provider(read_input(env, "workload-identity-provider")),
        service_account=_checked(
            "service-account",
            read_input(env, "service-account"),
            _SERVICE_ACCOUNT,
            "not a service account email",
            "use the email, e.g. `gardener@my-project.iam.gserviceaccount.com`",
        ),
        github_token=token,
        **_log_analytics_inputs(env),
    )


def _max_entries(value: str) -> int:
    count = parse_count("max-entries", value, None)
    return 50_000 if count is None else count


def _window_or_none(value: str) -> timedelta | None:
    return parse_window(value) if value else None


@dataclass(frozen=True)
class RunnerContext:
    """The ``GITHUB_*`` variables a run needs, read once by the CLI (never at import)."""

    repository: str  # owner/name
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    run_id: str = ""
    run_attempt: str = "1"
    workspace: str = ""
    event_name: str = ""
    event_path: str = ""
    output_path: str = ""  # $GITHUB_OUTPUT
    step_summary_path: str = ""  # $GITHUB_STEP_SUMMARY
    id_token_request_url: str = field(default="", repr=False)
    id_token_request_token: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RunnerContext:
        """Raises ``UsageError`` when GITHUB_REPOSITORY is missing or not ``owner/name``."""
        repository = env.get("GITHUB_REPOSITORY", "")
        if re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository) is None:
            raise UsageError(
                f"GITHUB_REPOSITORY is {quote_value(repository)}, not owner/name",
                cause="`log-gardener action` runs outside GitHub Actions",
                fix="run it as a step (`uses: <owner>/log-gardener@v1`), or use "
                "`log-gardener run --repo owner/name` locally",
            )
        return cls(
            repository=repository,
            api_url=env.get("GITHUB_API_URL", "").rstrip("/") or cls.api_url,
            server_url=env.get("GITHUB_SERVER_URL", "").rstrip("/") or cls.server_url,
            run_id=env.get("GITHUB_RUN_ID", ""),
            run_attempt=env.get("GITHUB_RUN_ATTEMPT", "") or "1",
            workspace=env.get("GITHUB_WORKSPACE", ""),
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event_path=env.get("GITHUB_EVENT_PATH", ""),
            output_path=env.get("GITHUB_OUTPUT", ""),
            step_summary_path=env.get("GITHUB_STEP_SUMMARY", ""),
            id_token_request_url=env.get("ACTIONS_ID_TOKEN_REQUEST_URL", ""),
            id_token_request_token=env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ""),
        )

    @property
    def run_url(self) -> str:
        """The link to this run's attempt (empty outside a run)."""
        if not self.run_id:
            return ""
        return (
            f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
            f"/attempts/{self.run_attempt}"
        )

    @property
    def can_request_id_token(self) -> bool:
        """False when the workflow lacks ``permissions: id-token: write`` (or is a fork PR)."""
        return bool(self.id_token_request_url and self.id_token_request_token)
