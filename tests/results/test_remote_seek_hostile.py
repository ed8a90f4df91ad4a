"""Hostile answers to ranged reads: a wrong total, another range than asked, a 200 with the
whole file, a body longer or shorter than its range, a server that stalls. Each ends in one
line naming the call, or in the streaming fallback, and never hangs. A real HTTP server
plays the hostile gateway; batchtui's client is used as is."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from batchtui.core.errors import BatchtuiError, ProviderError
from batchtui.core.providers.http import ApiClient, RetryPolicy
from batchtui.core.providers.ranged import HttpByteSource
from batchtui.core.remote_output import RangeNotHonoured, RemoteOutput

DATA = b"".join(
    b'{"custom_id": "r-%04d", "pad": "%s"}\n' % (n, b"x" * (n % 50)) for n in range(3000)
)
RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class Hostile(BaseHTTPRequestHandler):
    """`/good` answers Range right; every other path is hostile in its own way."""

    asked: ClassVar[int] = 0

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        Hostile.asked += 1
        size = len(DATA)
        first, last = RANGE.fullmatch(self.headers.get("Range", "")).groups()  # type: ignore[union-attr]
        if not first:
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        body = DATA[start : end + 1]
        total = size
        content_range = f"bytes {start}-{end}/{total}"
        status = 206
        if self.path == "/whole":
            status, body, content_range = 200, DATA, ""
        elif self.path == "/changing-total":
            content_range = f"bytes {start}-{end}/{total + Hostile.asked}"
        elif self.path == "/other-range":
            content_range = f"bytes {start + 10}-{end + 10}/{total}"
        elif self.path == "/past-the-end":
            content_range = f"bytes {start}-{end}/{start}"
        elif self.path == "/longer":
            body = body + b"more bytes than the range"
            self.send_response(206)
            self.send_header("Content-Range", content_range)
            self.end_headers()  # no Content-Length: the body runs until the connection ends
            self.wfile.write(body)
            self.close_connection = True
            return
        elif self.path == "/shorter":
            self.send_response(206)
            self.send_header("Content-Range", content_range)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        elif self.path == "/stall":
            self.send_response(206)
            self.send_header("Content-Range", content_range)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            time.sleep(3)
            return
        self.send_response(status)
        if content_range:
            self.send_header("Content-Range", content_range)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def output(url: str, path: str) -> RemoteOutput:
    client = ApiClient(
        label="openai profile 'gw'",
        base_url=url,
        headers={},
        secrets=[],
        timeout=0.5,
        retry=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.02, deadline=1.0),
    )
    return RemoteOutput(HttpByteSource(client, path, label=f"openai profile 'gw': GET {path}"))


async def test_a_well_behaved_server_is_read_by_windows(server: str) -> None:
    reader = output(server, "/good")
    tail = await reader.last_lines(3)
    assert tail.lines == DATA.split(b"\n")[-4:-1]
    middle = await reader.lines_at_fraction(0.5, 2)
    assert DATA[middle.start : middle.end].split(b"\n")[:-1] == middle.lines


async def test_a_200_with_the_whole_file_means_fall_back(server: str) -> None:
    with pytest.raises(RangeNotHonoured, match=r"whole file.*streaming from the start"):
        await output(server, "/whole").last_lines(3)


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/changing-total", "size changed"),
        ("/other-range", "another range"),
        ("/past-the-end", "past the file's end"),
        ("/longer", "more than the"),
        ("/shorter", "dropped before the answer was complete"),
        ("/stall", "deadline"),
    ],
)
async def test_hostile_range_answers_end_in_one_line(server: str, path: str, said: str) -> None:
    reader = output(server, path)
    started = time.monotonic()
    with pytest.raises(BatchtuiError) as caught:
        await reader.lines_at_fraction(0.5, 5)
        await reader.last_lines(5)
    message = str(caught.value)
    assert said in message and "\n" not in message
    assert message.startswith("openai profile 'gw'")
    assert isinstance(caught.value, ProviderError)
    assert time.monotonic() - started < 2.5  # the deadline, not the server, ends it
