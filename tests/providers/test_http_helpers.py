"""The HTTP layer's helpers: Retry-After, redaction, loopback, bounded decoding, line joins."""

from __future__ import annotations

import gzip
import json
import math
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtui.core.config import Profile
from batchtui.core.errors import ProviderError
from batchtui.core.formats.results import parse_result_line
from batchtui.core.providers.bodies import (
    BodyDecoder,
    BodyTooLarge,
    LineJoiner,
    UnsupportedEncoding,
)
from batchtui.core.providers.http import (
    REDACTED,
    ApiClient,
    Redactor,
    is_loopback_host,
    is_secret_name,
    loopback_mounts,
    one_line,
    parse_retry_after,
)
from batchtui.core.providers.netpolicy import INFLATION_FLOOR_BYTES, NetworkPolicy

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1", 1.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "x-api-key",
        "api-key",
        "X-Portkey-Api-Key",
        "X-Auth-Token",
        "my_secret",
        "x-refreshtoken",
        "x-portkey-vertex-service-account-json",
        "x-portkey-config",
        "key",
    ],
)
def test_secret_header_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["Content-Type", "OpenAI-Organization", "x-portkey-provider", "x-keyword"]
)
def test_ordinary_header_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redactor_hides_secret_headers_values_and_query_parameters() -> None:
    redactor = Redactor(["sk-live-123456", None, ""])
    headers = redactor.headers(
        {
            "Authorization": "Bearer sk-live-123456",
            "X-Note": "key is sk-live-123456",
            "Accept": "*/*",
        }
    )
    assert headers == {"Authorization": REDACTED, "X-Note": f"key is {REDACTED}", "Accept": "*/*"}
    url = redactor.url("https://h.example/v1beta/files?key=AIzaSECRET&alt=media")
    assert "AIzaSECRET" not in url and "alt=media" in url
    assert redactor.text("bad key sk-live-123456!") == f"bad key {REDACTED}!"
    assert Redactor(["a/b+c"]).text("GET /batches/a%2Fb%2Bc") == f"GET /batches/{REDACTED}"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.4.5.6", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("api.localhost", True),
        ("10.0.0.1", False),
        ("api.openai.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected


def test_loopback_mounts_cover_the_usual_names_and_the_base_url_host() -> None:
    mounts = loopback_mounts("http://127.0.0.9:8000/v1")
    assert set(mounts) >= {"all://localhost", "all://127.0.0.1", "all://[::1]", "all://127.0.0.9"}
    assert all(value is None for value in mounts.values())
    assert "all://api.openai.com" not in loopback_mounts("https://api.openai.com/v1")


def test_loopback_mounts_beat_environment_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx picks the loopback mount (direct) over the proxy taken from the environment."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = httpx.AsyncClient(trust_env=True, mounts=loopback_mounts("http://127.0.0.7:1/v1"))
    direct = client._transport
    for url in (
        "http://127.0.0.1:5/x",
        "http://localhost:5/x",
        "http://[::1]:5/",
        "http://127.0.0.7:1/",
    ):
        assert client._transport_for_url(httpx.URL(url)) is direct, url
    assert client._transport_for_url(httpx.URL("https://api.openai.com/v1")) is not direct


def test_one_line_collapses_and_cuts() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 50, limit=10) == "xxxxxxx..."


# --- bounded decoding, linear line joins, the policy's settings -----------------------------


@pytest.mark.parametrize("header", ["nan", "NaN"])
def test_retry_after_that_is_not_a_number_is_ignored(header: str) -> None:
    assert parse_retry_after(header, now=NOW) is None


def test_an_infinite_retry_after_is_capped_by_the_policy() -> None:
    assert parse_retry_after("1e999", now=NOW) == math.inf  # `min` with the cap applies


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, 9)


def _deflate(data: bytes, *, raw: bool = False) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def _decode(decoder: BodyDecoder, packed: bytes, piece: int = 4096) -> bytes:
    out = [decoder.feed(packed[at : at + piece]) for at in range(0, len(packed), piece)]
    return b"".join(out) + decoder.flush()


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", _gzip),
        ("deflate", _deflate),
        ("deflate", lambda data: _deflate(data, raw=True)),
        ("identity", lambda data: data),
        (None, lambda data: data),
    ],
)
def test_decoder_gives_back_what_was_packed(encoding: str | None, pack) -> None:
    data = json.dumps({"data": [{"id": f"batch_{n}"} for n in range(3000)]}).encode()
    decoder = BodyDecoder(encoding, limit=10 << 20, limit_name="max_answer_bytes")
    assert _decode(decoder, pack(data)) == data


