"""The Cloud Logging source: the real google-cloud-logging HTTP client against a fake server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from log_gardener.adapters.cloud_logging import CloudLoggingSource, RequestPacer, RetryPolicy
from log_gardener.adapters.gcp_auth import ReportingCredentials, credentials_for_run
from log_gardener.core.judging.rules import Target
from log_gardener.core.judging.windowing import (
    OverlapLedger,
    cursor_after,
    parse_rfc3339,
    plan_window,
)
from log_gardener.errors import SourceError
from log_gardener.model import Window
from log_gardener.ports import FetchReport
from tests.fakes.gcp import PROJECT, PROVIDER, SERVICE_ACCOUNT, FakeGcp, fake_gcp

__all__ = ["fake_gcp"]  # the fixture, imported for pytest

WINDOW = Window(datetime(2024, 5, 1, 11, tzinfo=UTC), datetime(2024, 5, 1, 12, tzinfo=UTC))
TARGET = Target("shop", project=PROJECT, service="shop-api")
EXPECTED_FILTER = (
    'timestamp>="2024-05-01T11:00:00Z" AND timestamp<"2024-05-01T12:00:00Z" AND '
    'resource.type="cloud_run_revision" AND resource.labels.service_name="shop-api" AND '
    "severity>=WARNING"
)


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def _creds(fake: FakeGcp, service_account: str = "") -> ReportingCredentials:
    return credentials_for_run(
        workload_identity_provider=PROVIDER,
        service_account=service_account,
        env=fake.env(),
        project=PROJECT,
    )


def _source(
    fake: FakeGcp,
    *,
    clock: FakeClock | None = None,
    target: Target = TARGET,
    creds: ReportingCredentials | None = None,
    **kwargs: Any,
) -> CloudLoggingSource:
    clock = clock or FakeClock()
    kwargs.setdefault("page_size", 3)
    return CloudLoggingSource(
        target,
        credentials=creds or _creds(fake),
        endpoint=fake.url,
        pacer=RequestPacer(clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
        jitter=lambda: 0.0,
        **kwargs,
    )


def _seed(fake: FakeGcp, count: int, *, start: datetime = WINDOW.start, step: int = 60) -> None:
    fake.add_entries(
        PROJECT,
        [
            fake.entry(f"e{i:03d}", _stamp(start + timedelta(seconds=step * i)))
            for i in range(count)
        ],
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ids(pairs: list[tuple[int, object]]) -> list[str]:
    return [entry["insertId"] for _, entry in pairs]  # type: ignore[index]


# --- the minted token, pagination, the exact window --------------------------------------------


def test_minted_token_is_used_on_entries_list(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 2)
    source = _source(fake_gcp, creds=_creds(fake_gcp, SERVICE_ACCOUNT))
    assert _ids(list(source.entries(WINDOW))) == ["e000", "e001"]
    [request] = fake_gcp.logging_requests
    assert request.authorization == f"Bearer {fake_gcp.iam_tokens[0]}"
    assert request.path == "/v2/entries:list"


def test_pagination_with_an_empty_page_and_the_exact_window(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 8)
    fake_gcp.add_entries(
        PROJECT,
        [
            fake_gcp.entry("before", "2024-05-01T10:59:59.999999Z"),
            fake_gcp.entry("at-end", "2024-05-01T12:00:00Z"),
            fake_gcp.entry("info", "2024-05-01T11:30:00Z", severity="INFO"),
            fake_gcp.entry("other", "2024-05-01T11:30:00Z", service="billing"),
        ],
    )
    fake_gcp.empty_pages = {2}
    progress: list[str] = []
    source = _source(fake_gcp, progress=progress.append)

    pairs = list(source.entries(WINDOW))

    assert pairs[0][0] == 1 and pairs[-1][0] == 8
    assert _ids(pairs) == [f"e{i:03d}" for i in range(8)]
    assert fake_gcp.pages_requested() == [1, 2, 3, 4]
    first = fake_gcp.logging_requests[0].body
    assert first == {
        "resourceNames": [f"projects/{PROJECT}"],
        "filter": EXPECTED_FILTER,
        "orderBy": "timestamp asc",
        "pageSize": 3,
    }
    tokens = [r.body.get("pageToken") for r in fake_gcp.logging_requests]
    assert tokens[0] is None and len(set(tokens[1:])) == 3
    assert all(r.body["filter"] == EXPECTED_FILTER for r in fake_gcp.logging_requests)
    assert source.report() == FetchReport(
        pages=4, entries=8, truncated=False, reached="", source="gcp"
    )
    assert progress == [
        "target shop: page 1, 3 entries",
        "target shop: page 2, 3 entries",
        "target shop: page 3, 6 entries",
        "target shop: page 4, 8 entries",
    ]


def test_default_page_size_and_endpoint() -> None:
    assert CloudLoggingSource.endpoint_from({}) == "https://logging.googleapis.com"
    env = {"LOG_GARDENER_LOGGING_ENDPOINT": "http://127.0.0.1:9"}
    assert CloudLoggingSource.endpoint_from(env) == "http://127.0.0.1:9"


def test_one_request_per_second_per_project() -> None:
    clock = FakeClock()
    pacer = RequestPacer(clock=clock, sleep=clock.sleep)
    pacer.wait("a")
    pacer.wait("b")  # another project: its own budget
    clock.now += 0.25
    pacer.wait("a")
    clock.now += 5
    pacer.wait("a")
    assert clock.sleeps == [0.75]


# --- quotas and faults ------------------------------------------------------------------------


def test_429_then_success_on_page_2_without_rereading_page_1(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 7)
    fake_gcp.fail_page(2, 429, times=1)
    clock = FakeClock()
    source = _source(fake_gcp, clock=clock)

    assert _ids(list(source.entries(WINDOW))) == [f"e{i:03d}" for i in range(7)]

    assert fake_gcp.pages_requested() == [1, 2, 2, 3]
    assert [r.status for r in fake_gcp.logging_requests] == [200, 429, 200, 200]
    retried = [r.body["pageToken"] for r in fake_gcp.logging_requests[1:3]]
    assert retried[0] == retried[1]
    # pacing 1 s, backoff 0.5 s (first step, no jitter) then 0.5 s more of pacing, pacing 1 s
    assert clock.sleeps == [1.0, 0.5, 0.5, 1.0]
    assert source.report() == FetchReport(pages=3, entries=7, source="gcp")


def test_retry_after_is_honoured(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 2)
    fake_gcp.fail_page(1, 503, times=1, retry_after="7")
    clock = FakeClock()
    assert len(list(_source(fake_gcp, clock=clock).entries(WINDOW))) == 2
    assert clock.sleeps == [7.0]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_failures_that_never_clear_give_a_partial_honest_report(
    fake_gcp: FakeGcp, status: int
) -> None:
    _seed(fake_gcp, 7)
    fake_gcp.fail_page(2, status, times=None)
    clock = FakeClock()
    source = _source(fake_gcp, clock=clock, retry=RetryPolicy(attempts=4))

    assert _ids(list(source.entries(WINDOW))) == ["e000", "e001", "e002"]

    assert fake_gcp.pages_requested() == [1, 2, 2, 2, 2]
    report = source.report()
    assert (report.pages, report.entries, report.truncated) == (1, 3, True)
    assert report.reached == "2024-05-01T11:02:00Z"
    assert report.note.startswith(f"Cloud Logging kept failing on page 2: 'HTTP {status} ")
    assert report.note.endswith(
        "read 3 entries in 1 pages, complete up to 2024-05-01T11:02:00Z; the next run "
        "continues from there"
    )
    # pacing 1 s; then backoff 0.5 s (+0.5 s pacing), 1 s, 2 s between the four attempts
    assert clock.sleeps == [1.0, 0.5, 0.5, 1.0, 2.0]


def test_timeouts_are_retried(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 5)
    fake_gcp.hang_page(2, 0.8)
    source = _source(fake_gcp, timeout=0.2)
    assert _ids(list(source.entries(WINDOW))) == [f"e{i:03d}" for i in range(5)]
    assert fake_gcp.pages_requested() == [1, 2, 2]
    assert source.report() == FetchReport(pages=2, entries=5, source="gcp")


@pytest.mark.parametrize(
    ("cap", "reached"), [(4, "2024-05-01T11:03:00Z"), (6, "2024-05-01T11:05:00Z")]
)
def test_max_entries_truncates_and_says_how_far(fake_gcp: FakeGcp, cap: int, reached: str) -> None:
    _seed(fake_gcp, 9)
    source = _source(fake_gcp, max_entries=cap)
    assert len(list(source.entries(WINDOW))) == cap
    report = source.report()
    assert (report.entries, report.truncated, report.reached) == (cap, True, reached)
    assert report.note == (
        f"max-entries ({cap}) reached; read {cap} entries in {report.pages} pages, complete up "
        f"to {reached}; the next run continues from there"
    )


def test_max_entries_exactly_all_is_not_truncated(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 5)
    source = _source(fake_gcp, max_entries=5)
    assert len(list(source.entries(WINDOW))) == 5
    assert source.report() == FetchReport(pages=2, entries=5, source="gcp")


def test_should_stop_finishes_the_page_then_stops(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 9)
    stop = {"now": False}
    source = _source(fake_gcp, should_stop=lambda: stop["now"])
    pairs = []
    for pair in source.entries(WINDOW):
        pairs.append(pair)
        stop["now"] = True  # SIGTERM while page 1 is being processed
    assert len(pairs) == 3
    assert fake_gcp.pages_requested() == [1]
    report = source.report()
    assert (report.truncated, report.reached) == (True, "2024-05-01T11:02:00Z")
    assert report.note.startswith("cancelled between pages; read 3 entries in 1 pages")


# --- errors that say the fix ------------------------------------------------------------------


def _error(fake: FakeGcp, **kwargs: Any) -> SourceError:
    with pytest.raises(SourceError) as caught:
        list(_source(fake, **kwargs).entries(WINDOW))
    return caught.value


def test_permission_denied(fake_gcp: FakeGcp) -> None:
    fake_gcp.denied_projects.add(PROJECT)
    error = _error(fake_gcp, creds=_creds(fake_gcp, SERVICE_ACCOUNT))
    assert error.message == (
        "Cloud Logging denied listing entries in project 'demo-project' (403 PERMISSION_DENIED). "
        f"Likely cause: serviceAccount:{SERVICE_ACCOUNT} lacks logging.logEntries.list on the "
        "project. Fix: gcloud projects add-iam-policy-binding demo-project "
        f"--role=roles/logging.viewer --member='serviceAccount:{SERVICE_ACCOUNT}'."
    )


def test_permission_denied_names_the_principal_set(fake_gcp: FakeGcp) -> None:
    fake_gcp.denied_projects.add(PROJECT)
    error = _error(fake_gcp)
    assert error.fix == (
        "gcloud projects add-iam-policy-binding demo-project --role=roles/logging.viewer "
        "--member='principalSet://iam.googleapis.com/projects/123456789012/locations/global/"
        "workloadIdentityPools/github/attribute.repository/acme/shop'"
    )


def test_invalid_filter_shows_the_filter(fake_gcp: FakeGcp) -> None:
    target = Target("shop", project=PROJECT, filter='jsonPayload.x=~~"a"')
    error = _error(fake_gcp, target=target)
    assert error.what == (
        "Cloud Logging rejected the filter for target 'shop' ('HTTP 400 INVALID_ARGUMENT: Unparseable filter: syntax "
        "error at line 1, column 7, token \\'~~\\''); the filter was "
        '\'timestamp>="2024-05-01T11:00:00Z" AND timestamp<"2024-05-01T12:00:00Z" AND '
        'severity>=WARNING AND (jsonPayload.x=~~"a")\''
    )
    assert "Logs Explorer" in error.fix


def test_project_not_found(fake_gcp: FakeGcp) -> None:
    error = _error(fake_gcp, target=Target("shop", project="no-such-project"))
    assert error.message == (
        "Cloud Logging does not know project 'no-such-project' ('HTTP 404 NOT_FOUND: Project does not exist: "
        "no-such-project'). Likely cause: a typo in the project ID, or a project the principal "
        "cannot see. Fix: use the project ID shown by `gcloud projects list` in `project-id` / "
        "--project / the target's `project`."
    )


def test_a_target_without_project_is_refused(fake_gcp: FakeGcp) -> None:
    with pytest.raises(SourceError, match="names no Google Cloud project"):
        _source(fake_gcp, target=Target("shop", service="shop-api"))


def test_unreachable_endpoint(fake_gcp: FakeGcp) -> None:
    source = CloudLoggingSource(TARGET, credentials=_creds(fake_gcp), endpoint="http://127.0.0.1:9")
    with pytest.raises(SourceError, match=r"cannot reach Cloud Logging at 'http://127\.0\.0\.1:9'"):
        list(source.entries(WINDOW))


# --- two runs: nothing lost, nothing counted twice --------------------------------------------


def _run(
    fake: FakeGcp,
    now: datetime,
    cursor: datetime | None,
    remembered: tuple[str, ...],
    configure: Callable[[FakeGcp], None] = lambda _fake: None,
    **kwargs: Any,
) -> tuple[list[str], datetime, tuple[str, ...], FetchReport]:
    """One gardening run as the pipeline does it: plan, fetch, dedup, advance."""
    overlap = timedelta(minutes=10)
    window = plan_window(now, cursor, overlap=overlap, lag=timedelta(minutes=2))
    configure(fake)
    source = _source(fake, **kwargs)
    ledger = OverlapLedger(remembered)
    counted = [e["insertId"] for _, e in source.entries(window) if ledger.admit(e)]  # type: ignore[index,arg-type]
    report = source.report()
    next_cursor = cursor_after(
        window, truncated=report.truncated, reached=parse_rfc3339(report.reached)
    )
    return counted, next_cursor, ledger.next_ids(next_cursor, overlap), report


def test_two_runs_with_late_entries(fake_gcp: FakeGcp) -> None:
    now1 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    add = fake_gcp.add_entries
    add(
        PROJECT,
        [fake_gcp.entry("a", "2024-05-01T11:30:00Z"), fake_gcp.entry("b", "2024-05-01T11:55:00Z")],
    )
    add(PROJECT, [fake_gcp.entry("future", "2024-05-01T12:30:00Z")])  # a clock-skewed writer
    counted1, cursor1, ids1, _ = _run(fake_gcp, now1, None, ())
    assert (counted1, cursor1) == (["a", "b"], datetime(2024, 5, 1, 11, 58, tzinfo=UTC))
    assert ids1 == ("b|2024-05-01T11:55:00Z",)

    # late arrivals stamped inside run 1's window, after run 1 read it
    add(
        PROJECT,
        [
            fake_gcp.entry("late1", "2024-05-01T11:50:00Z"),
            fake_gcp.entry("late2", "2024-05-01T11:57:30Z"),
        ],
    )
    add(PROJECT, [fake_gcp.entry("c", "2024-05-01T12:40:00Z")])
    counted2, cursor2, ids2, _ = _run(
        fake_gcp, datetime(2024, 5, 1, 13, 0, tzinfo=UTC), cursor1, ids1
    )

    assert (
        fake_gcp.logging_requests[-1]
        .body["filter"]
        .startswith('timestamp>="2024-05-01T11:48:00Z" AND timestamp<"2024-05-01T12:58:00Z"')
    )
    assert counted2 == ["late1", "late2", "future", "c"]  # "b" re-read and skipped
    all_counted = counted1 + counted2
    assert sorted(all_counted) == sorted({"a", "b", "late1", "late2", "future", "c"})
    assert cursor2 == datetime(2024, 5, 1, 12, 58, tzinfo=UTC)
    assert ids2 == ()  # nothing counted within 10 minutes before the new cursor


@pytest.mark.parametrize("cause", ["throttled", "max-entries"])
def test_a_run_cut_short_mid_timestamp_loses_and_doubles_nothing(
    fake_gcp: FakeGcp, cause: str
) -> None:
    stamps = ["11:20", "11:21", "11:22", "11:22", "11:22", "11:40", "11:50"]
    fake_gcp.add_entries(
        PROJECT, [fake_gcp.entry(f"e{i}", f"2024-05-01T{s}:00Z") for i, s in enumerate(stamps)]
    )
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    if cause == "throttled":
        first = _run(
            fake_gcp, now, None, (), lambda f: f.fail_page(2, 429, times=None),
            retry=RetryPolicy(attempts=2),
        )  # fmt: skip
    else:
        first = _run(fake_gcp, now, None, (), max_entries=3)
    counted1, cursor1, ids1, report1 = first
    assert counted1 == ["e0", "e1", "e2"]
    assert (report1.truncated, report1.reached) == (True, "2024-05-01T11:22:00Z")
    assert cursor1 == datetime(2024, 5, 1, 11, 22, tzinfo=UTC)
    assert ids1 == ("e0|2024-05-01T11:20:00Z", "e1|2024-05-01T11:21:00Z", "e2|2024-05-01T11:22:00Z")

    fake_gcp.clear_faults()  # the quota recovered
    counted2, cursor2, _, report2 = _run(fake_gcp, now + timedelta(hours=1), cursor1, ids1)
    assert counted2 == ["e3", "e4", "e5", "e6"]
    assert report2.truncated is False
    assert cursor2 == datetime(2024, 5, 1, 12, 58, tzinfo=UTC)
    assert sorted(counted1 + counted2) == [f"e{i}" for i in range(7)]


def test_project_flag_overrides_the_target(fake_gcp: FakeGcp) -> None:
    _seed(fake_gcp, 1)
    source = _source(fake_gcp, target=Target("shop", service="shop-api"), project=PROJECT)
    assert _ids(list(source.entries(WINDOW))) == ["e000"]
    assert fake_gcp.logging_requests[0].body["resourceNames"] == [f"projects/{PROJECT}"]
