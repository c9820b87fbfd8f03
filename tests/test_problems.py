"""Issue 12: templates fold into problems by instance, trace and time.

Whole runs through ``pipeline.run`` with the real PyGithub against the fake GitHub server and
``state.json`` carried between runs (the harness of ``test_gardening_runs``).  The entries are
Cloud Run's own shapes: container lines with ``labels.instanceId``, ``Container called exit(3).``
from ``varlog/system``, request logs with ``httpRequest`` (stamped at the request's start, with a
latency) and, like the real 500 "could not start" lines, some without an instance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from log_gardener.core.grouping.fingerprint import custom_fingerprint
from log_gardener.core.grouping.platform import Role
from log_gardener.core.grouping.problems import (
    FOLDED_LABEL,
    Observation,
    PriorProblem,
    ProblemSet,
    find_problems,
)
from log_gardener.core.judging.rules import (
    IssuePolicy,
    Match,
    ProblemLink,
    ProblemRules,
    RulesConfig,
    TemplateSelector,
)
from log_gardener.core.shared.marker import issue_marker
from log_gardener.model import GROUPING_VERSION, OperationResult
from log_gardener.pipeline import RunOutcome
from tests.fakes.github import FakeGitHub
from tests.test_gardening_runs import (
    BOT,
    TARGET,
    TOKEN,
    Garden,
    committed_state,
    dashboards,
    marked_issues,
    stamp,
)

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
REVISION = "shop-api-00042-xyz"
MIGRATIONS = (
    "Failed to run migrations: (psycopg2.OperationalError) connection to 10.1.2.3 timed out"
)
TIMEOUT = "Database initialization timeout after 10.0s"
STARTUP = "Application startup failed. Exiting."
SERVICE_ID = "SERVICE_ID contained whitespace - sanitized from 'shop\\n' to 'shop'"
MALFORMED = (
    "The request failed because either the HTTP response was malformed or connection to the "
    "instance had an error."
)
NOT_STARTED = "The request failed because the instance could not start successfully."
EXIT3 = custom_fingerprint("cloud-run:exit(3)")


def cloud_run(
    insert_id: str,
    at: datetime,
    text: str,
    severity: str,
    *,
    instance: str = "",
    log: str = "stdout",
    trace: str = "",
    http: dict[str, Any] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "insertId": insert_id,
        "timestamp": stamp(at),
        "severity": severity,
        "logName": f"projects/demo-project/logs/run.googleapis.com%2F{log}",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {
                "service_name": TARGET,
                "revision_name": REVISION,
                "location": "us-central1",
                "project_id": "demo-project",
            },
        },
        "textPayload": text,
    }
    if instance:
        entry["labels"] = {"instanceId": instance}
    if trace:
        entry["trace"] = f"projects/demo-project/traces/{trace}"
    if http is not None:
        entry["httpRequest"] = http
    return entry


class Starts:
    """Instance starts written into a ``LogStore``: crashing ones and healthy ones."""

    def __init__(self, garden: Garden) -> None:
        self.entries = garden.logs.entries
        self.n = 0

    def _id(self) -> str:
        self.n += 1
        return f"p{self.n:05d}"

    def healthy(self, at: datetime, *, warning: bool = True) -> None:
        instance = f"healthy-{self.n:04d}"
        if warning:
            self.entries.append(cloud_run(self._id(), at, SERVICE_ID, "WARNING", instance=instance))
        self.entries.append(
            cloud_run(
                self._id(), at + timedelta(seconds=2), "Pool ready", "WARNING", instance=instance
            )
        )

    def crash(self, at: datetime, *, chain: bool = True, requests: bool = True) -> str:
        instance = f"crash-{self.n:04d}"

        def add(offset_ms: int, text: str, severity: str, **extra: Any) -> None:
            moment = at + timedelta(milliseconds=offset_ms)
            self.entries.append(cloud_run(self._id(), moment, text, severity, **extra))

        add(-900, SERVICE_ID, "WARNING", instance=instance)  # every start logs it
        if chain:  # as the issue tells it: the timeout 10.2 s after the migrations failed
            add(0, MIGRATIONS, "ERROR", instance=instance)
            add(10200, TIMEOUT, "ERROR", instance=instance)
            add(10240, STARTUP, "ERROR", instance=instance, log="stderr")
        add(11510, "Container called exit(3).", "WARNING", instance=instance, log="varlog%2Fsystem")
        if requests:
            request = {"requestMethod": "GET", "requestUrl": "https://shop/api", "status": 503}
            add(
                10500,
                MALFORMED,
                "ERROR",
                instance=instance,
                log="requests",
                http={**request, "latency": "1.0s"},
            )
            request = {"requestMethod": "GET", "requestUrl": "https://shop/cart", "status": 500}
            add(11000, NOT_STARTED, "ERROR", log="requests", http={**request, "latency": "0.5s"})
        return instance


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: BOT}) as server:
        yield server


def problems(outcome: RunOutcome) -> list[dict[str, Any]]:
    found = outcome.report["problems"]
    assert isinstance(found, list)
    return found


def clusters(outcome: RunOutcome) -> dict[str, dict[str, Any]]:
    found = outcome.report["clusters"]
    assert isinstance(found, list)
    return {c["title"]: c for c in found}


def problem_of(outcome: RunOutcome, title_start: str) -> dict[str, Any]:
    by_title = clusters(outcome)
    [cluster] = [c for t, c in by_title.items() if t.startswith(title_start)]
    [problem] = [p for p in problems(outcome) if p["id"] == cluster["problem"]]
    return problem


def crash_hour(garden: Garden, hour: datetime, crashes: int = 4, healthy: int = 3) -> None:
    starts = Starts(garden)
    for i in range(crashes):
        starts.crash(hour - timedelta(minutes=50 - 10 * i))
    for i in range(healthy):
        starts.healthy(hour - timedelta(minutes=45 - 10 * i))


def config(**problem_rules: Any) -> RulesConfig:
    return RulesConfig(issues=IssuePolicy(), problems=ProblemRules(**problem_rules))


def test_a_crash_chain_on_one_instance_is_one_problem_and_one_issue(fake: FakeGitHub) -> None:
    garden = Garden(fake, config())
    crash_hour(garden, T0)
    outcome = garden.run(T0, "run-1")
    assert outcome.error is None

    crash = problem_of(outcome, "Failed to run migrations")
    members = {m["fingerprint"]: m for m in crash["members"]}
    titles = {t: c["fingerprint"] for t, c in clusters(outcome).items()}
    chain = [t for t in titles if not t.startswith(("SERVICE_ID", "Pool ready"))]
    assert len(chain) == 6, "migrations, timeout, startup failed, exit(3), 503, 500"
    assert set(members) == {titles[t] for t in chain}
    assert crash["root"] == titles[next(t for t in chain if t.startswith("Failed to run"))]
    assert members[EXIT3]["kind"] == "platform_failure"
    assert "Container called exit(3)." in titles, "the exit code is kept, not masked"
    assert crash["priority"] == "P1" and crash["templates"] == 6

    # The warning every start logs, healthy ones included, is its own problem.
    warning = problem_of(outcome, "SERVICE_ID")
    assert [m["role"] for m in warning["members"]] == ["root"]
    assert len(problems(outcome)) == 3  # the crash, SERVICE_ID, "Pool ready"

    # One issue per problem (and the dashboard); the body tells the chain.
    issues = marked_issues(fake)
    assert set(issues) == {p["id"] for p in problems(outcome)}
    assert len(fake.issues) == 4 and len(dashboards(fake)) == 1
    body = issues[crash["id"]]["body"]
    assert "### Root and symptoms" in body and "This problem folds 6 message templates" in body
    assert "`Container called exit(3).`" in body
    assert "### One occurrence" in body and "+0 ms" in body and "+10.2 s" in body
    assert "+11.5 s `Container called exit(3).`" in body
    assert "<summary>Why grouped</summary>" in body and "crash: together in 4 of" in body
    board = dashboards(fake)[0]["body"]
    assert board.count("Failed to run migrations") == 1

    # state.json remembers the problem's members; the worklog counts problems.
    state = committed_state(fake)
    assert set(state["problems"][crash["id"]]["members"]) == set(members)
    worklog = outcome.worklog_text
    assert "**Folds:** 6 templates (the root and 5 symptoms)" in worklog
    actions = worklog.split("## Issue actions", 1)[1]
    assert "1. `Failed to run migrations" in actions


def test_a_later_run_with_only_the_exit_line_updates_the_same_issue(fake: FakeGitHub) -> None:
    garden = Garden(fake, config())
    crash_hour(garden, T0)
    first = garden.run(T0, "run-1")
    crash_id = problem_of(first, "Failed to run migrations")["id"]
    number = marked_issues(fake)[crash_id]["number"]
    created = fake.count("POST", r"/issues$")

    later = T0 + timedelta(hours=2)
    starts = Starts(garden)
    for i in range(3):
        starts.crash(later - timedelta(minutes=30 - 5 * i), chain=False, requests=False)
    second = garden.run(later, "run-2")
    assert second.error is None
    exit_only = [
        p for p in problems(second) if any(m["fingerprint"] == EXIT3 for m in p["members"])
    ]
    assert [p["id"] for p in exit_only] == [crash_id], "the lone symptom routes to its problem"
    assert fake.count("POST", r"/issues$") == created, "no new issue"
    assert marked_issues(fake)[crash_id]["number"] == number
    assert "Failed to run migrations" in marked_issues(fake)[crash_id]["title"], "title kept"
    assert ("update-issue", "done") in [
        (e.operation.kind.value, e.result.value)
        for e in second.journal
        if e.operation.fingerprint == crash_id
    ]


def seed_template_issues(fake: FakeGitHub, garden: Garden) -> tuple[int, int]:
    """The days of one issue per template: the root's template and exit(3) have an issue."""
    plan = garden.run(T0, "look", dry_run=True)
    root = problem_of(plan, "Failed to run migrations")["root"]
    numbers = []
    for fingerprint, title in ((root, "Failed to run migrations"), (EXIT3, "exit(3)")):
        numbers.append(
            fake.seed_issue(
                f"GCP-new | P1 | {title}",
                issue_marker(fingerprint, GROUPING_VERSION) + "\n\nOne issue per template.",
                labels=("log-gardener", "P1"),
            )
        )
    return numbers[0], numbers[1]


