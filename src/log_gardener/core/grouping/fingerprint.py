"""Masking of variable parts and stable fingerprints.  Pure.

- ``mask_message(text)`` replaces variable parts (emails, URLs, IPs, UUIDs, hashes, hex, dates,
  times, durations, numbers, quoted values after ``=``/``:``, path ids, pod suffixes, base64-ish
  tokens) by ``<KIND>`` placeholders and returns the template: tokens joined by single spaces.
  Words with digits that name things (SOCKS5, IPv6, utf8, ext4, log4j, HTTP/1.1, v1) stay; a
  number's parenthesized conversion ("1190 bytes (1.16 KB)") is dropped; an HTTP status after
  ``->`` is kept.
- ``stack_fingerprint`` groups on exception type + the innermost in-app frames (module and
  function, no line numbers), ``message_fingerprint`` on template + logger + service,
  ``custom_fingerprint`` on a rule's key.  Each is 16 lowercase hex chars of a SHA-256 over a
  string that starts with ``GROUPING_VERSION``.

This sits on the hot path (every entry), so the work is shaped for CPython: the regular
expressions only visit tokens that hold a digit, ``@`` or ``://`` (most words hold none), the
classification of such a token is one anchored alternation, and results are cached by string.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

from log_gardener.model import GROUPING_VERSION, GroupingKind, StackFrame

WILDCARD = "<*>"
"""Placeholder of a position the similarity merge found variable."""

STACK_FRAMES = 3
"""Innermost in-app frames that identify a stack group: the failing site and its callers."""

MAX_MESSAGE_CHARS = 2000  # masking cost stays bounded whatever a message holds

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_ZONE = r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"

# Variable parts that span several whitespace-separated tokens: date-times with a space inside
# and quoted values.  Applied before the token pass; guarded by cheap checks.
_SPANNING_DATETIME = re.compile(
    r"(?<!\w)(?=[A-Z\d])"  # rejects most positions at once: the scan is the cost here
    rf"(?:{_WEEKDAY},?\s+)?"
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}[ T]{_CLOCK}{_ZONE}"  # ISO 8601 with a space
    rf"|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\s+{_CLOCK}{_ZONE}"  # RFC 2822 (after the weekday)
    rf"|{_MONTH}\s+\d{{1,2}},?\s+(?:\d{{4}}\s+)?{_CLOCK}(?:\s+\d{{4}})?{_ZONE}"  # syslog, ctime
    rf"|\d{{1,2}}/{_MONTH}/\d{{4}}:{_CLOCK}(?:\s[+-]\d{{4}})?)"  # Apache access log
    r"(?![\w:])"
)
_HAS_CLOCK = re.compile(r"\d:\d\d")
_QUOTED_VALUE = re.compile(r"""([=:]\s?)(?:"(?:[^"\\\n]|\\.){0,200}"|'(?:[^'\\\n]|\\.){0,200}')""")

# A token worth classifying: one that holds a digit, an ``@`` or a scheme separator.
_NEEDS_MASK = re.compile(r"[\d@]|://")
_DIGIT = re.compile(r"\d")

_LEADING = "([{<\"'`"
_TRAILING = ")]}>\"'`,;:.!?"

# One anchored alternation; the first branch that matches the whole token wins.
_KINDS = re.compile(
    r"(?P<UUID>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<URL>[a-zA-Z][a-zA-Z0-9+.-]*://\S+)"
    r"|(?P<EMAIL>[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,})"
    rf"|(?P<DATETIME>\d{{4}}-\d{{2}}-\d{{2}}[T_]{_CLOCK}(?:Z|[+-]\d{{2}}:?\d{{2}})?"
    rf"|\d{{1,2}}/{_MONTH}/\d{{4}}:{_CLOCK})"
    rf"|(?P<TIME>{_CLOCK}(?:Z|[+-]\d{{2}}:?\d{{2}})?)"
    r"|(?P<IP>(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?"
    r"|\[?(?=[0-9a-fA-F]*:[0-9a-fA-F]*:)[0-9a-fA-F:]{2,39}(?:\]:\d{1,5})?\]?)"
    r"|(?P<DATE>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    rf"|\d{{1,2}}-{_MONTH}-\d{{2,4}})"
    r"|(?P<DURATION>(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns)){2,}"
    r"|\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|d|days?))"
    r"|(?P<NUM>[-+]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][-+]?\d+)?"
    r"(?:%|[kKMGTPE]i?[bB]?|[bB]|bytes?|x|px)?)"
    r"|(?P<HASH>[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})"
    r"|(?P<HEX>0[xX][0-9a-fA-F]+|[0-9a-fA-F]{8,})"
    r"|(?P<POD>(?P<deployment>[a-z][a-z0-9]*(?:-[a-z0-9]+)*?)"
    r"(?:-[bcdfghjklmnpqrstvwxz2-9]{6,10}-[bcdfghjklmnpqrstvwxz2-9]{5}|-[bcdfghjklmnpqrstvwxz2-9]{5}))"
)
# Words that hold a digit but name a thing, not a value: SOCKS5, IPv6, utf8, ext4, log4j, k8s,
# HTTP/1.1, TLSv1.2.  They stay as they are; when such a word does vary between records
# (node1, node2, node3) the similarity merge sees the change and decides with evidence.
_DIGIT_WORD = re.compile(
    r"[A-Za-z]{2,}\d{1,3}[A-Za-z]{0,3}|[A-Za-z]\d{1,2}[A-Za-z]{1,3}"
    r"|[A-Za-z]{2,8}v?\d(?:\.\d){1,2}|[A-Za-z]{2,8}/\d(?:\.\d)?|v\d{1,2}(?:alpha|beta)?\d?"
)
# A number's parenthesized conversion ("1190 bytes (1.16 KB) sent"): dropped, so the line
# with it and the line without it are one template and the number with its unit one variable.
_CONVERSION_HINT = re.compile(r" \(\s?~?\d")
_CONVERSION = re.compile(r"\(\s*~?[\d.,]+\s?[A-Za-z%/]{0,8}\s*\)")
_NUMBER_BEFORE = re.compile(r"\d[\d.,]*\s?[A-Za-z%/]{0,8}\s*\Z")
# An HTTP status after an arrow ("POST /api/v1/x -> 502") is kept: it names the outcome.
_STATUS = re.compile(r"[1-5]\d\d")
_BASE64ISH = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_BRACKET = re.compile(r"[\[(]")
_KEY = re.compile(r"[A-Za-z_][\w.-]*")

