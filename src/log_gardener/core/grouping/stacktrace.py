"""Stack traces in log text -> exception type, value and frames.  Pure.

Four shapes are understood: Python tracebacks (with chained exceptions), Java (with
``Caused by:`` and ``... N more``), Go panics and Node.js ``Error`` stacks.  What matters for
grouping is the *root cause*: the last traceback block in Python output (Python prints the
innermost cause last) and the deepest ``Caused by:`` in Java.  Frames are returned outermost
first, innermost last, whatever order the language prints them in.

``parse_stack_trace`` never raises on odd text: it returns None when no trace is recognised.
Cheap substring checks run before any regular expression, because most log lines carry no
trace and this sits on the hot path.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from log_gardener.model import StackFrame


class Language(enum.Enum):
    PYTHON = "python"
    JAVA = "java"
    GO = "go"
    NODE = "node"


@dataclass(frozen=True)
class ParsedTrace:
    language: Language
    exception_type: str
    exception_value: str
    frames: tuple[StackFrame, ...]  # outermost first, innermost last


MAX_FRAMES = 200  # a runaway recursion trace still yields a bounded record

_PY_MARKER = "Traceback (most recent call last):"
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_PY_EXC = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<value>.*))?$")
_PY_CHAIN_LINES = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
# Path prefixes Python code is installed under; what follows them is the dotted module.
_PY_LIBRARY_MARKERS = ("/site-packages/", "/dist-packages/")
_PY_STDLIB = re.compile(r"/lib/python\d+(?:\.\d+)?/")
_PY_APP_ROOTS = ("/usr/src/app/", "/opt/app/", "/app/", "/srv/", "/code/", "/workspace/")

_JAVA_FRAME = re.compile(
    r"^\s*at (?P<qual>[\w$.<>/]+)\.(?P<func>[\w$<>]+)\((?P<loc>[^()]*)\)\s*(?:~?\[.*\])?$"
)
_JAVA_MORE = re.compile(r"^\s*\.\.\. (?P<n>\d+) (?:more|common frames omitted)$")
_JAVA_HEADER = re.compile(
    r"^(?:Exception in thread \"[^\"]*\" )?(?P<type>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)"
    r"(?::\s?(?P<value>.*))?$"
)
_JAVA_LIBRARY_PREFIXES = (
    "java.",
    "javax.",
    "jakarta.",
    "sun.",
    "com.sun.",
    "jdk.",
    "kotlin.",
    "kotlinx.",
    "scala.",
    "org.springframework.",
    "org.apache.",
    "org.eclipse.jetty.",
    "io.netty.",
    "io.grpc.",
    "reactor.",
    "okhttp3.",
    "com.google.common.",
)

_GO_GOROUTINE = re.compile(r"^goroutine \d+ \[[^\]]*\]:$")
_GO_FILE = re.compile(r"^\s+(?P<file>\S+?):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")
_GO_HEADERS = (("panic: ", "panic"), ("fatal error: ", "fatal error"))

_NODE_FRAME = re.compile(
    r"^\s*at (?:(?P<func>.+?) \((?P<loc1>[^()]*(?:\([^()]*\))?[^()]*)\)|(?P<loc2>\S+))$"
)
_NODE_LOC = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+))?(?::\d+)?$")
_NODE_HEADER = re.compile(r"^(?:Uncaught )?(?P<type>[A-Za-z_$][\w$.]*)(?::\s?(?P<value>.*))?$")
_NODE_APP_ROOTS = ("/usr/src/app/", "/opt/app/", "/app/", "/srv/", "/workspace/", "/home/node/app/")


def parse_stack_trace(text: str) -> ParsedTrace | None:
    """The root-cause exception and its frames, or None when the text holds no known trace."""
    if not isinstance(text, str) or "\n" not in text:
        return None
    if _PY_MARKER in text:
        parsed = _parse_python(text)
        if parsed is not None:
            return parsed
    if "goroutine " in text and ("panic: " in text or "fatal error: " in text):
        parsed = _parse_go(text)
        if parsed is not None:
            return parsed
    if "\tat " in text or "  at " in text or "\nat " in text:
        return _parse_at_frames(text)
    return None


def looks_like_trace(text: str) -> bool:
    """A cheap pre-check: could ``parse_stack_trace`` find anything in this text?"""
    return "\n" in text and (
        _PY_MARKER in text
        or "goroutine " in text
        or "\tat " in text
        or "  at " in text
        or "\nat " in text
    )


# --- Python -------------------------------------------------------------------------------


def _parse_python(text: str) -> ParsedTrace | None:
    # The last block is the one raised last: the innermost cause for "During handling...", the
    # outer exception for "direct cause".  Sentry and Error Reporting both group on the last.
    block = text[text.rindex(_PY_MARKER) + len(_PY_MARKER) :]
    frames: list[StackFrame] = []
    lines = block.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _PY_FRAME.match(line)
        if match is not None:
            frames.append(_python_frame(match))
        elif line and not line[0].isspace():
            break  # the exception line: first unindented line after the frames
        index += 1
    if index >= len(lines):
        return None
    exc = _PY_EXC.match(lines[index].strip())
    if exc is None:
        return None
    return ParsedTrace(Language.PYTHON, exc["type"], (exc["value"] or "").strip(), _bounded(frames))


def _python_frame(match: re.Match[str]) -> StackFrame:
    path = match["file"]
    function = (match["func"] or "").strip() or "<unknown>"
    return StackFrame(
        module=python_module(path),
        function=function,
        file=path,
        line=int(match["line"]),
        in_app=_python_in_app(path),
    )


def python_module(path: str) -> str:
    """A dotted module name for a Python source path (best effort, stable across hosts)."""
    normalized = path.replace("\\", "/")
    for marker in _PY_LIBRARY_MARKERS:
        if marker in normalized:
            normalized = normalized.rsplit(marker, 1)[1]
            break
    else:
        stdlib = _PY_STDLIB.search(normalized)
        if stdlib is not None:
            normalized = normalized[stdlib.end() :]
        else:
            normalized = _strip_roots(normalized, _PY_APP_ROOTS)
    if normalized.startswith("<"):
        return normalized  # <frozen importlib._bootstrap>, <string>
    if normalized.endswith(".py"):
        normalized = normalized[:-3]
    if normalized.endswith("/__init__"):
        normalized = normalized[: -len("/__init__")]
    return normalized.strip("/").replace("/", ".")


def _python_in_app(path: str) -> bool:
    normalized = path.replace("\\", "/")
    if any(marker in normalized for marker in _PY_LIBRARY_MARKERS):
        return False
    if path.startswith("<"):
        return False
    return _PY_STDLIB.search(normalized) is None


def _strip_roots(path: str, roots: tuple[str, ...]) -> str:
    for root in roots:
        if path.startswith(root):
            return path[len(root) :]
    return path


# --- Java and Node.js (both print "at ..." frames, innermost first) -----------------------


def _parse_at_frames(text: str) -> ParsedTrace | None:
    lines = text.splitlines()
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("at "):
            continue
        if _JAVA_FRAME.match(line) is not None:
            return _parse_java(lines)
        if _NODE_FRAME.match(line) is not None:
            return _parse_node(lines)
    return None


@dataclass
class _JavaBlock:
    header: str
    frames: list[StackFrame]  # as printed: innermost first
    omitted: int = 0


def _parse_java(lines: list[str]) -> ParsedTrace | None:
    blocks = _java_blocks(lines)
    if not blocks:
        return None
    root = blocks[-1]
    # "... N more" elides the frames this cause shares with the trace that wraps it: the
    # last N frames of the enclosing block.  Restore them so the outermost frames are real.
    frames = list(root.frames)
    if root.omitted and len(blocks) > 1:
        enclosing = blocks[-2].frames
        frames.extend(enclosing[-root.omitted :])
    header = _JAVA_HEADER.match(root.header)
    if header is None:
        return None
    frames.reverse()
    return ParsedTrace(
        Language.JAVA, header["type"], (header["value"] or "").strip(), _bounded(frames)
    )


def _java_blocks(lines: list[str]) -> list[_JavaBlock]:
    blocks: list[_JavaBlock] = []
    previous = ""
    in_suppressed = False
    for line in lines:
        stripped = line.strip()
        frame = _JAVA_FRAME.match(line)
        if frame is not None:
            if in_suppressed:
                continue
            if not blocks or (previous and not _is_java_frame_line(previous)):
                blocks.append(_JavaBlock(_java_header(previous), []))
            blocks[-1].frames.append(_java_frame(frame))
        elif stripped.startswith("Caused by:"):
            in_suppressed = False
            blocks.append(_JavaBlock(stripped[len("Caused by:") :].strip(), []))
        elif stripped.startswith("Suppressed:"):
            in_suppressed = True  # suppressed exceptions are not the cause
        elif (more := _JAVA_MORE.match(line)) is not None and blocks and not in_suppressed:
            blocks[-1].omitted = int(more["n"])
        if stripped:
            previous = line
    return blocks


def _is_java_frame_line(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("at ", "... ", "Caused by:"))


def _java_header(line: str) -> str:
    stripped = line.strip()
    # A header may be prefixed by the logger's own text ("ERROR handler failed: x.Y: boom").
    # Keep the part from the first token that looks like a qualified exception class.
    match = re.search(r"(?:^|\s)((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?::.*)?)$", stripped)
    return match.group(1) if match is not None else stripped


def _java_frame(match: re.Match[str]) -> StackFrame:
    qual = match["qual"]
    if "/" in qual:  # Java 9+ module prefix: "java.base/java.lang.Thread"
        qual = qual.rsplit("/", 1)[1]
    location = match["loc"]
    file, _, line_text = location.partition(":")
    return StackFrame(
        module=qual,
        function=match["func"],
        file=file,
        line=int(line_text) if line_text.isdigit() else None,
        in_app=not qual.startswith(_JAVA_LIBRARY_PREFIXES),
    )


def _parse_node(lines: list[str]) -> ParsedTrace | None:
    frames: list[StackFrame] = []
    header_line = ""
    for line in lines:
        match = _NODE_FRAME.match(line)
        if match is None:
            if frames:
                break  # the first stack only; "[cause]:" blocks follow it
            if line.strip():
                header_line = line.strip()
            continue
        frames.append(_node_frame(match))
    if not frames:
        return None
    header = _NODE_HEADER.match(_node_header(header_line))
    if header is None:
        return None
    frames.reverse()
    return ParsedTrace(
        Language.NODE, header["type"], (header["value"] or "").strip(), _bounded(frames)
    )


def _node_header(line: str) -> str:
    # "Error: msg", possibly after a logger prefix ("request failed TypeError: x").
    match = re.search(r"(?:^|\s)([A-Z][\w$]*(?:Error|Exception)\b(?::.*)?)$", line)
    if match is not None:
        return match.group(1)
    return line


def _node_frame(match: re.Match[str]) -> StackFrame:
    location = match["loc1"] if match["loc1"] is not None else match["loc2"]
    function = (match["func"] or "<anonymous>").strip()
    for prefix in ("async ", "new "):
        if function.startswith(prefix):
            function = function[len(prefix) :]
    loc = _NODE_LOC.match(location)
    file = loc["file"] if loc is not None else location
    line = int(loc["line"]) if loc is not None and loc["line"] else None
    if file.startswith("file://"):
        file = file[len("file://") :]
    in_app = not (
        "node_modules/" in file
        or file.startswith(("node:", "internal/", "<anonymous>"))
        or file == "native"
    )
    return StackFrame(
        module=_strip_roots(file, _NODE_APP_ROOTS),
        function=function,
        file=file,
        line=line,
        in_app=in_app,
    )


# --- Go -------------------------------------------------------------------------------------


def _parse_go(text: str) -> ParsedTrace | None:
    lines = text.splitlines()
    exc_type, value = "", ""
    start = -1
    for index, line in enumerate(lines):
        if not exc_type:
            for prefix, kind in _GO_HEADERS:
                if line.startswith(prefix):
                    exc_type, value = kind, line[len(prefix) :].strip()
                    break
        if _GO_GOROUTINE.match(line) is not None:
            start = index + 1
            break
    if not exc_type or start < 0:
        return None
    frames = _go_frames(lines[start:])
    if not frames:
        return None
    frames.reverse()
    return ParsedTrace(Language.GO, exc_type, value, _bounded(frames))


def _go_frames(lines: list[str]) -> list[StackFrame]:
    # Frames come in pairs: "pkg.func(args)" then "\t/path/file.go:12 +0x2a".  The first
    # goroutine is the one that panicked; a blank line ends it.
    frames: list[StackFrame] = []
    function_line = ""
    for line in lines:
        if not line.strip():
            break
        location = _GO_FILE.match(line)
        if location is None:
            function_line = line.strip()
            continue
        if function_line:
            frames.append(_go_frame(function_line, location["file"], int(location["line"])))
            function_line = ""
    return frames


def _go_frame(function_line: str, file: str, line: int) -> StackFrame:
    call = function_line
    if call.startswith("created by "):
        call = call[len("created by ") :].split(" in goroutine ", 1)[0]
    elif call.endswith(")") and "(" in call:
        call = call[: _opening_paren(call)]
    package, function = _split_go_symbol(call)
    first_segment = package.split("/", 1)[0]
    # Standard-library packages have no dot in their first path segment; modules fetched
    # into the module cache (/go/pkg/mod/) are third-party code.
    in_app = ("." in first_segment or package == "main") and "/pkg/mod/" not in file
    return StackFrame(module=package, function=function, file=file, line=line, in_app=in_app)


def _opening_paren(call: str) -> int:
    """Index of the "(" that opens the argument list closing at the end of ``call``."""
    depth = 0
    for index in range(len(call) - 1, -1, -1):
        char = call[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                return index
    return len(call)


def _split_go_symbol(symbol: str) -> tuple[str, str]:
    """``github.com/a/b.(*T).M`` -> (``github.com/a/b``, ``(*T).M``)."""
    slash = symbol.rfind("/")
    dot = symbol.find(".", slash + 1)
    if dot < 0:
        return "", symbol  # a builtin such as "panic"
    return symbol[:dot], symbol[dot + 1 :]


def _bounded(frames: list[StackFrame]) -> tuple[StackFrame, ...]:
    # Keep the innermost frames when a trace is absurdly long: that is where the error is.
    return tuple(frames[-MAX_FRAMES:])