def test_an_existing_template_issue_that_becomes_a_symptom_is_folded_once(
    fake: FakeGitHub,
) -> None:
    garden = Garden(fake, config())
    crash_hour(garden, T0)
    root_issue, old = seed_template_issues(fake, garden)
    first = garden.run(T0, "run-1")
    assert first.error is None
    crash = problem_of(first, "Failed to run migrations")
    assert marked_issues(fake)[crash["id"]]["number"] == root_issue, "the root keeps its issue"
    issue = fake.issues[old]
    assert issue["state"] == "closed" and issue["state_reason"] == "not_planned"
    assert FOLDED_LABEL in issue["labels"]
    [comment] = [c["body"] for c in fake.comments[old]]
    assert f"#{root_issue}" in comment and "never reopens it" in comment
    assert fake.issues[root_issue]["state"] == "open"

    starts = Starts(garden)
    starts.crash(T0 + timedelta(minutes=30))
    second = garden.run(T0 + timedelta(hours=1), "run-2")
    assert second.error is None
    assert len(fake.comments[old]) == 1, "commented once"
    assert fake.issues[old]["state"] == "closed", "never reopened for being folded"
    assert problem_of(second, "Failed to run migrations")["id"] == crash["id"]


def test_a_request_log_and_its_app_error_under_one_trace_are_one_problem(
    fake: FakeGitHub,
) -> None:
    garden = Garden(fake, config())
    for i in range(2):
        at = T0 - timedelta(minutes=40 - 10 * i)
        trace = f"{i:032x}"
        garden.logs.entries += [
            cloud_run(f"t{i}a", at, "Order lookup failed: KeyError 'sku'", "ERROR", trace=trace),
            cloud_run(
                f"t{i}b",
                at - timedelta(milliseconds=200),
                "POST /api/orders 500",
                "ERROR",
                log="requests",
                trace=trace,
                http={
                    "requestMethod": "POST",
                    "requestUrl": "https://shop/api/orders",
                    "status": 500,
                    "latency": "0.4s",
                },
            ),
        ]
    # Another error at the same moments but in no trace stays apart.
    garden.logs.entries.append(
        cloud_run("lone", T0 - timedelta(minutes=40), "Cache warmer crashed", "ERROR")
    )
    outcome = garden.run(T0, "run-1")
    assert outcome.error is None
    order = problem_of(outcome, "Order lookup failed")
    assert len(order["members"]) == 2 and order["members"][0]["kind"] == "app_error"
    assert "trace: together in 2 of" in order["why"][0]
    assert len(problem_of(outcome, "Cache warmer crashed")["members"]) == 1
    assert len(marked_issues(fake)) == 2


