"""What the gardener publishes, and what GitHub would render live in it: the tests' one
reading of both."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from log_gardener.cli import main
from tests.fakes.github import FakeGitHub

PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def exposed_text(markdown: str) -> str:
    """The document's text outside code spans and blocks, plus link targets and raw HTML."""
    parts: list[str] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            if token.type in ("code_inline", "code_block", "fence"):
                parts.append("\n")
            elif token.children:
                walk(token.children)
            else:
                parts.append(token.content)
                parts.extend(str(value) for value in (token.attrs or {}).values())

    walk(PARSER.parse(markdown))
    return "".join(parts)


TOKEN = "publishing-token"


def publish_through_action(
    workspace: Path, source: Path, inputs: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Runs ``log-gardener action`` on ``source`` against a fake GitHub and returns everything
    it published: issue titles, bodies, labels and comments, commit messages, the committed
    files, the report, the job summary, the outputs and stdout."""
    output, summary = workspace / "output.txt", workspace / "summary.md"
    with FakeGitHub(repo="acme/shop", tokens={TOKEN: "log-gardener-bot"}) as fake:
        env = {
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_API_URL": fake.api_url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "77",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(workspace),
            "INPUT_GITHUB-TOKEN": TOKEN,
            "INPUT_SOURCE": f"file:{source}",
            "INPUT_MIN-SEVERITY": "DEFAULT",
            "LOG_GARDENER_WRITE_INTERVAL": "0",
            **{f"INPUT_{name.upper()}": value for name, value in (inputs or {}).items()},
        }
        stdout = io.StringIO()
        code = main(["action"], env=env, stdout=stdout)
        commits = fake.branch_commits()
        issues = list(fake.issues.values())
        return {
            "code": code,
            "stdout": stdout.getvalue(),
            "titles": [issue["title"] for issue in issues],
            "bodies": [issue["body"] for issue in issues],
            "labels": sorted({label for issue in issues for label in issue["labels"]}),
            "comments": [c["body"] for bodies in fake.comments.values() for c in bodies],
            "commit_messages": [commit["message"] for commit in commits],
            "files": {
                path: fake.blobs[sha].decode("utf-8")
                for path, sha in fake.trees[commits[0]["tree"]].items()
            },
            "report": (workspace / ".log-gardener" / "report.json").read_text(encoding="utf-8"),
            "summary": summary.read_text(encoding="utf-8"),
            "outputs": output.read_text(encoding="utf-8"),
        }


def markdown_documents(published: Mapping[str, Any]) -> list[str]:
    """Issue bodies, comments, committed markdown files and the job summary."""
    markdown = [f for p, f in published["files"].items() if p.endswith(".md")]
    return [*published["bodies"], *published["comments"], *markdown, published["summary"]]


def everything_published(published: Mapping[str, Any]) -> str:
    return "\n".join(
        [
            *published["titles"],
            *published["labels"],
            *published["commit_messages"],
            *markdown_documents(published),
            *published["files"].values(),
            published["report"],
            published["outputs"],
            published["stdout"],
        ]
    )
