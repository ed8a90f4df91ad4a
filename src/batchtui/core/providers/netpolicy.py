"""The network I/O policy of a profile: deadlines, ceilings, retries, and who hears of long waits.

Every HTTP provider reads its limits from one `NetworkPolicy`, built from the profile's
settings (`NetworkPolicy.from_profile`); every default below is a documented setting of
`[profiles.NAME]` in config.toml. This module imports neither httpx nor tenacity, so the
CLI can register its listener for notices at no cost.

Notices are what the network layer has to say that is not an error: a wait over
`announce_wait` seconds (a `Retry-After`, a backoff) and a list cut short. The CLI prints
each as one `batchtui: warning:` line; the TUI shows them in its status line. Listeners
are called on the thread that made the call; a TUI listener hands the text to the app.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.core.config import Profile

KB = 1024
MB = 1024 * KB

DEFAULT_DEADLINE_FACTOR = 4.0
DEFAULT_MAX_ANSWER_BYTES = 64 * MB
DEFAULT_MAX_INFLATION = 16.0
DEFAULT_MAX_INFLATED_BYTES = 256 * MB
# Below this an answer is not judged by its compression ratio: a small JSON answer of
# repeated keys legitimately inflates more than 16x.
INFLATION_FLOOR_BYTES = 1 * MB
DEFAULT_MIN_PROGRESS_BYTES = 64 * KB
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_MAX_RETRY_AFTER = 120.0
DEFAULT_ANNOUNCE_WAIT = 5.0
DEFAULT_MAX_LIST_PAGES = 1000


@dataclass(frozen=True)
class NetworkPolicy:
    """How long, how big and how often: the bounds on one profile's network I/O."""

    # Tries of a call (reads, uploads; a create is resent only when refused unseen). A
    # provider failing a third of its requests still gets each call through (0.3^10), and
    # waits stay short: many quick tries beat a few long ones against random failures.
    attempts: int = DEFAULT_MAX_ATTEMPTS
    # Nobody listening (connection refused, unknown host) rarely heals in seconds.
    connect_attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 2.0
    # A server asking for a longer pause than this gets this (and the call may give up
    # rather than wait past its deadline).
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    # Every JSON call, retries and waits included, ends within this many seconds; None:
    # `DEFAULT_DEADLINE_FACTOR` times the profile's `timeout`. Time spent sending a request
    # body (an upload) does not count.
    deadline: float | None = None
    # The largest JSON answer read, after decompression.
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    # A compressed answer may inflate to this many times its compressed size (past the
    # first `INFLATION_FLOOR_BYTES`), and never past `max_inflated_bytes`.
    max_inflation: float = DEFAULT_MAX_INFLATION
    max_inflated_bytes: int = DEFAULT_MAX_INFLATED_BYTES
    # File content has no deadline (hours on a slow link are fine) but a progress floor:
    # fewer than this many bytes within one `timeout` of waiting drops the stream, which
    # is resumed like a dropped connection.
    min_progress_bytes: int = DEFAULT_MIN_PROGRESS_BYTES
    # Waits longer than this are announced (a stderr line, the TUI status line).
    announce_wait: float = DEFAULT_ANNOUNCE_WAIT
    # A list stops after this many pages, with a warning.
    max_list_pages: int = DEFAULT_MAX_LIST_PAGES

    def deadline_for(self, timeout: float) -> float:
        return self.deadline if self.deadline is not None else DEFAULT_DEADLINE_FACTOR * timeout

    def inflation_limit(self, compressed: int) -> int:
        """The most a body of `compressed` bytes (so far) may decode to."""
        by_ratio = max(int(self.max_inflation * compressed), INFLATION_FLOOR_BYTES)
        return min(by_ratio, self.max_inflated_bytes)

    @classmethod
    def from_profile(cls, profile: Profile) -> NetworkPolicy:
        return cls(
            attempts=profile.max_attempts,
            max_retry_after=profile.max_retry_after,
            deadline=profile.deadline,
            max_answer_bytes=profile.max_answer_bytes,
            max_inflation=profile.max_inflation,
            max_inflated_bytes=profile.max_inflated_bytes,
            min_progress_bytes=profile.min_progress_bytes,
            announce_wait=profile.announce_wait,
            max_list_pages=profile.max_list_pages,
        )


# --- notices -------------------------------------------------------------------------------

NoticeListener = Callable[[str], None]

_listeners: list[NoticeListener] = []
_listeners_lock = threading.Lock()


def add_notice_listener(listener: NoticeListener) -> Callable[[], None]:
    """Call `listener` with each notice from now on; returns the function that stops it."""
    with _listeners_lock:
        _listeners.append(listener)

    def remove() -> None:
        with _listeners_lock, contextlib.suppress(ValueError):
            _listeners.remove(listener)

    return remove


@contextlib.contextmanager
def notices_to(listener: NoticeListener) -> Iterator[None]:
    """`listener` hears every notice while the block runs."""
    remove = add_notice_listener(listener)
    try:
        yield
    finally:
        remove()


def announce(message: str) -> None:
    """Tell every listener (a one-line message); logged as well, for `--debug`."""
    import logging

    logger = logging.getLogger("batchtui.http")
    logger.info("notice: %s", message)
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(message)
        except Exception:  # a listener that cannot show it must not fail the call
            logger.exception("a notice listener failed")


def list_cut_short(label: str, call: str, pages: int, reason: str) -> str:
    """The notice for a list that stopped before the server said it ended."""
    return f"{label}: {call}: stopped the list after {pages:,} pages ({reason})"
