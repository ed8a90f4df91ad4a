"""`RemoteOutput` on the files seeking meets at its edges, served over real HTTP by a small
server answering Range as RFC 9110 says: empty files, no final newline, CRLF, a jump onto
a line start, lines longer than a page, windows read on, the cache bound."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from batchtui.core.providers.http import ApiClient, RetryPolicy
from batchtui.core.providers.ranged import HttpByteSource
from batchtui.core.remote_output import LineTooLong, RemoteOutput

RANGE = re.compile(r"bytes=(\d*)-(\d*)")
LINES = [b'{"custom_id": "r-%04d", "pad": "%s"}' % (n, b"y" * (n * 7 % 90)) for n in range(2000)]


class Files(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {
        "/plain": b"".join(line + b"\n" for line in LINES),
        "/no-final-newline": b"\n".join(LINES),
        "/crlf": b"".join(line + b"\r\n" for line in LINES),
        "/empty": b"",
        "/one-blank-line": b"\n",
        "/small": b"a\nb\nc\n",
        "/long-lines": b"".join(b"x" * (3 << 20) + b"\n" for _ in range(3)),
    }
    requests: ClassVar[int] = 0

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        Files.requests += 1
        data = self.files[self.path]
        size = len(data)
        first, last = RANGE.fullmatch(self.headers["Range"]).groups()  # type: ignore[union-attr]
        if not first:
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = data[start : end + 1]
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def reader(url: str, path: str, **options: int) -> RemoteOutput:
    client = ApiClient(
        label="test", base_url=url, headers={}, secrets=[], timeout=5, retry=RetryPolicy()
    )
    return RemoteOutput(HttpByteSource(client, path, label=f"test: {path}"), **options)


@pytest.mark.parametrize("path", ["/plain", "/no-final-newline", "/crlf"])
async def test_tail_jump_and_reading_on(url: str, path: str) -> None:
    data = Files.files[path]
    output = reader(url, path, block_bytes=4096)
    tail = await output.last_lines(5)
    assert tail.lines == LINES[-5:] and tail.end == len(data) and tail.at_end

    middle = await output.lines_at_fraction(0.5, 10)
    true_first = data.count(b"\n", 0, middle.start)
    assert middle.lines == LINES[true_first : true_first + 10]
    assert data[middle.start - 1 : middle.start] == b"\n"
    following = await output.lines_after(middle, 10)
    assert following.lines == LINES[true_first + 10 : true_first + 20]
    assert following.first_line == middle.first_line + 10

    # An offset right on a line start keeps that line.
    exact_start = middle.start
    again = await output.lines_at(exact_start, 1)
    assert again.start == exact_start and again.lines == [LINES[true_first]]

    # Line 1,500 lies within the first 256 KB, read from the start: it is found exactly.
    near = await output.lines_near(1500, 3)
    assert near.exact and near.first_line == 1500 and near.lines == LINES[1500:1503]

    whole = await output.lines_at(0, 5000)  # a page stops at max_page_bytes
    assert whole.exact and whole.lines == LINES[: len(whole.lines)]


async def test_small_files_are_read_whole_and_numbered_exactly(url: str) -> None:
    small = await reader(url, "/small").last_lines(10)
    assert small.lines == [b"a", b"b", b"c"] and small.exact and small.first_line == 0
    assert (await reader(url, "/empty").last_lines(10)).lines == []
    assert (await reader(url, "/empty").lines_at(0, 10)).lines == []
    assert (await reader(url, "/one-blank-line").last_lines(10)).lines == [b""]
    jump = await reader(url, "/small").lines_at_fraction(0.99, 5)
    assert jump.lines == [] and jump.at_end


async def test_lines_longer_than_a_page_say_so(url: str) -> None:
    with pytest.raises(LineTooLong, match="no whole line within 1,048,576 bytes"):
        await reader(url, "/long-lines").last_lines(2)
    with pytest.raises(LineTooLong):
        await reader(url, "/long-lines").lines_at_fraction(0.5, 2)
    with pytest.raises(LineTooLong):
        await reader(url, "/long-lines").lines_near(2, 1)


async def test_windows_are_cached_within_a_bound(url: str) -> None:
    output = reader(url, "/plain", block_bytes=1024, cache_bytes=8 * 1024)
    await output.lines_at_fraction(0.5, 3)
    asked = Files.requests
    await output.lines_at_fraction(0.5, 3)
    assert Files.requests == asked  # read again from memory
    for fraction in (0.1, 0.2, 0.3, 0.9):
        await output.lines_at_fraction(fraction, 20)
    assert output._blocks._weight <= 8 * 1024
    await output.lines_at_fraction(0.5, 3)
    assert Files.requests > asked  # evicted: read again


@pytest.mark.parametrize("width", [10, 600])  # sparse checkpoints, and one a line
def test_a_downloaded_file_numbers_a_byte_offset_exactly(tmp_path, width: int) -> None:
    from batchtui.core.lineindex import LineIndex

    lines = [b"%d:" % n + b"z" * (width + n % 13) for n in range(5000)]
    path = tmp_path / "output.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    with LineIndex(path, sparse_gap=4096) as index:
        assert index.scan()
        for number in (0, 1, 77, 2500, 4999):
            assert index.line_at(starts[number]) == number
            assert index.line_at(starts[number] + 2) == number  # inside the line