def test_link_and_separate_rules_win(fake: FakeGitHub) -> None:
    def selector(pattern: str) -> TemplateSelector:
        return TemplateSelector(Match(message=re.compile(pattern)))

    rules = config(
        link=(
            ProblemLink("warning-is-part", selector("^Failed to run"), (selector("^SERVICE_ID"),)),
        ),
        separate=((selector("^Failed to run"), selector(r"exit\(3\)")),),
    )
    garden = Garden(fake, rules)
    crash_hour(garden, T0)
    outcome = garden.run(T0, "run-1")
    assert outcome.error is None
    crash = problem_of(outcome, "Failed to run migrations")
    fingerprints = {m["fingerprint"] for m in crash["members"]}
    assert problem_of(outcome, "SERVICE_ID")["id"] == crash["id"], "link wins over contrast"
    assert EXIT3 not in fingerprints, "separate wins over the instance link"
    assert "rule warning-is-part" in " ".join(crash["why"])


def test_a_warning_only_failing_starts_log_joins_the_crash(fake: FakeGitHub) -> None:
    garden = Garden(fake, config())
    starts = Starts(garden)
    for i in range(4):
        at = T0 - timedelta(minutes=50 - 10 * i)
        instance = starts.crash(at)
        starts.entries.append(
            cloud_run(
                f"pool{i}",
                at - timedelta(milliseconds=500),
                "Connection pool exhausted, waiting",
                "WARNING",
                instance=instance,
            )
        )
    for i in range(3):
        starts.healthy(T0 - timedelta(minutes=45 - 10 * i))
    outcome = garden.run(T0, "run-1")
    crash = problem_of(outcome, "Failed to run migrations")
    pool = problem_of(outcome, "Connection pool exhausted")
    assert pool["id"] == crash["id"]
    assert any("instance contrast" in why for why in crash["why"])
    assert problem_of(outcome, "SERVICE_ID")["id"] != crash["id"]


