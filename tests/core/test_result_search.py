"""Less-like search over results: regex and smart case, answers and prompts, n/N stepping."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.lineindex import LineIndex
from batchtui.core.result_search import (
    SearchError,
    SearchPattern,
    next_match,
    prompt_matching_ids,
    search_rows,
)
from batchtui.core.resultfile import RecordBuffer, ResultSet, parse_record


def ok_line(custom_id: str, answer: str) -> dict[str, Any]:
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {
            "status_code": 200,
            "body": {"choices": [{"message": {"content": answer}, "finish_reason": "stop"}]},
        },
        "error": None,
    }


def failed_line(custom_id: str, message: str) -> dict[str, Any]:
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {"status_code": 400, "body": {"error": {"message": message}}},
        "error": None,
    }


def gemini_line(key: str, answer: str) -> dict[str, Any]:
    return {
        "key": key,
        "response": {
            "candidates": [{"content": {"parts": [{"text": answer}]}, "finishReason": "STOP"}]
        },
    }


def request_line(custom_id: str, question: str) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "m", "messages": [{"role": "user", "content": question}]},
    }


def write(path: Path, lines: list[dict[str, Any]], *, ensure_ascii: bool = True) -> Path:
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=ensure_ascii) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def results(tmp_path: Path) -> ResultSet:
    lines = [
        ok_line("a1", "Paris is the capital."),
        ok_line("a2", 'He said "bonjour"\nthen left.'),
        failed_line("a3", "Invalid value for max_tokens"),
        ok_line("a4", "Zürich is not a capital."),
        ok_line("a5", "nothing here"),
        gemini_line("g6", "The PARIS metro"),
    ]
    result_set = ResultSet([write(tmp_path / "out.jsonl", lines)])
    yield result_set
    result_set.close()


def rows_for(source: Any, text: str, **options: Any) -> list[int]:
    rows = search_rows(source, SearchPattern.compile(text), **options)
    assert rows is not None
    return list(rows)


def test_smart_case_like_less(results: ResultSet) -> None:
    assert rows_for(results, "paris") == [0, 5]  # lower case: any case
    assert rows_for(results, "Paris") == [0]  # a capital: exact case
    assert rows_for(results, "PARIS") == [5]


def test_regex_over_the_shown_text_not_the_json(results: ResultSet) -> None:
    assert rows_for(results, r"^then left\.$") == [1]  # the answer's own line break
    assert rows_for(results, r'"bonjour"') == [1]  # quotes escaped in the raw line
    assert rows_for(results, r"z.rich") == [3]  # non-ASCII written as \u00fc
    assert rows_for(results, r"capital\.$") == [0, 3]


def test_errors_and_custom_ids_are_searched(results: ResultSet) -> None:
    assert rows_for(results, "max_tokens") == [2]
    assert rows_for(results, "^g6$") == [5]


def test_a_literal_matches_only_lines_holding_it(tmp_path: Path) -> None:
    # "status_code" is in every raw line but in no answer: the raw pre-check must not
    # count the JSON around the answer as a match.
    path = write(tmp_path / "out.jsonl", [ok_line(f"r{n}", f"answer {n}") for n in range(50)])
    result_set = ResultSet([path])
    assert rows_for(result_set, "status_code") == []
    assert rows_for(result_set, "answer 4") == [4, *range(40, 50)]
    assert rows_for(result_set, "answer 4$") == [4]
    result_set.close()


def test_invalid_regex_is_one_line_naming_the_position() -> None:
    with pytest.raises(SearchError) as caught:
        SearchPattern.compile("cap(ital")
    message = str(caught.value)
    assert "\n" not in message
    assert "'cap(ital'" in message and "position" in message
    with pytest.raises(SearchError):
        SearchPattern.compile("")


def test_prompts_are_matched_by_custom_id(tmp_path: Path, results: ResultSet) -> None:
    inputs = write(
        tmp_path / "in.jsonl",
        [request_line("a5", "Name the capital of Peru"), request_line("a1", "Say hi")],
    )
    index = LineIndex(inputs)
    pattern = SearchPattern.compile("peru")
    ids = prompt_matching_ids(index, pattern)
    assert ids == {"a5"}
    rows = search_rows(results, pattern, prompt_ids=ids)
    assert rows is not None and list(rows) == [4]  # only its prompt mentions Peru
    index.close()


def test_prompt_match_on_a_gemini_row(tmp_path: Path, results: ResultSet) -> None:
    pattern = SearchPattern.compile("lima")
    rows = search_rows(results, pattern, prompt_ids={"g6"})
    assert rows is not None and list(rows) == [5]


def test_first_match_is_announced_from_the_start_row(results: ResultSet) -> None:
    announced: list[int] = []
    rows = search_rows(
        results, SearchPattern.compile("capital"), start_row=2, found=announced.append
    )
    assert rows is not None and list(rows) == [0, 3]
    assert announced == [3]  # once, the first at or after row 2


def test_a_buffer_of_streamed_records_is_searched(results: ResultSet) -> None:
    buffer = RecordBuffer()
    assert results.scan()
    buffer.extend(results.record(row) for row in range(results.count))
    assert rows_for(buffer, "paris") == [0, 5]


def test_cancel_stops_the_search(tmp_path: Path) -> None:
    path = write(tmp_path / "out.jsonl", [ok_line(f"r{n}", "x") for n in range(2000)])
    with_set = ResultSet([path])
    stop = threading.Event()
    stop.set()
    assert search_rows(with_set, SearchPattern.compile("x"), cancel=stop.is_set) is None
    with_set.close()


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    path = write(tmp_path / "out.jsonl", [ok_line(f"r{n}", "x") for n in range(100)])
    result_set = ResultSet([path])
    reports: list[tuple[int, int]] = []
    search_rows(
        result_set, SearchPattern.compile("x"), progress=lambda d, t: reports.append((d, t))
    )
    assert reports[-1] == (path.stat().st_size, path.stat().st_size)
    result_set.close()


def test_next_and_previous_wrap_around() -> None:
    rows = [3, 10, 42]
    step = next_match(rows, 3)
    assert (step.row, step.place, step.wrapped) == (10, 2, False)
    step = next_match(rows, 42)
    assert (step.row, step.place, step.wrapped) == (3, 1, True)
    step = next_match(rows, 3, backwards=True)
    assert (step.row, step.place, step.wrapped) == (42, 3, True)
    step = next_match(rows, 11, backwards=True)
    assert (step.row, step.place, step.wrapped) == (10, 2, False)
    assert next_match([], 0) is None
    # Hidden rows (a filter) are stepped over; none visible is none found.
    step = next_match(rows, 3, visible=lambda row: row != 10)
    assert step.row == 42
    assert next_match(rows, 0, visible=lambda row: False) is None


def test_highlight_spans_are_in_the_text_shown() -> None:
    pattern = SearchPattern.compile("ca")
    assert pattern.spans("Cat and cab") == [(0, 2), (8, 10)]
    assert SearchPattern.compile("x*").spans("abc") == []  # empty matches are not spans


def test_parse_agrees_with_the_search_on_every_line(results: ResultSet) -> None:
    # The search matches what the viewer shows: the parsed answer, never the raw JSON.
    pattern = SearchPattern.compile("response")
    assert results.scan()
    assert rows_for(results, "response") == []
    assert not any(
        pattern.matches_record(parse_record(results.raw(row))) for row in range(results.count)
    )


def test_a_last_line_without_newline_and_neighbouring_hits(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    lines = [ok_line(f"r{n}", "needle here" if n in (0, 1, 4) else "hay") for n in range(5)]
    path.write_text("\n".join(json.dumps(line) for line in lines))  # no final newline
    result_set = ResultSet([path])
    assert rows_for(result_set, "needle") == [0, 1, 4]
    assert rows_for(result_set, "NEEDLE") == []  # capitals: exact case
    result_set.close()
