"""The YAML rules file: parsed into ``core.rules.RulesConfig`` with precise errors.

Every error names the file, the line and the path of the offending value, e.g.
``.github/log-gardener.yml:14: rules[2].match.severity: 'ERRR' is not a severity; expected one
of DEFAULT, DEBUG, ...``.  The YAML is composed into nodes (which keep their line marks) and
walked by hand instead of being loaded into dicts, so duplicate keys are caught and every
value still knows where it came from.  Unknown keys are errors with a "did you mean".  Regexes
compile here, once, so matching in the run is cheap and a bad pattern fails before any fetch.

The walk collects every problem it can find (``check_rules``); ``load_rules`` raises the first.
The JSON Schema in ``schema/log-gardener.schema.json`` describes the same shape; the tests
check that both accept and reject the same documents.
"""

from __future__ import annotations

import difflib
import math
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from log_gardener.core.judging.rules import (
    DEFAULT_SEVERITY_PRIORITIES,
    GROUP_KEY_FIELDS,
    CommentMode,
    EscalationPolicy,
    IssuePolicy,
    Match,
    ProblemLink,
    ProblemRules,
    Rule,
    RulesConfig,
    Target,
    TemplateSelector,
)
from log_gardener.core.shared.redact import ExtraPattern, RedactionPolicy
from log_gardener.errors import ConfigError, quote_value
from log_gardener.model import Priority, Severity

DEFAULT_RULES_PATH = ".github/log-gardener.yml"
SUPPORTED_VERSION = 1
MAX_FILE_CHARS = 1_000_000
MAX_NODES = 50_000  # bounds the walk even when aliases make a small file expand
MAX_REGEX_CHARS = 2_000
MAX_LABEL_CHARS = 50  # GitHub's limit on label names
MAX_TITLE_CHARS = 200  # leaves room for the title format within GitHub's 256
MAX_FILTER_CHARS = 20_000  # Cloud Logging's limit on a filter
TITLE_FIELDS = ("status", "priority", "title", "count", "service")

TOP_KEYS = ("version", "targets", "defaults", "rules", "issues", "redaction", "problems")
PROBLEMS_KEYS = ("link", "separate")
LINK_KEYS = ("name", "root", "symptoms")

TARGET_KEYS = (
    "name",
    "project",
    "service",
    "filter",
    "min_severity",
    "source",
    "linked_dataset",
    "location",
    "max_bytes_billed",
)
TARGET_SOURCE_RE = re.compile(r"gcp|log-analytics")
LINKED_DATASET_RE = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]\.[A-Za-z0-9_]{1,1024}")
LOCATION_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,62}")
DEFAULTS_KEYS = ("priorities",)
RULE_KEYS = ("name", "match", "priority", "labels", "title", "impact", "ignore", "group_by")
MATCH_KEYS = ("message", "exception_type", "logger", "severity", "service", "resource_labels")
SELECTOR_KEYS = (*MATCH_KEYS, "fingerprint")
_FINGERPRINT = re.compile(r"\A[0-9a-f]{8,64}\Z")
RANGE_KEYS = ("min", "max")
ISSUE_KEYS = (
    "title_format",
    "reopen",
    "max_new_issues",
    "max_operations",
    "comment",
    "label",
    "auto_resolve_days",
    "dashboard",
    "escalation",
)
ESCALATION_KEYS = ("enabled", "min_runs", "floor", "factor")
REDACTION_KEYS = ("ip_addresses", "patterns", "keys")
PATTERN_KEYS = ("kind", "regex")

TARGET_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
PROJECT_RE = re.compile(r"(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20}")
SERVICE_RE = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
KIND_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")

_TAG = "tag:yaml.org,2002:"
_KINDS = {
    "null": "nothing (null)",
    "bool": "a boolean",
    "int": "an integer",
    "float": "a number",
    "timestamp": "a date",
    "str": "a string",
    "binary": "binary data",
}

T = TypeVar("T")


@dataclass(frozen=True)
class _Problem:
    line: int | None
    path: str
    what: str
    fix: str = ""


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return _KINDS.get(str(node.tag).removeprefix(_TAG), "a value")


