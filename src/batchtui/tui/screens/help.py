"""`?`: every key of every screen, generated from the bindings themselves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from batchtui.core.jobview import progress_legend
from batchtui.tui.scrolling import half_page
from batchtui.tui.shell import shell

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode


KEYS_WIDTH = 18

# Keys the framework gives every app, and the table's arrows, worth listing too.
BUILTIN_KEYS: tuple[tuple[str, str], ...] = (
    ("ctrl+p", "Command palette (every action by name)"),
    ("up/down pgup/pgdn", "Move in lists (plus j/k/g/G)"),
    (
        "ctrl+u ctrl+d",
        "Half a page up/down in every scrolling view, except the job list and a job's "
        "detail: there ctrl+d cancels the job (it asks first)",
    ),
    ("[keys]", "Remap any key in config.toml by its id: `batchtui help keys` lists the ids"),
)


def sections() -> list[tuple[str, type[DOMNode]]]:
    """(section title, the class whose bindings it lists), in the order help shows them.

    Imported here, not at the top: the screens' modules import this one's neighbours, and
    the help screen is built only when asked for."""
    from batchtui.tui.app import BatchtuiApp
    from batchtui.tui.screens.compose import ComposeScreen, Preview
    from batchtui.tui.screens.confirm import ConfirmScreen
    from batchtui.tui.screens.detail import DetailScreen
    from batchtui.tui.screens.group_detail import GroupDetailScreen
    from batchtui.tui.screens.jobs import JobsScreen
    from batchtui.tui.screens.profiles import ProfilesScreen
    from batchtui.tui.screens.results import ResultsScreen
    from batchtui.tui.screens.validate import ValidateScreen
    from batchtui.tui.widgets.file_picker import FilePicker
    from batchtui.tui.widgets.job_table import JobTable
    from batchtui.tui.widgets.line_viewer import CursorView
    from batchtui.tui.widgets.profile_form import ProfileForm

    return [
        ("Everywhere", BatchtuiApp),
        ("Job list", JobsScreen),
        ("Job list: moving", JobTable),
        ("Job detail", DetailScreen),
        ("Group detail", GroupDetailScreen),
        ("Results", ResultsScreen),
        ("Results and file views: moving", CursorView),
        ("Validate", ValidateScreen),
        ("Compose", ComposeScreen),
        ("Compose: the preview (tab to it)", Preview),
        ("File picker", FilePicker),
        ("Profiles", ProfilesScreen),
        ("Profile form", ProfileForm),
        ("Confirm", ConfirmScreen),
        ("Help", HelpScreen),
    ]


def bindings_of(node_class: type[DOMNode]) -> list[Binding]:
    """The class's own described bindings (not inherited ones: those belong to other rows)."""
    own: Iterable[BindingType] = node_class.__dict__.get("BINDINGS", [])
    return [binding for binding in Binding.make_bindings(own) if binding.description]


def help_sections(app: App[object]) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(section title, [(keys, description)]), with the keys `[keys]` remapped."""
    from batchtui.tui.keymap import remapped

    remaps: dict[str, str] = getattr(app, "key_remaps", {})
    for title, node_class in sections():
        rows: dict[str, str] = {}
        for binding in (remapped(b, remaps) for b in bindings_of(node_class)):
            description = binding.tooltip or binding.description
            if binding.tooltip and binding.description:
                description = f"{binding.description}: {binding.tooltip}"
            keys = app.get_key_display(binding)
            rows.setdefault(description, keys)
        if rows:
            yield title, [(keys, description) for description, keys in rows.items()]


class HelpScreen(Screen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        & .help-title { margin-top: 1; text-style: bold; }
        & #help-heading { text-style: bold; color: $accent; }
        & .help-rows { padding-left: 2; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
        Binding("j,down", "scroll_down", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="help.up"),
        Binding("g,home", "scroll_top", "Top", show=False, id="help.top"),
        Binding("G,end", "scroll_bottom", "Bottom", show=False, id="help.bottom"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="help.half-up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id="help.half-down"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("batchtui keys", id="help-heading")
            ascii_only = shell(self).ascii_only
            sections = [
                *help_sections(self.app),
                ("Terminal", list(BUILTIN_KEYS)),
                ("Reading progress and ETA", progress_legend(ascii_only=ascii_only)),
            ]
            for title, rows in sections:
                yield Static(title, classes="help-title")
                yield Static(self._rows(rows), classes="help-rows")
        yield Footer()

    def _rows(self, rows: list[tuple[str, str]]) -> Table:
        """Keys and descriptions in two columns: a wrapped description stays in its own
        column. One widget per section: help opens and closes at once."""
        table = Table.grid(padding=(0, 1))
        table.add_column(width=KEYS_WIDTH, no_wrap=True, style=self._primary())
        table.add_column(ratio=1)
        for keys, description in rows:
            table.add_row(Text(keys), Text(description))
        return table

    def _primary(self) -> Style:
        try:
            return Style(color=Color.parse(self.app.theme_variables["primary"]).rich_color)
        except Exception:  # a theme without a usable $primary: plain keys
            return Style.null()

    def action_close(self) -> None:
        self.dismiss()

    def action_scroll_down(self) -> None:
        self.query_one(VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one(VerticalScroll).scroll_up(animate=False)

    def action_scroll_top(self) -> None:
        self.query_one(VerticalScroll).scroll_home(animate=False)

    def action_scroll_bottom(self) -> None:
        self.query_one(VerticalScroll).scroll_end(animate=False)

    def action_half_page(self, direction: int) -> None:
        half_page(self.query_one(VerticalScroll), direction)
