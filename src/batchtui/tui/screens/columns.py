"""The job list's column chooser: a checkbox a column, toggled for this session."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from batchtui.core.jobview import ESSENTIAL_COLUMNS, JOB_LIST_COLUMNS

LABELS = {
    "name": "Name",
    "id": "ID (always)",
    "status": "Status (always)",
    "progress": "Progress",
    "eta": "ETA",
    "elapsed": "Elapsed",
    "created": "Created",
    "profile": "Profile",
    "model": "Model",
    "cost": "Cost",
}


class ColumnsScreen(ModalScreen[frozenset[str] | None]):
    """Dismisses with the columns checked when closed (space or enter toggles one)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,C", "close", "Done", id="columns.done"),
    ]

    def __init__(self, wanted: frozenset[str] = frozenset(JOB_LIST_COLUMNS)) -> None:
        super().__init__()
        self.wanted = wanted

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content("Columns of the job list"), classes="dialog-title")
            yield SelectionList[str](
                *(
                    Selection(
                        LABELS[key],
                        key,
                        key in self.wanted or key in ESSENTIAL_COLUMNS,
                        disabled=key in ESSENTIAL_COLUMNS,
                    )
                    for key in JOB_LIST_COLUMNS
                ),
                id="columns",
            )
            yield Static(
                Content("space: show/hide   esc: done (those that fit the width show)"),
                classes="dialog-detail",
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_close(self) -> None:
        chosen = self.query_one("#columns", SelectionList).selected
        self.dismiss(frozenset(chosen) | ESSENTIAL_COLUMNS)
