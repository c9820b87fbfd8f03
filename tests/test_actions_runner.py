"""The runner integration: escaping, outputs, job summary, masks and safe printing."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from log_gardener.adapters import actions_runner as ar


def parse_github_output(text: str) -> dict[str, str]:
    """What the runner does with $GITHUB_OUTPUT (heredoc form), written independently."""
    result: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        name, delimiter = line.split("<<", 1)
        value_lines = []
        while lines[index] != delimiter:
            value_lines.append(lines[index])
            index += 1
        index += 1
        result[name] = "\n".join(value_lines)
    return result


def is_command(line: str) -> bool:
    """The runner's test: after a .NET Trim, a line starting with "::" or "##[" is a command."""
    trimmed = line.strip()
    return trimmed.startswith("::") or trimmed.startswith("##[")


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k:v,w", "k:v,w", "k%3Av%2Cw"),
        ("%0A", "%250A", "%250A"),
        ("::x::", "::x::", "%3A%3Ax%3A%3A"),
    ],
)
def test_escaping_follows_the_toolkit(text: str, data: str, prop: str) -> None:
    assert ar.escape_data(text) == data
    assert ar.escape_property(text) == prop


@pytest.mark.parametrize(
    ("kind", "message", "title", "line"),
    [
        ("error", "boom", "", "::error::boom"),
        ("warning", "two\nlines", "T", "::warning title=T::two%0Alines"),
        (ar.AnnotationKind.NOTICE, "50% done", "a:b,c", "::notice title=a%3Ab%2Cc::50%25 done"),
    ],
)
def test_annotation_lines(kind: str, message: str, title: str, line: str) -> None:
    assert ar.annotation(kind, message, title=title) == line


def test_annotation_with_file_and_line() -> None:
    assert (
        ar.annotation("error", "bad", title="Config", file=".github/log-gardener.yml", line=3)
        == "::error title=Config,file=.github/log-gardener.yml,line=3::bad"
    )


def test_annotation_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        ar.annotation("fatal", "x")


def test_outputs_parse_back_multiline_and_hostile_values(tmp_path: Path) -> None:
    outputs = {
        "worklog-path": "worklog/2024-05-01T10-00Z.md",
        "clusters": "3",
        "report-path": "",
        "multi": "line one\nline two\n\nEOF\nname<<EOF",
        "commandish": "::add-mask::x",
    }
    out = tmp_path / "output"
    out.write_text("earlier=1\n", encoding="utf-8")  # an earlier step's output stays
    assert ar.write_outputs({"GITHUB_OUTPUT": str(out)}, outputs) is True
    text = out.read_text(encoding="utf-8")
    assert text.startswith("earlier=1\n")
    assert parse_github_output(text.removeprefix("earlier=1\n")) == outputs
    delimiters = re.findall(r"^[\w-]+<<(ghadelimiter_.*)$", text, flags=re.M)
    assert len(delimiters) == 5
    assert len(set(delimiters)) == 5
    for delimiter in delimiters:
        assert delimiter.startswith("ghadelimiter_")
        uuid.UUID(delimiter.removeprefix("ghadelimiter_"))


def test_outputs_exact_text_with_a_fixed_delimiter() -> None:
    text = ar.format_outputs({"a": "1", "b": "x\ny"}, new_delimiter=lambda: "D")
    assert text == "a<<D\n1\nD\nb<<D\nx\ny\nD\n"


def test_outputs_refuse_a_value_holding_the_delimiter() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        ar.format_outputs({"a": "xDx"}, new_delimiter=lambda: "D")


def test_outputs_refuse_a_bad_name() -> None:
    with pytest.raises(ValueError, match="invalid output name"):
        ar.format_outputs({"a<<b": "1"})


def test_outputs_outside_a_runner_write_nothing() -> None:
    assert ar.write_outputs({}, {"a": "1"}) is False


def test_unwritable_output_file_is_a_known_error(tmp_path: Path) -> None:
    with pytest.raises(ar.RunnerError, match=r"GITHUB_OUTPUT.*Fix: "):
        ar.write_outputs({"GITHUB_OUTPUT": str(tmp_path / "missing" / "out")}, {"a": "1"})


