"""The profiles screen: config.toml's profiles, and keys to add, edit, test, remove and pick one.

Reads and writes go through `core.config` in worker threads (the file may sit on a slow
network home); the table is redrawn from the config the app holds once it is saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell
from batchtui.tui.typeahead import open_in_turn, open_screen, opens_input
from batchtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from batchtui.core.config import Config, Profile

COLUMNS = ("", "Name", "Kind", "Base URL", "Key")


class ProfilesScreen(Screen[None]):
    DEFAULT_CSS = """
    ProfilesScreen #profiles-title {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    ProfilesScreen #profiles-table {
        height: 1fr;
    }
    ProfilesScreen #profiles-empty {
        padding: 1 2;
        color: $text-muted;
    }
    ProfilesScreen #profiles-status {
        height: auto;
        max-height: 2;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, keys that open an input: they act as they arrive (see tui/typeahead.py).
        Binding(
            "a", "add", "Add", id="profiles.add", tooltip="A new profile (the form)", priority=True
        ),
        Binding(
            "e",
            "edit",
            "Edit",
            id="profiles.edit",
            tooltip="Change the profile (enter too)",
            priority=True,
        ),
        Binding("t", "test", "Test", id="profiles.test", tooltip="One cheap authenticated call"),
        Binding("x", "remove", "Remove", id="profiles.remove", tooltip="Asks first"),
        Binding("d", "default", "Default", id="profiles.default", tooltip="Used without --profile"),
        Binding("escape", "close", "Back", show=False, id="profiles.close"),
        Binding("j", "move(1)", "Down", show=False, id="profiles.down"),
        Binding("k", "move(-1)", "Up", show=False, id="profiles.up"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="profiles-title")
        table: DataTable[str] = DataTable(
            id="profiles-table", cursor_type="row", zebra_stripes=False
        )
        table.add_columns(*COLUMNS)
        yield table
        yield Static(Content("No profiles yet: press a to add one."), id="profiles-empty")
        yield StatusLine(id="profiles-status")
        yield Footer()

    def on_mount(self) -> None:
        self._shown_config: object = None
        self.show_profiles()
        self.query_one(DataTable).focus()
        # config.toml saved elsewhere (an editor, `profile add`) is read again by the app.
        self.set_interval(1.0, self._follow_config, name="profiles-config")

    def _follow_config(self) -> None:
        if shell(self).config is not self._shown_config:
            self.show_profiles()

    def on_screen_resume(self) -> None:
        self.show_profiles()

    # --- the table ----------------------------------------------------------------------

    def show_profiles(self, select: str | None = None) -> None:
        from batchtui.core.providers.kinds import describe_access

        config = shell(self).config
        self._shown_config = config
        table = self.query_one(DataTable)
        keep = select or self.selected_name()
        table.clear()
        profiles = list(config.profiles.values()) if config is not None else []
        default = config.meant_profile() if config is not None and config.profiles else None
        mark = "*" if shell(self).ascii_only else "★"
        for profile in profiles:
            table.add_row(
                mark if profile.name == default else "",
                inert(profile.name, single_line=True),
                profile.kind,
                inert(_base_url(profile), single_line=True),
                inert(describe_access(profile), single_line=True),
                key=profile.name,
            )
        if keep is not None and keep in (config.profiles if config is not None else {}):
            table.move_cursor(row=table.get_row_index(keep))
        self.query_one("#profiles-empty").display = not profiles
        where = str(config.path) if config is not None else "config.toml unreadable"
        self.query_one("#profiles-title", Static).update(
            Content.assemble(("Profiles", "bold"), "  ", (inert(where, single_line=True), "dim"))
        )

    def selected_name(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def _selected(self) -> Profile | None:
        config = shell(self).config
        name = self.selected_name()
        if config is None or name is None:
            self.say("No profile selected" if config is not None else "config.toml is unreadable")
            return None
        return config.profiles.get(name)

    def say(self, message: str) -> None:
        self.query_one(StatusLine).show(message)

    # --- keys ---------------------------------------------------------------------------

    @opens_input
    def action_add(self) -> None:
        from batchtui.tui.screens.profile_form import ProfileFormScreen

        if shell(self).config is None:
            self.say("config.toml is unreadable: fix it first (the header says where)")
            return
        open_in_turn(self, lambda: open_screen(self.app, ProfileFormScreen(), self._after_form))

    @opens_input
    def action_edit(self) -> None:
        self._edit()

    def _edit(self) -> None:
        from batchtui.tui.screens.profile_form import ProfileFormScreen

        profile = self._selected()
        if profile is not None:
            form = ProfileFormScreen(profile)
            open_in_turn(self, lambda: open_screen(self.app, form, self._after_form))

    @on(DataTable.RowSelected)
    def _enter(self) -> None:
        self._edit()

    def _after_form(self, name: str | None) -> None:
        self.show_profiles(select=name)
        if name is not None:
            self.say(f"Saved {name}")

    def action_test(self) -> None:
        profile = self._selected()
        if profile is not None:
            self.say(f"Testing {profile.name}…" if not shell(self).ascii_only else "Testing...")
            self.test_profile(profile)

    @work(exclusive=True, group="profile-test", exit_on_error=False)
    async def test_profile(self, profile: Profile) -> None:
        from batchtui.core.errors import BatchtuiError
        from batchtui.core.providers.probe import probe_profile

        try:
            elapsed = await probe_profile(profile)
        except BatchtuiError as exc:
            self.say(f"Failed: {profile.name}: {exc}")
        except Exception as exc:
            self.say(f"Failed: {profile.name}: {type(exc).__name__}: {exc}")
        else:
            self.say(f"OK: {profile.name} reached {_base_url(profile)} ({elapsed * 1000:.0f} ms)")

    def action_remove(self) -> None:
        from batchtui.tui.screens.confirm import ConfirmScreen

        profile = self._selected()
        config = shell(self).config
        if profile is None or config is None:
            return
        name = profile.name

        def answered(yes: bool | None) -> None:
            if yes:
                self.write_config("remove", name, config.path)

        self.app.push_screen(
            ConfirmScreen(
                f"Remove profile {name}?",
                f"[profiles.{name}] is deleted from {config.path}; its jobs stay in the job list.",
            ),
            answered,
        )

    def action_default(self) -> None:
        profile = self._selected()
        config = shell(self).config
        if profile is not None and config is not None:
            self.write_config("default", profile.name, config.path)

    @work(thread=True, exclusive=True, group="profile-write", exit_on_error=False)
    def write_config(self, change: str, name: str, path: Path) -> None:
        from batchtui.core.config import load_config, remove_profile, set_default_profile
        from batchtui.core.errors import BatchtuiError

        try:
            if change == "remove":
                remove_profile(name, path)
                done = f"Removed {name}"
            else:
                set_default_profile(name, path)
                done = f"{name} is the default profile"
            config = load_config(path)
        except BatchtuiError as exc:
            self.app.call_from_thread(self.say, str(exc))
            return
        self.app.call_from_thread(self._written, config, done)

    def _written(self, config: Config, done: str) -> None:
        shell(self).use_config(config)
        self.show_profiles()
        self.say(done)

    def action_move(self, rows: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, table.cursor_row + rows))

    def action_close(self) -> None:
        self.dismiss()


def _base_url(profile: Profile) -> str:
    from batchtui.core.errors import ConfigError

    try:
        return profile.effective_base_url
    except ConfigError:
        return "-"
