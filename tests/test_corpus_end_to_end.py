"""The public attack corpus (../shared/corpus) end to end: the real pipeline, the real PyGithub
against the fake GitHub, and every published thing checked (issue titles, bodies, comments,
committed files, the report, the job summary, outputs and stdout).

Skips cleanly where ../shared/corpus is absent (a fresh clone has no ../shared).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from log_gardener.cli import main
from tests.exposure import exposed_text
from tests.fakes.github import FakeGitHub

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ENTRIES = CORPUS / "untrusted_entries.jsonl"
EXPECTATIONS = CORPUS / "untrusted_expectations.jsonl"
TOKEN = "corpus-token"

pytestmark = pytest.mark.skipif(
    not (ENTRIES.is_file() and EXPECTATIONS.is_file()), reason="../shared/corpus is absent"
)


def _expectations() -> list[dict[str, Any]]:
    if not EXPECTATIONS.is_file():
        return []
    lines = EXPECTATIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs the corpus once through the action entrypoint; returns everything it published."""
    workspace = tmp_path_factory.mktemp("workspace")
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
            "INPUT_SOURCE": f"file:{ENTRIES}",
            "INPUT_MIN-SEVERITY": "DEFAULT",
            "INPUT_MAX-NEW-ISSUES": "100",
            "INPUT_MAX-OPERATIONS": "400",
            "LOG_GARDENER_WRITE_INTERVAL": "0",
        }
        stdout = io.StringIO()
        code = main(["action"], env=env, stdout=stdout)
        commit = fake.branch_commits()[0]
        files = {
            path: fake.blobs[sha].decode("utf-8")
            for path, sha in fake.trees[commit["tree"]].items()
        }
        comments = [c["body"] for bodies in fake.comments.values() for c in bodies]
        return {
            "code": code,
            "stdout": stdout.getvalue(),
            "titles": [issue["title"] for issue in fake.issues.values()],
            "bodies": [issue["body"] for issue in fake.issues.values()],
            "comments": comments,
            "files": files,
            "report": (workspace / ".log-gardener" / "report.json").read_text(encoding="utf-8"),
            "summary": summary.read_text(encoding="utf-8"),
            "outputs": output.read_text(encoding="utf-8"),
        }


def _documents(published: dict[str, Any]) -> list[str]:
    markdown = [f for p, f in published["files"].items() if p.endswith(".md")]
    return [*published["bodies"], *published["comments"], *markdown, published["summary"]]


def _everything(published: dict[str, Any]) -> str:
    return "\n".join(
        [
            *published["titles"],
            *_documents(published),
            *published["files"].values(),
            published["report"],
            published["outputs"],
            published["stdout"],
        ]
    )


def test_the_corpus_run_succeeds_and_publishes(published: dict[str, Any]) -> None:
    assert published["code"] == 0, published["stdout"]
    assert len(published["bodies"]) >= 20
    assert any(path.endswith("state.json") for path in published["files"])


@pytest.mark.parametrize("case", _expectations(), ids=lambda case: case["case_id"])
def test_expectation_holds_everywhere(case: dict[str, Any], published: dict[str, Any]) -> None:
    everything = _everything(published)
    # Booleans first: a failing assertion must not print the secret it looked for.
    for secret in case["must_not_appear"]:
        leaked = secret in everything
        assert not leaked, f"{case['case_id']}: leaked"
    for text in case["must_be_inside_code"]:
        exposed = any(text in exposed_text(document) for document in _documents(published))
        assert not exposed, f"{case['case_id']}: outside code"
        in_title = any(text in title for title in published["titles"])
        assert not in_title, f"{case['case_id']}: in a title"
    for pattern in case["stdout_must_not_match"]:
        for line in published["stdout"].splitlines():
            assert not re.search(pattern, line), f"{case['case_id']}: workflow command"
    if case["expected_outcome"].startswith(("publish", "process")):
        for text in case["should_appear"]:
            assert text in everything, f"{case['case_id']}: over-redacted"


def test_no_live_mentions_references_or_forged_markers(published: dict[str, Any]) -> None:
    for document in _documents(published):
        exposed = exposed_text(document)
        assert not re.search(r"(?<![\w`])@[A-Za-z0-9][\w-]*", exposed)
        assert not re.search(r"(?<![\w&])#\d+\b", exposed.replace("](", " ")) or _only_ours(exposed)
    for body in published["bodies"]:
        assert body.count("<!-- log-gardener:") == 1, "exactly one marker, ours, on line one"
        assert body.startswith("<!-- log-gardener:")


def _only_ours(exposed: str) -> bool:
    """Issue references we write ourselves look like "[#12](url)" or "issue #12" in our words."""
    return all(
        re.search(rf"(issue|\[)#{n}\b", exposed) for n in re.findall(r"(?<![\w&])#(\d+)\b", exposed)
    )
