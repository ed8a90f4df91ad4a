"""The HTTP layer: a threaded stdlib server, auth, routing, Range, faults and the request log.

The stdlib `ThreadingHTTPServer` is used on purpose: it gives direct control of the socket,
which the `reset` (RST) and `truncated` faults need. See `faults` for when each fault acts.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.faults import FaultInjector, parse_fault_spec
from batchtui.simulator.flavors import load_flavor
from batchtui.simulator.google.apis import GoogleApis
from batchtui.simulator.google.vertex_jobs import NativeVertexEngine
from batchtui.simulator.http_types import (
    Answer,
    Dispatch,
    FileAnswer,
    Flavor,
    JsonAnswer,
    RawAnswer,
    Route,
)
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.realtime import RealtimeApi
from batchtui.simulator.store import Store
from batchtui.simulator.validation import RequestInvalid

READ_CHUNK = 64 * 1024
MAX_JSON_BODY = 16 * 1024 * 1024
IDLE_CONNECTION_SECONDS = 60
RANGE_PATTERN = re.compile(r"bytes=(\d*)-(\d*)")
PROXY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
FAULT_ERRORS = {
    "429": (
        "Rate limit reached for requests. Please try again in 1s.",
        "requests",
        "rate_limit_exceeded",
    ),
    "500": (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    "503": ("The engine is currently overloaded, please try again later.", "server_error", None),
}


def default_data_dir() -> Path:
    from batchtui.core.paths import data_dir

    return data_dir() / "simulator"


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, options: SimulatorOptions, log_stream: TextIO | None = None) -> None:
        self.options = options
        self.data_dir = options.data_dir or default_data_dir()
        self.flavor: Flavor = load_flavor(options.flavor)
        self.engine: SimulatorEngine = self.flavor.make_engine(options, Store(self.data_dir))
        self.faults = FaultInjector(parse_fault_spec(options.faults), options.seed)
        # The realtime endpoints (chat completions...) answer beside every flavour's batch API
        self.realtime = RealtimeApi(options)
        self.log_stream = None if options.quiet else (log_stream or sys.stderr)
        self._log_lock = threading.Lock()
        # Google's APIs answer beside every flavour, on the same port (see simulator.google)
        shared = self.engine if isinstance(self.engine, NativeVertexEngine) else None
        self.google = GoogleApis(options, self.data_dir, vertex=shared)
        if ":" in options.host:
            self.address_family = socket.AF_INET6
        super().__init__((options.host, options.port), RequestHandler)

    @property
    def root_url(self) -> str:
        """`http://host:port`: the Google APIs' base (their paths start with /v1beta, /v1/projects,
        /storage/v1, /upload, /token)."""
        host, port = self.server_address[:2]
        if ":" in str(host):
            host = f"[{host}]"
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def google_credentials_file(self) -> Path:
        """The service-account key file `/token` accepts (made on first call; see
        `google.credentials`)."""
        return self.google.credentials_file(self.root_url)

    def log(self, line: str) -> None:
        if self.log_stream is None:
            return
        with self._log_lock:
            try:
                self.log_stream.write(line + "\n")
                self.log_stream.flush()
            except (OSError, ValueError):
                pass  # stderr closed: the simulator keeps serving

    def find_route(self, method: str, path: str) -> tuple[Route | None, re.Match[str] | None, bool]:
        """(route, match, path_known): path_known is True when only the method is wrong."""
        path_known = False
        for route in self.flavor.routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method == method:
                return route, match, True
            path_known = True
        return None, None, path_known


@dataclass
class _Outcome:
    status: int
    fault: str | None = None


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "batchtui-simulator"
    timeout = IDLE_CONNECTION_SECONDS
    server: SimulatorServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- IncomingRequest ---------------------------------------------------------------------

    method: str
    path: str  # the URL path without the query (BaseHTTPRequestHandler's own is reset)
    query: dict[str, str]

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def iter_body(self) -> Iterator[bytes]:
        self._body_started = True
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            yield from self._iter_chunked()
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                chunk = self.rfile.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise ConnectionError("client closed the connection mid-body")
                remaining -= len(chunk)
                yield chunk
        self._body_done = True

    def json_body(self) -> Any:
        data = bytearray()
        for chunk in self.iter_body():
            data += chunk
            if len(data) > MAX_JSON_BODY:
                raise RequestInvalid("The request body is too large.")
        try:
            return json.loads(data or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RequestInvalid(
                "We could not parse the JSON body of your request. The body must be JSON."
            ) from None

    def _iter_chunked(self) -> Iterator[bytes]:
        while True:
            size_line = self.rfile.readline(1024)
            if not size_line:
                raise ConnectionError("client closed the connection mid-body")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            remaining = size
            while remaining > 0:
                chunk = self.rfile.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise ConnectionError("client closed the connection mid-body")
                remaining -= len(chunk)
                yield chunk
            self.rfile.readline(1024)  # CRLF after the chunk

    # -- dispatch ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()  # answered as GET would be, without the body (`_body_allowed`)

    @property
    def _body_allowed(self) -> bool:
        return self.command != "HEAD"

    def _serve(self) -> None:
        started = time.monotonic()
        raw_target = self.path
        url = urlsplit(raw_target)
        self.path = url.path
        self.query = dict(parse_qsl(url.query, keep_blank_values=True))
        self._body_started = False
        self._body_done = False
        self._started, self._raw_target, self._fault = started, raw_target, None
        self._logged = False
        outcome = _Outcome(status=0)
        try:
            outcome = self._answer()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            outcome = _Outcome(status=0, fault="client-disconnected")
        finally:
            if not self._logged:  # no answer was sent: a reset, a dropped client
                self._log_request(outcome.status, outcome.fault)

    def send_response(self, code: int, message: str | None = None) -> None:
        # Log before the first byte leaves: a client that got its answer may stop the
        # simulator at once, and the line must already be written.
        self._log_request(code, self._fault)
        super().send_response(code, message)

    def _log_request(self, status: int, fault: str | None) -> None:
        self._logged = True
        elapsed_ms = (time.monotonic() - self._started) * 1000
        suffix = f" fault={fault}" if fault else ""
        self.server.log(
            f'{self.client_address[0]} "{self.command} {self._raw_target}" '
            f"{status or '-'} {elapsed_ms:.1f}ms{suffix}"
        )

    def _answer(self) -> _Outcome:
        self.method = self.command
        google = self.server.google
        claimed = google.claims(self.path, self.headers.get("Host"))
        target = google.dispatch(self) if claimed else self._flavor_dispatch()
        if not isinstance(target, Dispatch):
            return self._finish(target, None)

        fault = self._fault = self.server.faults.pick(target.fault_route)
        if fault == "slow":
            time.sleep(self.server.options.slow_seconds)
        elif fault in FAULT_ERRORS:
            return self._finish(target.fault_answer(fault), fault)
        elif fault == "html":
            self._discard_unread_body()
            self._send_raw(502, "text/html", PROXY_PAGE, {})
            return _Outcome(502, fault)

        try:
            answer = target.serve()
        except (ConnectionError, TimeoutError):
            raise
        except Exception:
            self.server.log(
                "internal error: " + traceback.format_exc().strip().replace("\n", " | ")
            )
            answer = target.internal_error()
        return self._finish(answer, fault)

    def _flavor_dispatch(self) -> Dispatch | Answer:
        if self.server.realtime.claims(self.command, self.path):
            return self.server.realtime.dispatch(self, _openai_fault_answer, _openai_internal_error)
        route, match, path_known = self.server.find_route(self.command, self.path)
        if route is None or match is None:
            status = 405 if path_known else 404
            verb = "Method not allowed" if path_known else "Unknown request URL"
            error = RequestInvalid(
                f"{verb}: {self.command} {self.path}.", status=status, code="unknown_url"
            )
            return JsonAnswer(status, error.envelope())

        def serve() -> Answer:
            denial = self._check_auth()
            if denial is not None:
                return denial
            try:
                return route.handle(self.server.engine, self, match)
            except RequestInvalid as error:
                return JsonAnswer(error.status, error.envelope())

        return Dispatch(route.fault_route, serve, _openai_fault_answer, _openai_internal_error)

    def _check_auth(self) -> Answer | None:
        return self.server.flavor.admit(self, self.server.options.api_key)

    # -- sending -----------------------------------------------------------------------------

    def _finish(self, answer: Answer, fault: str | None) -> _Outcome:
        self._discard_unread_body()
        if fault == "reset":
            self._abort_connection()
            return _Outcome(0, fault)
        if isinstance(answer, FileAnswer):
            return self._send_file(answer, truncated=fault == "truncated")
        if isinstance(answer, RawAnswer):
            content_type, payload = answer.content_type, answer.payload
        else:
            content_type = "application/json"
            payload = json.dumps(answer.body, separators=(",", ":")).encode()
        if fault == "truncated":
            payload = payload[: max(1, len(payload) // 2)]
            self.close_connection = True
        self._send_raw(answer.status, content_type, payload, answer.headers)
        return _Outcome(answer.status, fault)

    def _discard_unread_body(self) -> None:
        """Read what the handler left of the body, so the client gets the answer (not a reset
        from closing on unread data) and the connection stays usable. A body abandoned half-way
        cannot be resumed: close after answering."""
        if self._body_done:
            return
        if self._body_started:
            self.close_connection = True
            return
        for _ in self.iter_body():
            pass

    def _send_raw(
        self, status: int, content_type: str, payload: bytes, headers: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self._body_allowed:
            self.wfile.write(payload)

    def _send_file(self, answer: FileAnswer, *, truncated: bool) -> _Outcome:
        try:
            handle = answer.path.open("rb")
        except FileNotFoundError:
            error = RequestInvalid(f"No such File object: {answer.path.name}", status=404)
            return self._finish(JsonAnswer(404, error.envelope()), None)
        with handle:
            size = answer.path.stat().st_size
            start, end = 0, size - 1
            status = 200
            headers: dict[str, str] = {}
            if not self.server.options.no_range:
                headers["Accept-Ranges"] = "bytes"
                asked = self.headers.get("Range") if answer.honour_range else None
                requested = _parse_range(asked, size)
                if requested == "unsatisfiable":
                    error = RequestInvalid(
                        f"Range not satisfiable: the file has {size} bytes.", status=416
                    )
                    unsatisfiable = JsonAnswer(
                        416, error.envelope(), {"Content-Range": f"bytes */{size}"}
                    )
                    return self._finish(unsatisfiable, None)
                if requested is not None:
                    start, end = requested
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            length = max(0, end - start + 1)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            for name, value in {**headers, **answer.headers}.items():
                self.send_header(name, value)
            self.end_headers()
            to_send = length // 2 if truncated else length
            if not self._body_allowed:
                to_send = 0
            handle.seek(start)
            while to_send > 0:
                chunk = handle.read(min(READ_CHUNK, to_send))
                if not chunk:
                    break
                self.wfile.write(chunk)
                to_send -= len(chunk)
        if truncated:
            self.close_connection = True  # the peer sees the body end early
        return _Outcome(status, "truncated" if truncated else None)

    def _abort_connection(self) -> None:
        """Close with an RST (SO_LINGER 0): the client gets 'connection reset by peer'."""
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop makefile's reference so close() really closes the socket
        sock.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Our own one line per request replaces the stdlib's log."""

    def log_error(self, format: str, *args: Any) -> None:
        self.server.log("http error: " + (format % args))


def _openai_fault_answer(fault: str) -> Answer:
    message, error_type, code = FAULT_ERRORS[fault]
    error = RequestInvalid(message, status=int(fault), error_type=error_type, code=code)
    headers = {"Retry-After": "1"} if fault == "429" else {}
    return JsonAnswer(int(fault), error.envelope(), headers)


def _openai_internal_error() -> Answer:
    error = RequestInvalid(
        "The simulator failed on this request (see its log).",
        status=500,
        error_type="server_error",
    )
    return JsonAnswer(500, error.envelope())


def _parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end) inclusive, "unsatisfiable", or None to answer with the whole file."""
    if not header:
        return None
    match = RANGE_PATTERN.fullmatch(header.strip())
    if match is None:
        return None  # several ranges or another unit: RFC 9110 lets us send the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0:
            return "unsatisfiable"
        if size == 0:
            return None  # RFC 9110 §14.1.1: satisfiable, but no byte range can say so
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range-spec is ignored (RFC 9110 §14.1.1): the whole file
    if start >= size:
        return "unsatisfiable"
    end = min(int(last), size - 1) if last else size - 1
    return start, end
