"""Progress on stderr, redrawn in place, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from batchtui.cli.terminal import is_tty, write_own
from batchtui.core.units import format_bytes

REDRAW_SECONDS = 0.1


class StatusLine:
    """One line of stderr rewritten in place; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = is_tty(self.stream) if enabled is None else enabled
        self._drawn = False
        self._last_draw = 0.0

    def show(self, text: str, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        write_own(self.stream, "\r\x1b[K")
        self.stream.write(text)
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            write_own(self.stream, "\r\x1b[K")
            self.stream.flush()
            self._drawn = False


class TransferProgress(StatusLine):
    """A `ProgressCallback` drawing `label  42%  1.2 MB/2.9 MB`."""

    def __init__(self, label: str, stream: TextIO | None = None, *, enabled: bool | None = None):
        super().__init__(stream, enabled=enabled)
        self.label = label

    def __call__(self, done: int, total: int | None) -> None:
        finished = total is not None and done >= total
        if total:
            sizes = f"{format_bytes(done)}/{format_bytes(total)}"
            text = f"{self.label}  {100 * done // total:3d}%  {sizes}"
        else:
            text = f"{self.label}  {format_bytes(done)}"
        self.show(text, force=finished)
