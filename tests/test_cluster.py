"""Online clustering: similarity merge, stack groups, statistics, identity across runs."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.fingerprint import message_fingerprint, stack_fingerprint
from log_gardener.model import GroupingKind, LogRecord, Severity, StackFrame, Window

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(hours=1))


def _record(
    message: str,
    *,
    minute: float = 0.0,
    severity: Severity = Severity.WARNING,
    service: str = "api",
    logger: str = "app",
    revision: str = "api-00001-abc",
    frames: tuple[StackFrame, ...] = (),
    exception_type: str = "",
    insert_id: str = "",
) -> LogRecord:
    return LogRecord(
        insert_id=insert_id or f"id-{message}-{minute}",
        timestamp=START + timedelta(minutes=minute),
        severity=severity,
        message=message,
        service=service,
        logger=logger,
        revision=revision,
        frames=frames,
        exception_type=exception_type,
    )


def _groups(messages: list[str], clusterer: Clusterer | None = None) -> list[str]:
    clusterer = clusterer or Clusterer(WINDOW)
    fps = [clusterer.add(_record(m)) for m in messages]
    return [clusterer.resolve(fp) for fp in fps]


def test_messages_differing_in_an_unmasked_value_join_one_cluster() -> None:
    clusterer = Clusterer(WINDOW)
    fps = _groups(
        [
            "Removing stale file report.csv",
            "Removing stale file notes.txt",
            "Removing stale file old.log",
            "Removing stale file spare.img",
        ],
        clusterer,
    )
    assert len(set(fps)) == 1
    (summary,) = clusterer.summaries()
    assert summary.template == "Removing stale file <*>"
    assert summary.count == 4
    # The fingerprint comes from the first template and never changes.
    assert fps[0] == message_fingerprint("Removing stale file report.csv", "app", "api")


def test_masked_values_join_without_similarity() -> None:
    fps = _groups([f"user {i} logged in from 10.0.0.{i}" for i in range(20)])
    assert len(set(fps)) == 1


def test_keyed_values_generalize_after_the_key() -> None:
    clusterer = Clusterer(WINDOW)
    _groups(
        ["login failed user=alice reason=expired", "login failed user=bob reason=expired"],
        clusterer,
    )
    assert [s.template for s in clusterer.summaries()] == ["login failed user=<*> reason=expired"]


def test_constant_looking_differences_stay_apart() -> None:
    fps = _groups(
        [
            "Connection opened from 10.0.0.1",
            "Connection closed from 10.0.0.1",
            "Cache read timeout on shard",
            "Cache write timeout on shard",
            "job failed user=bob",
            "job failed host=bob",
            "request to backend",
            "request from backend",
        ]
    )
    assert len(set(fps)) == 8


def test_too_different_messages_stay_apart() -> None:
    fps = _groups(["alpha beta gamma delta", "alpha zeta eta theta"])
    assert fps[0] != fps[1]


def test_service_and_logger_separate_message_groups() -> None:
    clusterer = Clusterer(WINDOW)
    a = clusterer.add(_record("cache miss rate high", service="api"))
    b = clusterer.add(_record("cache miss rate high", service="worker"))
    c = clusterer.add(_record("cache miss rate high", logger="other"))
    assert len({a, b, c}) == 3


def _frame(module: str, function: str, line: int) -> StackFrame:
    return StackFrame(module=module, function=function, file=f"/app/{module}.py", line=line)


def test_stack_grouping_ignores_line_numbers_and_message_values() -> None:
    clusterer = Clusterer(WINDOW)
    frames_one = (_frame("app.main", "startup", 10), _frame("app.db", "connect", 20))
    frames_two = (_frame("app.main", "startup", 12), _frame("app.db", "connect", 31))
    one = clusterer.add(
        _record("db init failed after 30s", frames=frames_one, exception_type="TimeoutError")
    )
    two = clusterer.add(
        _record("db init failed on host a", frames=frames_two, exception_type="TimeoutError")
    )
    other = clusterer.add(
        _record("db init failed", frames=frames_one, exception_type="ConnectionRefusedError")
    )
    assert one == two == stack_fingerprint("TimeoutError", frames_one)
    assert other != one
    stack = next(s for s in clusterer.summaries() if s.fingerprint == one)
    assert stack.kind is GroupingKind.STACK
    assert stack.count == 2
    assert stack.top_frames == frames_one
    assert stack.exception_type == "TimeoutError"


def test_custom_key_wins_over_everything() -> None:
    clusterer = Clusterer(WINDOW)
    a = clusterer.add(_record("one thing"), custom_key="noise")
    b = clusterer.add(_record("another thing entirely"), custom_key="noise")
    assert a == b
    (summary,) = clusterer.summaries()
    assert summary.kind is GroupingKind.CUSTOM
    assert summary.count == 2


def test_statistics_of_a_cluster() -> None:
    clusterer = Clusterer(WINDOW, buckets=4)
    records = [
        _record("disk 1 full", minute=1, severity=Severity.WARNING, revision="r1"),
        _record("disk 2 full", minute=20, severity=Severity.ERROR, revision="r2", service="api"),
        _record("disk 3 full", minute=59, severity=Severity.ERROR, revision="r2"),
        _record("disk 4 full", minute=75, severity=Severity.ERROR, revision="r2"),
    ]
    for record in records:
        clusterer.add(record)
    (summary,) = clusterer.summaries()
    assert summary.count == 4
    assert dict(summary.severity_counts) == {Severity.WARNING: 1, Severity.ERROR: 3}
    assert summary.first_seen == START + timedelta(minutes=1)
    assert summary.last_seen == START + timedelta(minutes=75)
    assert summary.services == ("api",)
    assert dict(summary.revisions) == {"r1": 1, "r2": 3}
    assert summary.buckets == (1, 1, 0, 2)  # outside the window is clamped to the edge
    assert summary.samples[0] is records[0]
    assert summary.samples[-1] is records[-1]
    assert summary.template == "disk <NUM> full"


def test_samples_and_state_stay_bounded() -> None:
    clusterer = Clusterer(WINDOW, sample_limit=3)
    for index in range(5000):
        clusterer.add(_record(f"worker {index} heartbeat late", minute=index % 60))
    (summary,) = clusterer.summaries()
    assert summary.count == 5000
    assert len(summary.samples) == 3
    assert summary.samples[0].message == "worker 0 heartbeat late"
    assert summary.samples[1].message == "worker 2047 heartbeat late"
    assert summary.samples[2].message == "worker 4999 heartbeat late"
    assert sum(summary.buckets) == 5000
    small = Clusterer(WINDOW, sample_limit=2)
    for index in range(10):
        small.add(_record(f"worker {index} heartbeat late"))
    assert [s.message for s in small.summaries()[0].samples] == [
        "worker 0 heartbeat late",
        "worker 9 heartbeat late",
    ]


_TEMPLATES = (
    "User {user} logged in from {ip}",
    "User {user} logged out after {n}s",
    "Failed to open file {file}: permission denied",
    "Deleted file {file} for user {user}",
    "Payment {n} declined for customer {user}",
    "Cache miss for key session:{user}",
    "Worker {word} started processing queue {word2}",
    "Worker {word} stopped processing queue {word2}",
    "Connection to {host} timed out after {n}ms",
    "Slow query on table {word} took {n}ms",
)
_WORDS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")


def _labelled(seed: int, count: int) -> list[tuple[int, LogRecord]]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        truth = rng.randrange(len(_TEMPLATES))
        message = _TEMPLATES[truth].format(
            user=rng.choice(_WORDS),
            ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            n=rng.randrange(10_000),
            file=rng.choice(("a.csv", "report.pdf", "notes.txt", "img.png", "data.json")),
            word=rng.choice(_WORDS),
            word2=rng.choice(("emails", "billing", "exports", "thumbnails")),
            host=rng.choice(("db", "cache", "search", "payments")) + ".internal",
        )
        rows.append((truth, _record(message, minute=index * 60 / count)))
    return rows


def test_two_runs_sharing_known_clusters_keep_one_fingerprint_per_problem() -> None:
    rows = _labelled(seed=7, count=600)
    first_run, second_run = rows[:300], rows[300:]
    fps_by_truth: dict[int, set[str]] = defaultdict(set)
    first = Clusterer(WINDOW)
    first_fps = [(truth, first.add(record)) for truth, record in first_run]
    for truth, fp in first_fps:
        fps_by_truth[truth].add(first.resolve(fp))
    known = first.known_clusters()
    assert {k.fingerprint for k in known} == {s.fingerprint for s in first.summaries()}
    # The second run sees other values (different order, different users and numbers).
    second = Clusterer(WINDOW, known)
    second_fps = [(truth, second.add(record)) for truth, record in reversed(second_run)]
    for truth, fp in second_fps:
        fps_by_truth[truth].add(second.resolve(fp))
    assert {truth: len(fps) for truth, fps in fps_by_truth.items()} == {
        truth: 1 for truth in range(len(_TEMPLATES))
    }


def test_known_template_attaches_fresh_values_by_similarity() -> None:
    first = Clusterer(WINDOW)
    fp = first.add(_record("Deleted file a.csv"))
    first.add(_record("Deleted file b.csv"))
    first.add(_record("Deleted file c.csv"))
    first.add(_record("Deleted file d.csv"))
    (known,) = first.known_clusters()
    assert known.template == "Deleted file <*>"
    second = Clusterer(WINDOW, [known])
    assert second.add(_record("Deleted file zzz.csv")) == fp


def test_same_input_order_gives_the_same_output() -> None:
    rows = _labelled(seed=3, count=400)

    def run() -> list[tuple[str, str, int]]:
        clusterer = Clusterer(WINDOW)
        for _, record in rows:
            clusterer.add(record)
        return [(s.fingerprint, s.template, s.count) for s in clusterer.summaries()]

    assert run() == run()


# --- evidence before a position becomes a variable ---------------------------------------------


def test_two_alphabetic_values_never_make_a_variable() -> None:
    fps = _groups(
        [
            "Session: 42 initialized by client WindowsUpdateAgent, version: 7.6",
            "Session: 43 initialized by client WindowsUpdateAgent, version: 7.6",
            "Session: 44 initialized by client CcmExec, version: 7.6",
            "Session: 45 initialized by client CcmExec, version: 7.6",
            "Session: 46 initialized by client WindowsUpdateAgent, version: 7.6",
        ]
    )
    assert fps[0] == fps[1] == fps[4] != fps[2] == fps[3]


def test_many_distinct_words_in_a_position_do_make_a_variable() -> None:
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
    clusterer = Clusterer(WINDOW)
    fps = _groups(
        [f"Invalid user {name} from 10.0.0.{i}" for i, name in enumerate(names)], clusterer
    )
    assert len(set(fps)) == 1
    (summary,) = clusterer.summaries()
    assert (summary.template, summary.count) == ("Invalid user <*> from <IP>", len(names))


def test_a_position_repeating_few_words_over_many_records_stays_apart() -> None:
    # An enumeration of events (two or three words, each seen many times) is not a variable.
    messages = [f"Job {i} finished with state SUCCEEDED" for i in range(40)]
    messages += ["Job 41 finished with state FAILED", "Job 42 finished with state CANCELLED"]
    messages += ["Job 43 finished with state FAILED"]
    fps = _groups(messages)
    assert len(set(fps)) == 3


def test_four_words_after_hundreds_of_records_are_still_an_enumeration() -> None:
    messages = [f"Job {i} finished with state SUCCEEDED" for i in range(200)]
    messages += [f"Job 9 finished with state {s}" for s in ("FAILED", "CANCELLED", "EXPIRED")]
    assert len(set(_groups(messages))) == 4


def test_a_skewed_variable_still_becomes_one() -> None:
    users = ["root"] * 30 + ["cyrus", "root", "news", "root", "test", "root", "cyrus"]
    clusterer = Clusterer(WINDOW)
    fps = _groups([f"session opened for user {u} by (uid=0)" for u in users], clusterer)
    assert len(set(fps)) == 1
    (summary,) = clusterer.summaries()
    assert summary.template == "session opened for user <*> by (uid=<NUM>)"


def test_methods_and_protocols_never_merge() -> None:
    proxy = "chrome.exe - example.com:443 open through proxy proxy.example.net:5070 {}"
    messages = [proxy.format(word) for word in ("HTTPS", "SOCKS5", "HTTPS", "SOCKS4", "HTTP")]
    messages += [f"{m} /api/v1/items/{i} -> 500" for i, m in enumerate(("GET", "POST", "PUT"))]
    fps = _groups(messages)
    assert len(set(fps[:5])) == 4 and fps[0] == fps[2]
    assert len(set(fps[5:])) == 3


def test_http_status_classes_stay_apart_and_the_status_is_kept() -> None:
    clusterer = Clusterer(WINDOW)
    fps = _groups(
        [
            "POST /api/v1/chat/messages -> 502",
            "POST /api/v1/chat/messages -> 503",
            "POST /api/v1/chat/messages -> 404",
            "POST /api/v1/orders/7 -> 502",
            "POST /api/v1/orders/8 -> 502",
        ],
        clusterer,
    )
    assert fps[0] == fps[1] != fps[2]
    assert fps[3] == fps[4] != fps[0]
    templates = {s.fingerprint: s.template for s in clusterer.summaries()}
    assert templates[fps[0]] == "POST /api/v1/chat/messages -> 5xx"
    assert templates[fps[2]] == "POST /api/v1/chat/messages -> 404"
    assert templates[fps[3]] == "POST /api/v1/orders/<NUM> -> 502"


def test_digit_bearing_words_that_repeat_stay_constants() -> None:
    clusterer = Clusterer(WINDOW)
    for index in range(20):
        for word in ("utf8", "ext4"):
            clusterer.add(_record(f"mounted volume {index} as {word} ok"))
    templates = sorted(s.template for s in clusterer.summaries())
    assert templates == ["mounted volume <NUM> as ext4 ok", "mounted volume <NUM> as utf8 ok"]


def test_id_shaped_words_are_variables() -> None:
    fps = _groups(["worker node12 lost heartbeat", "worker node13 lost heartbeat"])
    assert fps[0] == fps[1]


def test_a_unit_conversion_does_not_split_a_template() -> None:
    fps = _groups(
        [
            "firefox.exe - a.com:443 close, 1190 bytes sent, 7 bytes received, lifetime 00:02",
            "firefox.exe - a.com:443 close, 1190 bytes (1.16 KB) sent, 12 bytes received, lifetime 00:09",
            "firefox.exe - a.com:80 close, 48853 bytes (47.7 KB) sent, 9 bytes (0.01 KB) received, lifetime 01:02",
        ]
    )
    assert len(set(fps)) == 1


def test_absorbed_siblings_report_one_cluster_with_all_counts() -> None:
    clusterer = Clusterer(WINDOW)
    fps = _groups(
        [f"Removing stale file {name}" for name in ("a.csv", "b.csv", "b.csv", "c.csv", "d.csv")],
        clusterer,
    )
    assert len(set(fps)) == 1
    (summary,) = clusterer.summaries()
    assert summary.count == 5 and summary.fingerprint == fps[0]
    assert [k.fingerprint for k in clusterer.known_clusters()] == [fps[0]]


def test_an_optional_trailing_annotation_does_not_split_a_template() -> None:
    hosts = ["gateway", "mailer", "search", "billing", "ledger", "queue"]
    messages = []
    for index, host in enumerate(hosts * 2):
        note = " (will retry)" if index % 2 else ""
        messages.append(f"Health check of {host} failed after {index}ms{note}")
    messages += ["Replica lag too high (read-only mode)", "Replica lag too high"]
    fps = _groups(messages)
    assert len(set(fps[:-2])) == 1
    assert fps[-1] == fps[-2] != fps[0]


def test_different_annotations_stay_apart() -> None:
    fps = _groups(["Upload aborted (quota exceeded)", "Upload aborted (checksum mismatch)"])
    assert fps[0] != fps[1]
    fps = _groups(["Container killed", "Container killed (OOMKilled)", "Container killed (Error)"])
    assert fps[0] == fps[1] != fps[2]


def test_a_cluster_known_from_state_is_never_absorbed_into_a_new_one() -> None:
    first = Clusterer(WINDOW)
    known_fp = first.add(_record("Health check of gateway failed after 5ms (will retry)"))
    (known,) = first.known_clusters()
    second = Clusterer(WINDOW, [known])
    fps = [second.add(_record("Health check of gateway failed after 9ms (will retry)"))]
    for index, host in enumerate(["mailer", "search", "billing", "ledger", "queue"]):
        fps.append(second.add(_record(f"Health check of {host} failed after {index}ms")))
    assert second.resolve(fps[0]) == known_fp
    assert known_fp in {s.fingerprint for s in second.summaries()}
