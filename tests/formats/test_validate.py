"""The batch input validator: one fixture per kind of bad line, bytes-level cases, limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.errors import InputFileError
from batchtui.core.formats import (
    OPENAI_LIMITS,
    Limits,
    Problem,
    ValidationReport,
    validate_bytes,
    validate_file,
)
from batchtui.core.formats.validate import validate_stream
from batchtui.core.providers.kinds import limits_for_kind

FIXTURES = Path(__file__).parent / "fixtures" / "input"

CHAT = '"method": "POST", "url": "/v1/chat/completions"'
MESSAGES = '"messages": [{"role": "user", "content": "hi"}]'


def chat_line(custom_id: str, model: str = "m") -> str:
    return f'{{"custom_id": "{custom_id}", {CHAT}, "body": {{"model": "{model}", {MESSAGES}}}}}'


def chat_file(count: int, start: int = 1) -> bytes:
    return "".join(chat_line(f"r{i}") + "\n" for i in range(start, start + count)).encode()


def found(report: ValidationReport) -> set[tuple[int | None, str | None, str]]:
    return {(problem.line, problem.field, problem.code) for problem in report.problems}


@pytest.mark.parametrize(
    ("name", "lines", "endpoint", "model"),
    [
        ("valid_chat.jsonl", 3, "/v1/chat/completions", "gpt-4o-mini"),
        ("valid_embeddings.jsonl", 3, "/v1/embeddings", "text-embedding-3-small"),
        ("valid_completions.jsonl", 2, "/v1/completions", "gpt-3.5-turbo-instruct"),
        ("valid_responses.jsonl", 3, "/v1/responses", "gpt-4.1-mini"),
        ("valid_moderations.jsonl", 2, "/v1/moderations", None),
    ],
)
def test_valid_files_pass(name: str, lines: int, endpoint: str, model: str | None) -> None:
    report = validate_file(FIXTURES / name)

    assert report.problems == []
    assert report.ok
    assert (report.lines, report.endpoint, report.model) == (lines, endpoint, model)
    assert report.bytes == (FIXTURES / name).stat().st_size
    assert report.path == FIXTURES / name


BAD_FIXTURES = {
    "invalid_json.jsonl": {
        (2, None, "invalid_json_line"),
        (3, None, "invalid_json_line"),
        (4, None, "invalid_json_line"),
        (5, None, "invalid_json_line"),
    },
    "not_object.jsonl": {(line, None, "invalid_json_line") for line in (2, 3, 4, 5)},
    "custom_id.jsonl": {
        (2, "custom_id", "missing_custom_id"),
        (3, "custom_id", "invalid_custom_id"),
        (4, "custom_id", "invalid_custom_id"),
        (5, "custom_id", "duplicate_custom_id"),
        (7, "custom_id", "duplicate_custom_id"),
        (8, "custom_id", "invalid_custom_id"),
    },
    "method.jsonl": {
        (2, "method", "invalid_method"),
        (3, "method", "missing_method"),
        (4, "method", "invalid_method"),
    },
    "url.jsonl": {
        (2, "url", "missing_url"),
        (3, "url", "unsupported_url"),
        (4, "url", "url_mismatch"),
        (5, "url", "unsupported_url"),
        (6, "url", "unsupported_url"),
    },
    "body.jsonl": {
        (2, "body", "missing_body"),
        (3, "body", "invalid_body"),
        (4, "body", "invalid_body"),
        (5, "body", "invalid_body"),
        (6, "body", "missing_body"),
    },
    "model.jsonl": {
        (2, "body.model", "missing_model"),
        (3, "body.model", "model_mismatch"),
        (4, "body.model", "invalid_model"),
        (5, "body.model", "invalid_model"),
        (6, "body.model", "invalid_model"),
    },
    "chat_messages.jsonl": {
        (2, "body.messages", "missing_field"),
        (3, "body.messages", "invalid_field"),
        (4, "body.messages", "invalid_field"),
        (5, "body.messages[0]", "invalid_field"),
        (6, "body.messages[0].role", "missing_field"),
        (7, "body.messages[1].content", "missing_field"),
        (8, "body.messages[0].content", "invalid_field"),
        (9, "body.messages[0].content", "invalid_field"),
        (10, "body.messages[0].role", "invalid_field"),
    },
    "stream.jsonl": {(2, "body.stream", "stream_not_supported")},
    "embeddings_input.jsonl": {
        (2, "body.input", "missing_field"),
        (3, "body.input", "invalid_field"),
        (4, "body.input", "invalid_field"),
        (5, "body.input", "invalid_field"),
    },
    "completions_prompt.jsonl": {
        (2, "body.prompt", "missing_field"),
        (3, "body.prompt", "invalid_field"),
    },
    "responses_input.jsonl": {
        (2, "body.input", "missing_field"),
        (3, "body.input", "invalid_field"),
    },
}


@pytest.mark.parametrize("name", sorted(BAD_FIXTURES))
def test_each_bad_line_is_reported_with_its_line_and_field(name: str) -> None:
    report = validate_file(FIXTURES / name)

    assert found(report) == BAD_FIXTURES[name]
    assert not report.ok
    assert report.error_count == len(BAD_FIXTURES[name])
    assert all(problem.severity == "error" and problem.message for problem in report.problems)


def test_every_problem_is_found_in_one_pass() -> None:
    report = validate_file(FIXTURES / "many_problems.jsonl")

    assert found(report) == {
        (2, "custom_id", "duplicate_custom_id"),
        (2, "method", "invalid_method"),
        (3, None, "invalid_json_line"),
        (4, None, "blank_line"),
        (5, "body.model", "model_mismatch"),
        (5, "body.stream", "stream_not_supported"),
        (6, "url", "url_mismatch"),
        (7, "body.messages", "invalid_field"),
        (8, None, "invalid_json_line"),
    }
    assert [problem.line for problem in report.problems] == sorted(
        problem.line or 0 for problem in report.problems
    )
    assert report.lines == 7  # the blank line is not a request


def test_messages_name_what_is_wrong_and_where() -> None:
    by_code: dict[str, Problem] = {}
    for name in ("custom_id.jsonl", "url.jsonl", "model.jsonl", "invalid_json.jsonl"):
        for problem in validate_file(FIXTURES / name).problems:
            by_code.setdefault(problem.code, problem)

    assert by_code["duplicate_custom_id"].message == "custom_id 'a' already used on line 1"
    assert "on line 1" in by_code["url_mismatch"].message
    assert "'/v1/chat/completions'" in by_code["url_mismatch"].message
    assert by_code["model_mismatch"].message.startswith("body.model 'other' differs from 'm'")
    assert "column" in by_code["invalid_json_line"].message
    problem = by_code["duplicate_custom_id"]
    assert problem.describe("in.jsonl") == "in.jsonl:5: custom_id 'a' already used on line 1"


def test_invalid_json_names_the_column() -> None:
    report = validate_bytes(b'{"custom_id": "a" "method": "POST"}\n')

    assert report.problems[0].code == "invalid_json_line"
    assert "column 19" in report.problems[0].message


def test_utf8_bom_is_an_error_and_the_line_is_still_checked() -> None:
    report = validate_bytes(b"\xef\xbb\xbf" + chat_file(1) + chat_line("r1").encode() + b"\n")

    assert found(report) == {(1, None, "bom"), (2, "custom_id", "duplicate_custom_id")}


def test_bytes_that_are_not_utf8_name_the_column() -> None:
    line = chat_line("caf\xe9").encode("latin-1")
    report = validate_bytes(chat_file(1) + line + b"\n")

    assert found(report) == {(2, None, "not_utf8")}
    column = line.index(b"\xe9") + 1
    assert f"column {column} (0xe9)" in report.problems[0].message


def test_utf16_file_is_named_as_such() -> None:
    report = validate_bytes(chat_file(2).decode().encode("utf-16"))

    assert (1, None, "not_utf8") in found(report)
    assert any("UTF-16" in problem.message for problem in report.problems)
    assert not report.ok


def test_crlf_is_one_warning_for_the_whole_file() -> None:
    report = validate_bytes(chat_file(3).replace(b"\n", b"\r\n"))

    assert report.ok
    assert found(report) == {(1, None, "crlf")}
    assert report.problems[0].severity == "warning"
    assert report.problems[0].message.startswith("3 lines end with CRLF")
    assert report.warning_count == 1 and report.error_count == 0


def test_blank_lines_are_errors_but_a_final_newline_is_not() -> None:
    data = chat_file(1) + b"\n   \n" + chat_file(1, start=2) + b"\n"

    report = validate_bytes(data)

    assert found(report) == {
        (2, None, "blank_line"),
        (3, None, "blank_line"),
        (5, None, "blank_line"),
    }
    assert report.lines == 2


def test_last_line_without_newline_is_checked() -> None:
    report = validate_bytes(chat_file(1) + chat_line("r1").encode())

    assert found(report) == {(2, "custom_id", "duplicate_custom_id")}


@pytest.mark.parametrize(
    ("data", "message"), [(b"", "file is empty"), (b"\n\n", "file has no requests")]
)
def test_empty_file(data: bytes, message: str) -> None:
    report = validate_bytes(data)

    assert not report.ok
    assert report.lines == 0
    empty = [problem for problem in report.problems if problem.code == "empty_file"]
    assert [(problem.line, problem.message) for problem in empty] == [(None, message)]


def test_file_and_request_count_limits() -> None:
    limits = Limits(name="Tiny", max_file_bytes=300, max_requests=2)
    data = chat_file(3)

    report = validate_bytes(data, limits=limits)

    assert found(report) == {(None, None, "file_too_large"), (3, None, "too_many_tasks")}
    messages = {problem.code: problem.message for problem in report.problems}
    assert f"({len(data):,} bytes)" in messages["file_too_large"]
    assert "Tiny takes at most 300 bytes" in messages["file_too_large"]
    assert messages["too_many_tasks"].startswith("file has 3 requests; Tiny takes at most 2")
    assert validate_bytes(chat_file(2), limits=limits).ok


@pytest.mark.parametrize("chunk_bytes", [7, 64, 4096])
def test_a_line_over_the_limit_is_reported_and_the_next_still_checked(chunk_bytes: int) -> None:
    limits = Limits(name="Tiny", max_line_bytes=200)
    long_line = chat_line("x" * 300).encode()
    data = chat_file(1) + long_line + b"\n" + chat_line("r1").encode() + b"\n" + long_line

    report = validate_stream(
        _Reader(data), limits=limits, chunk_bytes=chunk_bytes, total_bytes=len(data)
    )

    assert found(report) == {
        (2, None, "line_too_long"),
        (3, "custom_id", "duplicate_custom_id"),
        (4, None, "line_too_long"),
    }
    assert f"({len(long_line):,} bytes)" in report.problems[0].message
    assert report.lines == 4


def test_embedding_inputs_are_counted_across_lines() -> None:
    limits = Limits(name="Tiny", max_embedding_inputs=5)
    # "hello" is 1 input, a list of 3 strings is 3, a token list is 1: 5 in all.
    data = (FIXTURES / "valid_embeddings.jsonl").read_bytes()

    assert validate_bytes(data, limits=limits).ok
    more = data + b'{"custom_id":"e4","method":"POST","url":"/v1/embeddings",'
    more += b'"body":{"model":"text-embedding-3-small","input":"again"}}\n'
    report = validate_bytes(more, limits=limits)
    assert found(report) == {(None, "body.input", "too_many_embedding_inputs")}
    assert report.problems[0].message.startswith("file has 6 embedding inputs")


def test_endpoints_are_limited_per_provider() -> None:
    limits = Limits(name="Gateway", endpoints=("/v1/chat/completions",))
    data = (FIXTURES / "valid_embeddings.jsonl").read_bytes()

    report = validate_bytes(data, limits=limits)

    assert {problem.code for problem in report.problems} == {"unsupported_url"}
    assert "Gateway supports (/v1/chat/completions)" in report.problems[0].message


def test_limits_by_provider_kind() -> None:
    assert limits_for_kind("openai") is OPENAI_LIMITS
    assert limits_for_kind(None) is OPENAI_LIMITS
    assert OPENAI_LIMITS.max_requests == 50_000
    assert OPENAI_LIMITS.max_file_bytes == 200_000_000
    assert "/v1/responses" in OPENAI_LIMITS.endpoints


def test_problems_are_capped_but_all_counted() -> None:
    data = chat_file(1) + b"{bad\n" * 5_000
    limits = Limits(name="Tiny", max_requests=10)

    report = validate_bytes(data, limits=limits, max_problems=100)

    assert report.problem_count == 5_001  # 5,000 bad lines + too many tasks
    assert len(report.problems) == 101  # the file-level problem is kept beyond the cap
    assert report.truncated
    assert report.counts_by_code == {"invalid_json_line": 5_000, "too_many_tasks": 1}
    over = [problem for problem in report.problems if problem.code == "too_many_tasks"]
    assert [problem.line for problem in over] == [11]  # the 11th request
    assert report.problems[-1].line == 101  # the first 100 line problems are the ones kept


def test_to_json_shape() -> None:
    report = validate_file(FIXTURES / "stream.jsonl")

    payload = json.loads(json.dumps(report.to_json()))

    assert payload["ok"] is False
    assert payload["lines"] == 3
    assert payload["problems"] == [
        {
            "line": 2,
            "field": "body.stream",
            "message": "stream: true is not supported in a batch; remove it",
            "code": "stream_not_supported",
            "severity": "error",
        }
    ]
    assert payload["endpoint"] == "/v1/chat/completions"
    assert payload["truncated"] is False


def test_progress_reports_bytes_read_up_to_the_total(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(chat_file(200))
    calls: list[tuple[int, int | None]] = []

    validate_file(path, progress=lambda done, total: calls.append((done, total)))

    assert calls[-1] == (path.stat().st_size, path.stat().st_size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_cancel_stops_the_pass_and_the_report_is_not_ok() -> None:
    data = chat_file(500)
    chunks_read = 0

    def cancel() -> bool:
        return chunks_read >= 2

    def count_chunks(done: int, total: int | None) -> None:
        nonlocal chunks_read
        chunks_read += 1

    report = validate_stream(_Reader(data), progress=count_chunks, cancel=cancel, chunk_bytes=1024)

    assert report.cancelled
    assert not report.ok
    assert report.bytes == 2048
    assert 0 < report.lines < 500
    assert report.problems == []


def test_unreadable_files_raise_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"missing\.jsonl: cannot read: No such file"):
        validate_file(tmp_path / "missing.jsonl")
    with pytest.raises(InputFileError, match="is a directory"):
        validate_file(tmp_path)


class _Reader:
    """A binary stream that returns at most `size` bytes per read, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.position + size
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk


@pytest.mark.parametrize("depth", [500, 990, 5_000])
def test_deep_nesting_is_a_problem_not_a_crash(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    data = f'{{"custom_id": "a", "method": {nested}, "url": {nested}}}\n{nested}\n'.encode()

    report = validate_bytes(data)

    assert not report.ok
    assert {problem.line for problem in report.problems} >= {1, 2}
