"""The import contracts in .importlinter hold, and break when an import runs the wrong way.

Each case copies the package and the contracts to a temporary directory, adds one reversed
import to the copy and runs the real ``lint-imports`` on it, so the check is shown to catch what
it claims, not only to pass on today's tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "log_gardener"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="lint-imports not installed")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """Runs lint-imports on the copy in ``tree`` (its ``log_gardener`` comes first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / ".importlinter")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "log_gardener", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / "log_gardener" / (module.replace(".", "/") + ".py")
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"\n{line}  # reversed on purpose\n", encoding="utf-8")


def test_the_contracts_hold_on_the_tree(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


PROGRAM_LAYERS = (
    "One way down: cli -> pipeline -> workers -> apply/adapters/config -> ports/jsonio -> core"
    " -> model/errors"
)

# (module that gets the import, the import, the contract that must break)
REVERSED = [
    (
        # the planner decides, publishing writes: the planner may not call the renderer itself
        "core.planning.plan",
        "from log_gardener.core.publishing import issue_render",
        "Core stages: publishing -> planning -> grouping -> judging -> shared",
    ),
    (
        "core.shared.state",
        "from log_gardener.core.judging import rules",
        "Core stages: publishing -> planning -> grouping -> judging -> shared",
    ),
    (
        "core.grouping.normalize",
        "from log_gardener.adapters import github",
        "The core imports no adapter, no composition code and no I/O module",
    ),
    (
        "core.judging.windowing",
        "import os",
        "The core imports no adapter, no composition code and no I/O module",
    ),
    (
        "model",
        "from log_gardener.core.shared import state",
        PROGRAM_LAYERS,
    ),
    (
        "apply",
        "from log_gardener import pipeline",
        PROGRAM_LAYERS,
    ),
    (
        "adapters.file_source",
        "from log_gardener.adapters import github",
        "Each adapter stands alone: no adapter imports another",
    ),
    (
        # normalize imports stacktrace: the reverse closes a cycle inside one stage
        "core.grouping.stacktrace",
        "from log_gardener.core.grouping import normalize",
        "No module imports one that imports it back",
    ),
]


@pytest.mark.parametrize(("module", "line", "contract"), REVERSED, ids=[r[0] for r in REVERSED])
def test_a_reversed_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    tree = _copy(tmp_path)
    _add_import(tree, module, line)
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    broken = [row for row in result.stdout.splitlines() if row.endswith("BROKEN")]
    # The installed package has no such import, so a break also shows the copy was analysed.
    assert any(row.startswith(contract) for row in broken), result.stdout
