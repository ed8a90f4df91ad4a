"""The line-offset index: correctness on awkward files, reads during a scan, cancellation."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtui.core.errors import InputFileError
from batchtui.core.resultfile import (
    LineIndex,
    build_custom_id_map,
    custom_id_of,
    request_prompt,
    text_needles,
)


def write(tmp_path: Path, data: bytes, name: str = "f.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def all_lines(index: LineIndex) -> list[bytes]:
    return [index.read_line(n) for n in range(index.line_count)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", []),
        (b"a\n", [b"a"]),
        (b"a", [b"a"]),
        (b"a\nb", [b"a", b"b"]),
        (b"a\nb\n", [b"a", b"b"]),
        (b"\n\n", [b"", b""]),
        (b"a\r\nb\r\n", [b"a", b"b"]),
        (b"a\r\nb", [b"a", b"b"]),
        (b"x\ry\n", [b"x\ry"]),
    ],
)
def test_lines_match_splitlines_semantics(tmp_path: Path, data: bytes, expected: list[bytes]):
    with LineIndex(write(tmp_path, data), window=2) as index:
        assert index.scan()
        assert index.complete
        assert all_lines(index) == expected
        assert index.read_lines(0, 99) == expected


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    trailing=st.booleans(),
    window=st.integers(min_value=1, max_value=20),
)
def test_index_agrees_with_split_for_any_window(tmp_path_factory, lines, trailing, window):
    data = b"\n".join(lines) + (b"\n" if trailing and lines else b"")
    path = write(tmp_path_factory.mktemp("h"), data)
    expected = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        expected = expected[:-1]
    expected = [line.removesuffix(b"\r") for line in expected]
    with LineIndex(path, window=window) as index:
        index.scan()
        assert index.line_count == len(expected)
        assert [line for _, line in index.iter_lines()] == expected
        assert index.read_lines(0, len(expected)) == expected
        assert index.tail_lines(3) == expected[-3:]


def test_tail_reads_backwards_before_any_scan(tmp_path: Path):
    data = b"".join(b"line %d\n" % n for n in range(1000))
    with LineIndex(write(tmp_path, data), window=64) as index:
        assert index.line_count == 0
        assert index.tail_lines(3) == [b"line 997", b"line 998", b"line 999"]
        assert not index.complete


def test_tail_without_trailing_newline_and_bounded(tmp_path: Path):
    with LineIndex(write(tmp_path, b"a\nb\nc"), window=1) as index:
        assert index.tail_lines(2) == [b"b", b"c"]
        assert index.tail_lines(10) == [b"a", b"b", b"c"]
    long_line = b"x" * 1000
    with LineIndex(write(tmp_path, b"first\n" + long_line + b"\nlast\n"), window=16) as index:
        # Only 64 bytes allowed: the long line cannot be reached, and is not returned cut.
        assert index.tail_lines(3, max_bytes=64) == [b"last"]


def test_lines_are_readable_while_the_scan_runs(tmp_path: Path):
    data = b"".join(b'{"n": %d}\n' % n for n in range(5000))
    path = write(tmp_path, data)
    index = LineIndex(path, window=256)
    release = threading.Event()
    seen_partial = threading.Event()
    reports: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        reports.append((done, total))

    def cancel() -> bool:
        # Pause the scan half-way so the main thread reads what is indexed so far.
        if index.line_count > 100 and not release.is_set():
            seen_partial.set()
            release.wait(5)
        return False

    worker = threading.Thread(target=index.scan, args=(progress, cancel))
    worker.start()
    assert seen_partial.wait(5)
    assert not index.complete
    partial = index.line_count
    assert 100 < partial < 5000
    assert index.read_line(0) == b'{"n": 0}'
    assert index.read_line(partial - 1) == b'{"n": %d}' % (partial - 1)
    with pytest.raises(IndexError, match="not indexed"):
        index.read_line(4999)
    release.set()
    worker.join(5)
    assert index.complete and index.line_count == 5000
    assert index.read_line(4999) == b'{"n": 4999}'
    assert reports[-1] == (len(data), len(data))
    index.close()


def test_cancelled_scan_stops_and_resumes(tmp_path: Path):
    data = b"".join(b"%d\n" % n for n in range(10_000))
    with LineIndex(write(tmp_path, data), window=100) as index:
        calls = 0

        def cancel_after_three() -> bool:
            nonlocal calls
            calls += 1
            return calls > 3

        assert index.scan(cancel=cancel_after_three) is False
        assert not index.complete
        assert 0 < index.line_count < 10_000
        assert index.scan() is True
        assert index.line_count == 10_000
        assert index.read_line(1234) == b"1234"


def test_missing_file_names_the_path(tmp_path: Path):
    with pytest.raises(InputFileError, match=r"nope\.jsonl: cannot open"):
        LineIndex(tmp_path / "nope.jsonl")


def test_file_growing_after_open_is_read_to_the_opened_size(tmp_path: Path):
    path = write(tmp_path, b"a\nb\n")
    with LineIndex(path) as index:
        with path.open("ab") as handle:
            handle.write(b"c\n")
        index.scan()
        assert all_lines(index) == [b"a", b"b"]


def test_custom_id_map_and_prompts(tmp_path: Path):
    requests = [
        {
            "custom_id": f"req-{n}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": "m",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": f'Say "{n}"'},
                ],
            },
        }
        for n in range(600)
    ]
    data = "\n".join(json.dumps(r) for r in requests).encode()
    with LineIndex(write(tmp_path, data), window=512) as index:
        mapping = build_custom_id_map(index)
        assert mapping is not None and len(mapping) == 600
        assert mapping["req-599"] == 599
        assert (
            request_prompt(index.read_line(mapping["req-7"])) == 'system: Be brief.\nuser: Say "7"'
        )
    with LineIndex(write(tmp_path, data, "again.jsonl")) as index:
        assert build_custom_id_map(index, cancel=lambda: True) is None


def test_custom_id_edge_cases():
    assert custom_id_of(b'{"custom_id": "a\\"b", "body": {}}') == 'a"b'
    assert (
        custom_id_of(b'{"body": {"x": "\\"custom_id\\": \\"no\\""}, "custom_id": "yes"}') == "yes"
    )
    assert custom_id_of(b'{"custom_id": 5}') is None
    assert custom_id_of(b"not json") is None


def test_prompt_of_responses_and_bad_lines():
    line = json.dumps({"body": {"input": "hi", "instructions": "sys"}}).encode()
    assert request_prompt(line) == "system: sys\nuser: hi"
    assert request_prompt(b"{").startswith("(input line is not JSON")
    assert request_prompt(b"[]") == "(input line has no body)"


def test_text_needles_cover_json_escapes():
    assert text_needles("Café") == ("café".encode(), b"caf\\u00e9")
    assert text_needles("plain") == (b"plain",)