def test_dry_run_shows_the_problems_and_the_fold(fake: FakeGitHub) -> None:
    garden = Garden(fake, config())
    crash_hour(garden, T0)
    _root_issue, old = seed_template_issues(fake, garden)
    before = len(fake.write_requests())
    plan = garden.run(T0, "dry", dry_run=True)
    assert plan.error is None
    assert len(fake.write_requests()) == before, "nothing written"
    kinds = [
        (e.operation.kind.value, e.operation.issue_number, e.result)
        for e in plan.journal
        if e.operation.kind.value != "ensure-label"
    ]
    assert ("close-folded", old, OperationResult.SKIPPED_DRY_RUN) in kinds
    creates = [k for k in kinds if k[0] == "create-issue"]
    assert len(creates) == 2 + 1  # the two warnings' problems and the dashboard
    assert "close as folded" in plan.worklog_text
    crash = problem_of(plan, "Failed to run migrations")
    assert crash["issue_action"] == ["update-issue"]
    assert crash["templates"] == 6


def test_a_lost_state_is_rebuilt_from_the_problem_issue(fake: FakeGitHub) -> None:
    garden = Garden(fake, config())
    crash_hour(garden, T0)
    first = garden.run(T0, "run-1")
    crash_id = problem_of(first, "Failed to run migrations")["id"]
    created = fake.count("POST", r"/issues$")
    fake.push_commit({"worklog/state.json": "{}"})  # state.json lost

    later = T0 + timedelta(hours=2)
    starts = Starts(garden)
    for i in range(2):
        starts.crash(later - timedelta(minutes=30 - 5 * i), chain=False, requests=False)
    second = garden.run(later, "run-2")
    assert second.error is None
    exit_problem = [
        p for p in problems(second) if EXIT3 in {m["fingerprint"] for m in p["members"]}
    ]
    assert [p["id"] for p in exit_problem] == [crash_id]
    assert fake.count("POST", r"/issues$") == created


