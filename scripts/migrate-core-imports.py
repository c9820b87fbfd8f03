"""Rewrites pre-split core paths to the stage packages, in place, in the files given.

For branches made before core/ was split by stage (issue 17): after merging one, run

    python3 scripts/migrate-core-imports.py $(git diff --name-only --diff-filter=AMU HEAD)

to turn ``log_gardener.core.ingest`` into ``log_gardener.core.grouping.ingest``,
``from log_gardener.core import marker`` into ``from log_gardener.core.shared import marker``
and ``log_gardener/core/normalize.py`` into ``log_gardener/core/grouping/normalize.py``; then
``ruff check --fix`` re-sorts the imports.  Files already on the new paths are left as they are.
A module new in core/ must also be placed in a stage package and in .importlinter by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

STAGES = {
    "grouping": (
        "ingest normalize stacktrace fingerprint cluster platform infra problems log_analytics"
    ),
    "judging": "rules lifecycle windowing",
    "planning": "plan",
    "publishing": "render issue_render markdown sparkline",
    "shared": "state redact secret_formats marker",
}
PACKAGE_OF = {module: stage for stage, modules in STAGES.items() for module in modules.split()}
_NAMES = "|".join(sorted(PACKAGE_OF, key=len, reverse=True))
_DOTTED = re.compile(r"\blog_gardener\.core\.(" + _NAMES + r")\b")
_FROM_CORE = re.compile(r"from log_gardener\.core import (" + _NAMES + r")\b")
_PATH = re.compile(r"\blog_gardener/core/(" + _NAMES + r")\.py\b")


def migrate(text: str) -> str:
    text = _DOTTED.sub(lambda m: f"log_gardener.core.{PACKAGE_OF[m[1]]}.{m[1]}", text)
    text = _FROM_CORE.sub(
        lambda m: f"from log_gardener.core.{PACKAGE_OF[m[1]]} import {m[1]}", text
    )
    return _PATH.sub(lambda m: f"log_gardener/core/{PACKAGE_OF[m[1]]}/{m[1]}.py", text)


def main(paths: list[str]) -> int:
    for name in paths:
        path = Path(name)
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = migrate(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
