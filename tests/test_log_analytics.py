"""The log-analytics source: the generated BigQuery SQL (transpiled by sqlglot, run in DuckDB on
an ``_AllLogs``-shaped table) against the pull path on the same entries; the masking rules in
SQL against their Python twin; the real google-cloud-bigquery client against the fake BigQuery
REST server (dry run, cost guard, paging, 400/403/404); and the action end to end."""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials

from log_gardener.adapters.log_analytics import LogAnalyticsSource
from log_gardener.cli import main
from log_gardener.config.inputs import options_from_action_env
from log_gardener.config.rules_file import load_rules, load_rules_file
from log_gardener.core.grouping import log_analytics as la
from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.ingest import IngestCounts, Ingestor
from log_gardener.core.grouping.platform import Role
from log_gardener.core.grouping.problems import (
    Observer,
    ProblemSet,
    find_problems,
    specificity,
    template_roles,
)
from log_gardener.core.judging.rules import RulesConfig, Target, judge
from log_gardener.errors import ConfigError, SourceError
from log_gardener.model import ClusterSummary, Severity, Window
from tests.fakes.bigquery import FakeBigQuery
from tests.fakes.gcp import FakeGcp
from tests.fakes.github import FakeGitHub
from tests.la_duckdb import connect, load, run_query, to_duckdb
from tests.la_generate import entries as generated
from tests.test_action_end_to_end import outputs

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "cloud-run-backend-hour.jsonl"
DEMO_WINDOW = Window(
    datetime(2025, 9, 15, 13, 40, tzinfo=UTC), datetime(2025, 9, 15, 14, 40, tzinfo=UTC)
)


def demo_entries() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]


def demo_config() -> RulesConfig:
    return load_rules_file(str(ROOT / "examples" / "log-gardener.yml"))


# --- the two paths on the same entries ----------------------------------------------------------


LAST_PROBLEMS: dict[str, ProblemSet] = {}
LAST_OBSERVERS: dict[str, Observer] = {}


def _finish(
    name: str, clusterer: Clusterer, observer: Observer, ingestor: Ingestor
) -> tuple[list[ClusterSummary], IngestCounts]:
    """As the pipeline does: fingerprints resolved, then the problems of the run."""
    observer.resolve(clusterer.resolve)
    summaries = clusterer.summaries()
    roles = template_roles(observer)
    templates = {
        s.fingerprint: (
            roles.get(s.fingerprint, Role.APP_NOTE),
            specificity(s.exception_type, s.template, bool(s.top_frames)),
        )
        for s in summaries
    }
    LAST_PROBLEMS[name] = find_problems(
        observer.observations,
        templates,
        notes_on=observer.notes_on,
        first_seen={
            s.fingerprint: min(
                s.first_seen.timestamp(), observer.first_seen.get(s.fingerprint, float("inf"))
            )
            for s in summaries
        },
    )
    LAST_OBSERVERS[name] = observer
    return summaries, ingestor.counts()


def pull_path(
    entries: Iterable[dict[str, Any]], window: Window, config: RulesConfig, minimum: Severity
) -> tuple[list[ClusterSummary], IngestCounts]:
    clusterer = Clusterer(window)
    observer = Observer()
    ingestor = Ingestor(clusterer, config, minimum, window, observer=observer)
    ordered = sorted(entries, key=lambda e: str(e.get("timestamp")))  # entries.list order
    for line_no, entry in enumerate(ordered, start=1):
        ingestor.add(line_no, entry)
    return _finish("pull", clusterer, observer, ingestor)


def pushdown_path(
    items: Iterable[tuple[int, object]], window: Window, config: RulesConfig, minimum: Severity
) -> tuple[list[ClusterSummary], IngestCounts]:
    clusterer = Clusterer(window)
    observer = Observer()
    ingestor = Ingestor(clusterer, config, minimum, window, observer=observer)
    for line_no, item in items:
        ingestor.add(line_no, item)
    return _finish("push", clusterer, observer, ingestor)


def _linkable(observer: Observer) -> Counter[tuple[object, ...]]:
    """The observations without their input order (ties in time are broken by rank)."""
    return Counter(
        (
            o.fingerprint,
            o.at,
            o.role,
            o.service,
            o.revision,
            o.instance,
            o.trace,
            o.operation,
            o.request,
        )
        for o in observer.observations
    )


