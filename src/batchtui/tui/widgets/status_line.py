"""The one-line status under a screen: the latest activity, cleared once it is old news."""

from __future__ import annotations

from typing import ClassVar

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from batchtui.core.terminal_text import inert


class StatusLine(Static):
    """Shows a message for `SHOW_SECONDS`, then clears it: "exported ..." five minutes later
    is noise, and a message about an action that ended must not read as still going on."""

    SHOW_SECONDS: ClassVar[float] = 8.0

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clear_timer: Timer | None = None
        self.message = ""

    def show(self, message: str) -> None:
        self.message = inert(message, single_line=True)
        self.update(Content(self.message))
        if self._clear_timer is not None:
            self._clear_timer.stop()
        self._clear_timer = self.set_timer(self.SHOW_SECONDS, self.clear, name="status-clear")

    def clear(self) -> None:
        self.message = ""
        self.update("")
