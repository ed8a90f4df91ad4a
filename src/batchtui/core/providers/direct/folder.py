"""A direct job's folder under the data dir: its input, answers, state, heartbeat and lock.

    input.jsonl      the uploaded copy of the input file
    spec.json        what to run: endpoint, model, metadata, settings (never a secret)
    state.json       in_progress / completed / failed / cancelled, counts, times, errors
    heartbeat.json   written by the live runner every HEARTBEAT_SECONDS: pid, host, counts
    output.jsonl     answers in the OpenAI batch output format, appended as they arrive
    errors.jsonl     failed requests, same format
    runner.lock      flock'ed by the one live runner
    cancel           present once a cancel was asked for
    runner.log       the runner's stderr

Answers are appended one line per `write`; a line torn by a crash (a reboot mid-write)
is cut off by `repair_and_scan` before a new runner appends, and the custom_ids already
answered are never sent again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchtui.core.errors import BatchtuiError, NotFoundError
from batchtui.core.fsutil import atomic_write_bytes

HEARTBEAT_SECONDS = 2.0
# A runner silent for this many heartbeats is dead (killed, or its machine rebooted).
STALE_HEARTBEATS = 3
BATCH_ID_PREFIX = "direct_"
FILE_NAMES = {"input": "input.jsonl", "output": "output.jsonl", "error": "errors.jsonl"}
_BATCH_ID = re.compile(r"direct_[0-9a-f]{24}")
_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*("(?:[^"\\]|\\.)*")')
TERMINAL = frozenset({"completed", "failed", "cancelled"})


def jobs_root() -> Path:
    from batchtui.core.paths import data_dir

    return data_dir() / "direct"


def new_batch_id() -> str:
    return BATCH_ID_PREFIX + os.urandom(12).hex()


def file_id(batch_id: str, kind: str) -> str:
    return f"{batch_id}/{FILE_NAMES[kind]}"


@dataclass(frozen=True)
class Heartbeat:
    at: float
    pid: int
    host: str
    completed: int
    failed: int


class JobFolder:
    def __init__(self, root: Path, batch_id: str) -> None:
        if not _BATCH_ID.fullmatch(batch_id):
            raise NotFoundError(f"{batch_id!r} is not a direct batch id", status_code=404)
        self.batch_id = batch_id
        self.path = root / batch_id

    @classmethod
    def for_file(cls, root: Path, file_id: str) -> tuple[JobFolder, str]:
        """The folder and file name of a file id (`direct_<hex>/output.jsonl`)."""
        batch_id, _, name = file_id.partition("/")
        if name not in FILE_NAMES.values():
            raise NotFoundError(f"{file_id!r} is not a direct job's file", status_code=404)
        return cls(root, batch_id), name

    # --- paths ------------------------------------------------------------------------

    def file(self, kind: str) -> Path:
        return self.path / FILE_NAMES[kind]

    @property
    def exists(self) -> bool:
        return (self.path / "spec.json").is_file()

    # --- spec and state ---------------------------------------------------------------

    def read_spec(self) -> dict[str, Any]:
        spec = self._read_json("spec.json")
        if spec is None:
            raise NotFoundError(
                f"no direct batch {self.batch_id} in {self.path.parent}", status_code=404
            )
        return spec

    def write_spec(self, spec: dict[str, Any]) -> None:
        self._write_json("spec.json", spec)

    def read_state(self) -> dict[str, Any]:
        return self._read_json("state.json") or {"status": "in_progress"}

    def write_state(self, state: dict[str, Any]) -> None:
        self._write_json("state.json", {**state, "updated_at": time.time()})

    def read_heartbeat(self) -> Heartbeat | None:
        data = self._read_json("heartbeat.json")
        if not data:
            return None
        try:
            return Heartbeat(
                at=float(data["at"]),
                pid=int(data["pid"]),
                host=str(data["host"]),
                completed=int(data["completed"]),
                failed=int(data["failed"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def write_heartbeat(self, completed: int, failed: int) -> None:
        beat = {
            "at": time.time(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "completed": completed,
            "failed": failed,
        }
        # Not fsync'ed: a heartbeat lost in a crash only makes the runner look dead sooner.
        tmp = self.path / ".heartbeat.json.tmp"
        tmp.write_bytes(json.dumps(beat).encode())
        os.replace(tmp, self.path / "heartbeat.json")

    def last_sign_of_life(self) -> float:
        """Unix time of the runner's last heartbeat, or of the job's last state change."""
        beat = self.read_heartbeat()
        state = self.read_state()
        return max(beat.at if beat else 0.0, float(state.get("updated_at") or 0.0))

    def is_stale(self, now: float | None = None) -> bool:
        silent = (now or time.time()) - self.last_sign_of_life()
        return silent > STALE_HEARTBEATS * HEARTBEAT_SECONDS

    # --- cancel marker ----------------------------------------------------------------

    def request_cancel(self) -> None:
        (self.path / "cancel").touch()

    @property
    def cancel_requested(self) -> bool:
        return (self.path / "cancel").exists()

    # --- the runner's lock ------------------------------------------------------------

    def try_lock(self) -> int | None:
        """The lock's descriptor when this process now holds it, None when a runner does."""
        fd = os.open(self.path / "runner.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        return fd

    def runner_alive(self) -> bool:
        """Whether a runner holds the lock now (probed by taking and releasing it)."""
        if not self.path.is_dir():
            return False
        fd = self.try_lock()
        if fd is None:
            return True
        os.close(fd)
        return False

    @contextlib.contextmanager
    def locked(self, *, wait: float) -> Iterator[bool]:
        """Hold the runner's lock for a short edit, waiting up to `wait` seconds; yields
        False (without the lock) when a runner still holds it after that."""
        deadline = time.monotonic() + wait
        while (fd := self.try_lock()) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            yield fd is not None
        finally:
            if fd is not None:
                os.close(fd)

    # --- answers ----------------------------------------------------------------------

    def repair_and_scan(self) -> tuple[set[str], int, int]:
        """Cut a torn last line off each answer file; (custom_ids answered, outputs, errors).

        Only the runner calls this, holding the lock: nobody else appends meanwhile.
        """
        answered: set[str] = set()
        counts = []
        for kind in ("output", "error"):
            path = self.file(kind)
            _cut_torn_tail(path)
            count = 0
            with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
                for line in handle:
                    custom_id = custom_id_of(line)
                    if custom_id is not None and custom_id not in answered:
                        answered.add(custom_id)
                        count += 1
            counts.append(count)
        return answered, counts[0], counts[1]

    def count_answers(self) -> tuple[int, int]:
        """Lines in output.jsonl and errors.jsonl (whole lines only)."""
        return _count_lines(self.file("output")), _count_lines(self.file("error"))

    # --- helpers ----------------------------------------------------------------------

    def _read_json(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads((self.path / name).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise BatchtuiError(f"{self.path / name}: unreadable ({error})") from None
        return data if isinstance(data, dict) else None

    def _write_json(self, name: str, data: dict[str, Any]) -> None:
        atomic_write_bytes(self.path / name, json.dumps(data, indent=1).encode() + b"\n")


def custom_id_of(line: bytes) -> str | None:
    """The custom_id of an answer line (read without decoding the whole line)."""
    match = _CUSTOM_ID.search(line)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _cut_torn_tail(path: Path) -> None:
    """Truncate `path` after its last newline: a line without one was torn by a crash."""
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return
    with handle:
        size = handle.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            step = min(64 * 1024, end)
            handle.seek(end - step)
            chunk = handle.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                end = end - step + newline + 1
                break
            end -= step
        if end != size:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())


def _count_lines(path: Path) -> int:
    count = 0
    with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count