def assert_same_links_and_problems() -> None:
    """What the problem layer reads, and what it makes of it, are the same both ways."""
    pulled, pushed = LAST_OBSERVERS["pull"], LAST_OBSERVERS["push"]
    assert _linkable(pushed) == _linkable(pulled)
    assert pushed.notes_on == pulled.notes_on
    assert template_roles(pushed) == template_roles(pulled)
    assert pushed.first_seen == pulled.first_seen
    a, b = LAST_PROBLEMS["pull"], LAST_PROBLEMS["push"]
    assert dict(b.problem_of) == dict(a.problem_of)
    assert [(p.id, p.root, p.members) for p in b.problems] == [
        (p.id, p.root, p.members) for p in a.problems
    ]


def duckdb_items(
    entries: Iterable[dict[str, Any]], target: Target, window: Window, project: str
) -> tuple[list[tuple[int, object]], int]:
    con = connect()
    load(con, entries)
    rows = run_query(
        con,
        la.grouping_sql(la.table_reference(project, "logs_link")),
        la.query_parameters(target, window, project),
    )
    groups = [la.group_from_row(row) for row in rows]
    return list(enumerate(la.weighted_entries(groups), start=1)), len(rows)


def comparable(summary: ClusterSummary, config: RulesConfig) -> tuple[object, ...]:
    return (
        summary.fingerprint,
        summary.kind,
        summary.template,
        summary.count,
        summary.first_seen,
        summary.last_seen,
        dict(summary.severity_counts),
        dict(summary.revisions),
        summary.buckets,
        summary.services,
        judge(config, summary).priority,
    )


def assert_same_problems(
    pulled: Sequence[ClusterSummary], pushed: Sequence[ClusterSummary], config: RulesConfig
) -> None:
    a = {s.fingerprint: comparable(s, config) for s in pulled}
    b = {s.fingerprint: comparable(s, config) for s in pushed}
    assert a.keys() == b.keys()
    for fingerprint, values in a.items():
        assert b[fingerprint] == values, fingerprint


@pytest.mark.parametrize("minimum", [Severity.WARNING, Severity.DEFAULT])
def test_the_demo_hour_gives_the_same_problems_both_ways(minimum: Severity) -> None:
    config = demo_config()
    target = Target("backend", "demo-project", min_severity=minimum)
    items, groups = duckdb_items(demo_entries(), target, DEMO_WINDOW, "demo-project")
    pulled, pull_counts = pull_path(demo_entries(), DEMO_WINDOW, config, minimum)
    pushed, push_counts = pushdown_path(items, DEMO_WINDOW, config, minimum)
    assert len(pulled) >= 10
    assert_same_problems(pulled, pushed, config)
    assert_same_links_and_problems()
    assert any(len(p.members) > 1 for p in LAST_PROBLEMS["pull"].problems)
    assert push_counts.kept == pull_counts.kept == sum(s.count for s in pulled)
    assert groups < push_counts.kept, "BigQuery returns groups, not entries"
    # samples are real entries of the window, never a stand-in
    ids = {e["insertId"] for e in demo_entries()}
    assert all(s.insert_id in ids for c in pushed for s in c.samples)


def test_link_rows_are_capped_per_group_and_the_run_says_so() -> None:
    target = Target("backend", "demo-project", min_severity=Severity.WARNING)
    con = connect()
    load(con, demo_entries())
    parameters = la.query_parameters(target, DEMO_WINDOW, "demo-project")
    table = la.table_reference("demo-project", "logs_link")
    full = [la.group_from_row(r) for r in run_query(con, la.grouping_sql(table), parameters)]
    assert la.links_note(full) == ""
    assert sum(g.link_count for g in full) == sum(len(g.links) for g in full) > 0
    capped = [
        la.group_from_row(r)
        for r in run_query(con, la.grouping_sql(table, max_links=1), parameters)
    ]
    assert all(len(g.links) <= 1 for g in capped)
    beyond = sum(g.link_count - len(g.links) for g in capped)
    assert beyond > 0 and f"({beyond} entries past the first" in la.links_note(capped)
    few = [
        la.group_from_row(r)
        for r in run_query(con, la.grouping_sql(table, max_link_rows=5), parameters)
    ]
    assert sum(len(g.links) for g in few) == 5 and la.links_note(few)
    assert [g.link_count for g in few] == [g.link_count for g in full]
    # the rows pulled are signals and note places, never every entry
    kept = sum(g.count for g in full)
    assert sum(len(g.links) + len(g.notes) for g in full) < kept


