"""The first screen on a terminal: the job list's frame while the rest of the app loads.

It is built from Textual alone, so it paints as soon as Textual can: the job service, the
registry, the provider kinds and the job list itself (pydantic models, formats, the
config) are imported after it is on the terminal, in a thread, and the app then replaces it
with the job list (`BatchtuiApp._after_first_paint`). It shows what the job list shows
before the registry is read: the header saying it is loading, and the keys. `q` quits.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static


class StartScreen(Screen[None]):
    DEFAULT_CSS = """
    StartScreen #start-header {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit", id="start.quit"),
    ]

    def __init__(self, *, ascii_only: bool = False) -> None:
        super().__init__()
        self.ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        sep, dots = (" | ", "...") if self.ascii_only else (" │ ", "…")
        yield Static(f"[b]batchtui[/b]{sep}[dim]loading{dots}[/dim]", id="start-header")
        yield Footer()