# Token classification is cached: constant tokens with punctuation recur ("status=500,").
_TOKEN_CACHE: dict[str, str] = {}
_TOKEN_CACHE_LIMIT = 100_000
_MESSAGE_CACHE: dict[str, str] = {}
_MESSAGE_CACHE_LIMIT = 50_000


def mask_message(text: str) -> str:
    """The message's template: variable parts as ``<KIND>``, whitespace collapsed to one space."""
    end = text.find("\n")
    line = text[: end if 0 <= end < MAX_MESSAGE_CHARS else MAX_MESSAGE_CHARS]
    cached = _MESSAGE_CACHE.get(line)
    if cached is not None:
        return cached
    masked = _mask(line)
    if len(_MESSAGE_CACHE) >= _MESSAGE_CACHE_LIMIT:
        _MESSAGE_CACHE.clear()  # bounded memory; a cleared cache only costs time
    _MESSAGE_CACHE[line] = masked
    return masked


def _mask(line: str) -> str:
    if "=" in line or ":" in line:
        if '"' in line or "'" in line:
            line = _QUOTED_VALUE.sub(r"\1<VALUE>", line)
        if _HAS_CLOCK.search(line) is not None:
            line = _SPANNING_DATETIME.sub("<DATETIME>", line)
    if " (" in line:
        line = _drop_conversions(line)
    tokens = line.split()
    for index, token in enumerate(tokens):
        if not token.isalpha():  # plain words are by far the commonest tokens
            tokens[index] = mask_token(token)
    if "->" in line:
        _keep_status(line.split(), tokens)
    return " ".join(tokens)


def _drop_conversions(line: str) -> str:
    """``line`` without the parenthesized conversions that follow a number (and its unit)."""
    parts: list[str] = []
    last = 0
    for hint in _CONVERSION_HINT.finditer(line):
        start = hint.start()
        if start < last:
            continue
        conversion = _CONVERSION.match(line, start + 1)
        if conversion is None or _NUMBER_BEFORE.search(line, max(last, start - 24), start) is None:
            continue
        parts.append(line[last:start])
        last = conversion.end()
    if not parts:
        return line
    parts.append(line[last:])
    return "".join(parts)


def _keep_status(raw: list[str], tokens: list[str]) -> None:
    for index in range(1, len(raw)):
        if raw[index - 1] == "->" and _STATUS.fullmatch(raw[index]) is not None:
            tokens[index] = raw[index]


# Tokens that differ only in their ASCII digits ("port=52341", "port=41723") mostly mask
# alike, so a result is also cached by the token's shape (each ASCII digit written 0).  Every
# test masking makes of a token's digits is a test of ``\d`` (or of a class holding all ten)
# except two: the "0" of "0x" (no "x" or "X" in the token: none) and the 2-9 of pod suffixes
# (no "-": none).  Tokens of one shape without those characters therefore take one path
# through ``_mask_variable``, and a result without any ASCII digit (all went into
# placeholders) is every such token's result.  Others are cached by the token only.
_ZEROS = str.maketrans("123456789", "000000000")
_ASCII_DIGIT = re.compile(r"[0-9]")
_SHAPE_CACHE: dict[str, str] = {}


