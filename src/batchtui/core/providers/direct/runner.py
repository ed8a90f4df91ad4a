"""The detached worker of one direct job: `python -m batchtui.core.providers.direct.runner DIR`.

It holds the job folder's lock (one runner per job), sends every line not yet answered
to the server with bounded concurrency and the profile's RPM/TPM pacing, and appends
each answer to output.jsonl or errors.jsonl as it arrives, in the OpenAI batch output
format. The first line goes alone, as a probe: a refused key (401/403), an unknown
model or route (404) or nobody listening (as many tries as the HTTP policy gives a
connection) fails the job at once. Rate limits (429, 503) and dropped
connections are retried for as long as the server answers something within
`give_up_after`; other 5xx answers count against the line, which gets an error row after
the HTTP policy's number of attempts. Waits follow the HTTP layer's policy (backoff with
jitter, Retry-After capped).

The API key and headers come in the environment (`SECRETS_ENV`), never on disk or in argv.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tenacity import RetryCallState, wait_random_exponential

from batchtui.core.errors import InputFileError
from batchtui.core.providers.direct.folder import HEARTBEAT_SECONDS, JobFolder
from batchtui.core.providers.direct.limits import Limiter
from batchtui.core.providers.direct.settings import DirectSettings
from batchtui.core.providers.direct.urls import resolve_url
from batchtui.core.providers.http import build_async_client, one_line, parse_retry_after
from batchtui.core.providers.netpolicy import NetworkPolicy

SECRETS_ENV = "BATCHTUI_DIRECT_SECRETS"
# Answers that say "not now" rather than "not this line": retried without counting.
_BUSY = frozenset({429, 503})
# Answers that end the job when the probe gets them: the endpoint is unusable.
_FATAL_ON_PROBE = {401: "the key was refused", 403: "the key was refused", 404: "not found"}


@dataclass(frozen=True)
class Line:
    custom_id: str
    url: str
    body: bytes
    tokens: int


@dataclass
class Answer:
    row: bytes
    ok: bool


class GiveUp(Exception):
    """The job cannot go on: the message says why, for state.json."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Runner:
    def __init__(self, folder: JobFolder, spec: dict[str, Any], secrets: dict[str, Any]) -> None:
        self.folder = folder
        self.spec = spec
        self.settings = DirectSettings.from_json(spec["settings"])
        self.endpoint: str | None = spec.get("endpoint")
        self.limiter = Limiter(rpm=self.settings.rpm, tpm=self.settings.tpm)
        self.policy = NetworkPolicy(**self.settings.network)
        self.deadline = self.policy.deadline_for(self.settings.timeout)
        # The HTTP layer's backoff: exponential with full jitter, within its policy's bounds.
        self._backoff = wait_random_exponential(
            multiplier=self.policy.initial_wait, max=self.policy.max_wait
        )
        headers = dict(secrets.get("headers") or {})
        if secrets.get("api_key"):
            headers.setdefault("Authorization", f"Bearer {secrets['api_key']}")
        headers.setdefault("Content-Type", "application/json")
        self.client = build_async_client(
            base_url=self.settings.base_url, headers=headers, timeout=self.settings.timeout
        )
        self._urls: dict[str, str] = {}
        self.completed = 0
        self.failed = 0
        self.last_answer = time.monotonic()
        self.last_failure = ""
        self._ids = (f"{os.getpid():x}{n:08x}" for n in itertools.count())
        self._outputs = self._open_append("output")
        self._errors = self._open_append("error")

    def _open_append(self, kind: str) -> int:
        return os.open(self.folder.file(kind), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def sync(self) -> None:
        """Flush the answers to disk: a reboot then loses at most a heartbeat's worth."""
        for fd in (self._outputs, self._errors):
            with contextlib.suppress(OSError):
                os.fsync(fd)

    async def aclose(self) -> None:
        await self.client.aclose()
        self.sync()
        for fd in (self._outputs, self._errors):
            os.close(fd)

    # --- the run ----------------------------------------------------------------------

    async def run(self, pending: Iterator[Line]) -> None:
        """Send every pending line; raises GiveUp when the job cannot finish."""
        first = next(pending, None)
        if first is None:
            return
        self._record(await self._send(first, probe=True))
        workers = [
            asyncio.create_task(self._work(pending)) for _ in range(self.settings.concurrency)
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _work(self, pending: Iterator[Line]) -> None:
        for line in pending:  # shared: each line goes to one worker
            self._record(await self._send(line, probe=False))

    def _record(self, answer: Answer) -> None:
        os.write(self._outputs if answer.ok else self._errors, answer.row)
        if answer.ok:
            self.completed += 1
        else:
            self.failed += 1
        self.last_answer = time.monotonic()

    async def _send(self, line: Line, *, probe: bool) -> Answer:
        """One line's answer, retried as the HTTP policy says."""
        counted_failures = 0
        busy_waits = 0
        while True:
            self._check_patience()
            await self.limiter.wait(line.tokens)
            retry_after: float | None = None
            try:
                response, too_large = await self._post(line)
            except (httpx.HTTPError, TimeoutError) as error:
                self.last_failure = (
                    f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                )
                busy_waits += 1
                refused = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                if probe and refused and busy_waits >= self.policy.connect_attempts:
                    # Nobody listens at a fresh start: a wrong URL, or a server not up yet.
                    raise GiveUp(
                        "cannot_connect",
                        f"cannot connect to {self.settings.base_url} on the first request "
                        f"({busy_waits} tries): {one_line(self.last_failure, 200)}",
                    ) from None
                await asyncio.sleep(self._wait(busy_waits, None))
                continue
            status = response.status_code
            self.limiter.observe(response.headers)
            if too_large:
                return self._too_large(line, response)
            if status < 300:
                answer = self._success(line, response)
                if answer is not None:
                    return answer
                counted_failures += 1  # a body cut short: ask again
            elif status in _BUSY or status == 408:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                self.last_failure = f"HTTP {status}"
                busy_waits += 1
                await asyncio.sleep(self._wait(busy_waits, retry_after))
                continue
            elif status < 500:
                if probe and status in _FATAL_ON_PROBE:
                    raise GiveUp(
                        f"http_{status}",
                        f"{line.url}: HTTP {status} on the first request "
                        f"({_FATAL_ON_PROBE[status]}): {_error_text(response)}",
                    )
                return self._failure(line, response)
            else:
                counted_failures += 1
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self.last_failure = f"HTTP {status}"
            if counted_failures >= self.policy.attempts:
                return self._failure(line, response)
            await asyncio.sleep(self._wait(counted_failures, retry_after))

    async def _post(self, line: Line) -> tuple[httpx.Response, bool]:
        """One attempt within the policy's deadline, its answer read within its ceiling;
        True when the answer was over the ceiling (and left unread)."""
        limit = self.policy.max_answer_bytes
        async with asyncio.timeout(self.deadline):
            request = self.client.build_request("POST", line.url, content=line.body)
            response = await self.client.send(request, stream=True)
            try:
                announced = response.headers.get("Content-Length", "")
                if announced.isdigit() and int(announced) > limit:
                    return _with_body(response, b""), True
                parts: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        return _with_body(response, b""), True
                    parts.append(chunk)
            finally:
                await response.aclose()
        return _with_body(response, b"".join(parts)), False

    def _too_large(self, line: Line, response: httpx.Response) -> Answer:
        message = f"the answer is over {self.policy.max_answer_bytes:,} bytes (max_answer_bytes)"
        body = {"error": {"message": message, "type": "server_error", "code": "answer_too_large"}}
        answer = {
            "status_code": response.status_code,
            "request_id": self._request_id(response),
            "body": body,
        }
        return Answer(self._row(line, answer), ok=False)

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.policy.max_retry_after)
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = min(attempt, 30)
        return self._backoff(state)

    def _check_patience(self) -> None:
        silent = time.monotonic() - self.last_answer
        if silent > self.settings.give_up_after:
            raise GiveUp(
                "no_answer",
                f"{self.settings.base_url} answered nothing for {silent:.0f} s "
                f"(give_up_after); last failure: {one_line(self.last_failure, 200) or '-'}",
            )

    # --- rows -------------------------------------------------------------------------

    def _row(self, line: Line, response: dict[str, Any] | None, error: Any = None) -> bytes:
        row = {
            "id": f"batch_req_{next(self._ids)}",
            "custom_id": line.custom_id,
            "response": response,
            "error": error,
        }
        return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def _request_id(self, response: httpx.Response) -> str:
        return response.headers.get("x-request-id") or f"req_{next(self._ids)}"

    def _success(self, line: Line, response: httpx.Response) -> Answer | None:
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            self.last_failure = f"HTTP {response.status_code} with a body that is not JSON"
            return None
        answer = {
            "status_code": response.status_code,
            "request_id": self._request_id(response),
            "body": body,
        }
        return Answer(self._row(line, answer), ok=True)

    def _failure(self, line: Line, response: httpx.Response) -> Answer:
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            body = {"error": {"message": _error_text(response), "type": "server_error"}}
        answer = {
            "status_code": response.status_code,
            "request_id": self._request_id(response),
            "body": body,
        }
        return Answer(self._row(line, answer), ok=False)

    # --- input ------------------------------------------------------------------------

    def pending_lines(self, answered: set[str]) -> Iterator[Line]:
        """The input's lines without an answer, read as they are needed."""
        from batchtui.core.estimate import estimate_request

        with self.folder.file("input").open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    request = json.loads(raw)
                    custom_id = request["custom_id"]
                    body = request["body"]
                    url = self._url(request.get("url") or self.endpoint or "")
                except (ValueError, KeyError, TypeError, InputFileError) as error:
                    raise GiveUp("invalid_input", f"input line {number}: {error}") from None
                if custom_id in answered:
                    continue
                answered.add(custom_id)  # a duplicate custom_id later in the file is skipped
                tokens = 0
                if self.limiter.counts_tokens:
                    estimate = estimate_request(body, request.get("url"))
                    tokens = estimate.input_tokens + estimate.max_output_tokens
                yield Line(custom_id, url, json.dumps(body).encode(), tokens)

    def _url(self, line_url: str) -> str:
        url = self._urls.get(line_url)
        if url is None:
            url = self._urls[line_url] = resolve_url(self.settings.base_url, line_url)
        return url


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )


def _error_text(response: httpx.Response) -> str:
    from batchtui.core.providers.http import _error_fields, _json_or_none

    code, message = _error_fields(_json_or_none(response.content[: 64 * 1024]))
    if not message:
        message = response.content[:300].decode("utf-8", "replace") or response.reason_phrase
    return one_line(f"{code}: {message}" if code else message, 300)


# --- the process ------------------------------------------------------------------------


async def run_job(folder: JobFolder, secrets: dict[str, Any]) -> str:
    """Run the job in `folder` while holding its lock; the status it ended in."""
    lock = folder.try_lock()
    if lock is None:
        _log(f"runner {os.getpid()} leaves: another runner holds the job")
        return "busy"
    try:
        state = folder.read_state()
        if state.get("status") != "in_progress":
            return str(state.get("status"))
        if folder.cancel_requested:
            return _finish(folder, state, "cancelled", None)
        try:
            return await _run_locked(folder, state, secrets)
        except Exception as error:  # a bug or a full disk: say so rather than crash-loop
            _log("runner error:\n" + traceback.format_exc())
            problem = GiveUp("runner_error", f"the runner failed: {type(error).__name__}: {error}")
            return _finish(folder, state, "failed", problem)
    finally:
        os.close(lock)


async def _run_locked(folder: JobFolder, state: dict[str, Any], secrets: dict[str, Any]) -> str:
    spec = folder.read_spec()
    answered, completed, failed = folder.repair_and_scan()
    runner = Runner(folder, spec, secrets)
    runner.completed, runner.failed = completed, failed
    folder.write_heartbeat(completed, failed)
    _log(f"runner {os.getpid()} starts: {completed + failed} answered already")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    work = asyncio.create_task(runner.run(runner.pending_lines(answered)))
    beat = asyncio.create_task(_heartbeat(folder, runner, stop))
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (work, beat, stopped):
            task.cancel()
        await asyncio.gather(work, beat, stopped, return_exceptions=True)
        await runner.aclose()
        folder.write_heartbeat(runner.completed, runner.failed)
    state = {**state, "completed": runner.completed, "failed": runner.failed}
    if folder.cancel_requested:
        return _finish(folder, state, "cancelled", None)
    if stop.is_set():
        return "in_progress"  # stopped from outside (a shutdown): resumable as it is
    error = work.exception() if work.done() and not work.cancelled() else None
    if isinstance(error, GiveUp):
        _log(f"runner gives up: {error.message}")
        return _finish(folder, state, "failed", error)
    if error is not None:
        raise error
    unanswered = int(spec.get("total") or 0) - runner.completed - runner.failed
    if unanswered > 0:  # the input changed under the runner: never call that complete
        problem = GiveUp("unanswered", f"{unanswered} lines of the input have no answer")
        return _finish(folder, state, "failed", problem)
    return _finish(folder, state, "completed", None)


