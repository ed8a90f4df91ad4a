"""Refuses blocking registry calls on an event loop that must keep answering (tests switch it on).

A registry call can wait seconds for a lock held by another process (or an NFS server);
on the TUI's event loop that freezes every key. Async code goes through `AsyncRegistry`;
this guard makes a forgotten blocking call fail loudly while the TUI's tests run.
"""

from __future__ import annotations

import sys
import threading
import traceback
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # asyncio costs a CLI command ~35 ms; a loop to guard has imported it
    import asyncio

_enabled = False
_guarded: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
_lock = threading.Lock()
# Every refused call, so a test fails even when the app caught the error and reported it.
violations: list[str] = []


class BlockingRegistryCall(RuntimeError):
    """A sync registry method was called on a guarded event loop's thread."""


def enable(on: bool = True) -> None:
    """Switch the guard on (tests) or off; off, `check` costs one global read."""
    global _enabled
    _enabled = on
    if not on:
        violations.clear()


def guard(loop: asyncio.AbstractEventLoop) -> None:
    """Blocking registry calls on this loop's thread are refused while the guard is on."""
    with _lock:
        _guarded.add(loop)


def unguard(loop: asyncio.AbstractEventLoop) -> None:
    with _lock:
        _guarded.discard(loop)


def check(what: str) -> None:
    """Raise `BlockingRegistryCall` when `what` would block a guarded event loop."""
    if not _enabled or "asyncio" not in sys.modules:
        return
    try:
        loop = sys.modules["asyncio"].get_running_loop()
    except RuntimeError:
        return  # a worker thread: blocking there is the point
    with _lock:
        guarded = loop in _guarded
    if guarded:
        message = f"blocking registry call on the event loop: {what} (use AsyncRegistry)"
        violations.append(message + "\n" + "".join(traceback.format_stack(limit=12)))
        raise BlockingRegistryCall(message)
