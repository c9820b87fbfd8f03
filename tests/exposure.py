"""What GitHub would render live in a markdown document: the tests' one reading of it."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def exposed_text(markdown: str) -> str:
    """The document's text outside code spans and blocks, plus link targets and raw HTML."""
    parts: list[str] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            if token.type in ("code_inline", "code_block", "fence"):
                parts.append("\n")
            elif token.children:
                walk(token.children)
            else:
                parts.append(token.content)
                parts.extend(str(value) for value in (token.attrs or {}).values())

    walk(PARSER.parse(markdown))
    return "".join(parts)
