"""The job list's first page read from the moment the TUI starts, beside Textual's import.

The entry point starts it before importing Textual; the first screen takes the rows when it
mounts (or as soon as they come). Where it can (a process with one thread, as the entry
point is), a forked child reads the page (`first_page`: sqlite3, the page SQL, TOML) on
another core and sends it back pickled; a thread waits for it with the GIL released, so
Textual's import, which decides when the first screen paints, is not slowed by the read.
Elsewhere (tests, a process with threads) the read runs in that thread itself.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.forked import Forked, answer_of, can_fork, fork_call

if TYPE_CHECKING:
    from batchtui.core.registry.listed import FirstPage

_CHILD_SECONDS = 30


class FirstPageRead:
    """The first page and the `[ui] columns` (see `first_page`), being read."""

    def __init__(self, registry: Path | None = None, config: Path | None = None) -> None:
        self._registry, self._config = registry, config
        self._done = threading.Event()
        self.page: FirstPage | None = None
        self.columns: frozenset[str] | None = None
        child = _fork_reader(self) if can_fork() else None
        target = self._read if child is None else lambda: self._receive(child)
        threading.Thread(target=target, name="first-page", daemon=True).start()

    def read(self) -> tuple[FirstPage | None, frozenset[str] | None]:
        """The page and the columns, read here (in the child, or in the thread)."""
        from batchtui.core import paths
        from batchtui.core.jobs.listing import DEFAULT_PAGE_ROWS
        from batchtui.core.registry.first_page import configured_columns, read_first_page

        registry = self._registry or paths.registry_path()
        # The job list's own first window, so the rows past the screen match too.
        page = read_first_page(registry, limit=DEFAULT_PAGE_ROWS)
        return page, configured_columns(self._config or paths.config_path())

    def _read(self) -> None:
        try:
            self.page, self.columns = self.read()
        except Exception:  # nothing here may keep the job list from loading
            self.page = None
        finally:
            self._done.set()

    def _receive(self, child: Forked) -> None:
        try:
            data = answer_of(child)
            if data is not None:
                import pickle

                self.page, self.columns = pickle.loads(data)
        except Exception:  # garbage from a dying child: the job list reads anew
            self.page = None
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the read is over (blocks: call it from a thread)."""
        return self._done.wait(timeout)


def _fork_reader(reading: FirstPageRead) -> Forked | None:
    """A child that reads the page and sends it pickled; None when none can be made."""

    def produce() -> bytes:
        import pickle
        import signal

        # A registry on a file system that stopped answering must not leave the child
        # behind: the first screen stops waiting after READ_WAIT_SECONDS anyway.
        signal.alarm(_CHILD_SECONDS)
        return pickle.dumps(reading.read(), protocol=pickle.HIGHEST_PROTOCOL)

    return fork_call(produce)
