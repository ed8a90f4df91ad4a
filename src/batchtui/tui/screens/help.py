"""`?`: every key of every screen, generated from the bindings themselves."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

# (section title, module, class name): screens of the other half of the TUI are optional.
SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("Everywhere", "batchtui.tui.app", "BatchtuiApp"),
    ("Job list", "batchtui.tui.screens.jobs", "JobsScreen"),
    ("Job list: moving", "batchtui.tui.widgets.job_table", "JobTable"),
    ("Job detail", "batchtui.tui.screens.detail", "DetailScreen"),
    ("Results", "batchtui.tui.screens.results", "ResultsScreen"),
    ("Validate", "batchtui.tui.screens.validate", "ValidateScreen"),
    ("Compose", "batchtui.tui.screens.compose", "ComposeScreen"),
    ("Confirm", "batchtui.tui.screens.confirm", "ConfirmScreen"),
)

# Keys the framework gives every app, and the table's arrows, worth listing too.
BUILTIN_KEYS: tuple[tuple[str, str], ...] = (
    ("ctrl+p", "Command palette (every action by name)"),
    ("up/down pgup/pgdn", "Move in lists (plus j/k/g/G)"),
    ("tab", "Next field or widget"),
)


def _load(module: str, name: str) -> type[DOMNode] | None:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def bindings_of(node_class: type[DOMNode]) -> list[Binding]:
    """The class's own described bindings (not inherited ones: those belong to other rows)."""
    own: Iterable[BindingType] = node_class.__dict__.get("BINDINGS", [])
    return [binding for binding in Binding.make_bindings(own) if binding.description]


def help_sections(app: App[object]) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    for title, module, name in SECTIONS:
        node_class = _load(module, name)
        if node_class is None:
            continue
        rows: dict[str, str] = {}
        for binding in bindings_of(node_class):
            description = binding.tooltip or binding.description
            if binding.tooltip and binding.description:
                description = f"{binding.description}: {binding.tooltip}"
            keys = app.get_key_display(binding)
            rows.setdefault(description, keys)
        if rows:
            yield title, [(keys, description) for description, keys in rows.items()]


class HelpScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self._content(), id="help-text")
        yield Footer()

    def _content(self) -> Content:
        parts: list[Content | tuple[str, str] | str] = [("batchtui keys", "bold $accent"), "\n"]
        for title, rows in help_sections(self.app):
            parts += ["\n", (title, "bold"), "\n"]
            for keys, description in rows:
                parts += [(f"  {keys:<16}", "$primary"), f" {description}\n"]
        parts += ["\n", ("Terminal", "bold"), "\n"]
        for keys, description in BUILTIN_KEYS:
            parts += [(f"  {keys:<16}", "$primary"), f" {description}\n"]
        return Content.assemble(*parts)

    def action_close(self) -> None:
        self.dismiss()

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up(animate=False)