@pytest.mark.parametrize(("count", "minimum"), [(6000, Severity.WARNING), (6000, Severity.DEFAULT)])
def test_generated_sets_give_the_same_problems_both_ways(count: int, minimum: Severity) -> None:
    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    entries = list(generated(count, start, timedelta(minutes=70), seed=count + int(minimum)))
    window = Window(start + timedelta(minutes=5), start + timedelta(minutes=65))
    config = load_rules("version: 1\n", "inline")
    target = Target("gen", "gen-project", min_severity=minimum)
    items, groups = duckdb_items(entries, target, window, "gen-project")
    pulled, pull_counts = pull_path(entries, window, config, minimum)
    pushed, push_counts = pushdown_path(items, window, config, minimum)
    assert len(pulled) > 20
    assert_same_problems(pulled, pushed, config)
    assert_same_links_and_problems()
    assert push_counts.kept == pull_counts.kept
    assert groups < push_counts.kept


def test_the_service_and_project_are_query_parameters_not_sql() -> None:
    entries = list(generated(600, datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=60)))
    window = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC))
    hostile = "api' OR '1'='1"
    items, _ = duckdb_items(entries, Target("t", "gen-project", hostile), window, "gen-project")
    assert items == []
    items, _ = duckdb_items(entries, Target("t", "gen-project", "api"), window, "gen-project")
    pushed, _ = pushdown_path(items, window, load_rules("version: 1\n", "x"), Severity.WARNING)
    assert pushed and all(c.services == ("api",) for c in pushed)
    other, _ = duckdb_items(entries, Target("t", "other-project"), window, "other-project")
    assert other == []
    sql = la.grouping_sql(la.table_reference("gen-project", "logs_link"))
    assert hostile not in sql and "gen-project.logs_link._AllLogs" in sql


# --- masking: SQL chain == Python twin ----------------------------------------------------------

_PIECES = (
    "42",
    "3.14",
    "0x1F",
    "deadbeef01",
    "a1b2c3d4e5",
    "ff00",
    "123e4567-e89b-12d3-a456-426614174000",
    "10.0.0.1",
    "10.0.0.1:8080",
    "user='bob'",
    'key="va lue"',
    "x: 'q'",
    "naïve",
    "café5",
    "５",
    "٣",
    "\t",
    "\n",
    "ValueError",
    "com.acme.IllegalStateException",
    "v2",
    "HTTP/1.1",
    "id=7",
    "'",
    '"',
    "é5",
    "5é",
    "681ms",
    "1.5s",
    "3days",
    "1h30m",
    "12KiB",
    "64x",
    "9543e897",
    "5110184d",
)


def random_texts(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice((*_PIECES, "word", "error", ":")) for _ in range(rng.randint(0, 12)))
        for _ in range(count)
    ]


def test_the_sql_masking_chain_equals_its_python_twin() -> None:
    con = connect()
    texts = [*_PIECES, *random_texts(3000)]
    chain = la._chain("t")  # the SQL expression the query uses, on a column t
    sql = to_duckdb(
        f"SELECT t, {chain} AS m, COALESCE(REGEXP_EXTRACT(t, r'{la.EXCEPTION_TYPE}'), '') AS e "
        "FROM UNNEST(@texts) AS t"
    )
    rows = con.execute(sql, {"texts": texts}).fetchall()
    assert len(rows) == len(texts)
    for text, masked, exception in rows:
        assert masked == la.mask_key(text), text
        assert exception == la.exception_type(text), text


def test_masking_rules_are_re2_compatible_data() -> None:
    for rule in la.MASK_RULES:
        assert "(?=" not in rule.pattern and "(?!" not in rule.pattern
        assert "(?<" not in rule.pattern
    assert (
        la.mask_key("a1b2c3d4 at 10.1.2.3 id=42 name='x y'")
        == "<HEX> at <IP> id=<NUM> name=<VALUE>"
    )


