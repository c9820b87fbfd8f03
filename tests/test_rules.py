"""Rule evaluation: first match wins, each condition, effects, group keys, defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from log_gardener.config.rules_file import load_rules
from log_gardener.core.judging.rules import (
    Match,
    Rule,
    RulesConfig,
    cluster_matches,
    custom_group_key,
    default_config,
    judge,
    record_matches,
)
from log_gardener.model import (
    ClusterSummary,
    GroupingKind,
    Judgement,
    LogRecord,
    Priority,
    Severity,
    StackFrame,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def record(
    message: str = "Database initialization timeout after 30s",
    *,
    severity: Severity = Severity.ERROR,
    service: str = "backend-staging",
    logger: str = "app.db",
    exception_type: str = "",
    text: str = "",
    resource_labels: Mapping[str, str] | None = None,
    revision: str = "backend-staging-00042-abc",
    frames: tuple[StackFrame, ...] = (),
) -> LogRecord:
    return LogRecord(
        insert_id="id-1",
        timestamp=T0,
        severity=severity,
        message=message,
        text=text or message,
        resource_labels=resource_labels if resource_labels is not None else {"region": "eu"},
        service=service,
        revision=revision,
        location="europe-west1",
        logger=logger,
        exception_type=exception_type,
        frames=frames,
    )


def cluster(
    *samples: LogRecord,
    template: str = "Database initialization timeout after <DURATION>",
    exception_type: str = "",
    logger: str = "app.db",
    severities: Mapping[Severity, int] | None = None,
    services: tuple[str, ...] = ("backend-staging",),
    top_frames: tuple[StackFrame, ...] = (),
) -> ClusterSummary:
    return ClusterSummary(
        fingerprint="f" * 16,
        kind=GroupingKind.MESSAGE,
        template=template,
        exception_type=exception_type,
        exception_value="",
        top_frames=top_frames,
        logger=logger,
        count=3,
        severity_counts=severities if severities is not None else {Severity.ERROR: 3},
        first_seen=T0,
        last_seen=T0,
        services=services,
        revisions={"backend-staging-00042-abc": 3},
        locations=("europe-west1",),
        samples=samples or (record(),),
        buckets=(1, 2),
    )


def rules(text: str) -> RulesConfig:
    return load_rules(text, "test.yml")


def test_no_rules_uses_the_severity_defaults() -> None:
    config = default_config()
    expected = {
        Severity.EMERGENCY: Priority.P0,
        Severity.ALERT: Priority.P0,
        Severity.CRITICAL: Priority.P0,
        Severity.ERROR: Priority.P1,
        Severity.WARNING: Priority.P3,
        Severity.NOTICE: Priority.P4,
        Severity.INFO: Priority.P4,
        Severity.DEBUG: Priority.P4,
        Severity.DEFAULT: Priority.P4,
    }
    for severity, priority in expected.items():
        judged = judge(config, cluster(severities={severity: 1}))
        assert judged == Judgement(
            priority=priority, labels=(), title="", impact="", rule="default"
        ), severity


def test_default_priority_follows_the_highest_severity() -> None:
    mixed = cluster(severities={Severity.INFO: 90, Severity.WARNING: 9, Severity.CRITICAL: 1})
    assert judge(default_config(), mixed).priority is Priority.P0


def test_partial_priority_override_keeps_the_other_defaults() -> None:
    config = rules("defaults:\n  priorities:\n    WARNING: P2\n")
    assert judge(config, cluster(severities={Severity.WARNING: 1})).priority is Priority.P2
    assert judge(config, cluster(severities={Severity.ERROR: 1})).priority is Priority.P1


def test_first_matching_rule_wins_and_sets_every_effect() -> None:
    config = rules(
        """
rules:
  - name: first
    match: {message: 'initialization timeout'}
    priority: P0
    labels: [infrastructure, db, infrastructure]
    title: Database initialization timeout blocks startup
    impact: Every request fails.
  - name: second
    match: {message: 'Database'}
    priority: P4