def mask_token(token: str) -> str:
    """One whitespace-free token with its variable core replaced; punctuation around it kept."""
    if token.isdigit():
        return "<NUM>"  # the commonest variable, answered before any lookup
    cached = _TOKEN_CACHE.get(token)
    if cached is not None:
        return cached
    shape = ""
    if "-" not in token and "x" not in token and "X" not in token:
        shape = token.translate(_ZEROS)
        cached = _SHAPE_CACHE.get(shape)
        if cached is not None:
            return cached
    # Without a digit, "@" or "://" it is punctuation around a word: "error:", "(default)".
    result = token if _NEEDS_MASK.search(token) is None else _mask_variable(token)
    if shape and shape != token and _ASCII_DIGIT.search(result) is None:
        if len(_SHAPE_CACHE) >= _TOKEN_CACHE_LIMIT:
            _SHAPE_CACHE.clear()
        _SHAPE_CACHE[shape] = result  # for every token of this shape
        return result
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_LIMIT:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[token] = result
    return result


def _mask_variable(token: str) -> str:
    core = token.lstrip(_LEADING)
    head = token[: len(token) - len(core)]
    stripped = core.rstrip(_TRAILING)
    tail = core[len(stripped) :]
    return head + _classify(stripped) + tail if stripped else token


def _classify(core: str, depth: int = 0) -> str:
    match = _KINDS.fullmatch(core)
    if match is not None:
        kind = match.lastgroup
        if kind in {"deployment", "POD"}:
            return f"{match['deployment']}-<POD>"
        return f"<{kind}>"
    if depth > 2 or not _has_digit(core):
        return core  # no digit: a word, a name; the similarity merge decides about it
    if len(core) <= 16 and core[:1].isalpha() and _DIGIT_WORD.fullmatch(core) is not None:
        return core  # a word with a digit that names a thing (SOCKS5, utf8, HTTP/1.1)
    if "." in core and all(_is_name_part(part) for part in core.split(".")):
        return core  # a dotted name: psycopg2.OperationalError, org.apache.log4j.Logger
    for separator in ("=", ":"):
        key, found, value = core.partition(separator)
        if found and value and _KEY.fullmatch(key) is not None:
            return f"{key}{separator}{_classify(value, depth + 1)}"
    if "/" in core:
        return "/".join(_classify(part, depth + 1) if part else part for part in core.split("/"))
    bracket = _BRACKET.search(core)
    if bracket is not None and bracket.start() > 0:  # "sshd[1234", "conn(42"
        start = bracket.start()
        return core[: start + 1] + _classify(core[start + 1 :], depth + 1)
    if len(core) >= 16 and _looks_base64(core):
        return "<B64>"
    return "<ID>"


def _is_name_part(part: str) -> bool:
    """A part of a dotted module, class or package name: a word, or a word with a digit."""
    if not part[:1].isalpha():
        return False
    return not _has_digit(part) or (len(part) <= 16 and _DIGIT_WORD.fullmatch(part) is not None)


def _looks_base64(core: str) -> bool:
    if _BASE64ISH.fullmatch(core) is None:
        return False
    return core.endswith("=") or (not core.islower() and not core.isupper())


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


# --- fingerprints ---------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def _digest(version: str, kind: str, *parts: str) -> str:
    text = "\x1f".join((version, kind, *parts))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def message_fingerprint(
    template: str, logger: str, service: str, version: str = GROUPING_VERSION
) -> str:
    return _digest(version, GroupingKind.MESSAGE.value, service, logger, template)


def custom_fingerprint(key: str, version: str = GROUPING_VERSION) -> str:
    return _digest(version, GroupingKind.CUSTOM.value, key)


def stack_fingerprint(
    exception_type: str, frames: Sequence[StackFrame], version: str = GROUPING_VERSION
) -> str:
    """Exception type + ``top_frames`` (module and function only, so line shifts don't split).

    ``version`` "v1" gives the previous version's fingerprint (the same parts), which an
    upgraded run uses to find the problems its ``state.json`` already knows."""
    parts = [f"{_stable_module(f.module)}:{f.function}" for f in top_frames(frames)]
    return _digest(version, GroupingKind.STACK.value, exception_type, *parts)


def top_frames(frames: Sequence[StackFrame], limit: int = STACK_FRAMES) -> tuple[StackFrame, ...]:
    """The innermost ``limit`` in-app frames, outermost first; all frames when none is in-app."""
    in_app = [frame for frame in frames if frame.in_app]
    chosen = in_app if in_app else list(frames)
    return tuple(chosen[-limit:])


_GENERATED = re.compile(r"\$\$.*|\$Proxy\d+|(?<![A-Za-z])[0-9a-f]{8,}(?![A-Za-z])")


def _stable_module(module: str) -> str:
    # Generated class names (CGLIB proxies, bundler chunk hashes) change per build, not per bug.
    return _GENERATED.sub("", module) if ("$" in module or _has_digit(module)) else module
