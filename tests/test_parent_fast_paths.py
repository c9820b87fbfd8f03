"""The parent process's quicker ways give what the plain ways give.

The similarity search's quick first test (``_may_join``, with each cluster's wildcard count
kept current) finds exactly what the full scan with ``_score`` finds: the same cluster (the
earliest on a tie) and the same match, over many generated templates built to collide.  The
bucket of a moment (a remembered span) is the formula's; ``may_signal`` (a search per hint)
answers as one search for any hint."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from log_gardener.core.grouping import cluster as cluster_module
from log_gardener.core.grouping.cluster import Clusterer
from log_gardener.core.grouping.infra import SIGNAL_HINTS, may_signal
from log_gardener.core.shared.state import KnownCluster
from log_gardener.model import GroupingKind, LogRecord, Severity, Window

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WINDOW = Window(START, START + timedelta(hours=1))

# Few words per position, so templates agree often: ties, near misses (families), joins that
# widen templates, merges; and tokens holding the wildcard themselves, in any number.
VOCABULARY = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "omega",
    "sigma",
    "to",
    "from",
    "GET",
    "POST",
    "<NUM>",
    "<ID>",
    "<IP>",
    "user=bob",
    "user=ann",
    "user=<*>",
    "node12",
    "node13",
    "502",
    "503",
    "404",
    "<*>",
    "a<*>b",
    "<*><*>",
    "(will",
    "retry)",
    "(OOMKilled)",
)


def _reference_wildcards(tokens: list[str]) -> int:
    return " ".join(tokens).count("<*>")


def _full_scan(clusterer: Any, service: str, logger: str, tokens: list[str]) -> tuple[Any, Any]:
    """``Clusterer._most_similar`` as it was: ``_score`` on every candidate, in order."""
    best = None
    best_match = None
    for candidate in clusterer._similar.get((service, logger, len(tokens)), ()):
        match = cluster_module._score(candidate.tokens, tokens)
        if match is None:
            continue
        if best_match is None or cluster_module._better(match, best_match):
            best, best_match = candidate, match
    return best, best_match


def _template(rng: random.Random, stems: list[list[str]]) -> str:
    if stems and rng.random() < 0.8:  # a variation of an earlier template
        tokens = list(rng.choice(stems))
        for _ in range(rng.randint(0, 3)):
            tokens[rng.randrange(len(tokens))] = rng.choice(VOCABULARY)
    else:
        tokens = [rng.choice(VOCABULARY) for _ in range(rng.randint(1, 9))]
        stems.append(tokens)
    if rng.random() < 0.15:
        tokens = [*tokens, "(will", "retry)"]
    return " ".join(tokens)


def _record(minute: float, service: str) -> LogRecord:
    return LogRecord(
        insert_id=f"id-{minute}",
        timestamp=START + timedelta(minutes=minute),
        severity=Severity.ERROR,
        message="unused: the template is given",
        service=service,
        logger="app",
    )


def test_quick_first_test_agrees_with_scores_first_test() -> None:
    rng = random.Random(7)
    rejected = 0
    for _ in range(20_000):
        size = rng.randint(1, 12)
        template = [rng.choice(VOCABULARY) for _ in range(size)]
        tokens = [rng.choice(template + list(VOCABULARY[:6])) for _ in range(size)]
        wildcards = _reference_wildcards(template)
        equal = sum(a == b for a, b in zip(template, tokens, strict=True))
        expected = 2 * equal + wildcards >= size
        assert cluster_module._may_join(template, tokens, wildcards) is expected
        if not expected:
            rejected += 1
            assert cluster_module._score(template, tokens) is None
    assert 1000 < rejected < 19_000  # both answers were tested, many times


def test_search_finds_what_the_full_scan_finds_on_colliding_templates() -> None:
    found = ties = 0
    for seed in range(12):
        rng = random.Random(seed)
        stems: list[list[str]] = []
        # Clusters known from an earlier run (seeded first, never absorbed), wildcards included.
        known = [
            KnownCluster(
                f"known-{seed}-{n}", GroupingKind.MESSAGE, _template(rng, stems), "app", "api"
            )
            for n in range(8)
        ]
        clusterer: Any = Clusterer(WINDOW, known)
        for step in range(1500):
            service = rng.choice(("api", "api", "worker"))
            template = _template(rng, stems)
            tokens = template.split(" ")
            core = cluster_module._without_annotation(tokens)
            for probe in (tokens,) if core is None else (tokens, core):
                got = clusterer._most_similar(service, "app", probe)
                want = _full_scan(clusterer, service, "app", probe)
                assert got[0] is want[0] and got[1] == want[1], (seed, step, probe)
                if got[0] is not None:
                    found += 1
                    candidates = clusterer._similar.get((service, "app", len(probe)), ())
                    scores = [cluster_module._score(c.tokens, probe) for c in candidates]
                    if sum(s == got[1] for s in scores) > 1:
                        ties += 1
            clusterer.add(_record(step / 30, service), template=template)
            if step % 100 == 0:
                for each in clusterer._by_fp.values():
                    assert each.wildcards == _reference_wildcards(each.tokens)
        for each in clusterer._by_fp.values():
            assert each.wildcards == _reference_wildcards(each.tokens)
        assert clusterer._aliases, "no merge happened: the templates collide too little"
    assert found > 5000 and ties > 100


def _moments(rng: random.Random, window: Window, edges: list[datetime]) -> list[datetime]:
    span = window.end - window.start
    moments = [window.start + span * rng.uniform(-0.2, 1.2) for _ in range(300)]
    moments += [edge + timedelta(microseconds=d) for edge in edges for d in (-1, 0, 1)]
    moments += [window.start, window.end, window.start - timedelta(microseconds=1)]
    ordered = sorted(moments)  # in time order, as most inputs come, and shuffled
    rng.shuffle(moments)
    other_zone = [m.astimezone(timezone(timedelta(hours=-7))) for m in moments[:50]]
    return ordered + moments + other_zone


def test_bucket_of_a_moment_is_what_the_formula_gives() -> None:
    rng = random.Random(3)
    start = datetime(2024, 5, 1, 12, 0, 0, 123457, tzinfo=UTC)
    spans = [timedelta(hours=1), timedelta(seconds=1, microseconds=7), timedelta(microseconds=5)]
    spans += [timedelta(seconds=rng.uniform(0.001, 10**6)) for _ in range(30)]
    for span in spans:
        for buckets in (1, 2, 7, 12, 13):
            window = Window(start, start + span)
            clusterer: Any = Clusterer(window, buckets=buckets)
            edges = clusterer._edges
            assert len(edges) == (buckets - 1 if span > timedelta(0) and buckets > 1 else 0)
            for moment in _moments(rng, window, edges):
                assert clusterer._bucket_of(moment) == clusterer._bucket_index(moment), (
                    span,
                    buckets,
                    moment,
                )
    # A moment without a zone takes the formula (local time) and never the cached span.
    clusterer = Clusterer(WINDOW)
    clusterer._bucket_of(START + timedelta(minutes=1))
    naive = (START + timedelta(minutes=1)).replace(tzinfo=None)
    assert clusterer._bucket_of(naive) == clusterer._bucket_index(naive)


def test_may_signal_is_a_search_for_any_hint() -> None:
    any_hint = re.compile("|".join(re.escape(hint) for hint in SIGNAL_HINTS))
    rng = random.Random(5)
    pieces = [*SIGNAL_HINTS, "ontaine", "obe", "OO", "sigterm", "Instance", " ", "x", "é", "\n"]
    messages = ["", "Container called exit(1).", "x" * 400 + "OOM", "OOM" + "x" * 397]
    for _ in range(5000):
        messages.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
    messages += [m[: len(m) // 2] + "-" + m[len(m) // 2 :] for m in messages[:2000]]
    signalled = 0
    for message in messages:
        want = len(message) <= 400 and any_hint.search(message) is not None
        assert may_signal(message) is want, message
        signalled += want
    assert 100 < signalled < len(messages) - 100


def test_exact_templates_stay_bounded_and_counted(monkeypatch: Any) -> None:
    """The exact-template cache (per service and logger) keeps its count of templates and is
    dropped whole at the limit, as one dictionary was."""
    monkeypatch.setattr(cluster_module, "_EXACT_LIMIT", 40)
    rng = random.Random(11)
    stems: list[list[str]] = []
    known = [
        KnownCluster(f"known-{n}", GroupingKind.MESSAGE, _template(rng, stems), "app", "api")
        for n in range(6)
    ]
    clusterer: Any = Clusterer(WINDOW, [*known, *known])  # a repeat is one template
    assert clusterer._exact_size == len({k.template for k in known})
    drops = 0
    for step in range(600):
        before = clusterer._exact_size
        service = rng.choice(("api", "worker", "batch"))
        clusterer.add(_record(step / 10, service), template=_template(rng, stems))
        sizes = sum(len(templates) for templates in clusterer._exact.values())
        assert clusterer._exact_size == sizes <= 40
        drops += clusterer._exact_size < before
    assert drops >= 5
