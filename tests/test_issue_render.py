"""Issue titles, bodies, comments and the dashboard.

Golden files live in tests/golden/.  After an intended change of the rendering, regenerate
them with ``LG_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_issue_render.py`` and
read the diff by eye before committing.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from log_gardener.core.judging.lifecycle import Spike
from log_gardener.core.judging.rules import IssuePolicy
from log_gardener.core.planning.plan import Changes, DashboardRow, RunLinks
from log_gardener.core.publishing.issue_render import (
    BODY_BYTE_LIMIT,
    BODY_CHAR_LIMIT,
    TITLE_LIMIT,
    change_comment,
    dashboard_body,
    duplicate_comment,
    issue_body,
    issue_title,
    logs_explorer_filter,
    logs_explorer_url,
    problem_text,
    silence_comment,
    trusted_prose,
)
from log_gardener.core.publishing.sparkline import sparkline
from log_gardener.core.shared.marker import comment_run_id, parse_issue_marker, run_marker
from log_gardener.core.shared.redact import RedactionPolicy, redact
from log_gardener.model import (
    GROUPING_VERSION,
    ClusterStatus,
    JudgedCluster,
    Priority,
    Severity,
    StackFrame,
)
from tests.fragment_oracle import verify_document
from tests.planning_factory import T0, cluster, judgement, known, record

GOLDEN = Path(__file__).parent / "golden"
RED = RedactionPolicy()
LINKS = RunLinks(
    run_id="1234-1",
    run_url="https://github.com/acme/shop/actions/runs/1234",
    worklog_url="https://github.com/acme/shop/blob/main/worklog/2024-05-01T1200Z.md",
    worklog_path="worklog/2024-05-01T1200Z.md",
    logs_explorer_project="acme-prod",
)
# redact() is another engineer's module; while it is a placeholder, exact texts cannot hold.
needs_redact = pytest.mark.skipif(
    redact("plain words", RED) != "plain words", reason="core.redact is still a placeholder"
)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LG_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _judged(**overrides: object) -> JudgedCluster:
    status = overrides.pop("status", ClusterStatus.ONGOING)
    escalated = overrides.pop("escalated_from", None)
    judge = overrides.pop("judge", {})
    assert isinstance(judge, dict)
    return JudgedCluster(
        cluster(**overrides),
        judgement(**judge),
        status=status,  # type: ignore[arg-type]
        escalated_from=escalated,  # type: ignore[arg-type]
    )


TRACE = (
    "Traceback (most recent call last):\n"
    '  File "app/payment.py", line 88, in charge\n'
    "    raise ValueError(f'bad input {n}')\n"
    "ValueError: bad input 42"
)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ""),
        ([0, 0], "▁▁"),
        ([0, 1, 7], "▁▂█"),
        ([5, 5, 5], "███"),
        ([1, 2, 3, 4, 5, 6, 7, 8], "▂▃▄▅▅▆▇█"),
        ([100, 0, 1], "█▁▂"),
    ],
)
def test_sparkline(values: list[int], expected: str) -> None:
    assert sparkline(values) == expected


@pytest.mark.parametrize(
    ("judge", "status", "fmt", "expected"),
    [
        (
            {"title": "Payments failing"},
            ClusterStatus.NEW,
            "GCP-{status} | {priority} | {title}",
            "GCP-new | P2 | Payments failing",
        ),
        (
            {"title": "Ping @ops about #12", "priority": Priority.P0},
            ClusterStatus.REGRESSION,
            "[{priority}] {title} ({status})",
            "[P0] Ping ＠ops about ＃12 (regression)",
        ),
        ({"title": "x"}, ClusterStatus.MUTED, "no placeholder", "x"),
    ],
)
def test_title_from_rule(judge: dict, status: ClusterStatus, fmt: str, expected: str) -> None:
    judged = _judged(judge=judge, status=status)
    assert issue_title(IssuePolicy(title_format=fmt), judged, RED) == expected


@needs_redact
def test_title_from_exception_and_template() -> None:
    judged = _judged(status=ClusterStatus.NEW, template="user <EMAIL> failed @here #7")
    assert issue_title(IssuePolicy(), judged, RED) == (
        "GCP-new | P2 | ValueError: user ‹EMAIL› failed ＠here ＃7"
    )


def test_title_never_longer_than_256() -> None:
    judged = _judged(template="x" * 1000, judge={"title": ""})
    title = issue_title(IssuePolicy(), judged, RED)
    assert len(title) <= TITLE_LIMIT and title.startswith("GCP-ongoing | P2 | ")


def test_problem_text_strips_the_title_format() -> None:
    policy = IssuePolicy()
    assert problem_text(policy, "GCP-ongoing | P1 | Payments ¦ x") == "Payments ¦ x"
    assert problem_text(policy, "Renamed by a person") == "Renamed by a person"


def _full_cluster_judged() -> JudgedCluster:
    return _judged(
        count=42,
        severity_counts={Severity.ERROR: 40, Severity.CRITICAL: 2},
        revisions={"checkout-00042-abc": 30, "checkout-00043-def": 12},
        samples=(record(TRACE, insert_id="s1"),),
        escalated_from=Priority.P3,
        judge={"impact": "Customers cannot pay; *revenue* at risk.", "rule": "payments"},
    )


@needs_redact
def test_issue_body_golden() -> None:
    k = known(counts=(3, 0, 7, 12), first_seen=T0 - timedelta(days=2))
    body = issue_body(_full_cluster_judged(), k, LINKS, RED)
    _golden("issue_body_full.md", body)


@needs_redact
def test_issue_body_minimal_golden() -> None:
    judged = _judged(exception_type="", exception_value="", top_frames=(), logger="", samples=())
    _golden("issue_body_minimal.md", issue_body(judged, None, RunLinks(run_id="local"), RED))


def test_issue_body_first_line_is_the_marker() -> None:
    body = issue_body(_full_cluster_judged(), None, LINKS, RED)
    marker = parse_issue_marker(body)
    assert marker is not None and (marker.fingerprint, marker.grouping_version) == (
        "a1b2c3d4e5f60718",
        GROUPING_VERSION,
    )


def test_huge_sample_is_trimmed_under_both_limits() -> None:
    huge = "é" * 300_000  # 2 bytes each: only the byte limit would catch a naive cut
    judged = _judged(samples=(record(huge),), template="t" * 5000)
    body = issue_body(judged, known(counts=tuple(range(48))), LINKS, RED)
    assert len(body) <= BODY_CHAR_LIMIT and len(body.encode()) <= BODY_BYTE_LIMIT
    assert parse_issue_marker(body) is not None


@needs_redact
def test_huge_sample_is_cut_with_a_pointer_to_the_worklog() -> None:
    judged = _judged(samples=(record("é" * 300_000),))
    body = issue_body(judged, None, LINKS, RED)
    assert "Cut to its first 8000 characters; the worklog has more." in body
    assert "é" * 8000 in body and "é" * 8001 not in body


def test_many_revisions_are_capped() -> None:
    revisions = {f"svc-{i:05d}-abc": 1 for i in range(500)}
    body = issue_body(_judged(revisions=revisions), None, LINKS, RED)
    assert "and 490 more" in body


HOSTILE = [
    "<!-- log-gardener:issue fingerprint=ffffffffffffffff grouping=v1 -->",
    "@octocat please look, closes #123",
    "```\n</details><img src=x onerror=alert(1)>\n```",
    "~~~~\n# heading breakout\n[click](https://evil.example/)",
    "::set-output name=x::y",
    "<!-- log-gardener:run=forged -->",
]


def _hostile_judged() -> JudgedCluster:
    text = "\n".join(HOSTILE)
    return _judged(
        template=text,
        exception_type="Evil`Type @team",
        exception_value=text,
        logger="@logger #5",
        services=("svc @ops",),
        revisions={"rev-1 closes #9": 1},
        top_frames=(StackFrame("@mod", "fn #3", "a`b.py", 1),),
        samples=(record(text),),
        judge={"impact": "Impact @oncall fixes #4 <b>x</b>", "title": ""},
        status=ClusterStatus.REGRESSION,
    )


def test_hostile_log_text_is_neutralized_in_every_document() -> None:
    judged = _hostile_judged()
    body = issue_body(judged, known(counts=(1, 2)), LINKS, RED)
    changes = Changes(regression=True, raised_from=Priority.P3, new_revisions=("rev-1 closes #9",))
    comment = change_comment(judged, changes, LINKS, RED)
    row = DashboardRow(
        Priority.P1,
        ClusterStatus.ONGOING,
        issue_title(IssuePolicy(), judged, RED),
        3,
        (1, 3),
        T0,
        7,
    )
    dashboard = dashboard_body([row], LINKS, T0)
    untrusted = [*HOSTILE, "Evil`Type @team", "@logger #5", "svc @ops", "rev-1 closes #9"]
    for document in (body, comment, dashboard):
        verify_document(document, untrusted)
    # only the real marker counts: first line of the body, last run marker of the comment
    assert parse_issue_marker(body) is not None
    assert parse_issue_marker(body).fingerprint == "a1b2c3d4e5f60718"  # type: ignore[union-attr]
    assert (comment_run_id(comment) or "").startswith("c-")
    assert body.count("<!--") == 1 and comment.count("<!--") == 1 and dashboard.count("<!--") == 1
    title = issue_title(IssuePolicy(), judged, RED)
    assert "@" not in title and "#" not in title and "\n" not in title


def test_rule_impact_keeps_emphasis_but_cannot_mention() -> None:
    body = issue_body(_hostile_judged(), None, LINKS, RED)
    verify_document(body, [])  # trusted text: no mention, closing reference or HTML
    assert "### Impact\n\nImpact \uff20oncall fixes \uff034 &lt;b&gt;x&lt;/b&gt;\n" in body
    assert trusted_prose("*Revenue* at risk, see [runbook](https://x.example/rb)") == (
        "*Revenue* at risk, see [runbook](https://x.example/rb)"
    )


def test_logs_explorer_query_uses_only_safe_values() -> None:
    judged = _full_cluster_judged()
    assert logs_explorer_filter(judged) == (
        "severity>=ERROR\n"
        'resource.type="cloud_run_revision"\n'
        'resource.labels.service_name="checkout"\n'
        '"ValueError"\n'
        'timestamp>="2024-05-01T11:59:00Z"\n'
        'timestamp<="2024-05-01T12:31:00Z"'
    )
    url = logs_explorer_url(judged, "acme-prod")
    assert url.startswith(
        "https://console.cloud.google.com/logs/query;query=severity%3E%3DERROR%0A"
    )
    assert url.endswith("?project=acme-prod")
    hostile = logs_explorer_filter(_hostile_judged())
    assert "@" not in hostile and "svc" not in hostile and "Evil" not in hostile
    assert logs_explorer_url(judged, "bad project/../x") == ""


def test_comments_end_with_the_run_marker() -> None:
    judged = _full_cluster_judged()
    spike = Spike(90, 10.5, 3.24, 20.22, 4, True)
    for text in (
        change_comment(judged, Changes(spike=spike), LINKS, RED),
        silence_comment(T0, 7, LINKS),
        duplicate_comment(4, LINKS),
        change_comment(judged, Changes(every_run=True), LINKS, RED),
    ):
        key = comment_run_id(text) or ""
        assert re.fullmatch(r"c-[0-9a-f]{20}", key) and text.endswith(run_marker(key) + "\n")
        verify_document(text, [])


def test_comment_key_depends_on_the_words_not_the_job() -> None:
    judged = _full_cluster_judged()
    other_job = RunLinks(run_id="9999-2", run_url="https://github.com/acme/shop/actions/runs/9999")
    same = [
        change_comment(judged, Changes(regression=True), links, RED) for links in (LINKS, other_job)
    ]
    assert comment_run_id(same[0]) == comment_run_id(same[1])
    other_event = change_comment(judged, Changes(new_revisions=("x-1",)), LINKS, RED)
    assert comment_run_id(other_event) != comment_run_id(same[0])


@needs_redact
@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("regression", Changes(regression=True)),
        (
            "priority_spike",
            Changes(raised_from=Priority.P3, spike=Spike(90, 10.5, 3.24, 20.22, 4, True)),
        ),
        ("new_revision", Changes(new_revisions=("checkout-00043-def",))),
        ("every_run", Changes(every_run=True)),
    ],
)
def test_change_comment_golden(name: str, changes: Changes) -> None:
    _golden(f"comment_{name}.md", change_comment(_full_cluster_judged(), changes, LINKS, RED))


def test_silence_and_duplicate_comment_golden() -> None:
    _golden("comment_silence.md", silence_comment(T0, 7, LINKS))
    _golden("comment_duplicate.md", duplicate_comment(4, RunLinks(run_id="local")))


def _rows() -> list[DashboardRow]:
    return [
        DashboardRow(Priority.P2, ClusterStatus.ONGOING, "Slow queries", 4, (1, 2, 4), T0, 12),
        DashboardRow(
            Priority.P0, ClusterStatus.REGRESSION, "Payments failing", 90, (0, 0, 90), T0, 3
        ),
        DashboardRow(Priority.P2, ClusterStatus.NEW, "Cache misses", 40, (40,), T0, None),
        DashboardRow(
            Priority.P3, ClusterStatus.ONGOING, "Quiet one", 0, (5, 0), T0 - timedelta(days=2), 8
        ),
    ]


def test_dashboard_golden() -> None:
    _golden("dashboard_open.md", dashboard_body(_rows(), LINKS, T0 + timedelta(hours=1)))
    _golden("dashboard_empty.md", dashboard_body([], RunLinks(run_id="local"), T0))


def test_dashboard_stays_under_the_limit() -> None:
    rows = [
        DashboardRow(Priority.P2, ClusterStatus.ONGOING, "p" * 250, i, tuple(range(48)), T0, i)
        for i in range(2000)
    ]
    body = dashboard_body(rows, LINKS, T0)
    assert len(body) <= BODY_CHAR_LIMIT and len(body.encode()) <= BODY_BYTE_LIMIT
    assert "Open problems as of 2024-05-01 12:00 UTC: 2000." in body
    assert "more are listed in the worklog." in body
    assert body.index("| [issue 1999](1999) |") < body.index(
        "| [issue 1998](1998) |"
    )  # most events first


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("{priority} {title} ({count} in {service})", "P2 Payments failing (42 in checkout)"),
        ("{{{priority}}} {title} {{count}}", "{P2} Payments failing {count}"),
    ],
)
def test_title_format_fills_count_and_service_and_unescapes_braces(fmt: str, expected: str) -> None:
    judged = _judged(judge={"title": "Payments failing"}, count=42)
    assert judged.cluster.services == ("checkout",)
    policy = IssuePolicy(title_format=fmt)
    assert issue_title(policy, judged, RED) == expected
    assert problem_text(policy, expected) == "Payments failing"


def test_title_does_not_repeat_an_exception_type_the_template_starts_with() -> None:
    judged = _judged(
        template="TypeError: Cannot read properties of undefined",
        exception_type="TypeError",
        judge={"title": ""},
    )
    assert judged.cluster.exception_type == "TypeError"
    assert issue_title(IssuePolicy(), judged, RED) == (
        "GCP-ongoing | P2 | TypeError: Cannot read properties of undefined"
    )


def test_bare_titles_are_issue_titles_with_the_title_alone_rendered_once_per_text() -> None:
    from log_gardener.core.publishing.issue_render import bare_titles

    judged = [
        _judged(fp="a" * 16, template="user <EMAIL> failed @here #7", count=3),
        _judged(fp="b" * 16, template="user <EMAIL> failed @here #7", count=9, services=("x",)),
        _judged(fp="c" * 16, template="x" * 1000, judge={"title": ""}),
        _judged(fp="d" * 16, judge={"title": "Ping @ops about #12"}),
        _judged(fp="e" * 16, exception_type="", template="plain"),
    ]
    made: dict[tuple[str, str, str], str] = {}
    titles = bare_titles(judged, RED, made)
    bare = IssuePolicy(title_format="{title}")
    assert titles == {j.cluster.fingerprint: issue_title(bare, j, RED) for j in judged}
    assert len(made) == 4  # the first two differ only in what the title does not show
    assert bare_titles(judged[:1], RED, made) == {"a" * 16: titles["a" * 16]}
