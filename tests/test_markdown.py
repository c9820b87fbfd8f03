"""Neutralization of log-derived text in GitHub markdown, and the document verifier."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from log_gardener.core.publishing.markdown import (
    code_block,
    code_span,
    code_text,
    inline_text,
    plain_title,
    visible,
)
from log_gardener.core.shared import marker
from log_gardener.errors import UnsafeDocumentError
from tests.fragment_oracle import verify_document

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _flat(markdown: str) -> list[Token]:
    out: list[Token] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            out.append(token)
            walk(token.children or [])

    walk(PARSER.parse(markdown))
    return out


def _doc(*parts: str) -> str:
    return "\n\n".join(
        [marker.issue_marker("0123abcd", "v1"), "## Sample", *parts, marker.run_marker("42")]
    )


# --- code blocks ------------------------------------------------------------------------------

BREAKOUTS = [
    "panic: bad input\n```\n## INJECTED-HEADING\n@octocat [click](https://evil.example/login)\n```\nend",
    "a\n~~~\n# x\n~~~",
    "````````````\n<script>alert(1)</script>\n````",
    "   ```\n<b>bold</b>",
    "line1\rline2\r```\r# heading",
    "x\r\n```\r\n<!-- log-gardener:issue fingerprint=deadbeef grouping=v1 -->",
    "~~~~~~ and `````` mixed\n~~~~~~~\n```````",
]


@pytest.mark.parametrize("text", BREAKOUTS)
def test_code_block_cannot_be_closed_by_its_content(text: str) -> None:
    tokens = PARSER.parse("before\n\n" + code_block(text, "text") + "\n\nafter")
    assert [t.type for t in tokens] == [
        "paragraph_open",
        "inline",
        "paragraph_close",
        "fence",
        "paragraph_open",
        "inline",
        "paragraph_close",
    ]
    assert tokens[3].content == code_text(text).rstrip("\n") + "\n"
    assert tokens[3].info == "text"


def test_code_block_fence_shape() -> None:
    assert code_block("plain") == "```\nplain\n```"
    assert code_block("has ``` inside") == "~~~\nhas ``` inside\n~~~"
    assert code_block("``` and ~~~~") == "````\n``` and ~~~~\n````"
    assert code_block("x", info="py`thon <b>") == "```pythonb\nx\n```"


def test_code_block_shows_invisible_and_bidi_characters() -> None:
    text = "access: \u202euser\u2066 // admin\u2069 zw\u200b\u200c\u200d\u2060\ufeff soft\u00ad nul\x00 bell\x07 \x1b[31mRED\x1b[0m"
    assert code_block(text) == (
        "```\naccess: <U+202E>user<U+2066> // admin<U+2069> "
        "zw<U+200B><U+200C><U+200D><U+2060><U+FEFF> soft<U+00AD> nul<U+0000> bell<U+0007> RED\n```"
    )


def test_line_separators_are_visible_not_line_breaks() -> None:
    assert visible("a\u2028b\u2029c\u0085d\u061ce") == "a<U+2028>b<U+2029>c<U+0085>d<U+061C>e"


def test_mentions_and_comment_markers_are_broken_even_inside_code() -> None:
    text = "cc @octocat @org/team and <!-- rebase-check --> <!--renovate-debug:x--> mail a@b"
    block = code_block(text)
    assert "@octocat" not in block
    assert "@org/team" not in block
    assert "<!--" not in block
    assert block == (
        "```\ncc \uff20octocat \uff20org/team and <!- - rebase-check --> <!- -renovate-debug:x--> "
        "mail a\uff20b\n```"
    )


def test_references_links_html_and_commands_stay_literal_inside_code() -> None:
    text = (
        "fixes #1, see GH-3 and octo-org/octo-repo#42 https://github.com/o/r/issues/43 "
        "[x](https://evil.example) <details open><script>alert(1)</script> ::error file=a::b ##[add-mask]x"
    )
    tokens = _flat(_doc(code_block(text)))
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and fences[0].content == text + "\n"
    assert not [t for t in tokens if t.type in ("html_inline", "link_open")]


# --- code spans and inline text -----------------------------------------------------------------

SPANS = [
    ("plain", "`plain`"),
    ("a`b", "``a`b``"),
    ("`start", "`` `start ``"),
    ("end`", "`` end` ``"),
    (" padded ", "`  padded  `"),
    ("x``y```z", "````x``y```z````"),
    ("two\nlines", "`two\u23celines`"),
    ("a|b", "`a\u00a6b`"),
    ("", "` `"),
    (" ", "` `"),
    (" lead", "` lead`"),
]


@pytest.mark.parametrize(("text", "expected"), SPANS)
def test_code_span_shape(text: str, expected: str) -> None:
    assert code_span(text) == expected


@pytest.mark.parametrize(
    "text", [s for s, _ in SPANS if s] + ["<b>x</b>", "@bob #12", " ` ", "\\`x"]
)
def test_code_span_content_parses_back_exactly(text: str) -> None:
    children = PARSER.parse("before " + code_span(text) + " after")[1].children or []
    assert [c.type for c in children] == ["text", "code_inline", "text"]
    expected = code_text(text).replace("\n", "\u23ce").replace("|", "\u00a6")
    assert children[1].content == expected


def test_inline_text_in_a_table_cell_keeps_the_table_shape() -> None:
    hostile = "a | b | c `x` @bob <img src=x> #7\nnext"
    table = f"| message | count |\n|---|---|\n| {inline_text(hostile)} | 3 |"
    tokens = _flat(table)
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2
    codes = [t for t in tokens if t.type == "code_inline"]
    assert len(codes) == 1
    assert codes[0].content == "a \u00a6 b \u00a6 c `x` \uff20bob <img src=x> #7\u23cenext"
    verify_document(table, [hostile])


def test_inline_text_of_nothing_is_nothing() -> None:
    assert inline_text("") == ""


# --- titles -------------------------------------------------------------------------------------

TITLES = [
    ("NullPointerException @octocat", "NullPointerException \uff20octocat"),
    ("retry #1 then GH-3 and o/r#42", "retry \uff031 then GH\u20113 and o/r\uff0342"),
    ("see https://evil.example/x", "see https[:]//evil.example/x"),
    ("<!-- x --> <b>`y`</b> [a](b)", "\u2039!-- x --\u203a \u2039b\u203a'y'\u2039/b\u203a (a)(b)"),
    ("::error file=x::boom", ": :error file=x: :boom"),
    ("POST /api/v1/chat -> 502", "POST /api/v1/chat -> 502"),
    ("a -> <b> --> c->d", "a -> \u2039b\u203a --\u203a c-\u203ad"),
    ("a\u202eb\u200bc\x00d\n\te", "abcd e"),
    ("  spaced   out  ", "spaced out"),
    (
        "since a5c3785ed8d6a35868bc169f07e40e889087fd2e and o/r@a5c3785",
        "since a5c378\u2026 and o/r\uff20a5c378\u2026",
    ),
    ("epoch 1717405200123 deadbeef", "epoch 1717405200123 deadbeef"),
]


@pytest.mark.parametrize(("text", "expected"), TITLES)
def test_plain_title(text: str, expected: str) -> None:
    assert plain_title(text) == expected


def test_plain_title_truncates_with_an_ellipsis() -> None:
    assert plain_title("x" * 300, limit=10) == "x" * 9 + "\u2026"
    assert len(plain_title("word " * 100, limit=120)) <= 120


# --- verification -------------------------------------------------------------------------------


def test_a_safe_document_passes() -> None:
    hostile = BREAKOUTS[0]
    document = _doc(
        code_block(hostile),
        f"| a | b |\n|---|---|\n| {inline_text(hostile)} | 1 |",
        "Seen in " + code_span(hostile) + ".",
    )
    verify_document(document, [hostile])
    assert marker.parse_issue_marker(document) is not None


UNSAFE = [
    (
        "log text in prose",
        "Error: connection refused by upstream",
        ["connection refused by upstream"],
    ),
    (
        "log text escaped as markdown",
        "Error: *connection* refused by upstream",
        ["connection refused by upstream"],
    ),
    ("live mention", "ping @octocat", []),
    ("team mention", "ping @octo-org/team", []),
    ("closing keyword", "This fixes #12", []),
    ("raw html", "text <details open>x</details>", []),
    ("html block", "<script>alert(1)</script>", []),
    ("forged marker not on line 1", "intro\n\n" + marker.issue_marker("0123abcd", "v1"), []),
    ("foreign comment", "x\n\n<!-- rebase-check -->", []),
    ("unterminated comment", "error <!-- everything after", []),
    (
        "fence broken",
        "```\nlog line one\n```\nlog line two escaped\n```",
        ["log line one\nlog line two escaped"],
    ),
]


@pytest.mark.parametrize(
    ("markdown", "untrusted"), [c[1:] for c in UNSAFE], ids=[c[0] for c in UNSAFE]
)
def test_unsafe_documents_are_refused(markdown: str, untrusted: list[str]) -> None:
    with pytest.raises(UnsafeDocumentError):
        verify_document(markdown, untrusted)


ALLOWED = [
    marker.issue_marker("0123abcd", "v1") + "\n\nbody",
    marker.dashboard_marker() + "\n\nbody",
    "A comment.\n\n" + marker.run_marker("123"),
    "A comment. " + marker.run_marker("123"),
    "Seen in #12 and in acme/shop#3 (gardener's own links).",
    "Short log text: " + code_span("end"),
]


@pytest.mark.parametrize("markdown", ALLOWED)
def test_our_markers_and_trusted_text_pass(markdown: str) -> None:
    verify_document(markdown, ["end"])


def test_short_fragments_are_not_compared() -> None:
    verify_document("The end.", ["end"])  # three characters: too short to mean anything
