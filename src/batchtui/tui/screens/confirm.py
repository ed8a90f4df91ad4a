"""Small modals: yes/no before anything destructive, and a one-line question."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from batchtui.core.terminal_text import inert


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on an explicit yes (`y`, or enter on the Yes button)."""

    # Enter on the focused button answers; the safe answer has focus. A selector, not a
    # query in on_mount: a question asked by a worker can be popped before it mounts.
    AUTO_FOCUS: ClassVar[str | None] = "#no"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(inert(self.question)), classes="dialog-title")
            if self.detail:
                yield Static(Content(inert(self.detail)), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", variant="primary", id="no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PromptScreen(ModalScreen[str | None]):
    """Asks for one line; dismisses with the text (enter) or None (escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(self, question: str, *, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(inert(self.question)), classes="dialog-title")
            # A suggested value may be a path or a name from elsewhere: shown inert.
            yield Input(
                value=inert(self.value, single_line=True),
                placeholder=inert(self.placeholder, single_line=True),
                id="answer",
            )
            yield Static(Content("enter: OK   esc: cancel"), classes="dialog-detail")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#answer")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)
