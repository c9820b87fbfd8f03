"""The JSON Schema and the loader describe the same file: they accept and reject alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from log_gardener.config.rules_file import check_rules

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schema" / "log-gardener.schema.json"


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def schema_errors(text: str) -> list[str]:
    document = yaml.safe_load(text)
    return sorted(
        "/".join(str(part) for part in error.absolute_path) or "<root>"
        for error in validator().iter_errors(document)
    )


def loader_accepts(text: str) -> bool:
    return not check_rules(text, "t.yml")[1]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def walk(node: object, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((path, node))
        for key, value in node.items():
            found.extend(walk(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(walk(value, f"{path}/{index}"))
    return found


def test_every_object_is_closed_and_every_property_described() -> None:
    for path, node in walk(schema()):
        if "properties" in node:
            assert node.get("additionalProperties") is False, path
            for name, prop in node["properties"].items():
                assert prop.get("description"), f"{path}/properties/{name}"


def test_example_file_is_valid() -> None:
    text = (ROOT / "examples" / "log-gardener.yml").read_text(encoding="utf-8")
    assert schema_errors(text) == []
    assert loader_accepts(text)


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("rules:\n  - match: {severity: ERRR}\n", ["rules/0/match/severity"]),
        ("issues:\n  comment: always\n  frobnicate: 1\n", ["issues", "issues/comment"]),
        (
            "targets:\n  - {service: Api_1, min_severity: warn}\n",
            [
                "targets/0/min_severity",
                "targets/0/service",
            ],
        ),
        ("redaction:\n  patterns: [{kind: acct}]\n", ["redaction/patterns/0"]),
    ],
)
def test_bad_files_fail_the_schema_at_the_right_place(text: str, paths: list[str]) -> None:
    assert schema_errors(text) == paths


# Documents both must accept (True) or both reject (False).  Checks only the loader can make
# (duplicate keys, duplicate names, regex syntax, min above max, a regex matching nothing)
# are tested in test_rules_file.py.
AGREEMENT = [
    ("", True),
    ("problems:\n", True),
    (
        "problems:\n  link:\n    - name: db\n      root: {message: '^Failed to run'}\n"
        "      symptoms: [{message: 'exit\\\\(3\\\\)'}, {fingerprint: 1a2b3c4d}]\n"
        "  separate:\n    - [{fingerprint: 1a2b3c4d5e6f7a8b}, {message: '^SERVICE_ID'}]\n",
        True,
    ),
    ("problems:\n  link:\n    - root: {message: x}\n", False),
    ("problems:\n  link:\n    - {root: {message: x}, symptoms: []}\n", False),
    ("problems:\n  separate:\n    - [{message: a}]\n", False),
    ("problems:\n  separate:\n    - [{message: a}, {fingerprint: XYZ}]\n", False),
    ("problems:\n  separate:\n    - [{message: a}, {}]\n", False),
    ("problems:\n  merge: []\n", False),
    ("version: 1\n", True),
    ("version: 2\n", False),
    ("version: '1'\n", False),
    ("rules:\n", True),
    ("rule: []\n", False),
    ("- a\n", False),
    ("targets:\n  - {project: demo-project, service: backend-staging}\n", True),
    ("targets:\n  - {project: '123456789012'}\n", True),
    ("targets:\n  - {project: example.com:my-project}\n", True),
    ("targets:\n  - {project: Demo}\n", False),
    ("targets:\n  - {name: 'has space'}\n", False),
    ("targets:\n  - {name: api.v2_eu-1}\n", True),
    ("targets:\n  - {service: '-bad'}\n", False),
    ("targets:\n  - {filter: 'logName:\"x\"', min_severity: NOTICE}\n", True),
    ("targets:\n  - {filter: '   '}\n", False),
    ("targets:\n  - {min_severity: Warning}\n", False),
    ("targets:\n  - {region: eu}\n", False),
    ("targets: {name: a}\n", False),
    ("defaults:\n  priorities: {ERROR: P0, DEBUG: P3}\n", True),
    ("defaults:\n  priorities: {ERROR: P5}\n", False),
    ("defaults:\n  priorities: {ERR: P1}\n", False),
    ("defaults:\n  priority: {ERROR: P1}\n", False),
    ("defaults:\n  priorities:\n", True),
    ("rules:\n  - {}\n", True),
    ("rules:\n  - match:\n", True),
    ("rules:\n  - match: {}\n    priority: P2\n", True),
    ("rules:\n  - match: {severity: ERROR}\n", True),
    ("rules:\n  - match: {severity: {min: INFO}}\n", True),
    ("rules:\n  - match: {severity: {min: INFO, maximum: ERROR}}\n", False),
    ("rules:\n  - match: {severity: [INFO]}\n", False),
    ("rules:\n  - match: {message: 'a+b', exception_type: '^E$', logger: 'a.*'}\n", True),
    ("rules:\n  - match: {message: ''}\n", False),
    ("rules:\n  - match: {message: 12}\n", False),
    ("rules:\n  - match: {resource_labels: {zone: 'eu-*'}}\n", True),
    ("rules:\n  - match: {resource_labels: {zone: 1}}\n", False),
    ("rules:\n  - match: {resource_labels: [zone]}\n", False),
    ("rules:\n  - match: {service: '*'}\n", True),
    ("rules:\n  - match: {services: '*'}\n", False),
    ("rules:\n  - priority: P4\n", True),
    ("rules:\n  - priority: 4\n", False),
    ("rules:\n  - priority:\n", False),
    ("rules:\n  - labels: [a, b]\n", True),
    ("rules:\n  - labels: a\n", False),
    ("rules:\n  - labels: ['" + "x" * 50 + "']\n", True),
    ("rules:\n  - labels: ['" + "x" * 51 + "']\n", False),
    ("rules:\n  - labels: ['a ']\n", False),
    ("rules:\n  - title: '" + "t" * 200 + "'\n", True),
    ("rules:\n  - title: '" + "t" * 201 + "'\n", False),
    ("rules:\n  - impact: ''\n", False),
    ("rules:\n  - ignore: yes\n", True),
    ("rules:\n  - ignore: 'yes'\n", False),
    ("rules:\n  - group_by: 'db-{service}-{location}'\n", True),
    ("rules:\n  - group_by: 'literal {{x}}'\n", True),
    ("rules:\n  - group_by: '{message}'\n", False),
    ("rules:\n  - group_by: 'a}'\n", False),
    ("rules:\n  - name: '" + "n" * 101 + "'\n", False),
    ("issues:\n  title_format: '{title}'\n", True),
    ("issues:\n  title_format: '[{priority}] {title} x{count} {service} {status}'\n", True),
    ("issues:\n  title_format: '{priority}'\n", False),
    ("issues:\n  title_format: '{title} {{braces}}'\n", True),
    ("issues:\n  title_format: '{title} {'\n", False),
    ("issues:\n  title_format: '{title:>10}'\n", False),
    ("issues:\n  reopen: false\n  dashboard: false\n", True),
    ("issues:\n  max_new_issues: 0\n  max_operations: 0\n  auto_resolve_days: 0\n", True),
    ("issues:\n  max_new_issues: -1\n", False),
    ("issues:\n  max_operations: '5'\n", False),
    ("issues:\n  comment: every-run\n", True),
    ("issues:\n  comment: every_run\n", False),
    ("issues:\n  label: ''\n", False),
    ("issues:\n  escalation: {enabled: true, min_runs: 1, floor: 0, factor: 0.5}\n", True),
    ("issues:\n  escalation: {factor: 0}\n", False),
    ("issues:\n  escalation: {min_runs: 0}\n", False),
    ("issues:\n  escalation:\n", False),
    ("issues:\n  escalation: {spike: 2}\n", False),
    ("redaction:\n  ip_addresses: false\n  keys: [x-sig]\n", True),
    ("redaction:\n  patterns: [{kind: acct-no, regex: 'ACCT-[0-9]+'}]\n", True),
    ("redaction:\n  patterns: [{kind: Acct, regex: 'x'}]\n", False),
    ("redaction:\n  patterns: [{regex: 'x'}]\n", False),
    ("redaction:\n  patterns: [{kind: a, regex: 'x', flags: i}]\n", False),
    ("redaction:\n  keys: ['']\n", False),
    ("redaction:\n  ip: false\n", False),
]


@pytest.mark.parametrize(("text", "accepted"), AGREEMENT)
def test_loader_and_schema_agree(text: str, accepted: bool) -> None:
    assert (schema_errors(text) == [], loader_accepts(text)) == (accepted, accepted)


def test_every_yaml_example_in_the_docs_is_valid() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    blocks = text.split("```yaml\n")[1:]
    assert len(blocks) == 5
    for block in blocks:
        example = block.split("```", 1)[0]
        assert check_rules(example, "docs/rules.md")[1] == [], example
        assert schema_errors(example) == [], example