# --- the core on its own: observations in, problems out ------------------------------------


def obs(
    fp: str,
    at: float,
    role: Role,
    *,
    instance: str = "",
    trace: str = "",
    request: bool = False,
    order: int = 0,
) -> Observation:
    return Observation(fp, at, order, role, "svc", "rev-1", instance, trace, "", request)


ERR, PLAT = Role.APP_ERROR, Role.PLATFORM_FAILURE


def grouped(found: ProblemSet) -> set[frozenset[str]]:
    return {frozenset(p.fingerprints) for p in found.problems}


def test_a_5xx_without_instance_joins_only_an_unambiguous_crash_loop() -> None:
    templates = {"db": (ERR, 0), "exit": (PLAT, 0), "500": (PLAT, 0), "oom": (ERR, 0)}
    one = []
    for i in range(3):
        at = 1000.0 * i
        one += [obs("db", at, ERR, instance=f"a{i}"), obs("exit", at + 1, PLAT, instance=f"a{i}")]
        one.append(obs("500", at + 2, PLAT, request=True))
    assert grouped(find_problems(one, templates)) == {
        frozenset({"db", "exit", "500"}),
        *(frozenset({fp}) for fp in ("oom",)),
    }
    # Two instances failing at that moment: the orphan 500 cannot tell which; it stays apart.
    two = list(one)
    for i in range(3):
        at = 1000.0 * i
        two += [obs("oom", at, ERR, instance=f"b{i}"), obs("exit", at + 1, PLAT, instance=f"b{i}")]
    found = find_problems(two, templates)
    assert found.problem_of["500"] not in (found.problem_of["db"], found.problem_of["oom"])
    assert found.problem_of["db"] != found.problem_of["oom"], "no merge through a shared exit"


def test_a_request_log_ending_in_a_burst_joins_it_and_a_later_error_stays_apart() -> None:
    templates = {"app": (ERR, 0), "req": (PLAT, 0), "other": (ERR, 0)}
    seen = []
    for i in range(4):
        at = 500.0 * i
        seen += [
            obs("app", at, ERR, instance="x"),
            obs("req", at + 1.0, PLAT, instance="x", request=True),  # its end: start + latency
            obs("other", at + 3000, ERR, instance="x"),
        ]
    found = find_problems(seen, templates)
    assert found.problem_of["req"] == found.problem_of["app"] == "app"
    assert found.problem_of["other"] == "other"
    [problem] = [p for p in found.problems if p.id == "app"]
    assert problem.timeline == (("app", 0.0), ("req", 1.0))


