"""Result lines of every provider shape, read into ResultRecords."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.formats.results import (
    iter_result_records,
    parse_result_line,
    read_result_file,
)

FIXTURES = Path(__file__).parent / "fixtures" / "results"
LONG_ID = "Shared-Prefix/That Is Longer Than Sixty-Three Characters, With Capitals #42"

FIELDS = (
    "custom_id",
    "ok",
    "status_code",
    "text",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "error_code",
    "error_message",
)


def ok_row(custom_id: str, text: str | None, finish: str | None, *tokens: int | None) -> tuple:
    return (custom_id, True, 200, text, finish, *tokens, None, None)


def google_ok(custom_id: str, text: str | None, finish: str | None, *tokens: int | None) -> tuple:
    return (custom_id, True, None, text, finish, *tokens, None, None)


def failed(custom_id: str | None, status: int | None, code: str | None, message: str) -> tuple:
    return (custom_id, False, status, None, None, None, None, None, code, message)


EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    "openai_output.jsonl": [
        ok_row("request-2", "2 + 2 equals 4.", "stop", 24, 15, 39),
        ok_row("parts", "Hello, world", "length", 5, 2, 7),
        ok_row("tools", None, "tool_calls", 9, 3, 12),
        ok_row("refusal", "I can't help with that.", "stop", None, None, None),
        ok_row("completion", "This is a test.", "stop", 5, 5, 10),
        ok_row("responses", "Hi there!", "stop", 8, 4, 12),
        ok_row("responses-cut", "Once upon", "length", 8, 16, 24),
        ok_row("embedding", None, None, 1, None, 1),
    ],
    "openai_errors.jsonl": [
        failed("bad-model", 400, "model_not_found", "The model `gpt-9` does not exist."),
        failed(
            "late",
            None,
            "batch_expired",
            "This request could not be executed before the completion window expired.",
        ),
        failed("oops", 500, None, "request failed with HTTP 500"),
        failed("no-code", 429, "rate_limit_error", "Rate limit"),
    ],
    "portkey_vertex_output.jsonl": [
        ok_row("request-1", "Paris", "stop", 6, 1, 7),
        failed("request-2", None, "INVALID_ARGUMENT", "Request contains an invalid argument."),
        failed("request-3", None, None, "quota exceeded"),
    ],
    "litellm_vertex_output.jsonl": [
        ok_row("request-1", "42", "stop", 3, 1, 4),
        failed(
            "request-2",
            None,
            "vertex_ai_error",
            '{"error": {"code": 400, "message": "bad"}}',
        ),
    ],
    "gemini_file_output.jsonl": [
        google_ok("request_1", "AI learns patterns.", "stop", 8, 12, 20),
        failed("request_2", 400, "INVALID_ARGUMENT", "Invalid JSON payload."),
        failed("request_3", None, "3", "Bad request."),
        # Thought parts are not the answer; thought tokens count as completion tokens.
        google_ok("request_4", "Short.", "length", 4, 32, 36),
    ],
    "gemini_inline_output.jsonl": [
        google_ok("request-1", "Inline answer", "stop", 2, 2, 4),
        failed("request-2", None, "3", "Bad thing"),
    ],
    "vertex_predictions.jsonl": [
        google_ok("request-1", "Hello!", "stop", 10, 20, 30),
        failed(
            "request-2",
            None,
            None,
            'Bad Request: {"error": {"code": 400, "message": "Please use a valid role: '
            'user, model.", "status": "INVALID_ARGUMENT"}}',
        ),
        failed("request-3", 429, "RESOURCE_EXHAUSTED", "Resource exhausted"),
        google_ok(LONG_ID, "Long id ok", "content_filter", None, None, None),
        (
            "portkey-7",
            False,
            None,
            None,
            None,
            5,
            None,
            5,
            "prompt_blocked",
            "prompt blocked: SAFETY",
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_provider_shape(name: str) -> None:
    path = FIXTURES / name
    lines = path.read_bytes().splitlines()

    records = list(read_result_file(path))

    assert [tuple(getattr(record, f) for f in FIELDS) for record in records] == EXPECTED[name]
    assert [record.raw for record in records] == [line.decode() for line in lines]


@pytest.mark.parametrize(
    ("finish", "expected"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "malformed_function_call"),
    ],
)
def test_google_finish_reasons_map_to_openai_names(finish: str, expected: str) -> None:
    line = (
        '{"key": "k", "response": {"candidates": [{"content": {"parts": [{"text": "x"}]}, '
        f'"finishReason": "{finish}"}}]}}}}'
    )

    assert parse_result_line(line).finish_reason == expected


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (b"", "empty_line", "result line is empty"),
        (b"{not json", "invalid_json", "result line is not valid JSON: "),
        (b"[1, 2]", "unknown_shape", "result line is not a JSON object"),
        (b'{"foo": 1, "bar": 2}', "unknown_shape", "unknown result line shape (keys: foo, bar)"),
        (b'{"custom_id": "x"}', "unknown_shape", "unknown result line shape (keys: custom_id)"),
    ],
)
def test_lines_that_are_not_results(line: bytes, code: str, message: str) -> None:
    record = parse_result_line(line)

    assert not record.ok
    assert record.error_code == code
    assert record.error_message is not None and record.error_message.startswith(message)
    assert record.raw == line.decode()


def test_unknown_shape_keeps_a_string_custom_id() -> None:
    assert parse_result_line(b'{"custom_id": "x", "result": {}}').custom_id == "x"


def test_bytes_that_are_not_utf8_are_replaced_not_fatal() -> None:
    line = b'{"custom_id": "caf\xe9", "response": {"status_code": 200, "body": {}}, "error": null}'

    record = parse_result_line(line + b"\r\n")

    assert record.ok
    assert record.custom_id == "caf\ufffd"
    assert record.raw == line.decode("utf-8", errors="replace")


def test_lone_surrogates_never_reach_the_record() -> None:
    record = parse_result_line(
        '{"custom_id": "a\\ud800", "response": {"status_code": 200, "body": '
        '{"choices": [{"message": {"content": "b\\udfff"}}]}}, "error": null}'
    )

    assert record.custom_id == "a?"
    assert record.text == "b?"
    record.model_dump_json()


def test_google_int64_counts_arrive_as_strings() -> None:
    record = parse_result_line(
        '{"key": "k", "response": {"candidates": [{"content": {"parts": [{"text": "x"}]}}], '
        '"usageMetadata": {"promptTokenCount": "7", "candidatesTokenCount": "3", '
        '"totalTokenCount": "10"}}}'
    )

    assert (record.prompt_tokens, record.completion_tokens, record.total_tokens) == (7, 3, 10)


def test_iter_result_records_skips_blank_lines_and_mixes_shapes() -> None:
    lines = [
        b'{"custom_id": "a", "response": {"status_code": 200, "body": {}}, "error": null}\n',
        b"\n",
        '{"key": "b", "error": {"code": 400, "message": "no"}}',
        "   ",
    ]

    records = list(iter_result_records(lines))

    assert [(record.custom_id, record.ok) for record in records] == [("a", True), ("b", False)]


@pytest.mark.parametrize("depth", [10, 500, 950, 990, 1_000, 5_000])
def test_deep_nesting_is_a_record_not_a_crash(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    line = f'{{"custom_id": "a", "response": null, "error": {nested}}}'

    record = parse_result_line(line)

    assert not record.ok
    assert record.error_message


def test_label_chunk_numbers_too_long_for_int_are_ignored() -> None:
    huge = "1" * 5_000
    line = (
        '{"request": {"labels": {"litellm_custom_id_raw": "b32_mfrgg", '
        f'"litellm_custom_id_raw_{huge}": "b32_x"}}}}, "status": ""}}'
    )

    assert parse_result_line(line).custom_id == "abc"  # base32 of "abc", the first chunk


def test_the_validator_does_not_load_pydantic_but_the_parser_is_exported() -> None:
    code = (
        "import sys\n"
        "import batchtui.core.formats as formats\n"
        "assert 'pydantic' not in sys.modules, 'validator loaded pydantic'\n"
        "assert formats.iter_result_records is formats.results.iter_result_records\n"
    )

    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


def test_portkey_empty_string_error_is_no_error() -> None:
    """Portkey's /output writes `"error": ""` on rows that succeeded (Portkey-AI/gateway)."""
    line = (
        '{"id": "r1", "custom_id": "a", "error": "", "response": {"status_code": 200, '
        '"body": {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]}}}'
    )
    record = parse_result_line(line)
    assert record.ok
    assert record.text == "hi"
    assert record.error_message is None