"""
    )
    assert judge(config, cluster()) == Judgement(
        priority=Priority.P0,
        labels=("infrastructure", "db"),
        title="Database initialization timeout blocks startup",
        impact="Every request fails.",
        rule="first",
        ignored=False,
        pinned=True,
    )


def test_rule_without_priority_keeps_the_severity_default_unpinned() -> None:
    config = rules("rules:\n  - name: tag\n    labels: [db]\n")
    assert judge(config, cluster(severities={Severity.WARNING: 2})) == Judgement(
        priority=Priority.P3, labels=("db",), title="", impact="", rule="tag", pinned=False
    )


def test_ignore_rule_marks_the_judgement_ignored() -> None:
    config = rules("rules:\n  - name: noise\n    match: {message: 'timeout'}\n    ignore: true\n")
    judged = judge(config, cluster())
    assert (judged.ignored, judged.rule, judged.priority, judged.pinned) == (
        True,
        "noise",
        Priority.P1,
        False,
    )


def test_unnamed_rule_is_named_by_its_position() -> None:
    config = rules("rules:\n  - match: {message: nope}\n  - priority: P2\n")
    assert judge(config, cluster()).rule == "rules[1]"


@pytest.mark.parametrize(
    ("match", "matches"),
    [
        # message: searched in the template, the sample messages and the full texts
        ("message: 'after <DURATION>$'", True),
        ("message: 'after 30s'", True),
        ("message: 'asyncpg\\.exceptions'", True),  # only in the sample's full text
        ("message: '^timeout'", False),
        # exception type: searched in the cluster's and the samples' types
        ("exception_type: 'TimeoutError$'", True),
        ("exception_type: '^ValueError$'", False),
        # logger glob: the whole logger name, or a top frame's module
        ("logger: 'app.*'", True),
        ("logger: 'sqlalchemy.pool.*'", True),
        ("logger: 'app'", False),
        # severity: compared with the cluster's highest severity
        ("severity: ERROR", True),
        ("severity: CRITICAL", False),
        ("severity: {min: WARNING, max: ERROR}", True),
        ("severity: {max: WARNING}", False),
        ("severity: {min: ERROR, max: ERROR}", True),
        # service glob: any of the cluster's services
        ("service: 'worker-*'", True),
        ("service: 'frontend'", False),
        # resource labels: one sample must carry every label
        ("resource_labels: {region: 'eu*', revision_name: 'backend-*'}", True),
        ("resource_labels: {region: 'us*'}", True),  # the second sample
        ("resource_labels: {region: 'asia*'}", False),
        ("resource_labels: {zone: '*'}", False),
        # all conditions together
        ("{message: 'timeout', severity: ERROR, service: 'backend-*', logger: 'app.db'}", True),
        ("{message: 'timeout', severity: ERROR, service: 'nope'}", False),
    ],
)
def test_each_match_condition(match: str, matches: bool) -> None:
    body = match if match.startswith("{") else "{" + match + "}"
    config = rules(f"rules:\n  - name: r\n    match: {body}\n    priority: P2\n")
    subject = cluster(
        record(
            "Database initialization timeout after 30s",
            text="Database initialization timeout after 30s\n"
            "Traceback (most recent call last):\nasyncpg.exceptions.ConnectionDoesNotExistError",
            exception_type="asyncio.TimeoutError",
            resource_labels={"region": "eu-west", "revision_name": "backend-staging-00042"},
        ),
        record(resource_labels={"region": "us-east"}),
        exception_type="",
        severities={Severity.WARNING: 5, Severity.ERROR: 1},
        services=("backend-staging", "worker-eu"),
        top_frames=(StackFrame(module="sqlalchemy.pool.base", function="connect"),),
    )
    expected_rule = "r" if matches else "default"
    assert judge(config, subject).rule == expected_rule


def test_labels_must_hold_on_one_sample_not_spread_over_several() -> None:
    match = Match(resource_labels={"region": "eu", "revision_name": "b"})
    spread = cluster(
        record(resource_labels={"region": "eu"}), record(resource_labels={"revision_name": "b"})
    )
    together = cluster(record(resource_labels={"region": "eu", "revision_name": "b"}))
    assert (cluster_matches(match, spread), cluster_matches(match, together)) == (False, True)


def test_empty_match_matches_everything() -> None:
    assert cluster_matches(Match(), cluster()) is True
    assert record_matches(Match(), record(severity=Severity.DEBUG)) is True


def test_record_matching_uses_the_record_itself() -> None:
    match = Match(
        message=re.compile("WebSocket"),
        severity_min=Severity.WARNING,
        severity_max=Severity.WARNING,
        logger="app.ws*",
    )
    ws = record("Found other WebSocket Manager classes", severity=Severity.WARNING, logger="app.ws")
    assert record_matches(match, ws) is True
    assert record_matches(match, record("Found other WebSocket Manager classes")) is False


def test_group_key_first_rule_with_group_by_whose_match_holds() -> None:
    config = rules(
        """
rules:
  - name: plain
    match: {message: 'Redis'}
    priority: P0
  - name: other
    match: {message: 'Kafka'}
    group_by: kafka
  - name: redis
    match: {message: '[Rr]edis .*refused', severity: ERROR}
    group_by: 'redis-{service}-{severity}'
  - name: late
    match: {message: 'Redis'}
    group_by: late
"""
    )
    refused = record("Redis connection refused on 10.0.0.3", service="api")
    assert custom_group_key(config, refused) == "redis-api-ERROR"
    assert custom_group_key(config, record("Redis slow", severity=Severity.WARNING)) == "late"
    assert custom_group_key(config, record("nothing to see")) is None
    assert custom_group_key(default_config(), refused) is None


def test_group_key_placeholders_are_filled_not_reparsed() -> None:
    config = RulesConfig(
        rules=(Rule(name="g", match=Match(), group_by="{logger}|{exception_type}|{revision}"),)
    )
    odd = record(logger="a{service}b", exception_type="E", revision="r-1")
    assert custom_group_key(config, odd) == "a{service}b|E|r-1"


def test_example_rules_file_judges_the_demo_problems() -> None:
    with open("examples/log-gardener.yml", encoding="utf-8") as handle:
        config = load_rules(handle.read(), "examples/log-gardener.yml")
    cases = [
        ("Database initialization timeout after 30.0s", Severity.CRITICAL, Priority.P0),
        (
            "SSOT WARNING: Found other WebSocket Manager classes: [...]",
            Severity.WARNING,
            Priority.P3,
        ),
        ("SERVICE_ID contained whitespace; sanitized", Severity.WARNING, Priority.P4),
    ]
    for message, severity, priority in cases:
        sample = record(message, severity=severity)
        judged = judge(config, cluster(sample, template=message, severities={severity: 1}))
        assert (judged.priority, judged.pinned) == (priority, True), message
    probe = record("GET /healthz 503", severity=Severity.WARNING)
    probes = cluster(probe, template="GET /healthz <*>", severities={Severity.WARNING: 1})
    assert judge(config, probes).ignored is True
    failing = cluster(probe, template="GET /healthz <*>", severities={Severity.ERROR: 1})
    assert judge(config, failing).ignored is False
    redis = record("Redis connection refused", severity=Severity.ERROR, service="backend-staging")
    assert custom_group_key(config, redis) == "redis-unavailable-backend-staging"
