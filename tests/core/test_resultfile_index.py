"""The checkpoint index: dense and sparse placement, reads of every kind, saved indexes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from batchtui.core.lineindex import (
    FIRST_WINDOW_BYTES,
    LRU,
    MIN_DENSE_LINE,
    LineIndex,
    index_path_for,
)
from batchtui.core.resultfile import ResultSet, lines_with_text, surely_ok, text_needles


def expected_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if data.endswith(b"\n") or not data:
        lines = lines[:-1]
    return [line.removesuffix(b"\r") for line in lines]


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=60),
    trailing=st.booleans(),
    window=st.integers(min_value=1, max_value=64),
    min_dense_line=st.integers(min_value=1, max_value=30),
    gap=st.integers(min_value=1, max_value=50),
    first=st.integers(min_value=0, max_value=70),
    length=st.integers(min_value=1, max_value=70),
)
def test_every_read_agrees_with_split(
    tmp_path_factory, lines, trailing, window, min_dense_line, gap, first, length
):
    data = b"\n".join(lines) + (b"\n" if trailing and lines else b"")
    path = tmp_path_factory.mktemp("h") / "f.jsonl"
    path.write_bytes(data)
    expected = expected_lines(data)
    with LineIndex(path, window=window, min_dense_line=min_dense_line, sparse_gap=gap) as index:
        assert index.scan()
        assert index.line_count == len(expected)
        assert [line for _, line in index.iter_lines()] == expected
        assert b"".join(line for _, line in index.iter_lines(keep_ends=True)) == data
        assert [index.read_line(n, cache=False) for n in range(len(expected))] == expected
        stop = first + length
        assert index.read_lines(first, stop) == expected[first:stop]
        assert [line for _, line in index.iter_lines(first, stop)] == expected[first:stop]
        for n in range(len(expected)):
            start, end = index.span(n)
            assert data[start:end].rstrip(b"\n").removesuffix(b"\r") == expected[n]


def test_short_lines_get_few_checkpoints_long_lines_one_each(tmp_path: Path):
    short = tmp_path / "short.jsonl"
    short.write_bytes(b"".join(b"%d\n" % n for n in range(200_000)))
    with LineIndex(short, sparse_gap=4096) as index:
        index.scan()
        assert index.line_count == 200_000
        # One every 4096 bytes, plus the first window's, placed before its lines proved short.
        first_window = FIRST_WINDOW_BYTES // MIN_DENSE_LINE + 1
        assert index.checkpoint_count < short.stat().st_size // 4096 + first_window + 2
        assert index.read_line(123_456) == b"123456"
    long = tmp_path / "long.jsonl"
    long.write_bytes(b"".join(b"%d " % n + b"x" * 2000 + b"\n" for n in range(300)))
    with LineIndex(long, window=10_000) as index:
        index.scan()
        assert index.checkpoint_count == 301  # each line start, and the end of the file
        assert index.read_line(299).startswith(b"299 ")


def test_saved_index_is_reused_and_a_changed_file_is_indexed_again(tmp_path: Path):
    path = tmp_path / "output.jsonl"
    path.write_bytes(b"".join(b'{"n": %d}\n' % n for n in range(5000)))
    with LineIndex(path, persist=True, persist_min_bytes=0) as index:
        assert index.scan() and not index.loaded_from_disk
        scanned = (index._cp_line, index._cp_off, index._lines, index._end)
    saved = index_path_for(path)
    assert saved == tmp_path / "output.jsonl.idx" and saved.is_file()
    with LineIndex(path, persist=True, persist_min_bytes=0) as index:
        assert index.scan() and index.loaded_from_disk
        assert (index._cp_line, index._cp_off, index._lines, index._end) == scanned
        assert index.line_count == 5000 and index.read_line(4321) == b'{"n": 4321}'

    # Same size, same mtime, different bytes in the last 64 KB: the hash catches it.
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-3:-1] = b"\n9"
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with LineIndex(path, persist=True, persist_min_bytes=0) as index:
        assert index.scan() and not index.loaded_from_disk
        assert index.line_count == 5001 and index.read_line(5000) == b"9"

    # A damaged index file is ignored, never trusted.
    saved.write_bytes(saved.read_bytes()[:-5])
    with LineIndex(path, persist=True, persist_min_bytes=0) as index:
        assert index.scan() and not index.loaded_from_disk


def test_small_files_and_unwritable_directories_leave_no_index(tmp_path: Path):
    path = tmp_path / "small.jsonl"
    path.write_bytes(b"a\nb\n")
    with LineIndex(path, persist=True) as index:
        assert index.scan()
    assert not index_path_for(path).exists()
    locked = tmp_path / "locked"
    locked.mkdir()
    other = locked / "f.jsonl"
    other.write_bytes(b"a\n")
    locked.chmod(0o500)
    try:
        with LineIndex(other, persist=True, persist_min_bytes=0) as index:
            assert index.scan() and index.read_line(0) == b"a"
            if os.geteuid() != 0:  # root writes anywhere
                assert not index.save()
    finally:
        locked.chmod(0o700)


def test_line_cache_is_bounded_by_bytes():
    cache: LRU[int, bytes] = LRU(100, max_weight=10, weigh=len)
    for n in range(5):
        cache.put(n, b"xxxx")
    assert len(cache) == 2 and cache.get(4) == b"xxxx" and cache.get(0) is None


def test_surely_ok_never_says_ok_for_a_failure():
    ok = b'{"custom_id": "a", "response": {"status_code": 200, "body": {}}, "error": null}'
    assert surely_ok(ok)
    assert surely_ok(ok.replace(b": ", b":").replace(b", ", b","))
    assert not surely_ok(ok.replace(b"200", b"500"))
    assert not surely_ok(ok.replace(b'"error": null}', b'"error": {"code": "x"}}'))
    # The success pattern inside a string is escaped, so it cannot fool the check.
    inner = json.dumps('"response": {"status_code": 200,').encode()
    quoted = (
        b'{"custom_id": "a", "response": {"status_code": 500, "body": {"m": %s}}, "error": null}'
    )
    assert inner in quoted % inner and not surely_ok(quoted % inner)


def test_lines_with_text_counts_lines_across_hits():
    block = b"alpha\nBeta gamma\n\nbeta\nend"
    assert lines_with_text(block, text_needles("BETA")) == [1, 3]
    assert lines_with_text(block, text_needles("a")) == [0, 1, 3]
    assert lines_with_text(block, text_needles("zzz")) == []


def test_filters_over_several_files(tmp_path: Path):
    choices = '{"choices": [{"message": {"content": "%s"}}]}'
    ok = (
        '{"custom_id": "%s", "response": {"status_code": 200, "body": '
        + choices
        + '}, "error": null}\n'
    )
    error = '{"error": {"message": "%s"}}'
    bad = '{"custom_id": "%s", "response": {"status_code": 400, "body": ' + error + "}}\n"
    out = tmp_path / "output.jsonl"
    out.write_text("".join(ok % (f"r{n}", f"answer {n}") for n in range(300)))
    err = tmp_path / "errors.jsonl"
    err.write_text("".join(bad % (f"e{n}", f"bad Answer {n}") for n in range(20)))
    results = ResultSet([out, err])
    try:
        errors = results.matching_rows(errors_only=True, text="")
        assert errors is not None and list(errors) == list(range(300, 320))
        found = results.matching_rows(errors_only=False, text="ANSWER 1")
        assert found is not None
        expected = [n for n in range(300) if str(n).startswith("1")]
        expected += [300 + n for n in range(20) if str(n).startswith("1")]
        assert list(found) == expected
        both = results.matching_rows(errors_only=True, text="answer 1")
        assert both is not None and list(both) == [301, *range(310, 320)]
        assert results.matching_rows(errors_only=True, text="", cancel=lambda: True) is None
    finally:
        results.close()
