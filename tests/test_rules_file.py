"""The rules file loader: the config it builds and its exact error messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from log_gardener.config.rules_file import (
    check_rules,
    load_rules,
    load_rules_file,
    validate_config_file,
)
from log_gardener.core.judging.rules import (
    DEFAULT_SEVERITY_PRIORITIES,
    CommentMode,
    EscalationPolicy,
    IssuePolicy,
    Match,
    Rule,
    RulesConfig,
    Target,
)
from log_gardener.core.shared.redact import ExtraPattern, RedactionPolicy
from log_gardener.errors import ConfigError
from log_gardener.model import Priority, Severity

SOURCE = ".github/log-gardener.yml"
SEVERITIES = "DEFAULT, DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, ALERT, EMERGENCY"

FULL = """\
version: 1
targets:
  - project: demo-project
    service: backend-staging
  - name: audit
    project: demo-project
    filter: 'logName:"cloudaudit"'
    min_severity: NOTICE
defaults:
  priorities: {WARNING: P2, INFO: P3}
rules:
  - name: db
    match:
      message: 'Database initialization timeout'
      exception_type: 'TimeoutError$'
      logger: 'app.*'
      severity: {min: WARNING, max: CRITICAL}
      service: 'backend-*'
      resource_labels: {revision_name: 'backend-*'}
    priority: P0
    labels: [infrastructure, db]
    title: Database timeout
    impact: Nothing starts.
    group_by: 'db-{service}'
  - match: {severity: ERROR}
    ignore: true
issues:
  title_format: '[{priority}] {title} ({count})'
  reopen: false
  max_new_issues: 0
  max_operations: 5
  comment: never
  label: gardener
  auto_resolve_days: 0
  dashboard: false
  escalation: {enabled: false, min_runs: 1, floor: 0, factor: 2}
redaction:
  ip_addresses: false
  patterns: [{kind: account, regex: 'ACCT-[0-9]+'}]
  keys: [x-signature]
