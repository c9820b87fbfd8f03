"""``log-gardener --version`` says what the installation runs with: a failed mypyc build or a
missing orjson/cmark-gfm wheel falls back silently, and slows every run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from log_gardener import __version__
from log_gardener.core.grouping import cluster


def _version(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "log_gardener", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "30", **env},
        timeout=60,
        check=True,
    )
    assert done.stderr == ""
    return done.stdout


def test_the_version_line_names_the_build_and_the_parsers() -> None:
    line = _version(LOG_GARDENER_JSON="", LOG_GARDENER_MARKDOWN="")
    assert line.count("\n") == 1, "one line, never wrapped"
    assert line.startswith(f"log-gardener {__version__}: ")
    compiled = not (cluster.__file__ or "").endswith(".py")
    assert ("compiled per-entry modules (mypyc)" in line) is compiled
    assert ("pure Python (not compiled)" in line) is not compiled
    assert "JSON read by orjson" in line  # both wheels are pinned and installed
    assert "markdown checked by cmark-gfm" in line


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"LOG_GARDENER_JSON": "stdlib"}, "JSON read by stdlib"),
        ({"LOG_GARDENER_MARKDOWN": "markdown-it"}, "markdown checked by markdown-it"),
    ],
)
def test_the_fallbacks_are_named(env: dict[str, str], words: str) -> None:
    assert words in _version(**env)
