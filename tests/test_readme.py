"""The README describes what main does: its examples load, its flags exist."""

from __future__ import annotations

import re
from pathlib import Path

from log_gardener.cli import build_parser
from log_gardener.config.rules_file import load_rules

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def test_quick_start_is_first_and_is_two_commands() -> None:
    first_section = README.index("\n## ")
    assert README[first_section:].startswith("\n## Quick start")
    quick = _section("Quick start")
    assert "make demo" in quick and "make test" in quick


def test_the_rules_example_loads() -> None:
    rules = _section("Rules file")
    block = rules[
        rules.index("```yaml") + len("```yaml") : rules.index("```", rules.index("```yaml") + 3)
    ]
    config = load_rules(block, "README.md")
    assert [rule.name for rule in config.rules] == [
        "database-startup-timeout",
        "health-check-noise",
    ]
    assert config.targets[0].service == "backend"


def test_every_documented_run_flag_exists() -> None:
    usage = _section("Command line")
    documented = set(re.findall(r"\[(--[a-z-]+)", usage))
    parser = build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    known = {option for action in run._actions for option in action.option_strings}
    assert documented and documented <= known
    assert {"--source", "--report-json", "--assignments", "--dry-run"} <= documented
