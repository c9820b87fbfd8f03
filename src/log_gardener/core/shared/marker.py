"""The hidden markers that tie GitHub objects to the gardener.  Pure.

An issue body's FIRST line is ``<!-- log-gardener:issue fingerprint=<hex> grouping=<v> -->``;
the dashboard issue's is ``<!-- log-gardener:dashboard -->``; every comment ends with
``<!-- log-gardener:run=<run id> -->`` so a replayed run never repeats it.  Markers are trusted
only on issues authored by the gardener's own identity and carrying its label (the GitHub
adapter checks that); log text can never forge one because ``core.markdown`` neutralizes HTML
comments in anything log-derived, and only the first line of a body is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_ISSUE_MARKER = re.compile(
    r"\A<!-- log-gardener:issue fingerprint=(?P<fp>[0-9a-f]{8,64}) grouping=(?P<g>v[0-9]+) -->\s*\Z"
)
_DASHBOARD_MARKER = "<!-- log-gardener:dashboard -->"
_RUN_MARKER = re.compile(r"<!-- log-gardener:run=(?P<run>[A-Za-z0-9._-]{1,100}) -->")


@dataclass(frozen=True)
class IssueMarker:
    fingerprint: str
    grouping_version: str


def issue_marker(fingerprint: str, grouping_version: str) -> str:
    return f"<!-- log-gardener:issue fingerprint={fingerprint} grouping={grouping_version} -->"


def dashboard_marker() -> str:
    return _DASHBOARD_MARKER


def run_marker(run_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", run_id)[:100] or "unknown"
    return f"<!-- log-gardener:run={safe} -->"


def first_line(body: str | None) -> str:
    return (body or "").split("\n", 1)[0].rstrip("\r")


def parse_issue_marker(body: str | None) -> IssueMarker | None:
    """The marker on the body's first line, or None (markers elsewhere never count)."""
    found = _ISSUE_MARKER.match(first_line(body))
    return IssueMarker(found["fp"], found["g"]) if found else None


def is_dashboard(body: str | None) -> bool:
    return first_line(body).strip() == _DASHBOARD_MARKER


def comment_run_id(body: str | None) -> str | None:
    """The run id of a gardener comment (the last run marker in it), or None."""
    found = list(_RUN_MARKER.finditer(body or ""))
    return found[-1]["run"] if found else None


# A problem issue's members (root first), hidden in its body: only hex fingerprints, so the
# problem can be rebuilt from GitHub when state.json is lost.  Trusted like the issue marker.
_MEMBERS = re.compile(
    r"^<!-- log-gardener:members id=([0-9a-f]{8,64}) ((?:[0-9a-f]{8,64} ?){1,60}) -->$", re.M
)


def members_marker(problem_id: str, fingerprints: Sequence[str]) -> str:
    safe = [fp for fp in fingerprints if re.fullmatch(r"[0-9a-f]{8,64}", fp)]
    return f"<!-- log-gardener:members id={problem_id} {' '.join(safe[:60])} -->"


def parse_members(body: str) -> tuple[str, tuple[str, ...]] | None:
    """The problem id and members an issue body lists (see ``members_marker``), or None."""
    found = _MEMBERS.search(body or "")
    return (found[1], tuple(found[2].split())) if found else None