def _tag(node: Node) -> str:
    return str(node.tag).removeprefix(_TAG) if isinstance(node, ScalarNode) else ""


def _key_path(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{path}.{key}" if path else key
    return f"{path}[{quote_value(key)}]"


def _one_of(values: Sequence[str]) -> str:
    return "expected one of " + ", ".join(values)


def _closest(value: str, known: Sequence[str]) -> str | None:
    """The known name closest to ``value`` (a case difference counts as closest), or None."""
    by_case = [name for name in known if name.lower() == value.lower()]
    close = by_case or difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    return close[0] if close else None


class _Reader:
    """Walks the composed YAML, collecting problems; each ``_x`` returns None on a problem."""

    def __init__(self) -> None:
        self.problems: list[_Problem] = []
        self._constructor = SafeConstructor()

    def add(self, node: Node | None, path: str, what: str, fix: str = "") -> None:
        self.problems.append(_Problem(None if node is None else _line(node), path, what, fix))

    # -- shapes ---------------------------------------------------------------------------

    def fields(self, node: Node, path: str, known: Sequence[str]) -> dict[str, Node] | None:
        """A mapping's values by key: duplicate and unknown keys are problems."""
        if not isinstance(node, MappingNode):
            self.add(
                node, path, f"expected a mapping with keys {', '.join(known)}; got {_kind(node)}"
            )
            return None
        found: dict[str, Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in first_line:
                self._duplicate(key_node, path, key, first_line[key])
            elif key not in known:
                self._unknown(key_node, path, key, known)
            else:
                found[key] = value_node
            first_line.setdefault(key, _line(key_node))
        return found

    def pairs(self, node: Node, path: str) -> list[tuple[str, Node, Node]] | None:
        """A mapping with free keys (label names, severities): (key, key node, value node)."""
        if not isinstance(node, MappingNode):
            self.add(node, path, f"expected a mapping; got {_kind(node)}")
            return None
        result: list[tuple[str, Node, Node]] = []
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in first_line:
                self._duplicate(key_node, path, key, first_line[key])
                continue
            first_line[key] = _line(key_node)
            result.append((key, key_node, value_node))
        return result

    def _key(self, node: Node, path: str) -> str | None:
        if _tag(node) == "merge":
            self.add(node, path, "merge keys ('<<') are not supported", "write the keys out")
            return None
        if _tag(node) != "str":
            self.add(node, path, f"a key must be a string; got {_kind(node)}", "quote the key")
            return None
        return str(node.value)

    def _duplicate(self, node: Node, path: str, key: str, first: int) -> None:
        self.add(
            node,
            _key_path(path, key),
            f"duplicate key {quote_value(key)}; it was first given on line {first}",
            "keep one of them",
        )

    def _unknown(self, node: Node, path: str, key: str, known: Sequence[str]) -> None:
        close = _closest(key, known)
        hint = f"did you mean {quote_value(close)}? " if close else ""
        self.add(
            node,
            path,
            f"unknown key {quote_value(key)}",
            f"{hint}Known keys here: {', '.join(known)}",
        )

    def items(self, node: Node, path: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.add(node, path, f"expected a list; got {_kind(node)}", "start each item with '- '")
            return None
        return list(node.value)

    def scalar(self, node: Node) -> object:
        return self._constructor.construct_object(node) if isinstance(node, ScalarNode) else None

    # -- scalars --------------------------------------------------------------------------

    def text(
        self, node: Node, path: str, *, limit: int = 1_000, what: str = "a string"
    ) -> str | None:
        if _tag(node) != "str":
            fix = "quote the value" if isinstance(node, ScalarNode) and _tag(node) != "null" else ""
            self.add(node, path, f"expected {what}; got {_kind(node)}", fix)
            return None
        value = str(node.value)
        if not value.strip():
            self.add(node, path, f"expected {what}; got an empty string")
            return None
        if len(value) > limit:
            self.add(node, path, f"is {len(value)} characters long; at most {limit} are allowed")
            return None
        return value

    def shaped(self, node: Node, path: str, pattern: re.Pattern[str], what: str) -> str | None:
        value = self.text(node, path, what=what)
        if value is not None and not pattern.fullmatch(value):
            self.add(node, path, f"{quote_value(value)} is not {what}")
            return None
        return value

    def boolean(self, node: Node, path: str) -> bool | None:
        if _tag(node) != "bool":
            self.add(node, path, f"expected true or false; got {_kind(node)}")
            return None
        return bool(self.scalar(node))

    def integer(self, node: Node, path: str, minimum: int) -> int | None:
        value = self.scalar(node) if _tag(node) == "int" else None
        if not isinstance(value, int):
            self.add(node, path, f"expected a whole number; got {_kind(node)}")
            return None
        if value < minimum:
            self.add(node, path, f"{value} is too small; expected at least {minimum}")
            return None
        return value

    def positive_number(self, node: Node, path: str) -> float | None:
        value = self.scalar(node) if _tag(node) in ("int", "float") else None
        if not isinstance(value, int | float) or not math.isfinite(value):
            self.add(node, path, f"expected a number; got {_kind(node)}")
            return None
        if value <= 0:
            self.add(node, path, f"{value} is not above 0; expected a positive number")
            return None
        return float(value)

    def choice(self, node: Node, path: str, noun: str, names: Sequence[str]) -> str | None:
        raw = str(node.value) if isinstance(node, ScalarNode) else ""
        if _tag(node) == "str" and raw in names:
            return raw
        shown = quote_value(raw) if isinstance(node, ScalarNode) and raw else _kind(node)
        close = _closest(raw, names) if raw else None
        fix = f"write {quote_value(close)}" if close else ""
        self.add(node, path, f"{shown} is not {noun}; {_one_of(names)}", fix)
        return None

    def severity(self, node: Node, path: str) -> Severity | None:
        name = self.choice(node, path, "a severity", list(Severity.__members__))
        return None if name is None else Severity[name]

    def priority(self, node: Node, path: str) -> Priority | None:
        name = self.choice(node, path, "a priority", list(Priority.__members__))
        return None if name is None else Priority[name]

    def regex(self, node: Node, path: str, owner: str) -> re.Pattern[str] | None:
        pattern = self.text(node, path, limit=MAX_REGEX_CHARS, what="a regular expression")
        if pattern is None:
            return None
        try:
            return re.compile(pattern)
        except re.error as error:
            where = "" if error.pos is None else f" at position {error.pos}"
            self.add(
                node,
                path,
                f"invalid regular expression {quote_value(pattern)} in {owner}: {error.msg}{where}",
                "use Python `re` syntax; put a backslash before a literal ( ) [ ] { } . * + ? |",
            )
            return None

    def label(self, node: Node, path: str) -> str | None:
        value = self.text(node, path, limit=MAX_LABEL_CHARS, what="a label name")
        if value is not None and value != value.strip():
            self.add(node, path, f"{quote_value(value)} starts or ends with spaces")
            return None
        return value

    def template(self, node: Node, path: str, fields: Sequence[str], limit: int) -> str | None:
        """A text with ``{placeholders}`` from ``fields`` only (no conversions or specs)."""
        value = self.text(node, path, limit=limit)
        if value is None:
            return None
        try:
            parsed = list(string.Formatter().parse(value))
        except ValueError as error:
            self.add(
                node, path, f"{quote_value(value)}: {error}", "write a literal brace as {{ or }}"
            )
            return None
        for _, name, spec, conversion in parsed:
            if name is not None and (name not in fields or spec or conversion):
                self.add(
                    node,
                    path,
                    f"{quote_value('{' + name + '}')} is not a placeholder here; "
                    f"{_one_of(['{' + f + '}' for f in fields])}",
                )
                return None
        return value


def _optional(reader_result: T | None, default: T) -> T:
    return default if reader_result is None else reader_result


def _get(
    fields: dict[str, Node], key: str, path: str, read: Callable[[Node, str], T | None], default: T
) -> T:
    """The value under ``key`` read by ``read``, or ``default`` when absent or invalid."""
    node = fields.get(key)
    return default if node is None else _optional(read(node, _key_path(path, key)), default)


def _is_null(node: Node) -> bool:
    return _tag(node) == "null"


# -- sections -----------------------------------------------------------------------------


def _targets(r: _Reader, node: Node) -> tuple[Target, ...]:
    items = [] if _is_null(node) else r.items(node, "targets") or []
    targets: list[Target] = []
    first_line: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"targets[{index}]"
        target = _target(r, item, path)
        if target is None:
            continue
        if target.name in first_line:
            r.add(
                item,
                path,
                f"target name {quote_value(target.name)} is already used on line "
                f"{first_line[target.name]}",
                "give each target a distinct name (it names worklog files and the state cursor)",
            )
            continue
        first_line[target.name] = _line(item)
        targets.append(target)
    return tuple(targets)


def _target(r: _Reader, node: Node, path: str) -> Target | None:
    fields = r.fields(node, path, TARGET_KEYS)
    if fields is None:
        return None
    before = len(r.problems)

    def shaped(pattern: re.Pattern[str], what: str) -> Callable[[Node, str], str | None]:
        return lambda n, p: r.shaped(n, p, pattern, what)

    project = _get(fields, "project", path, shaped(PROJECT_RE, "a Google Cloud project ID"), "")
    service = _get(fields, "service", path, shaped(SERVICE_RE, "a Cloud Run service name"), "")
    name = _get(fields, "name", path, shaped(TARGET_NAME_RE, "a target name"), service or "default")
    filter_ = _get(fields, "filter", path, lambda n, p: r.text(n, p, limit=MAX_FILTER_CHARS), "")
    min_severity = _get(fields, "min_severity", path, r.severity, Severity.WARNING)
    source = _get(fields, "source", path, shaped(TARGET_SOURCE_RE, "gcp or log-analytics"), "")
    dataset = _get(fields, "linked_dataset", path, shaped(LINKED_DATASET_RE, "project.dataset"), "")
    location = _get(fields, "location", path, shaped(LOCATION_RE, "a BigQuery location"), "")
    cap = _get(fields, "max_bytes_billed", path, lambda n, p: r.integer(n, p, 1), None)
    if len(r.problems) > before:
        return None
    return Target(name, project, service, filter_, min_severity, source, dataset, location, cap)


def _priorities(r: _Reader, node: Node) -> dict[Severity, Priority]:
    table = dict(DEFAULT_SEVERITY_PRIORITIES)
    if _is_null(node):
        return table
    fields = r.fields(node, "defaults", DEFAULTS_KEYS) or {}
    mapping = fields.get("priorities")
    if mapping is None or _is_null(mapping):
        return table
    for key, key_node, value_node in r.pairs(mapping, "defaults.priorities") or []:
        path = _key_path("defaults.priorities", key)
        severity = r.severity(key_node, path)
        priority = r.priority(value_node, path)
        if severity is not None and priority is not None:
            table[severity] = priority
    return table


def _rules(r: _Reader, node: Node) -> tuple[Rule, ...]:
    items = [] if _is_null(node) else r.items(node, "rules") or []
    rules: list[Rule] = []
    first_line: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"rules[{index}]"
        name, rule = _rule(r, item, path)
        if name in first_line:
            r.add(
                item,
                path,
                f"rule name {quote_value(name)} is already used on line {first_line[name]}",
                "give each rule a distinct name (reports and issues name the rule that matched)",
            )
            continue
        first_line[name] = _line(item)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def _rule(r: _Reader, node: Node, path: str) -> tuple[str, Rule | None]:
    """The rule's name (``rules[N]`` when unnamed) and the rule, None when it has a problem."""
    fields = r.fields(node, path, RULE_KEYS)
    if fields is None:
        return path, None
    before = len(r.problems)
    name = _get(fields, "name", path, lambda n, p: r.text(n, p, limit=100), path)
    owner = f"rule {quote_value(name)} (line {_line(node)})"
    match_node = fields.get("match")
    match = Match() if match_node is None else _match(r, match_node, f"{path}.match", owner)
    no_labels: tuple[str, ...] = ()
    labels = _get(fields, "labels", path, lambda n, p: _labels(r, n, p), no_labels)
    rule = Rule(
        name=name,
        match=match or Match(),
        priority=_get(fields, "priority", path, r.priority, None),
        labels=tuple(dict.fromkeys(labels)),
        title=_get(fields, "title", path, lambda n, p: r.text(n, p, limit=MAX_TITLE_CHARS), ""),
        impact=_get(fields, "impact", path, lambda n, p: r.text(n, p, limit=2_000), ""),
        ignore=_get(fields, "ignore", path, r.boolean, False),
        group_by=_get(
            fields, "group_by", path, lambda n, p: r.template(n, p, GROUP_KEY_FIELDS, 200), ""
        ),
        line=_line(node),
    )
    return name, (None if len(r.problems) > before else rule)


def _labels(r: _Reader, node: Node, path: str) -> tuple[str, ...] | None:
    items = r.items(node, path)
    if items is None:
        return None
    labels = [r.label(item, f"{path}[{index}]") for index, item in enumerate(items)]
    return tuple(label for label in labels if label is not None)


def _match(r: _Reader, node: Node, path: str, owner: str) -> Match | None:
    if _is_null(node):
        return Match()
    fields = r.fields(node, path, MATCH_KEYS)
    if fields is None:
        return None
    return _match_of(r, fields, path, owner)


def _match_of(r: _Reader, fields: dict[str, Node], path: str, owner: str) -> Match:
    severity_min, severity_max = None, None
    if "severity" in fields:
        severity_min, severity_max = _severity_range(r, fields["severity"], f"{path}.severity")
    return Match(
        message=_get(fields, "message", path, lambda n, p: r.regex(n, p, owner), None),
        exception_type=_get(
            fields, "exception_type", path, lambda n, p: r.regex(n, p, owner), None
        ),
        logger=_get(fields, "logger", path, r.text, ""),
        severity_min=severity_min,
        severity_max=severity_max,
        service=_get(fields, "service", path, r.text, ""),
        resource_labels=_get(fields, "resource_labels", path, lambda n, p: _globs(r, n, p), {}),
    )


def _severity_range(r: _Reader, node: Node, path: str) -> tuple[Severity | None, Severity | None]:
    """``"ERROR"`` means ERROR and above; ``{min: WARNING, max: ERROR}`` is inclusive."""
    if isinstance(node, ScalarNode):
        return r.severity(node, path), None
    fields = r.fields(node, path, RANGE_KEYS)
    if fields is None:
        return None, None
    low = _get(fields, "min", path, r.severity, None)
    high = _get(fields, "max", path, r.severity, None)
    if low is not None and high is not None and low > high:
        r.add(node, path, f"min {low.name} is above max {high.name}", "swap them")
    return low, high


def _globs(r: _Reader, node: Node, path: str) -> dict[str, str] | None:
    globs: dict[str, str] = {}
    for key, _, value_node in r.pairs(node, path) or []:
        value = r.text(value_node, _key_path(path, key), what="a glob")
        if value is not None:
            globs[key] = value
    return globs


def _issues(r: _Reader, node: Node) -> IssuePolicy:
    default = IssuePolicy()
    if _is_null(node):
        return default
    fields = r.fields(node, "issues", ISSUE_KEYS) or {}
    p = "issues"
    comment = _get(fields, "comment", p, lambda n, q: _comment_mode(r, n, q), default.comment)
    return IssuePolicy(
        title_format=_get(fields, "title_format", p, _title_format(r), default.title_format),
        reopen=_get(fields, "reopen", p, r.boolean, default.reopen),
        max_new_issues=_get(fields, "max_new_issues", p, _at_least(r, 0), default.max_new_issues),
        max_operations=_get(fields, "max_operations", p, _at_least(r, 0), default.max_operations),
        comment=comment,
        label=_get(fields, "label", p, r.label, default.label),
        auto_resolve_days=_get(
            fields, "auto_resolve_days", p, _at_least(r, 0), default.auto_resolve_days
        ),
        dashboard=_get(fields, "dashboard", p, r.boolean, default.dashboard),
        escalation=_get(
            fields, "escalation", p, lambda n, q: _escalation(r, n, q), default.escalation
        ),
    )


def _at_least(r: _Reader, minimum: int) -> Callable[[Node, str], int | None]:
    return lambda node, path: r.integer(node, path, minimum)


def _title_format(r: _Reader) -> Callable[[Node, str], str | None]:
    def read(node: Node, path: str) -> str | None:
        value = r.template(node, path, TITLE_FIELDS, 200)
        if value is not None and "{title}" not in value:
            r.add(node, path, "the title format must contain {title}", "add {title}")
            return None
        return value

    return read


def _comment_mode(r: _Reader, node: Node, path: str) -> CommentMode | None:
    modes = [mode.value for mode in CommentMode]
    value = r.choice(node, path, "a comment mode", modes)
    return None if value is None else CommentMode(value)


def _escalation(r: _Reader, node: Node, path: str) -> EscalationPolicy | None:
    fields = r.fields(node, path, ESCALATION_KEYS)
    if fields is None:
        return None
    default = EscalationPolicy()
    return EscalationPolicy(
        enabled=_get(fields, "enabled", path, r.boolean, default.enabled),
        min_runs=_get(fields, "min_runs", path, _at_least(r, 1), default.min_runs),
        floor=_get(fields, "floor", path, _at_least(r, 0), default.floor),
        factor=_get(fields, "factor", path, r.positive_number, default.factor),
    )


def _redaction(r: _Reader, node: Node) -> RedactionPolicy:
    default = RedactionPolicy()
    if _is_null(node):
        return default
    fields = r.fields(node, "redaction", REDACTION_KEYS) or {}
    return RedactionPolicy(
        ip_addresses=_get(fields, "ip_addresses", "redaction", r.boolean, default.ip_addresses),
        extra_patterns=_get(fields, "patterns", "redaction", lambda n, p: _patterns(r, n, p), ()),
        extra_keys=_get(fields, "keys", "redaction", lambda n, p: _keys(r, n, p), ()),
    )


def _patterns(r: _Reader, node: Node, path: str) -> tuple[ExtraPattern, ...] | None:
    patterns: list[ExtraPattern] = []
    for index, item in enumerate(r.items(node, path) or []):
        item_path = f"{path}[{index}]"
        fields = r.fields(item, item_path, PATTERN_KEYS)
        if fields is None:
            continue
        if "kind" not in fields or "regex" not in fields:
            r.add(item, item_path, "a pattern needs both 'kind' and 'regex'")
            continue
        kind = r.shaped(fields["kind"], f"{item_path}.kind", KIND_RE, "a kind (a-z, 0-9, _ or -)")
        owner = f"pattern {quote_value(kind or '?')} (line {_line(item)})"
        compiled = r.regex(fields["regex"], f"{item_path}.regex", owner)
        if compiled is not None and compiled.fullmatch(""):
            r.add(fields["regex"], f"{item_path}.regex", "the pattern matches the empty string")
            continue
        if kind is not None and compiled is not None:
            patterns.append(ExtraPattern(kind, compiled.pattern))
    return tuple(patterns)


def _keys(r: _Reader, node: Node, path: str) -> tuple[str, ...] | None:
    items = r.items(node, path)
    if items is None:
        return None
    keys = [r.text(item, f"{path}[{index}]", limit=100) for index, item in enumerate(items)]
    return tuple(key for key in keys if key is not None)


# -- the document -------------------------------------------------------------------------


def _compose(text: str, r: _Reader) -> Node | None:
    try:
        loader = yaml.SafeLoader(text)  # the reader rejects control characters right here
    except yaml.YAMLError as error:
        r.problems.append(_reader_problem(text, error))
        return None
    try:
        node: Node | None = loader.get_single_node()
        return node
    except yaml.MarkedYAMLError as error:
        r.problems.append(_syntax_problem(error))
    except yaml.YAMLError as error:
        r.problems.append(_reader_problem(text, error))
    except RecursionError:  # the composer recurses once per nesting level
        r.problems.append(_Problem(None, "", "the YAML is nested too deeply", "flatten it"))
    finally:
        loader.dispose()
    return None


def _syntax_problem(error: yaml.MarkedYAMLError) -> _Problem:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    column = "" if mark is None else f" at column {mark.column + 1}"
    fix = "indent with spaces; YAML does not allow tabs" if "\\t" in problem else ""
    line = None if mark is None else mark.line + 1
    return _Problem(line, "", f"YAML syntax error{column}: {problem}", fix)


def _reader_problem(text: str, error: yaml.YAMLError) -> _Problem:
    """A character YAML does not allow (``ReaderError``); its position gives the line."""
    position = int(getattr(error, "position", 0))
    character = getattr(error, "character", "")
    if isinstance(character, str) and character:
        character = ord(character[0])
    code = f"U+{character:04X}" if isinstance(character, int) else "a character"
    line = text.count("\n", 0, position) + 1
    return _Problem(
        line, "", f"YAML syntax error: {code} is not allowed in YAML", "remove the character"
    )


def _too_big(root: Node) -> bool:
    """True when the node tree (aliases expanded) exceeds ``MAX_NODES``; stops counting there."""
    stack, count = [root], 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            return True
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return False


def _config(r: _Reader, root: Node, source: str) -> RulesConfig:
    fields = r.fields(root, "", TOP_KEYS) or {}
    if "version" in fields:
        version = r.integer(fields["version"], "version", 1)
        if version is not None and version != SUPPORTED_VERSION:
            r.add(
                fields["version"],
                "version",
                f"version {version} is not supported; this log-gardener reads version 1",
                "write version: 1, or upgrade log-gardener",
            )
    null = ScalarNode(_TAG + "null", "")
    return RulesConfig(
        targets=_targets(r, fields.get("targets", null)),
        severity_priorities=_priorities(r, fields.get("defaults", null)),
        rules=_rules(r, fields.get("rules", null)),
        issues=_issues(r, fields.get("issues", null)),
        redaction=_redaction(r, fields.get("redaction", null)),
        source=source,
        problems=_problem_rules(r, fields.get("problems", null)),
    )


def _problem_rules(r: _Reader, node: Node) -> ProblemRules:
    """``problems: {link: [{name, root, symptoms}], separate: [[selector, selector]]}``."""
    if _is_null(node):
        return ProblemRules()
    fields = r.fields(node, "problems", PROBLEMS_KEYS)
    if fields is None:
        return ProblemRules()
    links: list[ProblemLink] = []
    link_node = fields.get("link")
    for index, item in enumerate(
        []
        if link_node is None or _is_null(link_node)
        else r.items(link_node, "problems.link") or []
    ):
        link = _problem_link(r, item, f"problems.link[{index}]")
        if link is not None:
            links.append(link)
    pairs: list[tuple[TemplateSelector, TemplateSelector]] = []
    separate_node = fields.get("separate")
    items = (
        []
        if separate_node is None or _is_null(separate_node)
        else r.items(separate_node, "problems.separate") or []
    )
    for index, item in enumerate(items):
        path = f"problems.separate[{index}]"
        parts = r.items(item, path)
        if parts is None:
            continue
        if len(parts) != 2:
            r.add(item, path, f"lists {len(parts)} templates", "list exactly two templates")
            continue
        chosen = [_selector(r, part, f"{path}[{i}]") for i, part in enumerate(parts)]
        if chosen[0] is not None and chosen[1] is not None:
            pairs.append((chosen[0], chosen[1]))
    return ProblemRules(link=tuple(links), separate=tuple(pairs))


def _problem_link(r: _Reader, node: Node, path: str) -> ProblemLink | None:
    fields = r.fields(node, path, LINK_KEYS)
    if fields is None:
        return None
    before = len(r.problems)
    name = _get(fields, "name", path, lambda n, p: r.text(n, p, limit=100), path)
    if "root" not in fields or "symptoms" not in fields:
        r.add(node, path, "needs both root and symptoms", "add root: {...} and symptoms: [...]")
        return None
    root = _selector(r, fields["root"], f"{path}.root")
    items = r.items(fields["symptoms"], f"{path}.symptoms") or []
    symptoms = [_selector(r, item, f"{path}.symptoms[{i}]") for i, item in enumerate(items)]
    if root is None or len(r.problems) > before or not symptoms:
        if not symptoms and len(r.problems) == before:
            r.add(fields["symptoms"], f"{path}.symptoms", "is empty", "list at least one template")
        return None
    return ProblemLink(name, root, tuple(s for s in symptoms if s is not None))


def _selector(r: _Reader, node: Node, path: str) -> TemplateSelector | None:
    """A template: ``{fingerprint: <hex>}`` and/or the keys of a rule's ``match``."""
    fields = r.fields(node, path, SELECTOR_KEYS)
    if fields is None:
        return None
    fingerprint = ""
    if "fingerprint" in fields:
        fingerprint = (
            r.shaped(fields["fingerprint"], f"{path}.fingerprint", _FINGERPRINT, "a fingerprint")
            or ""
        )
    rest = {k: v for k, v in fields.items() if k != "fingerprint"}
    match = _match_of(r, rest, path, f"template selector at {path}") if rest else None
    if not fingerprint and match is None:
        if "fingerprint" not in fields:  # a bad fingerprint was already reported
            r.add(node, path, "names no template", "give a fingerprint or a message pattern")
        return None
    return TemplateSelector(match=match, fingerprint=fingerprint, text=path)


def _problems(text: str, source: str) -> tuple[RulesConfig | None, list[_Problem]]:
    r = _Reader()
    if len(text) > MAX_FILE_CHARS:
        r.problems.append(_Problem(None, "", f"the file is over {MAX_FILE_CHARS} characters"))
        return None, r.problems
    root = _compose(text, r)
    if r.problems:
        return None, r.problems
    if root is None or _is_null(root):
        return RulesConfig(source=source), []
    if _too_big(root):
        r.add(root, "", f"the file expands to over {MAX_NODES} values", "remove aliases (*name)")
        return None, r.problems
    config = _config(r, root, source)
    # In file order, so the first error raised is the first a reader meets.
    problems = sorted(r.problems, key=lambda problem: problem.line or 0)
    return (None if problems else config), problems


def check_rules(text: str, source: str) -> tuple[RulesConfig | None, list[ConfigError]]:
    """The config and every problem found (config is None when there is any problem)."""
    config, problems = _problems(text, source)
    errors = [
        ConfigError(p.what, source=source, line=p.line, path=p.path, fix=p.fix) for p in problems
    ]
    return config, errors


def load_rules(text: str, source: str) -> RulesConfig:
    """Parse a rules file's text; raises the first ``ConfigError`` (file:line: path: what)."""
    config, errors = check_rules(text, source)
    if errors:
        raise errors[0]
    assert config is not None  # no errors means a config was built
    return config


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read(MAX_FILE_CHARS + 1)
    except FileNotFoundError:
        raise ConfigError(
            "rules file not found",
            source=path,
            fix="check the path given to --config (or the action input `config`); "
            "examples/log-gardener.yml is a starting point",
        ) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a rules file", source=path) from None
    except PermissionError:
        raise ConfigError("cannot read the rules file: permission denied", source=path) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"the rules file is not UTF-8 text (byte {error.start})",
            source=path,
            fix="save it as UTF-8",
        ) from None
    except OSError as error:
        raise ConfigError(f"cannot read the rules file: {error.strerror}", source=path) from None


def load_rules_file(path: str) -> RulesConfig:
    """Read and parse a rules file; a missing or unreadable file is a ``ConfigError``."""
    return load_rules(_read(path), path)


def validate_config_file(path: str) -> list[str]:
    """Every problem in a rules file as one message each; empty when the file is valid.

    For ``log-gardener validate-config PATH`` (exit 0 when empty, 1 otherwise).
    """
    try:
        text = _read(path)
    except ConfigError as error:
        return [str(error)]
    return [str(error) for error in check_rules(text, path)[1]]
