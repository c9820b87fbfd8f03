"""Status, escalation, silence, duplicates and the state a run leaves behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from log_gardener.core.judging.lifecycle import (
    MUTED_LABEL,
    Spike,
    assess,
    detect_spike,
    duplicate_issues,
    record_run,
    silent_issues,
)
from log_gardener.core.judging.rules import EscalationPolicy, IssuePolicy
from log_gardener.core.shared.state import GardenerState, RunCount
from log_gardener.model import ClusterStatus, IssueState, Priority
from tests.planning_factory import T0, cluster, issue, judgement, known

POLICY = IssuePolicy()


def _status(existing: list, **judge: object) -> ClusterStatus:
    [judged] = assess([(cluster(), judgement(**judge))], existing, GardenerState(), POLICY, T0)
    return judged.status


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], ClusterStatus.NEW),
        ([issue(3)], ClusterStatus.ONGOING),
        ([issue(3, state=IssueState.CLOSED_COMPLETED)], ClusterStatus.REGRESSION),
        ([issue(3, state=IssueState.CLOSED_NOT_PLANNED)], ClusterStatus.MUTED),
        ([issue(3, labels=("log-gardener", MUTED_LABEL))], ClusterStatus.MUTED),
        ([issue(3, fp="ffffffffffffffff")], ClusterStatus.NEW),  # another problem's issue
        # duplicates: the lowest number stands for the problem
        ([issue(9), issue(4, state=IssueState.CLOSED_COMPLETED)], ClusterStatus.REGRESSION),
    ],
)
def test_status_follows_the_issue(existing: list, expected: ClusterStatus) -> None:
    assert _status(existing) is expected


def test_known_in_state_without_an_issue_is_still_new() -> None:
    state = GardenerState(clusters={"a1b2c3d4e5f60718": known(issue_number=7)})
    [judged] = assess([(cluster(), judgement())], [], state, POLICY, T0)
    assert judged.status is ClusterStatus.NEW


def test_ignored_rule_is_muted() -> None:
    assert _status([], ignored=True) is ClusterStatus.MUTED


def test_dashboard_issue_never_stands_for_a_problem() -> None:
    dash = issue(1, fp="", is_dashboard=True, body="<!-- log-gardener:dashboard -->")
    assert _status([dash]) is ClusterStatus.NEW


ESC = EscalationPolicy(min_runs=3, floor=20, factor=3.0)


def _numbers(spike: Spike | None) -> tuple[object, ...] | None:
    if spike is None:
        return None
    rounded = (round(spike.mean, 3), round(spike.stddev, 3), round(spike.threshold, 3))
    return (spike.count, *rounded, spike.baseline_runs, spike.started)


@pytest.mark.parametrize(
    ("history", "count", "expected"),
    [
        # mean 10.5, spread max(stddev 1.118, sqrt(10.5)) = 3.240, limit 10.5 + 3 * 3.240
        ((10, 12, 11, 9), 60, (60, 10.5, 3.240, 20.221, 4, True)),
        ((10, 12), 60, None),  # young: fewer than min_runs runs of history
        ((10, 12, 11, 9), 20, None),  # under the limit 20.221
        ((1, 0, 2, 1), 19, None),  # under the floor even though far above the baseline
        ((100, 120, 80, 100), 142, None),  # within mean + 3 stddev (100 + 3 * 14.142)
        ((100, 120, 80, 100), 143, (143, 100.0, 14.142, 142.426, 4, True)),
        ((5, 5, 5, 5), 20, None),  # the floor (20) is the limit; a spike must exceed it
        ((5, 5, 5, 5), 21, (21, 5.0, 2.236, 20.0, 4, True)),
        ((0, 0, 0, 0), 21, (21, 0.0, 0.0, 20.0, 4, True)),
    ],
)
def test_spike_detection(
    history: tuple[int, ...], count: int, expected: tuple[object, ...] | None
) -> None:
    assert _numbers(detect_spike(cluster(count=count), known(counts=history), ESC)) == expected


def test_sustained_spike_is_one_spike() -> None:
    """Spike runs stay out of the baseline: the second spiking run is not a 'start'."""
    first = detect_spike(cluster(count=80), known(counts=(10, 12, 11, 9)), ESC)
    second = detect_spike(cluster(count=85), known(counts=(10, 12, 11, 9, 80)), ESC)
    assert first is not None and first.started
    assert second is not None and not second.started
    assert second.mean == 10.5  # the spike run did not raise the baseline


def test_replayed_run_does_not_count_itself_in_the_baseline() -> None:
    k = known(counts=(10, 12, 11, 9, 80))  # run-4 = 80 is this very run, replayed
    found = detect_spike(cluster(count=80), k, ESC, run_id="run-4")
    assert found is not None and found.started and found.baseline_runs == 4


def test_escalation_disabled() -> None:
    off = EscalationPolicy(enabled=False)
    assert detect_spike(cluster(count=500), known(counts=(1, 1, 1, 1)), off) is None


@pytest.mark.parametrize(
    ("priority", "pinned", "expected", "escalated_from"),
    [
        (Priority.P2, False, Priority.P1, Priority.P2),
        (Priority.P0, False, Priority.P0, None),  # nothing above P0
        (Priority.P2, True, Priority.P2, None),  # a pinned rule is a ceiling
    ],
)
def test_spike_raises_one_step_never_past_a_pin(
    priority: Priority, pinned: bool, expected: Priority, escalated_from: Priority | None
) -> None:
    state = GardenerState(clusters={"a1b2c3d4e5f60718": known(counts=(10, 12, 11, 9))})
    pairs = [(cluster(count=90), judgement(priority, pinned=pinned))]
    [judged] = assess(pairs, [issue(1)], state, POLICY, T0)
    assert judged.judgement.priority is expected
    assert judged.escalated_from == escalated_from


def test_muted_problem_is_never_escalated() -> None:
    state = GardenerState(clusters={"a1b2c3d4e5f60718": known(counts=(10, 12, 11, 9))})
    pairs = [(cluster(count=90), judgement(Priority.P2))]
    muted = issue(1, state=IssueState.CLOSED_NOT_PLANNED)
    [judged] = assess(pairs, [muted], state, POLICY, T0)
    assert (judged.judgement.priority, judged.escalated_from) == (Priority.P2, None)


def test_assess_order_is_stable() -> None:
    pairs = [(cluster("bb" * 8), judgement()), (cluster("aa" * 8), judgement())]
    fps = [j.cluster.fingerprint for j in assess(pairs, [], GardenerState(), POLICY, T0)]
    assert fps == ["aa" * 8, "bb" * 8]


def _silence_state(days_ago: float) -> GardenerState:
    return GardenerState(
        clusters={"a1b2c3d4e5f60718": known(last_seen=T0 - timedelta(days=days_ago))}
    )


@pytest.mark.parametrize(
    ("days_ago", "policy_days", "seen", "closes"),
    [
        (8, 7, False, True),
        (7, 7, False, True),  # exactly N days
        (6.9, 7, False, False),
        (30, 0, False, False),  # 0 disables
        (30, 7, True, False),  # seen in this run
    ],
)
def test_silent_issues(days_ago: float, policy_days: int, seen: bool, closes: bool) -> None:
    policy = IssuePolicy(auto_resolve_days=policy_days)
    seen_fps = ["a1b2c3d4e5f60718"] if seen else []
    found = silent_issues([issue(5)], _silence_state(days_ago), policy, T0, seen_fps)
    assert [i.number for i in found] == ([5] if closes else [])


@pytest.mark.parametrize(
    "candidate",
    [
        issue(5, state=IssueState.CLOSED_COMPLETED),
        issue(5, labels=("log-gardener", MUTED_LABEL)),
        issue(5, fp="", is_dashboard=True),
    ],
)
def test_silence_never_touches_closed_muted_or_dashboard(candidate: object) -> None:
    assert silent_issues([candidate], _silence_state(30), POLICY, T0, []) == []  # type: ignore[list-item]


def test_silence_needs_a_known_last_seen() -> None:
    assert silent_issues([issue(5)], GardenerState(), POLICY, T0, []) == []


def test_duplicates_keep_the_lowest_number() -> None:
    existing = [
        issue(12),
        issue(4),
        issue(9, state=IssueState.CLOSED_COMPLETED),  # already closed: nothing to do
        issue(7, fp="ffffffffffffffff"),
        issue(20, fp="", is_dashboard=True),
        issue(15, fp="", is_dashboard=True),
    ]
    pairs = [(keep.number, close.number) for keep, close in duplicate_issues(existing)]
    assert pairs == [(4, 12), (15, 20)]


def test_record_run_history_once_per_run_and_zero_when_quiet() -> None:
    other = known("ffffffffffffffff", counts=(3,))
    state = GardenerState(clusters={"ffffffffffffffff": other})
    judged = assess([(cluster(count=5), judgement())], [], state, POLICY, T0)
    for _ in range(2):  # a replay of the same run id replaces its entries
        state = record_run(
            state, judged, run_id="r1", window_end=T0, issue_for={"a1b2c3d4e5f60718": 3}
        )
    mine = state.clusters["a1b2c3d4e5f60718"]
    assert mine.history == (RunCount("r1", T0, 5),)
    assert (mine.issue_number, mine.priority, mine.revisions) == (
        3,
        Priority.P2,
        ("checkout-00042-abc",),
    )
    assert [h.count for h in state.clusters["ffffffffffffffff"].history] == [3, 0]


def test_record_run_keeps_old_publication_when_writes_were_deferred() -> None:
    state = GardenerState(clusters={"a1b2c3d4e5f60718": known(priority=Priority.P3)})
    judged = assess([(cluster(), judgement(Priority.P1))], [issue(3)], state, POLICY, T0)
    after = record_run(state, judged, run_id="r1", window_end=T0, issue_for={}, published=[])
    k = after.clusters["a1b2c3d4e5f60718"]
    assert (k.priority, k.revisions, k.history[-1].count) == (Priority.P3, (), 5)
