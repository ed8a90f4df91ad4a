"""HPC network setups: HTTP(S)_PROXY, NO_PROXY and SSL_CERT_FILE are honoured; TLS is never off.

No traffic leaves the machine. The provider's host name is one this test controls,
`provider.batchtui.test` (`.test` is reserved: it never resolves): batchtui treats it as a
remote host (only `localhost` and loopback addresses skip the proxy), and the proxy, a
small stdlib forward proxy (plain HTTP forwarding and CONNECT tunnels), sends everything
to 127.0.0.1 whatever the name. A connection that goes direct (NO_PROXY) has to resolve
the name itself, and says so. The TLS certificate for the name comes from a throwaway CA
made with `cryptography`.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from batchtui.core.config import PROFILE_FIELDS
from batchtui.simulator import SimulatorHandle
from realparts.tls_front import TestCA

from .conftest import HostileServer, add_profile, cli_env, request_line, run_cli

SOURCE = Path(__file__).resolve().parents[2] / "src" / "batchtui"

# A name under the reserved `.test` domain: never a real host, never loopback to batchtui.
HOST = "provider.batchtui.test"


@dataclass
class Proxy:
    url: str
    seen: list[str] = field(default_factory=list)  # "GET http://..." or "CONNECT host:port"


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    sockets = [client, upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], 10)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (upstream if source is client else client).sendall(data)


def _proxy_handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_CONNECT(self) -> None:
            proxy.seen.append(f"CONNECT {self.path}")
            _host, _, port = self.path.rpartition(":")
            upstream = socket.create_connection(("127.0.0.1", int(port)))
            self.send_response(200, "Connection established")
            self.end_headers()
            try:
                _pipe(self.connection, upstream)
            finally:
                upstream.close()
                self.close_connection = True

        def _forward(self) -> None:
            proxy.seen.append(f"{self.command} {self.path}")
            target = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            upstream = http.client.HTTPConnection("127.0.0.1", target.port or 80, timeout=10)
            path = target.path + (f"?{target.query}" if target.query else "")
            headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
            upstream.request(self.command, path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            upstream.close()

        do_GET = do_POST = do_DELETE = _forward

    return Handler


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    state = Proxy(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def named(url: str) -> str:
    """`url` with 127.0.0.1 replaced by the test's host name."""
    return url.replace("127.0.0.1", HOST)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_http_proxy_carries_every_call(
    variable: str, proxy: Proxy, simulator: SimulatorHandle, tmp_path: Path
) -> None:
    env = cli_env(**{variable: proxy.url})
    add_profile(named(simulator.url), env=env)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hi") + "\n")

    tested = run_cli("profile", "test", "sim", env=env)
    submitted = run_cli("submit", str(source), "--profile", "sim", env=env)

    assert tested.code == 0, tested.err
    assert submitted.code == 0, submitted.err
    assert any(seen.startswith(f"GET http://{HOST}:") for seen in proxy.seen), proxy.seen
    assert any(seen.startswith("POST ") and "/files" in seen for seen in proxy.seen)
    assert any(seen.startswith("POST ") and "/batches" in seen for seen in proxy.seen)


@pytest.mark.parametrize("no_proxy", ["{host}", "{host}:{port}", "other.example,{host}", "*"])
def test_no_proxy_goes_direct(no_proxy: str, proxy: Proxy, simulator: SimulatorHandle) -> None:
    """A host NO_PROXY names is connected to directly: batchtui resolves the name itself
    (and the reserved name does not resolve), the proxy hears nothing."""
    port = str(urlsplit(simulator.url).port)
    env = cli_env(HTTP_PROXY=proxy.url, NO_PROXY=no_proxy.format(host=HOST, port=port))
    add_profile(named(simulator.url), env=env, timeout="2")

    tested = run_cli("profile", "test", "sim", env=env)

    assert tested.code == 1
    line = tested.one_error_line()
    assert f"cannot connect to http://{HOST}:{port}" in line and "host name not found" in line
    assert proxy.seen == []


