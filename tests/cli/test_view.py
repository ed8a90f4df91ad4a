"""`batchtui view FILE`: a wrong file is one line naming the file and line, before any TUI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CLI, request_line
from .test_import_hygiene import TUI, loaded_after

RESULT = {
    "id": "batch_req_1",
    "custom_id": "a",
    "response": {"status_code": 200, "body": {"choices": [{"message": {"content": "hi"}}]}},
    "error": None,
}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "{path}: no such file"),
        (b"\n\n{not json\n", "{path}:3: not JSON (Expecting property name enclosed in double "),
        (b"[1, 2]\n", "{path}:1: result line is not a JSON object"),
        (b'{"answer": 42}\n', "{path}:1: unknown result line shape (keys: answer)"),
        (b"\x00\x01binary", "{path}: a binary file, not JSONL results"),
    ],
    ids=["missing", "not-json", "not-object", "unknown-shape", "binary"],
)
def test_bad_file_is_one_line_naming_it(
    cli: CLI, tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "out.jsonl"
    if content is not None:
        path.write_bytes(content)
    result = cli("view", str(path))
    assert result.code == 1
    assert result.one_error_line().startswith("batchtui: error: " + expected.format(path=path))


def test_a_directory_and_a_missing_input_are_named(cli: CLI, tmp_path: Path) -> None:
    result = cli("view", str(tmp_path))
    assert result.code == 1 and "a directory, not a results file" in result.one_error_line()
    good = tmp_path / "out.jsonl"
    good.write_text(json.dumps(RESULT) + "\n")
    result = cli("view", str(good), "--input", str(tmp_path / "gone.jsonl"))
    assert result.code == 1
    assert f"{tmp_path / 'gone.jsonl'}: no such input file (--input)" in result.one_error_line()


def test_a_good_file_without_a_terminal_says_what_to_use(cli: CLI, tmp_path: Path) -> None:
    good = tmp_path / "out.jsonl"
    good.write_text(json.dumps(RESULT) + "\n")
    result = cli("view", str(good))
    assert result.code == 2
    assert f"`batchtui results {good}`" in result.one_error_line()


def test_a_request_file_is_accepted_read_only(cli: CLI, tmp_path: Path) -> None:
    requests = tmp_path / "in.jsonl"
    requests.write_text(request_line("a", "hi") + "\n")
    result = cli("view", str(requests))
    assert result.code == 2  # checked and accepted: only the missing terminal stops it
    assert "the viewer needs a terminal" in result.one_error_line()


def test_view_is_listed_in_help(cli: CLI) -> None:
    assert "view" in cli("--help").stdout
    assert "/ search" in cli("view", "--help").stdout


def test_a_bad_file_loads_no_tui(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("nope\n")
    assert loaded_after(["view", str(path)], TUI) == []


@pytest.mark.parametrize(
    "line",
    [
        {"key": "k1", "response": {"candidates": [{"content": {"parts": [{"text": "hi"}]}}]}},
        {
            "request": {"contents": [{"role": "user", "parts": [{"text": "q"}]}]},
            "response": {"candidates": [{"content": {"parts": [{"text": "a"}]}}]},
            "status": "",
        },
    ],
    ids=["gemini-file", "vertex-row"],
)
def test_gemini_and_vertex_outputs_are_accepted(cli: CLI, tmp_path: Path, line: dict) -> None:
    path = tmp_path / "predictions.jsonl"
    path.write_text(json.dumps(line) + "\n")
    result = cli("view", str(path))
    assert result.code == 2 and "the viewer needs a terminal" in result.one_error_line()
