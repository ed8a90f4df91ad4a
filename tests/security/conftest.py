"""Helpers for the security tests: the real `batchtui` command, hostile text, a hostile peer.

- `run_cli(*args, env=..., cwd=...)`: `batchtui` as a subprocess; raw stdout/stderr bytes.
- `EVIL`: text a model or a server may send that would act on a terminal if printed raw.
- `assert_inert(data)`: no byte in `data` a terminal would act on (ESC, CSI, OSC, C1, BEL...).
- `hostile_server`: a stdlib HTTP server on 127.0.0.1 that answers each path with whatever
  the test sets (an HTML page, a truncated body, a wrong shape): a hostile peer, not a model
  of any provider.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

BATCHTUI = Path(sys.executable).with_name("batchtui")
KEY_ENV = "BATCHTUI_SECURITY_KEY"

# Sequences that would change the terminal's title, write its clipboard, clear the screen,
# recolour it, or start a device control string, in 7-bit and 8-bit (C1) forms.
TITLE = "\x1b]0;pwned\x07"
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"
EVIL = (
    f"{TITLE}{CLIPBOARD}\x1b[2J\x1b[H\x1b[31m\x9b2J\x9d0;pwned\x9c\x1bPqdcs\x1b\\"
    "\x07\x08\r\x7f\u202e[bold]markup[/]"
)
# Bytes that must never reach a terminal from foreign text. `\n` and `\t` are layout.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_inert(data: bytes | str, *, allowed: re.Pattern[str] | None = None) -> None:
    """No control character in `data` besides newline and tab (and what `allowed` matches:
    the TUI's own colour and cursor sequences)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    if allowed is not None:
        text = allowed.sub("", text)
    found = _RAW_CONTROL.search(text)
    if found is not None:
        around = text[max(0, found.start() - 60) : found.start() + 60]
        raise AssertionError(f"raw {found.group()!r} at {found.start()}: {around!r}")


@dataclass
class Run:
    code: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def one_error_line(self) -> str:
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("batchtui: error: "), self.err
        return lines[0]


def cli_env(key: str = "sk-security-test-0000", **extra: str) -> dict[str, str]:
    return {**os.environ, KEY_ENV: key, "LANG": "C.UTF-8", "LC_ALL": "", **extra}


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> Run:
    done = subprocess.run(
        [str(BATCHTUI), *args],
        capture_output=True,
        env=env or cli_env(),
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def add_profile(
    url: str, name: str = "sim", *, env: dict[str, str] | None = None, timeout: str = "5"
) -> None:
    added = run_cli(
        "profile", "add", name, "--kind", "openai", "--base-url", url,
        "--api-key-env", KEY_ENV, "--timeout", timeout, env=env,
    )  # fmt: skip
    assert added.code == 0, added.err


def request_line(custom_id: str, prompt: str, model: str = "gpt-4o-mini") -> str:
    return json.dumps(
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": prompt}]},
        }
    )


# --- a hostile peer ----------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    # Send this Content-Length instead of the body's real one (a body cut short).
    content_length: int | None = None


@dataclass
class HostileServer:
    url: str  # ends in /v1
    answers: dict[str, Answer]  # "GET /v1/batches/x" or "GET *" -> answer
    requests: list[tuple[str, str, dict[str, str]]]  # (method, path, headers)

    def answer(self, route: str, answer: Answer | dict[str, Any] | list[Any] | bytes) -> None:
        if isinstance(answer, bytes):
            answer = Answer(body=answer)
        elif not isinstance(answer, Answer):
            answer = Answer(body=json.dumps(answer).encode())
        self.answers[route] = answer


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            server.requests.append((self.command, self.path, dict(self.headers)))
            answer = server.answers.get(f"{self.command} {path}") or server.answers.get(
                f"{self.command} *", Answer(404, b'{"error": {"message": "no such route"}}')
            )
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            length = len(answer.body) if answer.content_length is None else answer.content_length
            self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer.body)
            self.close_connection = True

        do_GET = do_POST = do_DELETE = _serve

    return Handler


@pytest.fixture
def hostile_server() -> Iterator[HostileServer]:
    state = HostileServer(url="", answers={}, requests=[])
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def batch_object(batch_id: str = "batch_1", **fields: Any) -> dict[str, Any]:
    """A Batch as the spec shapes it (what a hostile peer sends when it plays along)."""
    return {
        "id": batch_id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in",
        "completion_window": "24h",
        "status": "in_progress",
        "created_at": 1711471533,
        "request_counts": {"total": 3, "completed": 1, "failed": 0},
        **fields,
    }
