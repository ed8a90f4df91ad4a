"""Retry inputs: failed and unfinished requests, copied byte for byte, in input order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.errors import BatchtuiError
from batchtui.core.resultfile import ResultSet
from batchtui.core.retry_input import build_retry_input


def ok_line(custom_id: str) -> str:
    body = {"choices": [{"message": {"content": "fine"}, "finish_reason": "stop"}]}
    return json.dumps(
        {"custom_id": custom_id, "response": {"status_code": 200, "body": body}, "error": None}
    )


def bad_line(custom_id: str, code: str = "rate_limit") -> str:
    return json.dumps(
        {"custom_id": custom_id, "response": None, "error": {"code": code, "message": "no"}}
    )


def files(tmp_path: Path, name: str, lines: list[str]) -> ResultSet:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return ResultSet([path])


def test_retry_input_has_the_failed_and_never_run_requests_byte_for_byte(tmp_path: Path):
    # Odd spacing, CRLF, unicode and a last line without newline must survive as they are.
    lines = [
        b'{"custom_id":"a","body":{"x":1}}\n',
        b'{ "custom_id" : "b", "body": {"t": "caf\xc3\xa9"} }\r\n',
        b'{"custom_id": "c", "body": {}}\n',
        b'{"custom_id": "d", "body": {}}\n',
        b'{"custom_id": "b", "body": {"dup": true}}\n',
        b'{"custom_id": "e", "body": {}}',
    ]
    inputs = tmp_path / "input.jsonl"
    inputs.write_bytes(b"".join(lines))
    output = files(tmp_path, "output.jsonl", [ok_line("a"), ok_line("d")])
    errors = files(tmp_path, "errors.jsonl", [bad_line("b"), bad_line("c", "batch_expired")])
    report = build_retry_input(inputs, [output, errors], tmp_path / "retry.jsonl")
    assert report is not None
    assert (tmp_path / "retry.jsonl").read_bytes() == lines[1] + lines[2] + lines[5]
    assert (report.failed, report.never_ran, report.succeeded, report.written) == (1, 2, 2, 3)
    assert report.requests == 5 and report.duplicates == 1
    assert "3 of 5 requests to retry" in report.describe()

    # A retry that fixed b and c: only e (never ran anywhere) is left.
    retry = files(tmp_path, "retry-out.jsonl", [ok_line("b"), ok_line("c"), bad_line("zz")])
    again = build_retry_input(inputs, [output, errors, retry], tmp_path / "retry2.jsonl")
    assert again is not None and again.unmatched_results == 1
    assert (tmp_path / "retry2.jsonl").read_bytes() == lines[5]


def test_nothing_to_retry_writes_nothing(tmp_path: Path):
    inputs = tmp_path / "input.jsonl"
    inputs.write_text('{"custom_id": "a"}\n')
    report = build_retry_input(
        inputs, [files(tmp_path, "o.jsonl", [ok_line("a")])], tmp_path / "retry.jsonl"
    )
    assert report is not None and report.written == 0 and report.path is None
    assert not (tmp_path / "retry.jsonl").exists()


def test_refuses_to_overwrite_the_input_and_stops_when_cancelled(tmp_path: Path):
    inputs = tmp_path / "input.jsonl"
    inputs.write_text("".join(f'{{"custom_id": "r{n}"}}\n' for n in range(5000)))
    results = files(tmp_path, "o.jsonl", [bad_line("r1")])
    with pytest.raises(BatchtuiError, match="overwrite the original input"):
        build_retry_input(inputs, [results], inputs)
    calls = 0

    def cancel_late() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    target = tmp_path / "retry.jsonl"
    assert build_retry_input(inputs, [results], target, cancel=cancel_late) is None
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.jsonl", "o.jsonl"]
