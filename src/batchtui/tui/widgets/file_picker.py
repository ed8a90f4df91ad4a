"""A modal file picker: a directory tree (read in workers by Textual) and a path line."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label

from batchtui.core.terminal_text import inert
from batchtui.tui.typeahead import focus_now


class FilePicker(ModalScreen[Path | None]):
    """Pick a file: enter on a file in the tree, or type a path and press enter."""

    DEFAULT_CSS = """
    FilePicker {
        align: center middle;
        & > Vertical {
            width: 90%; height: 90%;
            border: round $primary;
            background: $surface;
            padding: 0 1;
        }
        & DirectoryTree { height: 1fr; }
        & Label { color: $text-muted; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("backspace", "parent", "Parent folder", show=False, id="picker.parent"),
        Binding(
            "ctrl+t",
            "submit",
            "Submit",
            id="picker.submit",
            tooltip="Submit the chosen file to the profile (shows the estimate, asks first)",
        ),
    ]

    def __init__(self, start: Path | None = None, *, title: str = "Open a file") -> None:
        super().__init__()
        start = (start or Path.cwd()).expanduser()
        self.start_dir = start if start.is_dir() else start.parent
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            title = inert(self.title_text, single_line=True)
            yield Label(
                Content(f"{title}: enter picks, ctrl+t submits, backspace goes up, esc cancels")
            )
            yield Input(inert(str(self.start_dir), single_line=True) + "/", id="picker-path")
            yield DirectoryTree(self.start_dir, id="picker-tree")

    def on_mount(self) -> None:
        # A typed path lands in the path field; tab (or down) moves to the tree.
        focus_now(self.query_one("#picker-path", Input))  # the keys typed after opening it

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(Path(event.path))

    @on(DirectoryTree.DirectorySelected)
    def _directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#picker-path", Input).value = f"{event.path}/"

    @on(Input.Submitted, "#picker-path")
    def _path_typed(self, event: Input.Submitted) -> None:
        path = Path(event.value).expanduser()
        if path.is_dir():
            self._browse(path)
        elif path.is_file():
            self.dismiss(path)
        else:
            self.notify(f"{path}: no such file", severity="error", markup=False)

    def _browse(self, directory: Path) -> None:
        tree = self.query_one(DirectoryTree)
        tree.path = directory
        self.query_one("#picker-path", Input).value = f"{directory}/"
        tree.focus()

    def action_parent(self) -> None:
        if isinstance(self.focused, Input):
            return
        current = Path(self.query_one(DirectoryTree).path)
        self._browse(current.parent)

    def action_submit(self) -> None:
        """Submit the highlighted file (or the typed path) instead of picking it."""
        from batchtui.tui.submit_flow import start_submit

        path = self._chosen()
        if path is None:
            self.notify("Choose a file to submit first.", severity="warning", markup=False)
            return
        app = self.app
        self.dismiss(None)
        # Once the picker is gone: the flow's own dialogs go on the screen below it.
        app.call_after_refresh(start_submit, app, path)

    def _chosen(self) -> Path | None:
        tree = self.query_one(DirectoryTree)
        node = tree.cursor_node
        if tree.has_focus and node is not None and node.data is not None:
            highlighted = Path(node.data.path)
            return highlighted if highlighted.is_file() else None
        typed = Path(self.query_one("#picker-path", Input).value).expanduser()
        return typed if typed.is_file() else None

    def action_cancel(self) -> None:
        self.dismiss(None)
