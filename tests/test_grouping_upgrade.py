"""An upgrade of the grouping version (v1 -> v2) through the real pipeline, the real PyGithub
and the fake GitHub: the previous version's ``state.json`` and its issues (markers with the
old fingerprints) still map each known problem to its issue, so no duplicate is opened.

The v1 side is written as the previous gardener wrote it: v1 masked templates (words with
digits as ``<ID>``, request logs as ``METHOD /path STATUS``) and fingerprints hashed with "v1".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from log_gardener.core.grouping.fingerprint import message_fingerprint, stack_fingerprint
from log_gardener.core.grouping.normalize import normalize_entry
from log_gardener.core.judging.rules import IssuePolicy, RulesConfig
from log_gardener.core.shared.marker import issue_marker, parse_issue_marker
from log_gardener.model import GROUPING_VERSION, LogRecord
from tests.fakes.github import FakeGitHub
from tests.test_gardening_runs import (
    BOT,
    STATE_PATH,
    TARGET,
    TOKEN,
    Garden,
    committed_state,
    day,
    entry,
    is_problem_create,
)

DB = "Database connection timeout while reserving stock"
PROXY = "Upstream proxy via SOCKS5 refused the connection after 3 attempts"
PROXY_V1 = "Upstream proxy via <ID> refused the connection after <NUM> attempts"
REQUEST_V1 = "POST /api/<ID>/chat/messages <NUM>"
TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/app/shop/handlers.py", line 40, in reserve\n'
    "    stock.take(item)\n"
    '  File "/app/shop/stock.py", line 12, in take\n'
    '    raise KeyError("sku")\n'
    "KeyError: 'sku'"
)


def _request(insert_id: str, at: Any) -> dict[str, Any]:
    raw = entry(insert_id, at, "", "ERROR")
    del raw["textPayload"]
    raw["httpRequest"] = {
        "requestMethod": "POST",
        "requestUrl": "https://shop.example/api/v1/chat/messages",
        "status": 502,
    }
    return raw


def _v1_cluster(fp: str, kind: str, template: str, number: int, **extra: str) -> dict[str, Any]:
    return {
        "fingerprint": fp,
        "kind": kind,
        "template": template,
        "logger": "",
        "service": TARGET,
        "exception_type": extra.get("exception_type", ""),
        "first_seen": "2024-04-30T10:00:00Z",
        "last_seen": "2024-04-30T11:00:00Z",
        "issue_number": number,
        "priority": "P1",
        "revisions": ["shop-api-00001-abc"],
        "history": [{"run_id": "old-run", "window_end": "2024-04-30T12:00:00Z", "count": 4}],
        "title": template,
    }


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: BOT}) as server:
        yield server


def test_an_upgrade_maps_the_previous_versions_problems_to_their_issues(fake: FakeGitHub) -> None:
    garden = Garden(fake, RulesConfig(issues=IssuePolicy()))
    last = day(1) - timedelta(hours=1)
    garden.logs.write(DB, 4, last)
    garden.logs.write(PROXY, 3, last)
    garden.logs.write(TRACE, 2, last)
    for index in range(3):
        garden.logs.entries.append(_request(f"r{index}", last - timedelta(minutes=index)))
    trace_record = normalize_entry(garden.logs.entries[7], 1)
    assert isinstance(trace_record, LogRecord) and trace_record.frames

    # What the v1 gardener left behind: fingerprints hashed with "v1", issues marked with them.
    old = {
        DB: ("message", DB, message_fingerprint(DB, "", TARGET, "v1")),
        PROXY: ("message", PROXY_V1, message_fingerprint(PROXY_V1, "", TARGET, "v1")),
        "request": ("message", REQUEST_V1, message_fingerprint(REQUEST_V1, "", TARGET, "v1")),
        "trace": (
            "stack",
            "KeyError: <VALUE>",
            stack_fingerprint("KeyError", trace_record.frames, "v1"),
        ),
    }
    numbers = {}
    clusters = {}
    for name, (kind, template, fp) in old.items():
        body = f"{issue_marker(fp, 'v1')}\n\nA problem found by log-gardener v1."
        numbers[name] = fake.seed_issue(f"{template}", body, labels=("log-gardener", "P1"))
        clusters[fp] = _v1_cluster(
            fp, kind, template, numbers[name], exception_type="KeyError" if kind == "stack" else ""
        )
    state = {
        "version": 1,
        "grouping_version": "v1",
        "clusters": clusters,
        "cursors": {},
        "pending": [],
        "runs": [],
        "dashboard_issue": None,
        "overlap_ids": {},
    }
    fake.seed_files({STATE_PATH: json.dumps(state)})

    outcome = garden.run(day(1), "upgrade-1")
    assert outcome.error is None
    # Not hollow: this version's own fingerprints differ from the old ones for every problem.
    assert GROUPING_VERSION != "v1"
    assert message_fingerprint(DB, "", TARGET) != old[DB][2]
    assert {j.cluster.fingerprint for j in outcome.judged} == {fp for _, _, fp in old.values()}
    assert not [r for r in fake.write_requests() if is_problem_create(r)], "no duplicate issue"
    titles = {j.cluster.fingerprint: j.cluster.template for j in outcome.judged}
    assert titles[old["request"][2]] == "POST /api/v1/chat/messages -> 502"
    assert (
        titles[old[PROXY][2]]
        == "Upstream proxy via SOCKS5 refused the connection after <NUM> attempts"
    )

    # The issues now carry this version's marker with the fingerprint they always had.
    for name, (_, _, fp) in old.items():
        marker = parse_issue_marker(fake.issues[numbers[name]]["body"])
        assert marker is not None and (marker.fingerprint, marker.grouping_version) == (
            fp,
            GROUPING_VERSION,
        )
    committed = committed_state(fake)
    assert committed["grouping_version"] == GROUPING_VERSION
    assert "legacy_fingerprints" not in committed  # every old problem found its cluster
    assert {c["issue_number"] for c in committed["clusters"].values()} == set(numbers.values())

    # A later run on the upgraded state: the same problems, still no duplicate.
    later = day(2) - timedelta(hours=1)
    garden.logs.write(DB, 2, later)
    garden.logs.write(PROXY.replace("3 attempts", "5 attempts"), 2, later)
    second = garden.run(day(2), "upgrade-2")
    assert second.error is None
    assert {j.cluster.fingerprint for j in second.judged} <= {fp for _, _, fp in old.values()}
    assert not [r for r in fake.write_requests() if is_problem_create(r)]


def test_old_problems_not_seen_at_the_upgrade_keep_their_mapping(fake: FakeGitHub) -> None:
    garden = Garden(fake, RulesConfig(issues=IssuePolicy()))
    fp = message_fingerprint(PROXY_V1, "", TARGET, "v1")
    number = fake.seed_issue(PROXY_V1, f"{issue_marker(fp, 'v1')}\n\nold", labels=("log-gardener",))
    state = {
        "version": 1,
        "grouping_version": "v1",
        "clusters": {fp: _v1_cluster(fp, "message", PROXY_V1, number)},
        "cursors": {},
        "pending": [],
        "runs": [],
        "dashboard_issue": None,
        "overlap_ids": {},
    }
    fake.seed_files({STATE_PATH: json.dumps(state)})
    garden.logs.write(DB, 3, day(1) - timedelta(hours=1))
    assert garden.run(day(1), "quiet-1").error is None
    assert committed_state(fake)["legacy_fingerprints"] == [fp]  # still waiting for its problem
    garden.logs.write(PROXY, 3, day(2) - timedelta(hours=1))
    second = garden.run(day(2), "quiet-2")
    assert second.error is None
    assert fp in {j.cluster.fingerprint for j in second.judged}
    creates = [r for r in fake.write_requests() if is_problem_create(r)]
    assert len(creates) == 1  # the database problem, new in the first run; the proxy: none
    assert "legacy_fingerprints" not in committed_state(fake)


def test_state_of_a_previous_version_is_kept_as_legacy_and_an_unknown_one_dropped() -> None:
    from log_gardener.core.shared.state import parse_state, state_to_json

    fp = message_fingerprint(DB, "", TARGET, "v1")
    document = {
        "version": 1,
        "grouping_version": "v1",
        "clusters": {fp: _v1_cluster(fp, "message", DB, 7)},
    }
    state, warning = parse_state(json.dumps(document))
    assert not warning and set(state.clusters) == {fp} and state.legacy == {fp}
    assert state.clusters[fp].issue_number == 7
    again, _ = parse_state(state_to_json(state))  # carried until the problem shows up
    assert again.legacy == {fp}
    unknown, _ = parse_state(json.dumps({**document, "grouping_version": "v0-experimental"}))
    assert not unknown.clusters and not unknown.legacy