"""


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_rules(text, SOURCE)
    return str(caught.value)


def test_full_file_builds_the_whole_config() -> None:
    config = load_rules(FULL, SOURCE)
    priorities = dict(DEFAULT_SEVERITY_PRIORITIES)
    priorities.update({Severity.WARNING: Priority.P2, Severity.INFO: Priority.P3})
    assert config == RulesConfig(
        targets=(
            Target("backend-staging", "demo-project", "backend-staging", "", Severity.WARNING),
            Target("audit", "demo-project", "", 'logName:"cloudaudit"', Severity.NOTICE),
        ),
        severity_priorities=priorities,
        rules=(
            Rule(
                name="db",
                match=Match(
                    message=re.compile("Database initialization timeout"),
                    exception_type=re.compile("TimeoutError$"),
                    logger="app.*",
                    severity_min=Severity.WARNING,
                    severity_max=Severity.CRITICAL,
                    service="backend-*",
                    resource_labels={"revision_name": "backend-*"},
                ),
                priority=Priority.P0,
                labels=("infrastructure", "db"),
                title="Database timeout",
                impact="Nothing starts.",
                group_by="db-{service}",
                line=12,
            ),
            Rule(
                name="rules[1]",
                match=Match(severity_min=Severity.ERROR),
                ignore=True,
                line=25,
            ),
        ),
        issues=IssuePolicy(
            title_format="[{priority}] {title} ({count})",
            reopen=False,
            max_new_issues=0,
            max_operations=5,
            comment=CommentMode.NEVER,
            label="gardener",
            auto_resolve_days=0,
            dashboard=False,
            escalation=EscalationPolicy(enabled=False, min_runs=1, floor=0, factor=2.0),
        ),
        redaction=RedactionPolicy(
            ip_addresses=False,
            extra_patterns=(ExtraPattern("account", "ACCT-[0-9]+"),),
            extra_keys=("x-signature",),
        ),
        source=SOURCE,
    )


@pytest.mark.parametrize(
    "text",
    ["", "\n", "# only a comment\n", "---\n", "~\n", "targets:\nrules:\nissues:\nredaction:\n"],
)
def test_empty_file_and_empty_sections_mean_defaults(text: str) -> None:
    assert load_rules(text, SOURCE) == RulesConfig(source=SOURCE)


def test_target_name_defaults_to_the_service_then_default() -> None:
    config = load_rules("targets:\n  - {project: demo-project}\n", SOURCE)
    assert config.targets == (Target(name="default", project="demo-project"),)


def test_example_file_loads() -> None:
    config = load_rules_file("examples/log-gardener.yml")
    assert [rule.name for rule in config.rules] == [
        "health-check-noise",
        "database-startup-timeout",
        "duplicate-websocket-managers",
        "service-id-whitespace",
        "redis-unavailable",
    ]
    assert config.source == "examples/log-gardener.yml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - name: a\n  - name: b\n    match:\n      severity: ERRR\n",
            f"{SOURCE}:5: rules[1].match.severity: 'ERRR' is not a severity; expected one of "
            f"{SEVERITIES}. Fix: write 'ERROR'.",
        ),
        (
            "targets:\n  - min_severity: warning\n",
            f"{SOURCE}:2: targets[0].min_severity: 'warning' is not a severity; expected one of "
            f"{SEVERITIES}. Fix: write 'WARNING'.",
        ),
        (
            "rules:\n  - match: {severity: 500}\n",
            f"{SOURCE}:2: rules[0].match.severity: '500' is not a severity; expected one of "
            f"{SEVERITIES}.",
        ),
        (
            "rules:\n  - match:\n      severity: {min: ERROR, max: INFO}\n",
            f"{SOURCE}:3: rules[0].match.severity: min ERROR is above max INFO. Fix: swap them.",
        ),
        (
            "rules:\n  - priority: p1\n",
            f"{SOURCE}:2: rules[0].priority: 'p1' is not a priority; expected one of "
            "P0, P1, P2, P3, P4. Fix: write 'P1'.",
        ),
        (
            "defaults:\n  priorities:\n    ERROR: P9\n",
            f"{SOURCE}:3: defaults.priorities.ERROR: 'P9' is not a priority; expected one of "
            "P0, P1, P2, P3, P4.",
        ),
        (
            "defaults:\n  priorities:\n    FATAL: P0\n",
            f"{SOURCE}:3: defaults.priorities.FATAL: 'FATAL' is not a severity; expected one of "
            f"{SEVERITIES}.",
        ),
        (
            "issues:\n  comment: always\n",
            f"{SOURCE}:2: issues.comment: 'always' is not a comment mode; expected one of "
            "on-change, every-run, never.",
        ),
        (
            "issues:\n  comment: on_change\n",
            f"{SOURCE}:2: issues.comment: 'on_change' is not a comment mode; expected one of "
            "on-change, every-run, never. Fix: write 'on-change'.",
        ),
        (
            "issues:\n  max_new_issues: -1\n",
            f"{SOURCE}:2: issues.max_new_issues: -1 is too small; expected at least 0.",
        ),
        (
            "issues:\n  max_operations: many\n",
            f"{SOURCE}:2: issues.max_operations: expected a whole number; got a string.",
        ),
        (
            "issues:\n  auto_resolve_days: 1.5\n",
            f"{SOURCE}:2: issues.auto_resolve_days: expected a whole number; got a number.",
        ),
        (
            "issues:\n  reopen: sometimes\n",
            f"{SOURCE}:2: issues.reopen: expected true or false; got a string.",
        ),
        (
            "issues:\n  escalation: {factor: 0}\n",
            f"{SOURCE}:2: issues.escalation.factor: 0 is not above 0; expected a positive number.",
        ),
        (
            "issues:\n  escalation: {min_runs: 0}\n",
            f"{SOURCE}:2: issues.escalation.min_runs: 0 is too small; expected at least 1.",
        ),
        (
            "issues:\n  title_format: '{priority} {message}'\n",
            f"{SOURCE}:2: issues.title_format: '{{message}}' is not a placeholder here; expected "
            "one of {status}, {priority}, {title}, {count}, {service}.",
        ),
        (
            "issues:\n  title_format: '{priority} only'\n",
            f"{SOURCE}:2: issues.title_format: the title format must contain {{title}}. "
            "Fix: add {title}.",
        ),
        (
            "issues:\n  title_format: '{title!r}'\n",
            f"{SOURCE}:2: issues.title_format: '{{title}}' is not a placeholder here; expected "
            "one of {status}, {priority}, {title}, {count}, {service}.",
        ),
        (
            "issues:\n  title_format: '{title'\n",
            f"{SOURCE}:2: issues.title_format: '{{title': expected '}}' before end of string. "
            "Fix: write a literal brace as {{ or }}.",
        ),
        (
            "rules:\n  - group_by: '{message}'\n",
            f"{SOURCE}:2: rules[0].group_by: '{{message}}' is not a placeholder here; expected "
            "one of {service}, {logger}, {exception_type}, {severity}, {revision}, {location}.",
        ),
        (
            "issues:\n  label: " + "x" * 51 + "\n",
            f"{SOURCE}:2: issues.label: is 51 characters long; at most 50 are allowed.",
        ),
        (
            "rules:\n  - labels: [ok, 2024]\n",
            f"{SOURCE}:2: rules[0].labels[1]: expected a label name; got an integer. "
            "Fix: quote the value.",
        ),
        (
            "rules:\n  - labels: ['ok', ' padded']\n",
            f"{SOURCE}:2: rules[0].labels[1]: ' padded' starts or ends with spaces.",
        ),
        (
            "rules:\n  - labels: infrastructure\n",
            f"{SOURCE}:2: rules[0].labels: expected a list; got a string. "
            "Fix: start each item with '- '.",
        ),
        (
            "rules:\n  - title: ''\n",
            f"{SOURCE}:2: rules[0].title: expected a string; got an empty string.",
        ),
        (
            "rules:\n  - title:\n",
            f"{SOURCE}:2: rules[0].title: expected a string; got nothing (null).",
        ),
        (
            "rules:\n  name: a\n",
            f"{SOURCE}:2: rules: expected a list; got a mapping. Fix: start each item with '- '.",
        ),
        (
            "- a\n- b\n",
            f"{SOURCE}:1: expected a mapping with keys version, targets, defaults, rules, issues, "
            "redaction, problems; got a list.",
        ),
        (
            "version: 2\n",
            f"{SOURCE}:1: version: version 2 is not supported; this log-gardener reads version 1. "
            "Fix: write version: 1, or upgrade log-gardener.",
        ),
        (
            "targets:\n  - service: Backend_Staging\n",
            f"{SOURCE}:2: targets[0].service: 'Backend_Staging' is not a Cloud Run service name.",
        ),
        (
            "targets:\n  - project: My Project\n",
            f"{SOURCE}:2: targets[0].project: 'My Project' is not a Google Cloud project ID.",
        ),
        (
            "targets:\n  - service: api\n  - service: api\n",
            f"{SOURCE}:3: targets[1]: target name 'api' is already used on line 2. Fix: give each "
            "target a distinct name (it names worklog files and the state cursor).",
        ),
        (
            "rules:\n  - name: a\n  - name: a\n",
            f"{SOURCE}:3: rules[1]: rule name 'a' is already used on line 2. Fix: give each rule a "
            "distinct name (reports and issues name the rule that matched).",
        ),
        (
            "redaction:\n  patterns:\n    - {kind: Acct, regex: 'A[0-9]+'}\n",
            f"{SOURCE}:3: redaction.patterns[0].kind: 'Acct' is not a kind (a-z, 0-9, _ or -).",
        ),
        (
            "redaction:\n  patterns:\n    - {kind: acct, regex: '[0-9]*'}\n",
            f"{SOURCE}:3: redaction.patterns[0].regex: the pattern matches the empty string.",
        ),
        (
            "redaction:\n  patterns:\n    - {kind: acct}\n",
            f"{SOURCE}:3: redaction.patterns[0]: a pattern needs both 'kind' and 'regex'.",
        ),
    ],
)
def test_value_errors_name_file_line_and_path(text: str, message: str) -> None:
    assert error_of(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - name: a\n    match:\n      mesage: x\n",
            f"{SOURCE}:4: rules[0].match: unknown key 'mesage'. Fix: did you mean 'message'? "
            "Known keys here: message, exception_type, logger, severity, service, "
            "resource_labels.",
        ),
        (
            "rule:\n  - name: a\n",
            f"{SOURCE}:1: unknown key 'rule'. Fix: did you mean 'rules'? Known keys here: "
            "version, targets, defaults, rules, issues, redaction, problems.",
        ),
        (
            "issues:\n  Max_New_Issues: 3\n",
            f"{SOURCE}:2: issues: unknown key 'Max_New_Issues'. Fix: did you mean "
            "'max_new_issues'? Known keys here: title_format, reopen, max_new_issues, "
            "max_operations, comment, label, auto_resolve_days, dashboard, escalation.",
        ),
        (
            "issues:\n  frobnicate: 3\n",
            f"{SOURCE}:2: issues: unknown key 'frobnicate'. Fix: Known keys here: title_format, "
            "reopen, max_new_issues, max_operations, comment, label, auto_resolve_days, "
            "dashboard, escalation.",
        ),
        (
            "targets:\n  - max-severity: ERROR\n",
            f"{SOURCE}:2: targets[0]: unknown key 'max-severity'. Fix: did you mean "
            "'min_severity'? Known keys here: name, project, service, filter, min_severity, "
            "source, linked_dataset, location, max_bytes_billed.",
        ),
        (
            "base: &b {reopen: true}\nissues:\n  <<: *b\n",
            f"{SOURCE}:1: unknown key 'base'. Fix: Known keys here: version, targets, defaults, "
            "rules, issues, redaction, problems.",
        ),
        (
            "issues:\n  <<: {reopen: true}\n",
            f"{SOURCE}:2: issues: merge keys ('<<') are not supported. Fix: write the keys out.",
        ),
        (
            "rules:\n  - 1: x\n",
            f"{SOURCE}:2: rules[0]: a key must be a string; got an integer. Fix: quote the key.",
        ),
    ],
)
def test_unknown_keys_are_errors_with_suggestions(text: str, message: str) -> None:
    assert error_of(text) == message


def test_duplicate_keys_are_errors_naming_both_lines() -> None:
    text = "issues:\n  reopen: true\n  comment: never\n  reopen: false\n"
    assert error_of(text) == (
        f"{SOURCE}:4: issues.reopen: duplicate key 'reopen'; it was first given on line 2. "
        "Fix: keep one of them."
    )


def test_duplicate_resource_label_keys_are_errors() -> None:
    text = "rules:\n  - match:\n      resource_labels:\n        zone: a\n        zone: b\n"
    assert error_of(text) == (
        f"{SOURCE}:5: rules[0].match.resource_labels.zone: duplicate key 'zone'; it was first "
        "given on line 4. Fix: keep one of them."
    )


def test_odd_label_keys_are_quoted_in_the_path() -> None:
    text = "rules:\n  - match:\n      resource_labels:\n        'k8s.io/app': 7\n"
    assert error_of(text) == (
        f"{SOURCE}:4: rules[0].match.resource_labels['k8s.io/app']: expected a glob; "
        "got an integer. Fix: quote the value."
    )


def test_bad_regex_points_at_the_rule_and_quotes_the_pattern() -> None:
    text = (
        "rules:\n  - name: ok\n  - name: db-timeout\n    match:\n      message: 'Database (init'\n"
    )
    assert error_of(text) == (
        f"{SOURCE}:5: rules[1].match.message: invalid regular expression 'Database (init' in rule "
        "'db-timeout' (line 3): missing ), unterminated subpattern at position 9. Fix: use Python "
        "`re` syntax; put a backslash before a literal ( ) [ ] { } . * + ? |."
    )


def test_bad_regex_quote_is_single_line_and_cannot_form_a_workflow_command() -> None:
    text = 'rules:\n  - match:\n      exception_type: "\\n::error::x["\n'
    message = error_of(text)
    assert "\n" not in message
    assert "::error" not in message
    assert message.startswith(
        f"{SOURCE}:3: rules[0].match.exception_type: invalid regular expression "
        "'\\n:\u200b:error:\u200b:x[' in rule 'rules[0]' (line 2): unterminated character set"
    )


def test_bad_redaction_regex_names_the_pattern() -> None:
    text = "redaction:\n  patterns:\n    - kind: acct\n      regex: '[0-9'\n"
    assert error_of(text) == (
        f"{SOURCE}:4: redaction.patterns[0].regex: invalid regular expression '[0-9' in pattern "
        "'acct' (line 3): unterminated character set at position 0. Fix: use Python `re` syntax; "
        "put a backslash before a literal ( ) [ ] { } . * + ? |."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  - name: a\n   priority: P1\n",
            f"{SOURCE}:3: YAML syntax error at column 4: expected <block end>, but found "
            "'<block mapping start>'.",
        ),
        (
            "issues:\n\treopen: true\n",
            f"{SOURCE}:2: YAML syntax error at column 1: found character '\\t' that cannot start "
            "any token. Fix: indent with spaces; YAML does not allow tabs.",
        ),
        (
            "rules: [a, b\n",
            f"{SOURCE}:2: YAML syntax error at column 1: expected ',' or ']', but got "
            "'<stream end>'.",
        ),
        (
            "a: 1\n---\nb: 2\n",
            f"{SOURCE}:2: YAML syntax error at column 1: but found another document.",
        ),
        (
            "issues:\n  label: 'bell\x07'\n",
            f"{SOURCE}:2: YAML syntax error: U+0007 is not allowed in YAML. "
            "Fix: remove the character.",
        ),
    ],
)
def test_yaml_syntax_errors_name_the_line(text: str, message: str) -> None:
    assert error_of(text) == message


def test_alias_expansion_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    assert error_of("\n".join(lines) + "\n") == (
        f"{SOURCE}:1: the file expands to over 50000 values. Fix: remove aliases (*name)."
    )


def test_check_rules_reports_every_problem_in_file_order() -> None:
    text = (
        "issues:\n  comment: loud\n"
        "rules:\n  - name: a\n    match: {message: '('}\n    priority: P7\n"
        "targets:\n  - colour: red\n"
    )
    config, errors = check_rules(text, SOURCE)
    assert config is None
    assert [(error.line, error.path) for error in errors] == [
        (2, "issues.comment"),
        (5, "rules[0].match.message"),
        (6, "rules[0].priority"),
        (8, "targets[0]"),
    ]
    assert all(error.source == SOURCE for error in errors)


def test_load_rules_file_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "log-gardener.yml"
    path.write_bytes(b"\xef\xbb\xbfissues:\n  max_new_issues: 3\n")  # a BOM is tolerated
    config = load_rules_file(str(path))
    assert (config.issues.max_new_issues, config.source) == (3, str(path))


def test_missing_file_names_it_with_a_fix(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.yml")
    with pytest.raises(ConfigError) as caught:
        load_rules_file(path)
    assert str(caught.value) == (
        f"{path}: rules file not found. Fix: check the path given to --config (or the action "
        "input `config`); examples/log-gardener.yml is a starting point."
    )


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"rules: \xff\n")
    assert validate_config_file(str(binary)) == [
        f"{binary}: the rules file is not UTF-8 text (byte 7). Fix: save it as UTF-8."
    ]
    assert validate_config_file(str(tmp_path)) == [f"{tmp_path}: is a directory, not a rules file."]


def test_validate_config_file_lists_all_errors_or_none(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text(FULL, encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text("issues:\n  comment: loud\n  reopen: 1\n", encoding="utf-8")
    assert validate_config_file(str(good)) == []
    assert validate_config_file(str(bad)) == [
        f"{bad}:2: issues.comment: 'loud' is not a comment mode; expected one of on-change, "
        "every-run, never.",
        f"{bad}:3: issues.reopen: expected true or false; got an integer.",
    ]
    assert validate_config_file("examples/log-gardener.yml") == []


def test_pathological_nesting_is_a_config_error() -> None:
    assert error_of("rules: " + "[" * 5000 + "]" * 5000 + "\n") == (
        f"{SOURCE}: the YAML is nested too deeply. Fix: flatten it."
    )


EXAMPLE = (Path(__file__).parent.parent / "examples" / "log-gardener.yml").read_text("utf-8")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(EXAMPLE)),
            st.integers(0, 3),
            st.sampled_from([*":-[]{}'\"\n\t #&*!|>%@`,?0.aZ", "\x00", "\u2028"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_mangled_files_give_config_errors_never_crashes(
    edits: list[tuple[int, int, str]],
) -> None:
    text = EXAMPLE
    for position, deleted, inserted in edits:
        text = text[:position] + inserted + text[position + deleted :]
    config, errors = check_rules(text, SOURCE)
    assert (config is None) == bool(errors)
    for error in errors:
        message = str(error)
        assert message.startswith(f"{SOURCE}:") and "\n" not in message, message