def test_loopback_never_goes_through_the_proxy(proxy: Proxy, simulator: SimulatorHandle) -> None:
    env = cli_env(HTTP_PROXY=proxy.url, HTTPS_PROXY=proxy.url, ALL_PROXY=proxy.url)
    add_profile(simulator.url, env=env)

    assert run_cli("profile", "test", "sim", env=env).code == 0
    assert proxy.seen == []


def test_a_proxy_that_refuses_is_one_clear_line(proxy: Proxy) -> None:
    env = cli_env(HTTP_PROXY=proxy.url)
    add_profile(f"http://{HOST}:9/v1", env=env, timeout="2")  # the proxy cannot reach port 9

    tested = run_cli("profile", "test", "sim", env=env)

    assert tested.code == 1
    line = tested.one_error_line()
    assert "openai profile 'sim'" in line and "GET /batches" in line, line


# --- TLS through a CONNECT tunnel, with the site's CA bundle ------------------------------


def certificate_for(host: str, folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A throwaway CA (its certificate file, the bundle to trust) and a server context
    holding a certificate it signed for `host`."""
    ca = TestCA.create(folder, hostnames=(host,), patterns=())
    return ca.ca_file, ca.server_context()


@pytest.fixture
def tls_server(hostile_server: HostileServer, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server (certificate for this machine's name, from a throwaway CA) relaying to
    `hostile_server`; yields (https base URL, the CA bundle to trust)."""
    ca_file, context = certificate_for(HOST, tmp_path)
    hostile_server.answer("GET /v1/batches", {"object": "list", "data": [], "has_more": False})
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    backend_port = urlsplit(hostile_server.url).port
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=relay, args=(raw,), daemon=True).start()

    def relay(raw: socket.socket) -> None:
        try:
            with context.wrap_socket(raw, server_side=True) as tls:
                backend = socket.create_connection(("127.0.0.1", backend_port))
                with backend:
                    _pipe(tls, backend)
        except (ssl.SSLError, OSError):
            pass  # a client that does not trust the certificate hangs up: that is the point

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://{HOST}:{port}/v1", ca_file
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_https_proxy_tunnels_and_ssl_cert_file_is_trusted(
    proxy: Proxy, tls_server: tuple[str, Path]
) -> None:
    url, ca_bundle = tls_server
    env = cli_env(HTTPS_PROXY=proxy.url, SSL_CERT_FILE=str(ca_bundle))
    add_profile(url, env=env)

    tested = run_cli("profile", "test", "sim", env=env)

    assert tested.code == 0, tested.err
    assert proxy.seen == [f"CONNECT {urlsplit(url).netloc}"]


def test_an_untrusted_certificate_is_refused_with_a_hint(
    proxy: Proxy, tls_server: tuple[str, Path]
) -> None:
    url, _ = tls_server
    env = cli_env(HTTPS_PROXY=proxy.url)
    env.pop("SSL_CERT_FILE", None)
    env.pop("SSL_CERT_DIR", None)
    add_profile(url, env=env)

    tested = run_cli("profile", "test", "sim", env=env)

    assert tested.code == 1
    line = tested.one_error_line()
    assert "certificate" in line and "SSL_CERT_FILE" in line, line


# --- no switch turns TLS checks off ------------------------------------------------------

TLS_OFF = re.compile(
    r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
    r"|PYTHONHTTPSVERIFY|verify_ssl|insecure|no[-_]verify|ssl_verify",
    re.IGNORECASE,
)


def test_no_code_turns_tls_verification_off() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TLS_OFF.search(line)
    ]

    assert offenders == []
    assert len(list(SOURCE.rglob("*.py"))) > 20  # the grep looked at the real code


def test_no_setting_or_flag_turns_tls_verification_off() -> None:
    assert not [name for name in PROFILE_FIELDS if TLS_OFF.search(name) or "verify" in name]
    helps = run_cli("--help").out + run_cli("profile", "add", "--help").out
    assert not TLS_OFF.search(helps) and "verify" not in helps.lower()
