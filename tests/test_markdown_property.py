"""Property: whatever a log says, once wrapped it stays inside code and the verifier agrees."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from log_gardener.core.publishing.markdown import (
    code_block,
    code_span,
    code_text,
    inline_text,
    plain_title,
)
from log_gardener.core.shared import marker
from tests.fragment_oracle import verify_document

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])

# Pieces that attack markdown, HTML, GitHub autolinks, markers and rendering.
ATOMS = [
    "`", "``", "```", "````", "~~~", "~~~~", "\n", "\r", "\r\n", "|", "\\", "<", ">", "<!--", "-->",
    "@", "@octocat", "@org/team", "#1", "GH-2", "o/r#3", "fixes #4", "<details open>", "</details>",
    "<script>", "[x](https://evil.example)", "https://github.com/o/r/issues/5", "*", "_", "**",
    "# ", "## H", "> ", "- ", "1. ", "    ", "\t", "&lt;", "&#64;", "<U+202E>", "\u202e", "\u2066",
    "\u200b", "\u200d", "\ufeff", "\u00ad", "\x00", "\x1b[31m", "\u2028", "\u0085", "::error::x",
    "##[add-mask]", marker.issue_marker("deadbeef", "v1"), marker.run_marker("1"), " ", "a", "Z9",
]  # fmt: skip

hostile = st.lists(st.one_of(st.sampled_from(ATOMS), st.text(max_size=8)), max_size=24).map("".join)


def _flat(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        out.extend(_flat(token.children or []))
    return out


def _document(text: str) -> str:
    return "\n\n".join(
        [
            marker.issue_marker("0123abcd", "v1"),
            "## Sample",
            code_block(text, "text"),
            f"| where | what |\n|---|---|\n| log | {inline_text(text)} |",
            "First line: " + code_span(text) + " (seen 3 times)",
            marker.run_marker("42"),
        ]
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_log_text_stays_inside_code(text: str) -> None:
    document = _document(text)
    verify_document(document, [text])
    tokens = _flat(PARSER.parse(document))
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1
    assert fences[0].content == code_text(text).removesuffix("\n") + "\n"
    span_text = code_text(text).replace("\n", "\u23ce").replace("|", "\u00a6") or " "
    codes = [t.content for t in tokens if t.type == "code_inline"]
    assert codes == ([span_text, span_text] if text else [span_text])
    assert [t.type for t in tokens if t.type in ("html_block", "html_inline")] == [
        "html_block",
        "html_block",
    ]
    assert marker.parse_issue_marker(document) is not None
    assert marker.comment_run_id(document) == "42"
    assert [t.type for t in tokens if t.type == "td_open"] == ["td_open", "td_open"]


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_titles_never_link_mention_or_hide(text: str) -> None:
    title = plain_title(text)
    assert "\n" not in title and "@" not in title and "#" not in title and "<" not in title
    assert "://" not in title and "`" not in title
    assert all(ch.isprintable() for ch in title)
    assert len(title) <= 120