def test_two_errors_together_twice_are_a_coincidence_not_a_problem() -> None:
    templates = {"a": (ERR, 0), "b": (ERR, 0)}
    seen = [obs("a", 0, ERR, instance="i"), obs("b", 1, ERR, instance="i")]
    seen += [obs("a", 600, ERR, instance="i"), obs("b", 601, ERR, instance="i")]
    assert grouped(find_problems(seen, templates)) == {frozenset({"a"}), frozenset({"b"})}
    seen += [obs("a", 1200, ERR, instance="i"), obs("b", 1201, ERR, instance="i")]
    assert grouped(find_problems(seen, templates)) == {frozenset({"a", "b"})}, "three times"
    separate = [frozenset({"a", "b"})]
    assert len(find_problems(seen, templates, separate=separate).problems) == 2


def test_recorded_problems_keep_their_id_when_a_new_ancestor_appears() -> None:
    templates = {"new": (ERR, 0), "db": (ERR, 0), "exit": (PLAT, 0)}
    prior = PriorProblem("db", "db", frozenset({"db", "exit"}), issue_number=7)
    seen = []
    for i in range(3):
        at = 1000.0 * i
        seen += [
            obs("new", at, ERR, instance=f"a{i}"),
            obs("db", at + 0.1, ERR, instance=f"a{i}"),
            obs("exit", at + 1, PLAT, instance=f"a{i}"),
        ]
    found = find_problems(seen, templates, priors=[prior])
    [problem] = found.problems
    assert (problem.id, problem.root) == ("db", "new")


def test_the_same_entries_in_any_order_give_the_same_problems() -> None:
    templates = {"db": (ERR, 0), "timeout": (ERR, 0), "exit": (PLAT, 0), "503": (PLAT, 0)}
    seen = []
    for i in range(4):
        at = 1000.0 * i
        place = {"instance": f"a{i}"}
        seen += [
            obs("db", at, ERR, **place),
            obs("timeout", at, ERR, **place),  # the same millisecond as its root
            obs("exit", at + 1.3, PLAT, **place),
            obs("503", at + 1.3, PLAT, request=True, **place),
        ]
    ordered = [replace(o, order=n) for n, o in enumerate(seen)]
    shuffled = list(reversed(ordered))
    shuffled = [replace(o, order=n) for n, o in enumerate(shuffled)]
    first, second = find_problems(ordered, templates), find_problems(shuffled, templates)
    assert first == second
    assert [p.root for p in first.problems] == ["db"]


def test_healthy_starts_of_earlier_runs_decide_the_contrast(fake: FakeGitHub) -> None:
    garden = Garden(fake, config())
    starts = Starts(garden)
    for i in range(3):  # a calm hour: healthy starts only
        starts.healthy(T0 - timedelta(minutes=45 - 10 * i))
    assert garden.run(T0, "run-1").error is None
    assert committed_state(fake)["healthy"][0]["instances"] == 3

    later = T0 + timedelta(hours=1)
    for i in range(4):  # then every start crashes, and only they log the pool warning
        at = later - timedelta(minutes=50 - 10 * i)
        instance = starts.crash(at)
        starts.entries.append(
            cloud_run(
                f"late{i}",
                at - timedelta(milliseconds=500),
                "Connection pool exhausted, waiting",
                "WARNING",
                instance=instance,
            )
        )
    outcome = garden.run(later, "run-2")
    assert outcome.error is None
    crash = problem_of(outcome, "Failed to run migrations")
    assert problem_of(outcome, "Connection pool exhausted")["id"] == crash["id"]
    assert problem_of(outcome, "SERVICE_ID")["id"] != crash["id"], "healthy starts log it too"
    assert any("on 0 of 3 healthy instances" in why for why in crash["why"])
