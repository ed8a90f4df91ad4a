"""Merging a job's results with its retries, joining prompts, and exporting rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtui.core.errors import UsageError
from batchtui.core.export import export_records
from batchtui.core.outcomes import NO_RESULT_CODE, merge_result_sets
from batchtui.core.request_index import RequestIndex
from batchtui.core.resultfile import ResultSet


def request(custom_id: str, prompt: str = "hi") -> dict:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]},
    }


def success(custom_id: str, text: str = "ok", prompt_tokens: int = 3) -> dict:
    body = {
        "model": "gpt-4o-mini",
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 2, "total_tokens": 5},
    }
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {"status_code": 200, "request_id": "r", "body": body},
        "error": None,
    }


def failure(custom_id: str, code: str = "server_error") -> dict:
    if code in ("batch_expired", "batch_cancelled"):
        return {
            "id": "x",
            "custom_id": custom_id,
            "response": None,
            "error": {"code": code, "message": "This request could not be executed."},
        }
    return {
        "id": "x",
        "custom_id": custom_id,
        "response": {
            "status_code": 500,
            "request_id": "r",
            "body": {"error": {"message": "boom", "code": code}},
        },
        "error": None,
    }


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def result_set(tmp_path: Path, name: str, rows: list[dict]) -> ResultSet:
    return ResultSet([jsonl(tmp_path / f"{name}.jsonl", rows)])


def test_request_index_finds_every_id_and_keeps_the_first_duplicate(tmp_path: Path):
    ids = [f"id-{n}" for n in range(3000)] + ["id-7"]
    path = jsonl(tmp_path / "in.jsonl", [request(i, f"p{n}") for n, i in enumerate(ids)])
    with path.open("ab") as handle:
        handle.write(b"not json\n\n")
    index = RequestIndex.build(path)
    assert index is not None
    assert len(index) == 3000 and index.duplicates == 1 and index.without_id == 1
    assert index.line_of("id-2999") == 2999 and index.line_of("id-7") == 7
    assert "id-0" in index and "nope" not in index and index.request("nope") is None
    assert json.loads(index.request("id-5"))["body"]["messages"][0]["content"] == "p5"
    assert index.is_first("id-7", 7) and not index.is_first("id-7", 3000)
    assert RequestIndex.build(tmp_path / "in.jsonl", cancel=lambda: True) is None


def test_latest_success_wins_and_every_request_gets_one_row(tmp_path: Path):
    inputs = jsonl(tmp_path / "in.jsonl", [request(f"r{n}", f"prompt {n}") for n in range(6)])
    parent = result_set(
        tmp_path,
        "parent",
        [
            success("r0", "first"),
            failure("r1"),
            failure("r2", "batch_expired"),
            success("r3", "kept"),
            failure("r4"),
        ],
    )  # r5 never got a result
    retry = result_set(
        tmp_path,
        "retry",
        [
            success("r1", "fixed"),
            failure("r2"),
            failure("r3"),
            success("r0", "again"),
            {"id": "junk"},
        ],
    )
    requests = RequestIndex.build(inputs)
    merged = merge_result_sets([parent, retry], requests)
    assert merged is not None
    records = list(merged.records())
    assert [r.custom_id for r in records] == [f"r{n}" for n in range(6)]
    by_id = {r.custom_id: r for r in records}
    assert by_id["r0"].text == "again"  # the later success
    assert by_id["r1"].text == "fixed"
    assert by_id["r2"].error_code == "server_error"  # the later failure
    assert by_id["r3"].text == "kept"  # a later failure never hides a success
    assert not by_id["r4"].ok
    assert by_id["r5"].error_code == NO_RESULT_CODE
    counts = merged.counts
    assert (counts.succeeded, counts.failed, counts.not_run) == (3, 2, 1)
    assert counts.unmatched == 1


def test_merge_without_input_keeps_first_seen_order(tmp_path: Path):
    parent = result_set(tmp_path, "p", [failure("b"), success("a", "one")])
    child = result_set(tmp_path, "c", [success("b", "two"), failure("a")])
    merged = merge_result_sets([parent, child])
    assert merged is not None
    assert [(r.custom_id, r.text) for r in merged.records()] == [("b", "two"), ("a", "one")]


@settings(max_examples=40, deadline=None)
@given(
    attempts=st.lists(
        st.lists(st.tuples(st.integers(0, 9), st.booleans()), max_size=12), min_size=1, max_size=4
    )
)
def test_merge_semantics_for_any_attempts(tmp_path_factory, attempts):
    tmp = tmp_path_factory.mktemp("m")
    inputs = jsonl(tmp / "in.jsonl", [request(f"r{n}") for n in range(10)])
    sets = []
    for number, attempt in enumerate(attempts):
        rows = [success(f"r{n}", f"s{number}") if ok else failure(f"r{n}") for n, ok in attempt]
        sets.append(result_set(tmp, f"set{number}", rows))
    merged = merge_result_sets(sets, RequestIndex.build(inputs))
    assert merged is not None
    records = list(merged.records())
    assert [r.custom_id for r in records] == [f"r{n}" for n in range(10)]
    for n, record in enumerate(records):
        outcomes = [(i, ok) for i, attempt in enumerate(attempts) for m, ok in attempt if m == n]
        successes = [i for i, ok in outcomes if ok]
        if successes:
            assert record.ok and record.text == f"s{successes[-1]}"
        elif outcomes:
            assert not record.ok and record.error_code == "server_error"
        else:
            assert record.error_code == NO_RESULT_CODE


def test_export_jsonl_and_csv_with_prompts(tmp_path: Path):
    inputs = jsonl(tmp_path / "in.jsonl", [request("a", 'say "hi",\nplease'), request("b")])
    results = result_set(tmp_path, "out", [success("a", "hello, world\nbye"), failure("b")])
    requests = RequestIndex.build(inputs)
    merged = merge_result_sets([results], requests)
    assert merged is not None and requests is not None
    summary = export_records(merged.records(), tmp_path / "x.jsonl", "jsonl", requests)
    assert (summary.rows, summary.succeeded, summary.failed) == (2, 1, 1)
    rows = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert rows[0]["custom_id"] == "a" and rows[0]["response"] == "hello, world\nbye"
    assert rows[0]["prompt"] == 'user: say "hi",\nplease'
    assert rows[0]["prompt_tokens"] == 3 and rows[0]["finish_reason"] == "stop"
    assert rows[1]["ok"] is False and rows[1]["error"] == "boom"

    buffer = io.BytesIO()
    export_records(merge_result_sets([results], requests).records(), buffer, "csv", requests)
    table = list(csv.DictReader(io.StringIO(buffer.getvalue().decode())))
    assert [row["custom_id"] for row in table] == ["a", "b"]
    assert table[0]["response"] == "hello, world\nbye" and table[0]["ok"] == "True"
    assert table[1]["error_code"] == "server_error" and table[1]["response"] == ""


def test_export_leaves_no_partial_file(tmp_path: Path):
    target = tmp_path / "x.csv"

    def records():
        yield from result_set(tmp_path, "out", [success("a")]).records()
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        export_records(records(), target, "csv")
    assert list(tmp_path.iterdir()) == [tmp_path / "out.jsonl"]
    with pytest.raises(UsageError, match="xml"):
        export_records([], target, "xml")  # type: ignore[arg-type]
