"""Every provider format end to end: ``log-gardener action`` with the real PyGithub against the
fake GitHub, and every published thing checked (issue titles, bodies, comments, labels, the
commit message, every committed file with ``state.json``, the report, the job summary, outputs
and stdout).

Each provider gets its own service, so its own problem, issue and title, with four entries:
the secret alone, twice the same message in which the secret is the only variable (so the
template's one variable is the secret), and the secret beside a key name.  Keyword providers get their value beside their name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.exposure import everything_published, publish_through_action
from tests.provider_secrets import KEYWORD_SAMPLES, SHAPE_SAMPLES
from tests.test_provider_formats import leaked


def _entry(service: str, n: int, text: str) -> dict[str, Any]:
    return {
        "insertId": f"{service}-{n}",
        "timestamp": f"2025-06-03T10:{n // 60 % 60:02d}:{n % 60:02d}.000000123Z",
        "severity": "ERROR",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"service_name": service, "revision_name": f"{service}-00001-abc"},
        },
        "textPayload": text,
    }


# Another secret of the same shape: digits and hex letters of the tail rotated in their class.
_ROTATE = str.maketrans("0123456789abcdefABCDEF", "1234567890bcdefaBCDEFA")


def _cases() -> list[tuple[str, list[str], list[str]]]:
    """(service, the entries' texts, the secrets none of which may be published)."""
    cases = []
    for index, (provider, secret) in enumerate(SHAPE_SAMPLES):
        other = secret[:-8] + secret[-8:].translate(_ROTATE)
        named = f"config {provider.split('-')[0].upper()}_TOKEN={secret} loaded"
        texts = [secret, f"auth failed for {secret}", f"auth failed for {other}", named]
        cases.append((f"p{index}", texts, [secret, other]))
    for index, (provider, value) in enumerate(KEYWORD_SAMPLES):
        texts = [f"{provider.upper()}_API_KEY={value}", f"config {provider}.secret: {value} loaded"]
        cases.append((f"k{index}", texts, [value]))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("providers")
    lines = []
    for service, texts, _ in CASES:
        lines.extend(json.dumps(_entry(service, n, text)) for n, text in enumerate(texts))
    source = tmp / "entries.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    workspace = tmp / "workspace"
    workspace.mkdir()
    inputs = {"MAX-NEW-ISSUES": "400", "MAX-OPERATIONS": "1600"}
    result = publish_through_action(workspace, source, inputs)
    result["_everything"] = everything_published(result)
    return result


def test_the_run_publishes_one_issue_per_provider(published: dict[str, Any]) -> None:
    assert published["code"] == 0
    assert len(published["titles"]) >= len(CASES)
    assert any(path.endswith("state.json") for path in published["files"])


@pytest.mark.parametrize(("service", "texts", "secrets"), CASES, ids=[c[0] for c in CASES])
def test_no_provider_secret_is_published_anywhere(
    service: str, texts: list[str], secrets: list[str], published: dict[str, Any]
) -> None:
    everything = published["_everything"]
    state = next(text for path, text in published["files"].items() if path.endswith("state.json"))
    for secret in secrets:
        assert leaked(secret, everything) == [], f"{service}: a fragment was published"
        assert leaked(secret, state) == [], f"{service}: a fragment is in state.json"
        titles = "\n".join(published["titles"])
        assert leaked(secret, titles) == [], f"{service}: a fragment is in a title"


def test_fixture_file_holds_no_sample(tmp_path: Path) -> None:
    """The samples exist only at run time: no source file of the tests spells one."""
    sources = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("*.py"))
    assert not any(secret in sources for _, _, secrets in CASES for secret in secrets)
