"""Work done on another core by a forked child, its answer sent back through a pipe.

For the few places where Python work can overlap with the caller's own: validating the
regions of a large file (`formats.parallel`) and reading the job list's first page while
Textual is imported (`registry.read_ahead`). A child is forked only from a process with
one thread (forking a threaded process can copy a lock some other thread holds), never
writes to the caller's streams, and leaves with `os._exit`, running no cleanup of the
parent's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Forked:
    """A child at work: its pid and the read end of the pipe its answer comes through."""

    pid: int
    reader: int


def can_fork() -> bool:
    """Whether forking is safe here: callers check it before `fork_call`."""
    return hasattr(os, "fork") and threading.active_count() == 1


def fork_call(produce: Callable[[], bytes | None]) -> Forked | None:
    """A child that writes `produce()` to a pipe (nothing for None or an exception) and
    exits; None when no child can be made."""
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(reader)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            answer = produce()
            if answer is not None:
                with os.fdopen(writer, "wb") as out:
                    out.write(answer)
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    return Forked(pid, reader)


def answer_of(child: Forked) -> bytes | None:
    """What the child sent, once it has ended; None when it sent nothing or failed."""
    with os.fdopen(child.reader, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(child.pid, 0)
    return data if status == 0 and data else None


def stop(children: list[Forked]) -> None:
    """End children whose answers are no longer wanted."""
    for child in children:
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(child.reader)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child.pid, 0)