# --- inputs -------------------------------------------------------------------------------------


def test_linked_dataset_and_byte_caps_are_validated() -> None:
    assert la.parse_linked_dataset("my-proj.logs_link") == ("my-proj", "logs_link")
    for bad in ("my-proj", "my-proj.logs-link", "a.b", "my-proj.logs`x", "my-proj.x.y"):
        with pytest.raises(ConfigError) as caught:
            la.parse_linked_dataset(bad)
        assert "project.dataset" in caught.value.what
    assert la.parse_bytes("10GiB") == 10 * 1024**3
    assert la.parse_bytes("500MB") == 500 * 10**6
    assert la.parse_bytes("1024") == 1024
    for bad in ("0", "-1", "ten", "10 PB", ""):
        with pytest.raises(ConfigError):
            la.parse_bytes(bad)


def test_action_inputs_for_log_analytics() -> None:
    env = {
        "INPUT_SOURCE": "log-analytics",
        "INPUT_LINKED-DATASET": "demo-project.logs_link",
        "INPUT_LOCATION": "europe-west1",
        "INPUT_MAX-BYTES-BILLED": "2GiB",
        "INPUT_DRY-RUN": "true",
    }
    options = options_from_action_env(env)
    assert (options.source, options.linked_dataset, options.location) == (
        "log-analytics",
        "demo-project.logs_link",
        "europe-west1",
    )
    assert options.max_bytes_billed == 2 * 1024**3
    with pytest.raises(ConfigError, match="linked-dataset"):
        options_from_action_env({**env, "INPUT_LINKED-DATASET": "my-project"})
    with pytest.raises(ConfigError, match="max-bytes-billed"):
        options_from_action_env({**env, "INPUT_MAX-BYTES-BILLED": "lots"})
    with pytest.raises(ConfigError, match="location"):
        options_from_action_env({**env, "INPUT_LOCATION": "us central"})


def test_the_rules_file_target_can_choose_the_source() -> None:
    config = load_rules(
        "version: 1\ntargets:\n  - name: api\n    project: demo-project\n    service: api\n"
        "    source: log-analytics\n    linked_dataset: demo-project.logs_link\n"
        "    max_bytes_billed: 1000000\n",
        "rules.yml",
    )
    target = config.targets[0]
    assert (target.source, target.linked_dataset, target.max_bytes_billed) == (
        "log-analytics",
        "demo-project.logs_link",
        1_000_000,
    )
    with pytest.raises(ConfigError):
        load_rules("version: 1\ntargets:\n  - name: api\n    source: bigquery\n", "rules.yml")


def test_cli_flags_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["run", "--source", "log-analytics", "--project", "demo-project", "--linked-dataset", "x"],
        env={},
        stdout=io.StringIO(),
    )
    assert code == 2
    code = main(
        [
            "run",
            "--source",
            "log-analytics",
            "--project",
            "demo-project",
            "--max-bytes-billed",
            "0",
        ],
        env={},
        stdout=io.StringIO(),
    )
    assert code == 2
    stdout = io.StringIO()
    code = main(
        ["run", "--source", "log-analytics", "--project", "demo-project", "--dry-run"],
        env={},
        stdout=stdout,
    )
    assert code == 1 and "linked dataset" in stdout.getvalue() + capsys.readouterr().err
    stdout = io.StringIO()
    code = main(
        [
            *("run", "--source", "log-analytics", "--project", "demo-project"),
            *("--filter", "x=1", "--linked-dataset", "demo-project.logs_link", "--dry-run"),
        ],
        env={},
        stdout=stdout,
    )
    assert code == 1 and "filter" in stdout.getvalue() + capsys.readouterr().err


# --- the real client against the fake BigQuery ------------------------------------------------


@pytest.fixture
def bigquery() -> Iterator[FakeBigQuery]:
    with FakeBigQuery("demo-project", "logs_link") as fake:
        fake.add_entries(demo_entries())
        yield fake


def source_for(fake: FakeBigQuery, **settings: Any) -> LogAnalyticsSource:
    target = Target("backend", "demo-project", min_severity=Severity.WARNING)
    values: dict[str, Any] = {
        "linked_dataset": "demo-project.logs_link",
        "credentials": AnonymousCredentials(),  # type: ignore[no-untyped-call]
        "endpoint": fake.url,
        "timeout": 10.0,
        "principal": "serviceAccount:gardener@demo-project.iam.gserviceaccount.com",
    }
    values.update(settings)
    return LogAnalyticsSource(target, **values)


