"""The profile form on a screen of its own: add a profile, or edit one from the profiles screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input

from batchtui.tui.typeahead import focus_now
from batchtui.tui.widgets.profile_form import ProfileForm

if TYPE_CHECKING:
    from batchtui.core.config import Profile


class ProfileFormScreen(Screen[str | None]):
    """Dismisses with the saved profile's name, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="profile-form.close"),
    ]

    def __init__(self, profile: Profile | None = None) -> None:
        super().__init__()
        self.profile = profile

    def compose(self) -> ComposeResult:
        yield ProfileForm(self.profile, id="profile-form")
        yield Footer()

    def on_mount(self) -> None:
        # The first field to type in (an edit's name is fixed).
        fields = [field for field in self.query(Input) if not field.disabled]
        if fields:
            focus_now(fields[0])  # now: the keys typed after `a` or `e` land in it

    @on(ProfileForm.Saved)
    def _saved(self, event: ProfileForm.Saved) -> None:
        self.dismiss(event.profile_name)

    def action_close(self) -> None:
        self.dismiss(None)
