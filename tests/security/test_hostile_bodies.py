"""Bodies that never end, drip, stop short, ignore Range, inflate or overflow: every command ends.

A stdlib server on 127.0.0.1 plays a hostile provider: for the route under test it serves
one of the `HOSTILE` behaviours (a new case is a new row), and good answers elsewhere.
The profile sets deadlines of a few seconds (`PROFILE_SETTINGS`), so each command must
exit 1 with one `batchtui: error:` line (warnings allowed before it) within twice the
bound its settings give, measured beyond the same command's run against a well-behaved
server in the same test. Every server loop is bounded and stops by itself.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from batchtui.simulator import SimulatorHandle

from .conftest import KEY_ENV, Run, batch_object, request_line, run_cli

TIMEOUT = 1.0  # the profile's `timeout`: the progress floor's window
DEADLINE = 3.0  # every JSON call, retries included
ATTEMPTS = 2
PROFILE_SETTINGS = {
    "timeout": TIMEOUT,
    "deadline": DEADLINE,
    "max_attempts": ATTEMPTS,
    "max_answer_bytes": 1 << 20,
    "max_retry_after": 2,
    "announce_wait": 1,
    "max_list_pages": 3,
}
# Content has no deadline but a progress floor: each of `ATTEMPTS` tries may wait one
# `timeout`, with a backoff of at most 2 s between them; the JSON calls before it (the
# batch, the file object) answer at once.
CONTENT_BOUND = ATTEMPTS * TIMEOUT + (ATTEMPTS - 1) * 2.0
SERVER_LOOP_SECONDS = 30.0  # no hostile answer goes on longer than this

FILE_BYTES = b"".join(
    json.dumps({"custom_id": f"r{n}", "response": {"status_code": 200, "body": {}}}).encode()
    + b"\n"
    for n in range(400)
)


# --- a hostile peer ----------------------------------------------------------------------

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def _head(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


def _for_a_while() -> Iterator[int]:
    """Counts up until `SERVER_LOOP_SECONDS` have passed."""
    stop = time.monotonic() + SERVER_LOOP_SECONDS
    for step in itertools.count():
        if time.monotonic() > stop:
            return
        yield step


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Behaviour:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()

    def serve(handler: BaseHTTPRequestHandler) -> None:
        _head(
            handler,
            status,
            {
                "Content-Type": "application/json",
                "Content-Length": str(len(data)),
                **(headers or {}),
            },
        )
        handler.wfile.write(data)

    return serve


def drip(body: bytes, *, every: float = 0.2, piece: int = 16) -> Behaviour:
    """The whole length announced, then `piece` bytes every `every` seconds."""

    def serve(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, 200, {"Content-Type": "application/json", "Content-Length": str(len(body))})
        for step in _for_a_while():
            chunk = body[step * piece : (step + 1) * piece]
            if not chunk:
                return
            handler.wfile.write(chunk)
            handler.wfile.flush()
            time.sleep(every)

    return serve


def drip_resumable(body: bytes, *, every: float = 0.2, piece: int = 64) -> Behaviour:
    """Like `drip`, but honouring `Range: bytes=N-` (206): each try gets a little further."""

    def serve(handler: BaseHTTPRequestHandler) -> None:
        asked = (handler.headers.get("Range") or "").removeprefix("bytes=").rstrip("-")
        start = int(asked) if asked.isdigit() else 0
        headers = {"Content-Type": "application/octet-stream",
                   "Content-Length": str(len(body) - start)}  # fmt: skip
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
        _head(handler, 206 if start else 200, headers)
        for step in _for_a_while():
            chunk = body[start + step * piece : start + (step + 1) * piece]
            if not chunk:
                return
            handler.wfile.write(chunk)
            handler.wfile.flush()
            time.sleep(every)

    return serve


def endless(start: bytes, repeat: bytes) -> Behaviour:
    """No length: `start`, then `repeat` until the client hangs up (or a while passes)."""

    def serve(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, 200, {"Content-Type": "application/octet-stream", "Connection": "close"})
        handler.close_connection = True
        handler.wfile.write(start)
        for _ in _for_a_while():
            handler.wfile.write(repeat * 64)

    return serve


def cut_ignoring_range(body: bytes) -> Behaviour:
    """200 with the whole length whatever Range says, and the connection closed half-way."""

    def serve(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, 200, {"Content-Type": "application/octet-stream",
                             "Content-Length": str(len(body)), "Connection": "close"})  # fmt: skip
        handler.close_connection = True
        handler.wfile.write(body[: len(body) // 2])

    return serve


def gzip_bomb(size: int) -> Behaviour:
    packed = gzip.compress(b'{"id": "' + b"a" * size + b'"}', 9)

    def serve(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, 200, {"Content-Type": "application/json", "Content-Encoding": "gzip",
                             "Content-Length": str(len(packed))})  # fmt: skip
        handler.wfile.write(packed)

    return serve


def endless_list() -> Behaviour:
    """A page of two new batches every time, always with more to come."""
    counter = itertools.count()

    def serve(handler: BaseHTTPRequestHandler) -> None:
        ids = [f"batch_x{next(counter)}" for _ in range(2)]
        page = {"object": "list", "data": [batch_object(i, metadata={}) for i in ids],
                "has_more": True, "last_id": ids[-1]}  # fmt: skip
        answer(page)(handler)

    return serve


@dataclass
class Peer:
    url: str
    routes: dict[str, Behaviour]
    seen: list[str]


def _handler(peer: Peer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            route = f"{self.command} {self.path.split('?', 1)[0]}"
            peer.seen.append(route)
            behaviour = peer.routes.get(route) or answer({"error": {"message": "no route"}}, 404)
            try:
                behaviour(self)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up: that is the point

        do_GET = do_POST = _serve

    return Handler


@pytest.fixture
def peer() -> Iterator[Peer]:
    state = Peer(url="", routes={}, seen=[])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


# --- the cases ---------------------------------------------------------------------------

BATCH = "GET /v1/batches/batch_1"
BATCH_BYTES = json.dumps(batch_object()).encode()
CONTENT = "GET /v1/files/file-out/content"
LIST = "GET /v1/batches"


@dataclass(frozen=True)
class Case:
    command: tuple[str, ...]  # JOB stands for the job's id
    route: str
    behaviour: Callable[[], Behaviour]
    bound: float  # what the settings allow the hostile part to take
    says: str  # in the error line
    code: int = 1


HOSTILE = {
    "json-dripping": Case(("status", "JOB", "--refresh"), BATCH,
                          lambda: drip(BATCH_BYTES, every=0.5), DEADLINE, "deadline"),
    "json-never-ending": Case(("status", "JOB", "--refresh"), BATCH,
                              lambda: endless(b"[", b"0,"), DEADLINE, "too large"),
    "json-oversized": Case(("status", "JOB", "--refresh"), BATCH,
                           lambda: answer(b" " * (2 << 20) + b"{}"), DEADLINE, "max_answer_bytes"),
    "json-gzip-bomb": Case(("status", "JOB", "--refresh"), BATCH,
                           lambda: gzip_bomb(32 << 20), DEADLINE, "too large"),
    "json-another-id": Case(("status", "JOB", "--refresh"), BATCH,
                            lambda: answer(batch_object("batch_2", status="completed")),
                            DEADLINE, "'batch_2', not 'batch_1'"),
    "retry-after-an-hour": Case(("status", "JOB", "--refresh"), BATCH,
                                lambda: answer({"error": {"message": "slow down"}}, 429,
                                               {"Retry-After": "3600"}),
                                DEADLINE, "Retry-After"),
    "content-dripping-download": Case(("download", "JOB", "-o", "out"), CONTENT,
                                      lambda: drip(FILE_BYTES, piece=64), CONTENT_BOUND,
                                      "stalled"),
    "content-dripping-results": Case(("results", "JOB"), CONTENT,
                                     lambda: drip(FILE_BYTES, piece=64), CONTENT_BOUND,
                                     "stalled"),
    "content-dripping-resumable-download": Case(("download", "JOB", "-o", "out"), CONTENT,
                                                lambda: drip_resumable(FILE_BYTES),
                                                CONTENT_BOUND, "without progress"),
    "content-never-ending-download": Case(("download", "JOB", "-o", "out"), CONTENT,
                                          lambda: endless(FILE_BYTES, b"x" * 1024),
                                          CONTENT_BOUND, "more than"),
    "content-never-ending-results": Case(("results", "JOB"), CONTENT,
                                         lambda: endless(FILE_BYTES, b"x" * 1024),
                                         CONTENT_BOUND, "more than"),
    "content-cut-ignoring-range-download": Case(("download", "JOB", "-o", "out"), CONTENT,
                                                lambda: cut_ignoring_range(FILE_BYTES),
                                                CONTENT_BOUND, "without progress"),
    "content-cut-ignoring-range-results": Case(("results", "JOB"), CONTENT,
                                               lambda: cut_ignoring_range(FILE_BYTES),
                                               CONTENT_BOUND, "without progress"),
}  # fmt: skip


def write_profile(url: str, **settings: Any) -> None:
    lines = ["[profiles.sim]", 'kind = "openai"', f'base_url = "{url}"',
             f'api_key_env = "{KEY_ENV}"']  # fmt: skip
    lines += [f"{key} = {value!r}" for key, value in {**PROFILE_SETTINGS, **settings}.items()]
    path = Path(os.environ["BATCHTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def good_answers(peer: Peer) -> None:
    done = batch_object(status="completed", output_file_id="file-out",
                        request_counts={"total": 400, "completed": 400, "failed": 0})  # fmt: skip
    peer.routes.update(
        {
            "POST /v1/files": answer({"id": "file-in", "object": "file", "bytes": 10}),
            "POST /v1/batches": answer(batch_object(status="validating")),
            LIST: answer({"object": "list", "data": [], "has_more": False}),
            BATCH: answer(done),
            "GET /v1/files/file-out": answer(
                {"id": "file-out", "object": "file", "bytes": len(FILE_BYTES)}
            ),
            CONTENT: answer(FILE_BYTES, headers={"Content-Type": "application/octet-stream"}),
        }
    )


def submitted_job(peer: Peer, tmp_path: Path) -> str:
    good_answers(peer)
    write_profile(peer.url)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hi") + "\n")
    submitted = run_cli("submit", str(source), "--profile", "sim", "--json")
    assert submitted.code == 0, submitted.err
    return json.loads(submitted.out)["id"]


def timed(*args: str, cwd: Path) -> tuple[Run, float]:
    started = time.monotonic()
    done = run_cli(*args, cwd=cwd, timeout=120)
    return done, time.monotonic() - started


def assert_one_error(done: Run, says: str) -> str:
    lines = done.err.strip().splitlines()
    assert all(line.startswith("batchtui: ") for line in lines), done.err[-2000:]
    errors = [line for line in lines if line.startswith("batchtui: error: ")]
    assert len(errors) == 1, done.err[-2000:]
    assert "Traceback" not in done.err and "unexpected failure" not in errors[0], errors[0]
    assert "openai profile 'sim'" in errors[0] or "out" in errors[0], errors[0]
    assert says in errors[0], errors[0]
    return errors[0]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_command_ends_with_one_line_within_its_bound(
    name: str, peer: Peer, tmp_path: Path
) -> None:
    case = HOSTILE[name]
    job_id = submitted_job(peer, tmp_path)
    command = [job_id if part == "JOB" else part for part in case.command]
    # The same command against good answers: what starting batchtui costs on this machine now.
    baseline_done, baseline = timed(*command, cwd=tmp_path / "baseline")
    assert baseline_done.code == 0, baseline_done.err

    peer.routes[case.route] = case.behaviour()
    done, elapsed = timed(*command, cwd=tmp_path)

    assert done.code == case.code, (done.code, done.err[-2000:])
    assert_one_error(done, case.says)
    assert elapsed - baseline <= 2 * case.bound, f"{elapsed:.1f}s, baseline {baseline:.1f}s"


@pytest.fixture(autouse=True)
def _baseline_dir(tmp_path: Path) -> None:
    (tmp_path / "baseline").mkdir()


def test_content_past_the_announced_size_leaves_nothing_half_written(
    peer: Peer, tmp_path: Path
) -> None:
    job_id = submitted_job(peer, tmp_path)
    peer.routes[CONTENT] = endless(FILE_BYTES, b"x" * 1024)

    done = run_cli("download", job_id, "-o", "out", cwd=tmp_path, timeout=120)

    assert done.code == 1
    assert_one_error(done, f"more than the {len(FILE_BYTES):,} bytes")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == []


def test_retry_after_waits_are_announced_and_capped(peer: Peer, tmp_path: Path) -> None:
    job_id = submitted_job(peer, tmp_path)
    peer.routes[BATCH] = answer({"error": {"message": "slow down"}}, 429, {"Retry-After": "3600"})

    done = run_cli("status", job_id, "--refresh", timeout=120)

    warnings = [line for line in done.err.splitlines() if line.startswith("batchtui: warning:")]
    assert len(warnings) == 1 and "trying again in 2s" in warnings[0], done.err
    assert peer.seen.count(BATCH) == 2  # one wait of the 2 s cap, then the deadline is near
    assert "asks to wait 3600s" in assert_one_error(done, "Retry-After")


def test_a_list_that_never_ends_stops_at_the_page_cap_with_a_warning(
    peer: Peer, tmp_path: Path
) -> None:
    good_answers(peer)
    write_profile(peer.url)
    peer.routes[LIST] = endless_list()

    done = run_cli("sync", "--profile", "sim", "--json", timeout=120)

    assert done.code == 0, done.err
    assert peer.seen.count(LIST) == PROFILE_SETTINGS["max_list_pages"]
    assert json.loads(done.out)["scanned"] == 2 * PROFILE_SETTINGS["max_list_pages"]
    [warning] = done.err.strip().splitlines()
    assert warning.startswith("batchtui: warning: ") and "max_list_pages" in warning, warning


def test_a_repeated_cursor_ends_the_list_with_a_warning(peer: Peer, tmp_path: Path) -> None:
    good_answers(peer)
    write_profile(peer.url, max_list_pages=1000)
    pages = itertools.cycle([["batch_a", "batch_b"], ["batch_c", "batch_d"]])

    def looping(handler: BaseHTTPRequestHandler) -> None:
        ids = next(pages)
        answer({"object": "list", "data": [batch_object(i, metadata={}) for i in ids],
                "has_more": True, "last_id": ids[-1]})(handler)  # fmt: skip

    peer.routes[LIST] = looping

    done = run_cli("sync", "--profile", "sim", "--json", timeout=120)

    assert done.code == 0, done.err
    assert peer.seen.count(LIST) == 3  # a, c, then a again: stop
    assert "cursor again" in done.err


# --- the simulator's own faults, as the issue found them -----------------------------------


def test_truncating_simulator_ignoring_range_ends(
    start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    """`simulate --no-range --faults content:truncated=1`: each try gets the same half."""
    simulator = start_simulator(no_range=True, faults="content:truncated=1", seed=1)
    write_profile(simulator.url)
    source = tmp_path / "input.jsonl"
    source.write_text("".join(request_line(f"r{n}", "hi") + "\n" for n in range(20)))
    submitted = run_cli("submit", str(source), "--profile", "sim", "--json")
    assert submitted.code == 0, submitted.err
    job_id = json.loads(submitted.out)["id"]
    watched = run_cli("watch", job_id, timeout=120)
    assert watched.code == 0, watched.err

    for command in (("download", job_id, "-o", "out"), ("results", job_id)):
        done = run_cli(*command, cwd=tmp_path, timeout=120)
        assert done.code == 1, done.err
        assert_one_error(done, "without progress")
