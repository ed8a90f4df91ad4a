"""A batch request file, read-only: its raw lines numbered, with the prompt of the line under
the cursor (`batchtui view` on an input file)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from batchtui.core.resultfile import LineIndex, request_prompt
from batchtui.core.terminal_text import inert
from batchtui.tui.widgets.line_viewer import CursorView, LineViewer
from batchtui.tui.widgets.record_view import capped_text

# Prompts of huge lines are not parsed: the raw line is on screen anyway.
MAX_PROMPT_LINE = 4 << 20


class RequestsScreen(Screen[None]):
    """Numbered request lines read on demand from a line index; the prompt below."""

    DEFAULT_CSS = """
    RequestsScreen {
        layout: vertical;
        & > #requests-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
        & > LineViewer { height: 2fr; }
        & > #requests-prompt {
            height: 1fr; border-top: solid $primary-muted; padding: 0 1; overflow-y: auto;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", tooltip="Leave the request file"),
    ]

    class Indexed(Message):
        def __init__(self, index: LineIndex | None, problem: str = "") -> None:
            super().__init__()
            self.index = index
            self.problem = problem

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.index: LineIndex | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Requests · {self.path.name} · read-only"), id="requests-title")
        yield LineViewer(id="requests-lines")
        yield Static(id="requests-prompt")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LineViewer).focus()
        self.build_index()

    @work(thread=True, exclusive=True)
    def build_index(self) -> None:
        worker = get_current_worker()
        try:
            index = LineIndex(self.path)
            if not index.scan(cancel=lambda: worker.is_cancelled):
                return
        except OSError as exc:
            self.post_message(self.Indexed(None, f"{self.path}: cannot read: {exc.strerror}"))
            return
        self.post_message(self.Indexed(index))

    def on_requests_screen_indexed(self, message: Indexed) -> None:
        if message.index is None:
            self.notify(inert(message.problem, single_line=True), severity="error", markup=False)
            return
        self.index = message.index
        self.query_one(LineViewer).show_index(message.index)
        title = f"Requests · {self.path.name} · {message.index.line_count:,} lines · read-only"
        self.query_one("#requests-title", Static).update(Text(inert(title, single_line=True)))
        self._show_prompt(0)

    @on(CursorView.CursorMoved, "#requests-lines")
    def _cursor_moved(self, message: CursorView.CursorMoved) -> None:
        self._show_prompt(message.row)

    def _show_prompt(self, line: int) -> None:
        prompt = self.query_one("#requests-prompt", Static)
        index = self.index
        if index is None or line >= index.line_count:
            prompt.update(Text())
            return
        if index.size_bound(line) > MAX_PROMPT_LINE:
            prompt.update(Text(f"line {line + 1} is too long to show its prompt here"))
            return
        try:
            text = request_prompt(index.read_line(line))
        except OSError as exc:
            text = f"(cannot read {self.path}:{line + 1}: {exc.strerror or exc})"
        prompt.update(Text(f"{self.path.name}:{line + 1}\n", style="bold") + capped_text(text))

    def action_leave(self) -> None:
        if len(self.app.screen_stack) <= 1:  # alone in `batchtui view`
            self.app.exit()
        else:
            self.app.pop_screen()
