"""Neutralization of GitHub markdown for log-derived text.  Pure.

Contract (callers pass text that ``redact`` already processed):

- ``code_span(text)``: inline code, one line, backtick run longer than any in the text.
- ``code_block(text, info="")``: fenced block whose fence is longer than any run of its
  character in the text; bidi and invisible characters made visible.
- ``inline_text(text)``: log-derived text outside a block (table cells, prose): a code span with
  table pipes replaced, so nothing in it is ever parsed as markdown or HTML.
- ``plain_title(text, limit)``: text for an issue title (GitHub renders no markdown there, but it
  links references): no mentions, references, links, controls or bidi characters.

Whole documents are verified by ``commonmark.verify`` (every published one) and, in the tests,
by the independent fragment search of ``tests/fragment_oracle.py``.

Why log text goes only into code: GitHub never links mentions, references or URLs inside code,
never renders HTML there, and a fence longer than any run in the content cannot be closed early.
Inside code we still break ``@name`` and ``<!--`` because other tools (mail clients, bots that
grep issue bodies for their markers) read the raw text, and we show invisible characters as
``<U+XXXX>`` so what a reader sees is what the log said.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Characters that are invisible or reorder text but are not Unicode format/control characters.
_EXTRA_INVISIBLE = frozenset({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x2800})
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e\n\t]")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_MENTION_AT = re.compile(r"[@\uff20\ufe6b](?=[\w-])")
_COMMENT_OPEN = re.compile(r"<!--")
_FULLWIDTH_AT = "\uff20"  # GitHub never turns a fullwidth at sign into a mention
_NEWLINE_MARK = "\u23ce"  # ⏎, shows where a line ended inside a one-line code span
_PIPE_STANDIN = "\u00a6"  # ¦, GFM splits table cells on | even inside code spans


def _is_hidden(char: str) -> bool:
    return ord(char) in _EXTRA_INVISIBLE or unicodedata.category(char) in _HIDDEN_CATEGORIES


def _show_hidden_char(char: str) -> str:
    return f"<U+{ord(char):04X}>"


def visible(text: str) -> str:
    """Line ends unified; ANSI sequences dropped; other controls and invisibles as ``<U+XXXX>``."""
    if _NOT_PRINTABLE_ASCII.search(text) is None:
        return text  # no escape, carriage return or other character to show: nothing to do
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    # Each distinct character looked at once (a title's "·" or "…" recurs in every span);
    # most texts hold none to show, and are returned as they are.
    shown = {
        ord(char): _show_hidden_char(char)
        for char in set(_NOT_PRINTABLE_ASCII.findall(text))
        if _is_hidden(char)
    }
    return text.translate(shown) if shown else text


def code_text(text: str) -> str:
    """The text as it may appear inside code: visible, no mention-shaped ``@``, no ``<!--``."""
    text = visible(text)
    if "@" in text or "\uff20" in text or "\ufe6b" in text:
        text = _MENTION_AT.sub(_FULLWIDTH_AT, text)
    return _COMMENT_OPEN.sub("<!- -", text) if "<!--" in text else text


def _longest_run(text: str, char: str) -> int:
    if char not in text:
        return 0
    runs = re.findall(re.escape(char) + "+", text)
    return max((len(run) for run in runs), default=0)


@lru_cache(maxsize=8192)  # a run spans each text ~13 times (tables, sections, shadows)
def code_span(text: str) -> str:
    """One-line inline code whose delimiters no run of backticks in ``text`` can match."""
    body = code_text(text).replace("\n", _NEWLINE_MARK).replace("|", _PIPE_STANDIN)
    if not body:
        return "` `"
    ticks = "`" * (_longest_run(body, "`") + 1)
    # CommonMark strips one space from each side when both ends are spaces, and a backtick next
    # to the delimiter would merge with it: pad so that stripping removes only our padding.
    spaced_ends = body[0] == body[-1] == " " and body.strip(" ")
    if body[0] == "`" or body[-1] == "`" or spaced_ends:
        body = f" {body} "
    return f"{ticks}{body}{ticks}"


def code_block(text: str, info: str = "") -> str:
    """A fenced block that no line of ``text`` can close; ends without a trailing newline."""
    body = code_text(text)
    if body.endswith("\n"):
        body = body[:-1]
    backticks, tildes = _longest_run(body, "`"), _longest_run(body, "~")
    fence = "`" * max(3, backticks + 1) if backticks <= tildes else "~" * max(3, tildes + 1)
    safe_info = re.sub(r"[^A-Za-z0-9_+.-]", "", info)[:30]
    return f"{fence}{safe_info}\n{body}\n{fence}"


def inline_text(text: str) -> str:
    """Log-derived text for prose or a table cell: always a code span, never parsed."""
    return code_span(text) if text else ""


# Titles: GitHub links #123, GH-123 and owner/repo#123 there, and other tools render them.
_TITLE_REPLACEMENTS = str.maketrans(
    {
        "@": _FULLWIDTH_AT,
        "#": "\uff03",  # fullwidth number sign: no reference
        "<": "\u2039",
        ">": "\u203a",
        "`": "'",
        "|": _PIPE_STANDIN,
        "[": "(",
        "]": ")",
    }
)
_TITLE_GH_REF = re.compile(r"\b(GH)-(?=\d)", re.IGNORECASE)
_TITLE_COMMAND = re.compile(r"::")
# "&#64;octocat" or "&commat;" would read as "@" wherever a title is rendered as HTML.
_TITLE_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]{1,32};)")
# GitHub links commit SHAs (7 to 40 hex digits) in titles too: keep six and an ellipsis.
_TITLE_SHA = re.compile(
    r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])([0-9a-f]{6})[0-9a-f]{1,34}\b", re.I
)


def _title_char(char: str) -> str:
    if char.isprintable():
        return char
    return " " if char.isspace() else ""  # unassigned or private code points: dropped


def plain_title(text: str, limit: int = 120) -> str:
    """One readable line for an issue title; nothing in it links, mentions or reorders."""
    kept = "".join(_title_char(char) for char in visible(text))
    kept = re.sub(r"<U\+[0-9A-F]{4,6}>", "", kept)  # titles drop invisibles instead of showing
    kept = kept.translate(_TITLE_REPLACEMENTS)
    # A standalone arrow ("POST /api/x -> 502") stays one: with every "<" replaced, a ">"
    # between spaces opens or closes nothing.
    kept = kept.replace(" -\u203a ", " -> ")
    kept = _TITLE_GH_REF.sub("\\1\u2011", kept)  # non-breaking hyphen: GH‑3 is not a reference
    kept = kept.replace("://", "[:]//")  # defanged: no autolink
    kept = _TITLE_SHA.sub("\\1\u2026", kept)
    kept = _TITLE_COMMAND.sub(": :", kept)
    kept = _TITLE_ENTITY.sub("\uff06", kept)  # fullwidth ampersand: no entity
    kept = " ".join(kept.split())
    limit = max(limit, 1)
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "\u2026"
