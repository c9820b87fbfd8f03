"""What GitHub would render live in a markdown document: the documents' verification reads it here.

``reading(document)`` parses a whole document as GitHub does and returns what it renders outside
code (text, structure, link and image targets, table alignment...) with the contents of every
code span and block left out, and whether it holds raw HTML.  ``render.verified`` compares two
such readings (the document and its shadow, where every log text is a stand-in).

Two parsers, one question:

- cmark-gfm, through the ``cmarkgfm`` binding: the C parser github.com renders markdown with,
  with GitHub's extensions (table, strikethrough, autolink, tagfilter, tasklist).  The reading
  is its XML rendering of the parse tree (one element per node: ``html_block`` and
  ``html_inline`` for raw HTML, ``link``/``image`` with their destination and title, text
  escaped), with the text inside ``code`` and ``code_block`` elements dropped.  About 20 times
  faster than markdown-it-py on a 1.4 MB worklog (0.1 s against 2 s per parse).
- markdown-it-py (CommonMark with tables and strikethrough): where the cmarkgfm wheel is missing,
  or where ``LOG_GARDENER_MARKDOWN=markdown-it`` asks for it (the composition root passes it to
  ``use``).  Its reading is the token stream (with every token's attributes) with code tokens as
  ``<code info>``.

cmarkgfm's Python wrapper hands back the parse tree without freeing it (about 30 bytes of tree
per byte of markdown), so the tree is rendered to XML and freed with the library's own
``cmark_render_xml`` and ``cmark_node_free`` (public cmark-gfm API, in the same shared object,
called through ctypes).
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from log_gardener.errors import UnsafeDocumentError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

CMARK = "cmark-gfm"
MARKDOWN_IT = "markdown-it"
GITHUB_EXTENSIONS = ("table", "strikethrough", "autolink", "tagfilter", "tasklist")


@dataclass(frozen=True)
class Reading:
    live: object  # comparable: equal readings render the same outside code
    raw_html: bool
    html: tuple[str, ...] = ()  # the raw HTML fragments' text (a cmark reading's, escaped)


# --- markdown-it-py ------------------------------------------------------------------------

# Made on first use: where cmark-gfm reads, markdown-it-py is not even imported (~20 ms).
_MARKDOWN: list[MarkdownIt] = []


def _markdown_it() -> MarkdownIt:
    if not _MARKDOWN:
        from markdown_it import MarkdownIt

        _MARKDOWN.append(MarkdownIt("commonmark").enable("table").enable("strikethrough"))
    return _MARKDOWN[0]


def _markdown_it_reading(document: str) -> Reading:
    found: list[str] = []
    html: list[str] = []

    def walk(tokens: Sequence[Token]) -> None:
        for token in tokens:
            if token.type in ("code_inline", "code_block", "fence"):
                found.append(f"<code {token.info}>")  # a fence's info shows as its language
                continue
            if token.type in ("html_block", "html_inline"):
                html.append(token.content)
            found.append(f"{token.type}:" if token.children else f"{token.type}:{token.content}")
            found.extend(f"{k}={v}" for k, v in sorted((token.attrs or {}).items()))  # images too
            if token.children:
                walk(token.children)

    walk(_markdown_it().parse(document))
    return Reading(found, bool(html), tuple(html))


# --- cmark-gfm -----------------------------------------------------------------------------

# Element text is escaped in cmark's XML (``<`` is ``&lt;``), so a code element ends at the
# first closing tag of its kind, and ``<html_`` appears only as raw HTML's own elements.
_CODE_TEXT = re.compile(rb'(<code(?:_block)?(?: info="[^"]*")? xml:space="preserve">)[^<]*<')
_RAW_HTML = re.compile(rb"<html_(?:block|inline)[ >]")
_RAW_HTML_TEXT = re.compile(rb"<html_(?:block|inline)(?: xml:space=\"preserve\")?>([^<]*)<")
_XML_ENTITIES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&amp;", b"&"))


def _code_left_out(found: re.Match[bytes]) -> bytes:
    return found.group(1) + b"<"  # a function: faster than the template r"\1<" per match


def _unescaped(text: bytes) -> str:
    for entity, char in _XML_ENTITIES:
        text = text.replace(entity, char)
    return text.decode("utf-8", "surrogatepass")


def _cmark_reader() -> Callable[[str], Reading] | None:
    """The cmark-gfm reader, or None where the binding is missing or not as expected."""
    try:
        from cmarkgfm import cmark  # type: ignore[import-untyped]

        cmark.core_extensions_ensure_registered()
        extensions = [cmark.find_syntax_extension(name) for name in GITHUB_EXTENSIONS]
        if any(extension is None for extension in extensions):
            return None
        # ctypes, not a second cffi FFI: its ``cdef`` imports and runs pycparser (~20 ms of
        # start-up).  The binding's own pointers pass through as addresses.
        library = ctypes.CDLL(cmark._cmark.__file__)  # the same shared object, already loaded
        render_xml = library.cmark_render_xml
        render_xml.argtypes, render_xml.restype = [ctypes.c_void_p, ctypes.c_int], ctypes.c_void_p
        node_free = library.cmark_node_free
        node_free.argtypes, node_free.restype = [ctypes.c_void_p], None
        free = ctypes.CDLL(None).free
        free.argtypes, free.restype = [ctypes.c_void_p], None
        ffi = cmark._cmark.ffi
    except (ImportError, OSError, AttributeError):  # no wheel, or not the library expected
        return None

    def parse_to_xml(document: str) -> bytes:
        parser = cmark.parser_new(options=0)
        try:
            for extension in extensions:
                cmark.parser_attach_syntax_extension(parser, extension)
            # A lone surrogate (argv decoded with surrogateescape) stays a byte sequence.
            text = document.encode("utf-8", "surrogatepass")
            cmark._cmark.lib.cmark_parser_feed(parser, text, len(text))
            root = int(ffi.cast("uintptr_t", cmark.parser_finish(parser)))
        finally:
            cmark.parser_free(parser)
        try:
            rendered = render_xml(root, 0)
            if not rendered:
                raise MemoryError("cmark-gfm could not render a document's parse tree")
            try:
                return ctypes.string_at(rendered)  # UTF-8, up to its NUL
            finally:
                free(rendered)
        finally:
            node_free(root)

    def read(document: str) -> Reading:
        xml = parse_to_xml(document)
        live = _CODE_TEXT.sub(_code_left_out, xml)
        if _RAW_HTML.search(xml) is None:
            return Reading(live, False)
        html = tuple(_unescaped(found) for found in _RAW_HTML_TEXT.findall(xml))
        return Reading(live, True, html)

    return read if _reads_as_expected(read) else None


def _reads_as_expected(read: Callable[[str], Reading]) -> bool:
    """The XML this reading relies on (element names, escaping): another cmark-gfm release
    that renders it otherwise falls back to markdown-it-py instead of missing raw HTML."""
    code = read("a `one` b\n\n```text\nfirst\n```\n")
    return (
        code == read("a `two` b\n\n```text\nsecond <b>\n```\n")
        and not code.raw_html
        and code != read("a `one` c\n\n```text\nfirst\n```\n")
        and read("a <i>b</i>\n").raw_html
        and read("<div>\nx\n</div>\n").raw_html
        and read("[a](https://x.example)\n") != read("[a](https://y.example)\n")
    )


_READERS: dict[str, Callable[[str], Reading]] = {MARKDOWN_IT: _markdown_it_reading}
_cmark = _cmark_reader()
if _cmark is not None:
    _READERS[CMARK] = _cmark
_DEFAULT = CMARK if CMARK in _READERS else MARKDOWN_IT
_chosen = [_DEFAULT]


def use(name: str) -> str:
    """Selects the parser (``""``: the fastest installed); returns the one in use.

    ``markdown-it`` forces markdown-it-py; any other name keeps the default."""
    _chosen[0] = MARKDOWN_IT if name.strip().lower() == MARKDOWN_IT else _DEFAULT
    return _chosen[0]


def backend() -> str:
    return _chosen[0]


def reading(document: str) -> Reading:
    return _READERS[_chosen[0]](document)


def verify(
    document: str, shadow: Callable[[], str], own_html: re.Pattern[str] | None = None
) -> str:
    """``document`` if it renders outside code exactly as ``shadow()`` (the same rendering with
    every log text a stand-in) and holds no raw HTML but ``own_html`` (whole fragments, e.g.
    the gardener's markers); else ``UnsafeDocumentError``.  Every published document of the
    run (worklog, summary, index, issue bodies, comments, dashboard) is verified here."""
    seen = reading(document)
    if seen.raw_html and (
        own_html is None or not all(own_html.fullmatch(found.strip()) for found in seen.html)
    ):
        raise UnsafeDocumentError("raw HTML in a rendered document")
    if seen != reading(shadow()):
        raise UnsafeDocumentError("log-derived text outside a code span or block")
    return document
