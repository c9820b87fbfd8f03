"""The core is pure: no network, files, environment or clock.  This test walks its source.

What the core may IMPORT is a contract in .importlinter (no adapter, no composition code, no
I/O module; run by ``make lint`` and shown to break in test_import_contracts.py).  This test
keeps what import-linter cannot see: calls of builtins that do I/O, clock reads and the
environment reached through an already imported name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "src" / "log_gardener" / "core"
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}
FORBIDDEN_CLOCK_CALLS = {"now", "utcnow", "today", "monotonic", "perf_counter"}
FORBIDDEN_ATTRIBUTES = {"getenv", "environ"}


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        call = node.func if isinstance(node, ast.Call) else None
        if isinstance(call, ast.Name) and call.id in FORBIDDEN_CALLS:
            found.append(f"{path.name}:{node.lineno}: calls {call.id}()")
        if isinstance(call, ast.Attribute) and call.attr in FORBIDDEN_CLOCK_CALLS:
            found.append(f"{path.name}:{node.lineno}: reads the clock (.{call.attr}())")
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"{path.name}:{node.lineno}: uses .{node.attr}")
    return sorted(found, key=lambda line: int(line.split(":")[1]))


def test_core_has_modules_to_check() -> None:
    names = {p.stem for p in _core_files()}
    assert {
        "normalize",
        "redact",
        "fingerprint",
        "cluster",
        "rules",
        "plan",
        "render",
        "state",
    } <= names


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: p.name)
def test_core_module_does_no_io(path: Path) -> None:
    assert _violations(path) == []


def test_the_checker_catches_io(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text(
        "import os\nfrom datetime import datetime\nx = datetime.now()\nopen('f')\n",
        encoding="utf-8",
    )
    assert _violations(sample) == [
        "bad.py:3: reads the clock (.now())",
        "bad.py:4: calls open()",
    ]