# (what inflates, limit, inflation cap, the ceiling named in the refusal)
BOMBS = {
    "ratio": (b"\0" * (64 << 20), 1 << 30, 1 << 30, "compressed"),
    "hard-cap": (b"\0" * (64 << 20), 1 << 30, 4 << 20, "compressed"),
    "answer-ceiling": (b"\0" * (64 << 20), 512 << 10, 1 << 30, "max_answer_bytes"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_gzip_bomb_is_refused_before_it_inflates(name: str) -> None:
    """64 MB of zeros is 64 KB of gzip: refused after at most the allowed megabytes."""
    data, limit, hard_cap, named = BOMBS[name]
    policy = NetworkPolicy(max_inflated_bytes=hard_cap)
    decoder = BodyDecoder(
        "gzip", limit=limit, limit_name="max_answer_bytes", inflation_limit=policy.inflation_limit
    )
    packed = _gzip(data)
    produced = 0
    with pytest.raises(BodyTooLarge, match=named):
        for at in range(0, len(packed), 1024):
            produced += len(decoder.feed(packed[at : at + 1024]))
    assert produced <= max(INFLATION_FLOOR_BYTES, 16 * len(packed), 2 << 20)
    assert decoder.decoded <= produced + 1  # never more than one byte past a ceiling


def test_an_error_body_is_cut_to_its_start_not_refused() -> None:
    decoder = BodyDecoder("gzip", limit=1000, limit_name="", truncate=True)
    assert _decode(decoder, _gzip(b"e" * 100_000)) == b"e" * 1000
    assert decoder.full


def test_an_encoding_not_asked_for_is_refused() -> None:
    with pytest.raises(UnsupportedEncoding, match="'br'"):
        BodyDecoder("br", limit=10, limit_name="")


@given(st.lists(st.binary(max_size=40), max_size=30))
def test_line_joiner_splits_like_bytes_split(chunks: list[bytes]) -> None:
    joiner = LineJoiner()
    lines = [line for chunk in chunks for line in joiner.feed(chunk)] + list(joiner.finish())
    data = b"".join(chunks)
    expected = data.split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    assert lines == [line.removesuffix(b"\r") for line in expected]


def test_the_policy_follows_the_profile_settings() -> None:
    profile = Profile(name="p", timeout=7, max_attempts=3, max_retry_after=9, max_list_pages=2)
    policy = NetworkPolicy.from_profile(profile)
    assert (policy.attempts, policy.max_retry_after, policy.max_list_pages) == (3, 9, 2)
    assert policy.deadline_for(profile.timeout) == 28  # 4x the timeout by default
    assert NetworkPolicy(deadline=5).deadline_for(60) == 5
    assert policy.inflation_limit(100) == INFLATION_FLOOR_BYTES
    assert policy.inflation_limit(1 << 20) == 16 << 20
    assert policy.inflation_limit(1 << 30) == 256 << 20


# --- a long streamed line is joined in linear time ------------------------------------------


class _Bodies(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, bytes]] = {}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = self.bodies[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _result_line(custom_id: str, size: int) -> bytes:
    body = {"choices": [{"message": {"role": "assistant", "content": "@"}}]}
    head = json.dumps({"custom_id": custom_id, "response": {"status_code": 200, "body": body}})
    before, after = head.split("@")
    return (before + "x" * (size - len(head)) + after + "\n").encode()


async def _read_results(client: ApiClient, path: str) -> tuple[float, int]:
    """Stream and parse the lines as `results JOB` does: seconds, and characters of text."""
    started = time.perf_counter()
    text = 0
    async for line in client.iter_lines(path):
        text += len(parse_result_line(line).text or "")
    return time.perf_counter() - started, text


async def test_one_long_line_streams_about_as_fast_as_many_short_ones() -> None:
    """8 MB as one result line against the same bytes as 2,000 lines, best of 7 each,
    interleaved: the join of a long line used to copy it again at every chunk (35 MB took
    6.6 s). The benchmark (benchmarks/results/run.py) does the same with 200 MB."""
    size = 8 << 20
    one = _result_line("one", size)
    many = b"".join(_result_line(f"r{n}", size // 2000) for n in range(2000))
    _Bodies.bodies = {"/one": one, "/many": many}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bodies)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = ApiClient(
        label="test",
        base_url=f"http://127.0.0.1:{server.server_address[1]}",
        headers={},
        secrets=[],
        timeout=30,
    )
    try:
        long_times, short_times = [], []
        for _ in range(7):
            elapsed, text = await _read_results(client, "/one")
            assert text > size * 0.99  # the whole line arrived, as one record
            long_times.append(elapsed)
            elapsed, text = await _read_results(client, "/many")
            assert text > size * 0.95
            short_times.append(elapsed)
    finally:
        await client.aclose()
        server.shutdown()
        server.server_close()
    assert min(long_times) <= 1.5 * min(short_times), (long_times, short_times)


# --- deadlines, and calls tried once -------------------------------------------------------


class _Slow(BaseHTTPRequestHandler):
    """POST /upload: the body read at about 8 MB/s, then an answer at once; GET /fail: 500."""

    protocol_version = "HTTP/1.1"
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.requests.append(self.path)
        remaining = int(self.headers["Content-Length"])
        while remaining > 0:
            remaining -= len(self.rfile.read(min(remaining, 64 << 10)))
            time.sleep(0.008)
        self._answer(200, b'{"id": "file-1"}')

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self._answer(500, b'{"error": {"message": "boom"}}')


class _SmallWindowServer(ThreadingHTTPServer):
    def server_bind(self) -> None:
        # A small receive buffer: the client's upload is paced by the reader, not absorbed.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        super().server_bind()


@pytest.fixture
def slow_server() -> Iterator[str]:
    _Slow.requests = []
    server = _SmallWindowServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _client(url: str, **policy: object) -> ApiClient:
    return ApiClient(
        label="test profile 't'",
        base_url=url,
        headers={},
        secrets=[],
        timeout=5,
        retry=NetworkPolicy(initial_wait=0.01, max_wait=0.02, **policy),  # type: ignore[arg-type]
    )


async def test_sending_an_upload_does_not_count_against_the_deadline(slow_server: str) -> None:
    """24 MB taken at 8 MB/s is 3 s of sending; the answer then comes at once."""
    client = _client(slow_server, deadline=1.0)
    started = time.monotonic()
    try:
        answer = await client.request_json(
            "POST", "/upload", idempotent=True, files={"file": ("in.jsonl", b"x" * (24 << 20))}
        )
    finally:
        await client.aclose()
    assert answer == {"id": "file-1"}
    assert time.monotonic() - started > 1.0  # the upload itself took longer than the deadline
    assert _Slow.requests == ["/upload"]


async def test_retry_false_tries_a_call_once(slow_server: str) -> None:
    client = _client(slow_server)
    try:
        with pytest.raises(ProviderError, match="HTTP 500"):
            await client.request_json("GET", "/fail", idempotent=True, retry=False)
        assert _Slow.requests == ["/fail"]
        with pytest.raises(ProviderError, match="HTTP 500"):
            await client.request_json("GET", "/fail", idempotent=True)
        assert len(_Slow.requests) == 1 + client.policy.attempts
    finally:
        await client.aclose()


# --- Google lists: a token seen before, or too many pages, ends the list with a notice -----


class _GooglePages(BaseHTTPRequestHandler):
    """`GET /jobs?pageToken=T`: two items and a next token, as `tokens` says."""

    protocol_version = "HTTP/1.1"
    tokens: ClassVar[Callable[[str], str]] = staticmethod(lambda token: token + "x")
    pages: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        token = parse_qs(urlsplit(self.path).query).get("pageToken", [""])[0]
        self.pages.append(token)
        body = json.dumps(
            {
                "jobs": [{"name": f"{token}-1"}, {"name": f"{token}-2"}],
                "nextPageToken": type(self).tokens(token),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize(
    ("tokens", "pages", "reason"),
    [
        (lambda token: token + "x", 4, "max_list_pages"),  # always a new token
        (lambda token: "a", 2, "token again"),
        (lambda token: {"": "a", "a": "b", "b": "a"}[token], 3, "token again"),
    ],
    ids=["endless", "same-token", "loop"],
)
async def test_google_lists_end_on_a_repeated_token_or_the_page_cap(
    tokens: Callable[[str], str], pages: int, reason: str
) -> None:
    from batchtui.core.providers.google_common import google_list
    from batchtui.core.providers.netpolicy import notices_to

    _GooglePages.tokens = staticmethod(tokens)
    _GooglePages.pages = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GooglePages)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = _client(f"http://127.0.0.1:{server.server_address[1]}", max_list_pages=4)
    heard: list[str] = []
    try:
        listing = google_list(client, "/jobs", "jobs", limit=None, page_size=2)
        with notices_to(heard.append):
            items = [item async for item in listing]
    finally:
        await client.aclose()
        server.shutdown()
        server.server_close()
    assert len(_GooglePages.pages) == pages
    assert len(items) == 2 * pages
    [notice] = heard
    assert reason in notice and f"after {pages} pages" in notice
