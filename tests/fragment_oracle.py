"""An independent oracle for the tests: log-derived fragments confined to code.

``verify_document(markdown, untrusted)`` parses with markdown-it-py and raises
``UnsafeDocumentError`` if any untrusted fragment (four or more characters, or twelve when
punctuation and case are ignored) appears outside a code span or block, if the document holds
raw HTML other than the gardener's own markers, a live mention, a closing keyword with a
reference or an HTML comment opener outside code.  The run itself verifies every published
document by comparing it with its shadow (``commonmark.verify``); this search asks the question
another way, so a bug in one is not hidden by the same bug in the other.  It lived in
``core.publishing.markdown`` while nothing called it but the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

from log_gardener.core.publishing.markdown import code_text, visible
from log_gardener.core.shared import marker
from log_gardener.errors import UnsafeDocumentError

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_CODE_TOKENS = frozenset({"code_inline", "fence", "code_block"})
_HTML_TOKENS = frozenset({"html_block", "html_inline"})
_MIN_FRAGMENT = 4
_MIN_LOOSE_FRAGMENT = 12
_LIVE_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?")
_CLOSING_REF = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+(?:[\w.-]+/[\w.-]+)?#\d+", re.IGNORECASE
)


def _walk(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _run_marker_only(content: str) -> bool:
    parts = re.split(r"(?<=-->)\s*", content.strip())
    return all(
        (run := marker.comment_run_id(part)) is not None and part == marker.run_marker(run)
        for part in parts
        if part
    )


def _html_allowed(token: Token) -> bool:
    content = token.content.strip()
    if not content:
        return True
    on_first_line = token.map is not None and token.map[0] == 0
    if on_first_line and (marker.parse_issue_marker(content) or marker.is_dashboard(content)):
        return True
    return _run_marker_only(content)


def _text_of(inline: Token) -> str:
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in _CODE_TOKENS:
            parts.append("\x00")  # a code span separates text, it is not text
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type in _HTML_TOKENS:
            parts.append("\x00")  # checked on its own: only our markers are allowed
        else:
            parts.append(child.content)
    return "".join(parts)


def _loose(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text).split()).casefold()


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _exposed_text(tokens: list[Token]) -> tuple[str, list[str]]:
    """The document's non-code text, and its raw HTML fragments that are not our markers."""
    texts: list[str] = []
    bad_html: list[str] = []
    for token in _walk(tokens):
        if token.type in _HTML_TOKENS:
            if not _html_allowed(token):
                bad_html.append(token.content)
        elif token.type == "inline":
            texts.append(_text_of(token))
        elif token.type in ("link_open", "image"):
            texts.append(" ".join(str(value) for value in token.attrs.values()))
    return "\n".join(texts), bad_html


def _fragments(untrusted: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for item in untrusted:
        for form in (item, code_text(item), visible(item)):
            found.update(form.split("\n"))
    return found


def verify_document(markdown: str, untrusted: Iterable[str]) -> None:
    """Raise ``UnsafeDocumentError`` unless every untrusted fragment is confined to code."""
    exposed, bad_html = _exposed_text(_PARSER.parse(markdown))
    if bad_html:
        raise UnsafeDocumentError(f"raw HTML outside code: {len(bad_html)} fragment(s)")
    plain = exposed.replace("\x00", "\n")
    if _LIVE_MENTION.search(plain):
        raise UnsafeDocumentError("a live @mention outside code")
    if _CLOSING_REF.search(plain):
        raise UnsafeDocumentError("a closing keyword with an issue reference outside code")
    if "<!--" in plain:
        raise UnsafeDocumentError("an HTML comment opener outside code")
    collapsed = "\n".join(_collapse(part) for part in plain.split("\n"))
    loose = _loose(plain)
    for fragment in _fragments(untrusted):
        exact = _collapse(fragment)
        if len(exact) >= _MIN_FRAGMENT and exact in collapsed:
            raise UnsafeDocumentError("log-derived text outside a code span or block")
        relaxed = _loose(fragment)
        if len(relaxed) >= _MIN_LOOSE_FRAGMENT and relaxed in loose:
            raise UnsafeDocumentError("log-derived text outside a code span or block")