def test_summary_small_is_appended_whole(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    assert ar.append_step_summary({"GITHUB_STEP_SUMMARY": str(summary)}, "# Hi\n\n| a |") is True
    assert ar.append_step_summary({"GITHUB_STEP_SUMMARY": str(summary)}, "more\n") is True
    assert summary.read_text(encoding="utf-8") == "# Hi\n\n| a |\nmore\n"


def test_summary_is_capped_under_one_mebibyte_with_a_note(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("x" * 1000 + "\n", encoding="utf-8")  # the step wrote before us
    row = "| `fp` | é title | 12 | ▁▂▃▅▇ |\n"
    big = "# Run\n\n```\ncode\n" + row * 60_000
    ar.append_step_summary({"GITHUB_STEP_SUMMARY": str(summary)}, big)
    data = summary.read_bytes()
    assert len(data) <= ar.SUMMARY_LIMIT_BYTES
    assert len(data) > ar.SUMMARY_LIMIT_BYTES - 4096
    text = data.decode("utf-8")  # never cut inside a UTF-8 character
    body, note = text.split("\n> **Summary truncated:** ")
    assert body.endswith(row + "```\n")  # whole rows only; the open code block is closed
    dropped = int(note.split(" ", 1)[0])
    kept = len(body.encode("utf-8")) - 1001 - len("```\n")
    assert kept + dropped == len(big.encode("utf-8"))
    assert note.endswith("The full report is in the worklog file.\n")


def test_summary_when_the_file_is_already_full(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"y" * ar.SUMMARY_LIMIT_BYTES)
    ar.append_step_summary({"GITHUB_STEP_SUMMARY": str(summary)}, "more\n")
    assert summary.stat().st_size == ar.SUMMARY_LIMIT_BYTES


def test_summary_outside_a_runner_writes_nothing() -> None:
    assert ar.append_step_summary({}, "x") is False


HOSTILE = [
    "::add-mask::hunter2",
    "  ::stop-commands::resume-token",
    "\t::error file=x::owned",
    "##[set-output name=a;]b",
    "ok\n::warning::second line",
    "ok\r::notice::after a bare CR",
    "ok\u2028::debug::after a line separator",
    "\x1b[2K::group::after an ANSI erase",
    "\u00a0::endgroup::",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_printed_lines_never_form_a_command(text: str) -> None:
    stream = io.StringIO()
    ar.RunnerOutput(stream).print(text)
    lines = stream.getvalue().splitlines()
    assert lines
    assert not any(is_command(line) for line in lines)


def test_print_exact_neutralization() -> None:
    stream = io.StringIO()
    ar.RunnerOutput(stream).print("a ::b\n##[c\x1bd")
    assert stream.getvalue() == "a :\u200b:b\n#\u200b#[c\ufffdd\n"


@given(st.text())
def test_no_printed_text_forms_a_command(text: str) -> None:
    stream = io.StringIO()
    ar.RunnerOutput(stream).print(text)
    assert not any(is_command(line) for line in stream.getvalue().split("\n"))


def test_masks_are_printed_before_anything_else_and_scrub_later_lines() -> None:
    token = "gh" + "s_" + "A1b2C3d4E5f6G7h8I9j0"
    stream = io.StringIO()
    out = ar.RunnerOutput(stream, secrets=(token, ""))
    out.print(f"using {token}")
    out.error(f"denied for {token}", title="GitHubError")
    assert stream.getvalue().splitlines() == [
        f"::add-mask::{token}",
        "using ***",
        "::error title=GitHubError::denied for ***",
    ]


def test_multiline_secret_is_masked_whole_and_line_by_line() -> None:
    stream = io.StringIO()
    out = ar.RunnerOutput(stream)
    out.add_mask("line-one-secret\nline-two-secret%")
    out.add_mask("line-one-secret")  # already masked: not printed twice
    assert stream.getvalue().splitlines() == [
        "::add-mask::line-one-secret%0Aline-two-secret%25",
        "::add-mask::line-one-secret",
        "::add-mask::line-two-secret%25",
    ]


def test_module_level_add_mask_and_group() -> None:
    stream = io.StringIO()
    ar.add_mask("s3cr3t,value", stream)
    with pytest.raises(RuntimeError), ar.group("Fetch: a:b", stream):
        stream.write("inside\n")
        raise RuntimeError("boom")
    assert stream.getvalue().splitlines() == [
        "::add-mask::s3cr3t,value",
        "::group::Fetch: a:b",
        "inside",
        "::endgroup::",
    ]


def test_debug_and_notice_commands() -> None:
    stream = io.StringIO()
    out = ar.RunnerOutput(stream)
    out.debug("50%\nnext")
    out.notice("done", title="log-gardener")
    out.warning("careful")
    assert stream.getvalue().splitlines() == [
        "::debug::50%25%0Anext",
        "::notice title=log-gardener::done",
        "::warning::careful",
    ]


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"GITHUB_ACTIONS": "true"}, True), ({"GITHUB_ACTIONS": "false"}, False), ({}, False)],
)
def test_in_actions(env: dict[str, str], expected: bool) -> None:
    assert ar.in_actions(env) is expected