def test_the_real_client_reads_groups_through_the_fake(bigquery: FakeBigQuery) -> None:
    bigquery.page_size = 7  # several getQueryResults pages
    source = source_for(bigquery, location="US")
    items = list(source.entries(DEMO_WINDOW))
    config = demo_config()
    pushed, counts = pushdown_path(items, DEMO_WINDOW, config, Severity.WARNING)
    pulled, _ = pull_path(demo_entries(), DEMO_WINDOW, config, Severity.WARNING)
    assert_same_problems(pulled, pushed, config)
    assert_same_links_and_problems()
    report = source.report()
    assert report.source == "log-analytics" and report.entries == counts.kept
    assert report.bytes_processed == bigquery.rows_in_table() * 1024
    assert f"{report.bytes_processed} bytes) processed" in report.note
    posts = [r for r in bigquery.requests if r.method == "POST"]
    dry, real = posts[0].body, posts[1].body
    assert dry["configuration"]["dryRun"] is True
    assert dry["configuration"]["labels"] == {"app": "log-gardener"}
    query = real.get("configuration", {}).get("query", real)
    assert query["maximumBytesBilled"] == str(la.DEFAULT_MAX_BYTES_BILLED)
    assert (real["jobTimeoutMs"], real["location"]) == ("10000", "US")
    assert real.get("labels", real.get("configuration", {}).get("labels")) == {
        "app": "log-gardener"
    }
    names = {p["name"] for p in query["queryParameters"]}
    assert {"start", "end", "severities", "service", "log_prefix"} <= names
    assert "demo-project" not in query["query"].replace("`demo-project.logs_link._AllLogs`", "")
    pages = [r for r in bigquery.requests if r.method == "GET" and "/queries/" in r.path]
    assert len(pages) >= 2, "the client paged through the results"


def test_the_dry_run_refuses_a_query_over_the_cap(bigquery: FakeBigQuery) -> None:
    bigquery.estimate = 50 * 1024**3
    source = source_for(bigquery, max_bytes_billed=10 * 1024**3)
    with pytest.raises(SourceError) as caught:
        list(source.entries(DEMO_WINDOW))
    message = caught.value.message
    assert "50.0 GiB" in message and "10.0 GiB" in message and "max-bytes-billed" in message
    assert "nothing was run or billed" in message
    assert all(r.body.get("configuration", {}).get("dryRun") for r in bigquery.requests)


def test_bigquery_refusing_maximum_bytes_billed_is_a_clear_error(bigquery: FakeBigQuery) -> None:
    bigquery.dry_estimate = 1000  # the estimate was low, the real scan is not
    bigquery.estimate = 20 * 1024**3
    with pytest.raises(SourceError) as caught:
        list(source_for(bigquery).entries(DEMO_WINDOW))
    assert (
        "max-bytes-billed" in caught.value.message and "nothing was billed" in caught.value.message
    )


def test_missing_roles_are_named_with_the_grant(bigquery: FakeBigQuery) -> None:
    bigquery.deny_jobs = True
    with pytest.raises(SourceError) as caught:
        list(source_for(bigquery).entries(DEMO_WINDOW))
    assert "roles/bigquery.jobUser" in caught.value.message
    assert "gcloud projects add-iam-policy-binding demo-project" in caught.value.message
    bigquery.deny_jobs, bigquery.deny_dataset = False, True
    with pytest.raises(SourceError) as caught:
        list(source_for(bigquery).entries(DEMO_WINDOW))
    assert "roles/bigquery.dataViewer" in caught.value.message
    assert "demo-project:logs_link" in caught.value.message


def test_a_missing_dataset_and_a_rejected_query(bigquery: FakeBigQuery) -> None:
    with pytest.raises(SourceError) as caught:
        list(source_for(bigquery, linked_dataset="demo-project.nope").entries(DEMO_WINDOW))
    assert "gcloud logging links" in caught.value.message and "404" in caught.value.message
    bigquery.reject_sql = True
    with pytest.raises(SourceError) as caught:
        list(source_for(bigquery).entries(DEMO_WINDOW))
    assert "400" in caught.value.message and "linked-dataset" in caught.value.message


