"""The job list's first page read in a thread of its own from the moment the TUI starts.

The entry point starts it before importing Textual; the first screen takes the rows when it
mounts (or as soon as they come). The thread imports the reader itself (`first_page`:
sqlite3, the page SQL, TOML), so the main thread goes straight on to Textual.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.core.registry.first_page import FirstPage


class FirstPageRead:
    """The first page and the `[ui] columns` (see `first_page`), being read."""

    def __init__(self, registry: Path | None = None, config: Path | None = None) -> None:
        self._registry, self._config = registry, config
        self._done = threading.Event()
        self.page: FirstPage | None = None
        self.columns: frozenset[str] | None = None
        threading.Thread(target=self._read, name="first-page", daemon=True).start()

    def _read(self) -> None:
        try:
            from batchtui.core import paths
            from batchtui.core.jobs.listing import DEFAULT_PAGE_ROWS
            from batchtui.core.registry.first_page import configured_columns, read_first_page

            registry = self._registry or paths.registry_path()
            # The job list's own first window, so the rows past the screen match too.
            self.page = read_first_page(registry, limit=DEFAULT_PAGE_ROWS)
            self.columns = configured_columns(self._config or paths.config_path())
        except Exception:  # nothing here may keep the job list from loading
            self.page = None
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the read is over (blocks: call it from a thread)."""
        return self._done.wait(timeout)
