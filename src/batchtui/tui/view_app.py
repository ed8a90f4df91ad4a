"""`batchtui view FILE`: the result viewer alone on a local file (or the read-only request
viewer on a batch input), no registry or profile."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from batchtui.tui.screens.results import ResultsScreen
from batchtui.tui.theme import choose_theme
from batchtui.tui.typeahead import TypeAheadApp


class ViewApp(TypeAheadApp[int]):
    """Hosts one `ResultsScreen`; provides the part of the shell it reads (nothing to do
    with jobs: no service, no registry, no config)."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "batchtui view"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Leave the viewer", id="view.quit"),
    ]

    service = None
    registry = None
    config = None
    ascii_only: bool | None = None

    def __init__(
        self, path: Path, *, input_path: Path | None = None, requests: bool = False
    ) -> None:
        super().__init__()
        self.path = path
        self.input_path = input_path
        self.requests = requests
        theme = choose_theme()
        # An unknown BATCHTUI_THEME is the main TUI's to report: the viewer keeps its default.
        if theme in self.available_themes:
            self.theme = theme

    def get_default_screen(self) -> Screen:
        if self.requests:
            from batchtui.tui.screens.requests import RequestsScreen

            return RequestsScreen(self.path)
        return ResultsScreen(path=self.path, input_path=self.input_path)


def run_view(
    path: Path, *, input_path: Path | None = None, requests: bool = False, no_mouse: bool = False
) -> int:
    # Without a handler, logging's last resort would write warnings over the screen.
    logging.getLogger("batchtui").addHandler(logging.NullHandler())
    app = ViewApp(path, input_path=input_path, requests=requests)
    result = app.run(mouse=not no_mouse)
    return app.return_code or result or 0
