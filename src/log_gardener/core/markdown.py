"""Neutralization of GitHub markdown for log-derived text, and verification of documents.  Pure.

OWNER: redaction helper.  Contract (callers pass text that ``redact`` already processed):
- ``code_span(text)``: inline code, one line, backtick run longer than any in the text.
- ``code_block(text, info="")``: fenced block whose fence is longer than any backtick run in the
  text; bidi and invisible characters made visible.
- ``inline_text(text)``: log-derived text outside code (titles, table cells): mentions,
  references, closing keywords, HTML, markdown syntax and line breaks neutralized.
- ``plain_title(text, limit)``: text for an issue title (no markdown rendering there, but no
  mentions, references or control characters either).
- ``verify_document(markdown, untrusted)``: parse with markdown-it-py; raise
  ``UnsafeDocumentError`` if any untrusted fragment appears outside a code span or block, or if
  the document contains raw HTML other than the gardener's own marker comment on line 1.
"""

from __future__ import annotations

from collections.abc import Iterable


class UnsafeDocumentError(ValueError):
    pass


def code_span(text: str) -> str:
    """PLACEHOLDER until the redaction helper lands."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def code_block(text: str, info: str = "") -> str:
    """PLACEHOLDER until the redaction helper lands."""
    return "~~~~" + info + "\n" + text.replace("~~~~", "~ ~ ~ ~") + "\n~~~~"


def inline_text(text: str) -> str:
    """PLACEHOLDER until the redaction helper lands."""
    return code_span(text)


def plain_title(text: str, limit: int = 120) -> str:
    """PLACEHOLDER until the redaction helper lands."""
    return "".join(c for c in text if c.isalnum() or c in " .-_:")[:limit]


def verify_document(markdown: str, untrusted: Iterable[str]) -> None:
    """PLACEHOLDER until the redaction helper lands."""
    del markdown, untrusted
