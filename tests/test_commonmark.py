"""The documents' verification reads them with GitHub's parser (cmark-gfm, through cmarkgfm)
where it is installed and with markdown-it-py where it is not: both readings refuse log text
outside code and raw HTML, and give the same verdicts and the same documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from log_gardener import cli
from log_gardener.core.publishing import commonmark
from log_gardener.core.publishing.render import Published, verified
from log_gardener.core.shared.redact import DEFAULT_POLICY
from log_gardener.errors import UnsafeDocumentError
from tests.fresh_demo import demo_outputs

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "cloud-run-backend-hour.jsonl"
RULES = ROOT / "examples" / "log-gardener.yml"
BACKENDS = (commonmark.CMARK, commonmark.MARKDOWN_IT)

# Log texts that change what GitHub renders when they are not in code.
LIVE = [
    "plain words",
    "<b>bold</b>",
    "<!-- hidden -->",
    "<script>alert(1)</script>",
    "[click](https://evil.example/x)",
    "![img](https://evil.example/i.png)",
    "[ref]: https://evil.example/ref",
    "https://evil.example/autolink",
    "www.evil.example",
    "javascript:alert(1)",
    "**strong** _em_ ~~gone~~",
    "# heading",
    "- item",
    "> quote",
    "| a | b |",
    "`code` and more",
    "\n\n```\nfence\n```\n",
    "&lt;b&gt; &amp;",
    "line\n\nbreak",
    "y",
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    assert commonmark.use(request.param) == request.param
    yield request.param
    commonmark.use("")


def test_cmark_gfm_is_used_where_installed() -> None:
    assert commonmark.use("") == commonmark.CMARK


@pytest.mark.parametrize("text", LIVE)
def test_log_text_in_code_passes(backend: str, text: str) -> None:
    def render(pub: Published) -> str:
        return (
            f"# Title\n\n| a | b |\n|---|---|\n| {pub.cell(text)} | 1 |\n\n- {pub.span(text)}\n\n"
            + (pub.block(text) + "\n")
        )

    assert "Title" in verified(render, DEFAULT_POLICY)


@pytest.mark.parametrize("text", LIVE)
@pytest.mark.parametrize(
    "layout",
    [
        lambda t: f"Problem: {t}\n",
        lambda t: f"| a | b |\n|---|---|\n| {t} | 1 |\n",
        lambda t: f"- item {t}\n",
        lambda t: f"[link]({t})\n",
        lambda t: f"![image]({t})\n",
        lambda t: f'[link](https://example.com "{t}")\n',
        lambda t: f"```{t}\ncode\n```\n",
    ],
)
def test_log_text_outside_code_is_refused(
    backend: str, text: str, layout: Callable[[str], str]
) -> None:
    def render(pub: Published) -> str:
        return layout("x" if pub.shadow else text)

    with pytest.raises(UnsafeDocumentError):
        verified(render, DEFAULT_POLICY)


@pytest.mark.parametrize("html", ["<br>", "<!-- ours -->", "<details>x</details>", "a <i>b</i>"])
def test_raw_html_is_refused_even_in_our_words(backend: str, html: str) -> None:
    with pytest.raises(UnsafeDocumentError, match="raw HTML"):
        verified(lambda pub: f"Intro\n\n{html}\n", DEFAULT_POLICY)


def test_code_contents_are_left_out_of_the_reading(backend: str) -> None:
    one = commonmark.reading("a `one` b\n\n```text\nfirst <b>\n```\n")
    two = commonmark.reading("a `two, longer` b\n\n```text\nsecond\n</code_block>\n```\n")
    assert one == two
    assert not one.raw_html
    assert commonmark.reading("a `one` b\n") != commonmark.reading("a `one` c\n")


def test_the_environment_selects_markdown_it() -> None:
    try:
        cli.main(["validate", str(RULES)], env={"LOG_GARDENER_MARKDOWN": "markdown-it"})
        assert commonmark.backend() == commonmark.MARKDOWN_IT
        cli.main(["validate", str(RULES)], env={})
        assert commonmark.backend() == commonmark.CMARK
    finally:
        commonmark.use("")


def test_both_parsers_give_the_same_documents(tmp_path: Path) -> None:
    """LOG_GARDENER_MARKDOWN=markdown-it (the seam that stands for a missing wheel), fresh
    processes, fixed clock: identical worklogs, index, state and report."""
    outputs = [
        demo_outputs(
            tmp_path / name, "LOG_GARDENER_MARKDOWN", name, "commonmark.backend() == value"
        )
        for name in BACKENDS
    ]
    assert len(outputs[0]) >= 3
    assert outputs[0] == outputs[1]


def test_a_reading_that_misses_raw_html_or_code_is_not_used() -> None:
    """Another cmark-gfm release rendering other XML falls back to markdown-it-py."""
    ok = commonmark._reads_as_expected
    assert ok(commonmark.reading) and ok(commonmark._markdown_it_reading)
    assert not ok(lambda doc: commonmark.Reading(doc, False))  # code text compared, no HTML
    assert not ok(lambda doc: commonmark.Reading("", "<" in doc))  # sees nothing but HTML


def test_a_lone_surrogate_in_our_words_is_read(backend: str) -> None:
    """A target label from argv may carry one (surrogateescape); log text shows it as <U+DCFF>."""
    odd = "\udcff"
    document = verified(lambda pub: f"# target {odd}\n\n{pub.span('log ' + odd)}\n", DEFAULT_POLICY)
    assert "<U+DCFF>" in document