def test_a_raw_filter_cannot_be_pushed_down(bigquery: FakeBigQuery) -> None:
    with pytest.raises(SourceError, match="filter"):
        LogAnalyticsSource(
            Target("t", "demo-project", filter='jsonPayload.x="y"'),
            linked_dataset="demo-project.logs_link",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            endpoint=bigquery.url,
        )


def test_the_weights_add_up_to_the_entries_in_the_window(bigquery: FakeBigQuery) -> None:
    items = list(source_for(bigquery).entries(DEMO_WINDOW))
    assert items and all(isinstance(i, la.WeightedEntry) for _, i in items)
    weights = [i.weight for _, i in items if isinstance(i, la.WeightedEntry)]
    _, counts = pull_path(demo_entries(), DEMO_WINDOW, demo_config(), Severity.WARNING)
    assert sum(weights) == counts.kept
    assert max(weights) > 1, "stand-ins carry the weight of many entries"


# --- the action end to end ----------------------------------------------------------------------

TOKEN = "gh-la-" + "token"
SECRET = "gh" + "p_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def test_the_action_runs_end_to_end_with_log_analytics(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    shift = now - timedelta(minutes=5) - datetime(2025, 9, 15, 14, 40, tzinfo=UTC)
    entries = []
    for entry in demo_entries():
        moved = datetime.fromisoformat(entry["timestamp"][:26] + "+00:00") + shift
        entries.append({**entry, "timestamp": moved.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    hostile = dict(entries[-1])
    hostile.pop("jsonPayload", None)
    hostile.pop("httpRequest", None)
    hostile.pop("protoPayload", None)
    hostile.update(
        insertId="hostile-1",
        timestamp=(now - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        severity="ERROR",
        textPayload=f"::add-mask::x @octocat closes #1 auth failed token={SECRET} <!-- x -->",
    )
    entries.append(hostile)
    with (
        FakeGcp(project="demo-project") as gcp,
        FakeBigQuery("demo-project", "logs_link") as bq,
        FakeGitHub("acme/shop", {TOKEN: "gardener"}) as github,
    ):
        bq.add_entries(entries)
        bq.token_ok = lambda token: token in gcp.iam_tokens
        env = gcp.env(
            GITHUB_REPOSITORY="acme/shop",
            GITHUB_API_URL=github.api_url,
            GITHUB_SERVER_URL="https://github.example",
            GITHUB_RUN_ID="4242",
            GITHUB_RUN_ATTEMPT="1",
            GITHUB_WORKSPACE=str(tmp_path),
            GITHUB_OUTPUT=str(tmp_path / "output.txt"),
            GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
            LOG_GARDENER_WRITE_INTERVAL="0",
            LOG_GARDENER_BIGQUERY_ENDPOINT=bq.url,
        )
        env.update(
            {
                "INPUT_WORKLOAD-IDENTITY-PROVIDER": gcp.provider,
                "INPUT_SERVICE-ACCOUNT": gcp.service_account,
                "INPUT_PROJECT-ID": "demo-project",
                "INPUT_SERVICE": "backend-staging",
                "INPUT_GITHUB-TOKEN": TOKEN,
                "INPUT_SOURCE": "log-analytics",
                "INPUT_LINKED-DATASET": "demo-project.logs_link",
                "INPUT_MAX-BYTES-BILLED": "1GiB",
            }
        )
        stdout = io.StringIO()
        code = main(["action"], env=env, stdout=stdout)
        printed = stdout.getvalue()
        assert code == 0, printed
        assert gcp.logging_requests == [], "no entries.list: BigQuery did the grouping"
        scopes = " ".join(str(r.body) for r in gcp.iam_requests)
        assert "auth/bigquery" in scopes
        report = json.loads((tmp_path / ".log-gardener" / "report.json").read_text("utf-8"))
        assert report["sources"]["backend-staging"]["source"] == "log-analytics"
        assert report["sources"]["backend-staging"]["bytes_processed"] == len(entries) * 1024
        summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
        assert "source log-analytics" in summary and "processed" in summary
        worklog = github.file_at(outputs(tmp_path)["worklog-path"]) or ""
        assert "auth failed token=" in worklog, "the hostile sample is shown, redacted"
        published = json.dumps(github.issues) + json.dumps(github.comments) + summary + worklog
        assert SECRET not in published + printed and "@octocat" not in published
        issues = [i for i in github.issues.values() if "fingerprint=" in i["body"].split("\n")[0]]
        assert len(issues) == min(10, len(report["clusters"]))
        pulled, _ = pull_path(
            entries,
            Window(
                datetime.fromisoformat(report["window"]["start"].replace("Z", "+00:00")),
                datetime.fromisoformat(report["window"]["end"].replace("Z", "+00:00")),
            ),
            load_rules("version: 1\n", "x"),
            Severity.WARNING,
        )
        counts = {c["fingerprint"]: c["count"] for c in report["clusters"]}
        assert counts == {
            s.fingerprint: s.count for s in pulled if s.services == ("backend-staging",)
        }
    # The whole run on the same entries, pulled from a file: the same problems, roots, members,
    # counts and priorities in the report.
    export = tmp_path / "pulled.jsonl"
    export.write_text(
        "".join(
            json.dumps(e) + "\n"
            for e in entries
            if e.get("resource", {}).get("labels", {}).get("service_name") == "backend-staging"
        ),
        encoding="utf-8",
    )
    pulled_report = tmp_path / "pulled-report.json"
    code = main(
        [
            *("run", "--source", f"file:{export}", "--dry-run"),
            *("--since", report["window"]["start"], "--until", report["window"]["end"]),
            *("--worklog-dir", str(tmp_path / "pulled-worklog")),
            *("--report-json", str(pulled_report)),
        ],
        env={},
        stdout=io.StringIO(),
    )
    assert code == 0
    again = json.loads(pulled_report.read_text("utf-8"))

    def shape(problems: list[dict[str, Any]]) -> list[tuple[object, ...]]:
        return sorted(
            (p["id"], p["root"], json.dumps(p["members"]), p["count"], p["priority"])
            for p in problems
        )

    assert shape(report["problems"]) == shape(again["problems"])
    assert any(len(p["members"]) > 1 for p in again["problems"])


def test_a_capped_number_of_groups_is_said(bigquery: FakeBigQuery) -> None:
    source = source_for(bigquery, max_groups=3)
    items = list(source.entries(DEMO_WINDOW))
    report = source.report()
    assert report.groups == 3 and "only the 3 largest groups" in report.note
    assert report.entries == sum(i.weight for _, i in items if isinstance(i, la.WeightedEntry))


def test_the_fake_serves_the_job_path_too(bigquery: FakeBigQuery) -> None:
    """jobs.insert (RUNNING) -> jobs.get -> getQueryResults pages, as ``query().result()``
    walks them; and a job over ``maximum_bytes_billed`` fails, unbilled."""
    from google.cloud import bigquery as bq

    bigquery.page_size = 5
    client = bq.Client(
        project="demo-project",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": bigquery.url},
    )
    target = Target("backend", "demo-project", min_severity=Severity.WARNING)
    parameters = [
        bq.ArrayQueryParameter(p.name, p.type, p.value)  # type: ignore[arg-type]
        if p.array
        else bq.ScalarQueryParameter(p.name, p.type, p.value)  # type: ignore[arg-type]
        for p in la.query_parameters(target, DEMO_WINDOW, "demo-project")
    ]
    sql = la.grouping_sql(la.table_reference("demo-project", "logs_link"))
    config = bq.QueryJobConfig(query_parameters=parameters)
    rows = [dict(r.items()) for r in client.query(sql, job_config=config).result()]
    direct = run_query(bigquery.con, sql, la.query_parameters(target, DEMO_WINDOW, "demo-project"))
    assert [r["n"] for r in rows] == [r["n"] for r in direct] and len(rows) > 10
    paths = [(r.method, r.path.rsplit("/", 2)[-2]) for r in bigquery.requests]
    assert paths[:2] == [("POST", "demo-project"), ("GET", "jobs")]
    assert sum(1 for r in bigquery.requests if "pageToken" in r.query) >= 2
    config = bq.QueryJobConfig(query_parameters=parameters, maximum_bytes_billed=10)
    with pytest.raises(Exception, match="bytes billed"):
        client.query(sql, job_config=config).result()