async def _heartbeat(folder: JobFolder, runner: Runner, stop: asyncio.Event) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        # Off the event loop: an fsync on a busy (or network) filesystem may take a while,
        # and the requests in flight must not wait for it.
        await asyncio.to_thread(runner.sync)
        await asyncio.to_thread(folder.write_heartbeat, runner.completed, runner.failed)
        if folder.cancel_requested:
            stop.set()


def _finish(folder: JobFolder, state: dict[str, Any], status: str, error: GiveUp | None) -> str:
    timestamps = dict(state.get("timestamps") or {})
    timestamps[f"{status}_at"] = int(time.time())
    errors = [{"code": error.code, "message": error.message}] if error else []
    folder.write_state({**state, "status": status, "timestamps": timestamps, "errors": errors})
    _log(f"runner {os.getpid()} ends: {status}")
    return status


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sys.stderr.write(f"{stamp} {message}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        sys.stderr.write("usage: python -m batchtui.core.providers.direct.runner JOB_DIR\n")
        return 2
    # The terminal or SSH session that started it may go away: that is no reason to stop.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    path = Path(args[0])
    secrets = json.loads(os.environ.pop(SECRETS_ENV, "") or "{}")
    folder = JobFolder(path.parent, path.name)
    asyncio.run(run_job(folder, secrets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
