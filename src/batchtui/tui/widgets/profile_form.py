"""The one profile form (add or edit), drawn from `core.profile_form`'s rows for the chosen kind.

Its status line sits between the fields and the buttons, outside the scrolled fields, so
a test's or a save's answer is on screen at 80x24 whatever the form's length.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell

if TYPE_CHECKING:
    from batchtui.core.config import Config, Profile
    from batchtui.core.profile_form import FormRow


class ProfileForm(Vertical):
    """Add a profile (`profile` None) or edit one; posts `Saved` once config.toml has it."""

    DEFAULT_CSS = """
    ProfileForm {
        height: 1fr;
    }
    ProfileForm #form-fields {
        height: 1fr;
        padding: 0 2;
    }
    ProfileForm #form-status {
        height: auto;
        max-height: 3;
        padding: 0 2;
    }
    ProfileForm #form-buttons {
        height: 1;
        padding: 0 2;
    }
    ProfileForm #form-buttons Button {
        margin-right: 2;
    }
    ProfileForm #kind-rows {
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "test", "Test connection", id="profile-form.test"),
        Binding("ctrl+s", "save", "Save profile", id="profile-form.save"),
    ]

    class Saved(Message):
        def __init__(self, profile_name: str, path: Path) -> None:
            super().__init__()
            self.profile_name = profile_name
            self.path = path

    def __init__(
        self,
        profile: Profile | None = None,
        *,
        preamble: Iterable[Widget] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        from batchtui.core.profile_form import form_answers
        from batchtui.core.providers.kinds import DEFAULT_KIND

        self.profile = profile
        self.preamble = list(preamble)
        self.kind = profile.kind if profile is not None else DEFAULT_KIND
        # What was typed, by row name: kept when the kind changes and back.
        self.answers: dict[str, str] = form_answers(profile) if profile is not None else {}

    def compose(self) -> ComposeResult:
        from batchtui.core.providers.kinds import provider_kinds

        with VerticalScroll(id="form-fields"):
            yield from self.preamble
            title = (
                f"Edit profile {inert(self.profile.name, single_line=True)}"
                if self.profile is not None
                else "Add a profile"
            )
            yield Static(Content.styled(title, "bold"), id="form-title")
            with Horizontal(classes="form-row"):
                yield Label("Kind", classes="form-label")
                yield Select(
                    [(kind, kind) for kind in provider_kinds()],
                    value=self.kind,
                    allow_blank=False,
                    id="kind",
                    compact=True,
                )
            with Vertical(id="kind-rows"):
                yield from self._rows(self.kind)
        yield Static(id="form-status")
        with Horizontal(id="form-buttons"):
            yield Button("Test connection (^t)", id="test", compact=True)
            yield Button("Save (^s)", id="save", variant="primary", compact=True)

    def _rows(self, kind: str) -> Iterable[Widget]:
        from batchtui.core.profile_form import form_rows

        for row in form_rows(kind):
            yield from self._row(row)

    def _row(self, row: FormRow) -> Iterable[Widget]:
        label = Label(row.label + (" *" if row.required else ""), classes="form-label")
        value = self.answers.get(row.name, "")
        if row.multiline:
            area = TextArea(value, id=row.widget_id, soft_wrap=False, compact=True)
            yield Horizontal(label, area, classes="form-row form-row-tall")
            yield Static(Content("  " + row.placeholder), classes="form-hint")
            return
        field = Input(value, placeholder=row.placeholder, id=row.widget_id, compact=True)
        if row.name == "name" and self.profile is not None:
            # Jobs in the registry name their profile: an edit keeps the name.
            field.disabled = True
        yield Horizontal(label, field, classes="form-row")

    # --- reading the form ---------------------------------------------------------------

    def _read_answers(self) -> dict[str, str]:
        from batchtui.core.profile_form import form_rows

        answers = dict(self.answers)
        for row in form_rows(self.kind):
            widget = self.query_one(f"#{row.widget_id}")
            if isinstance(widget, TextArea):
                answers[row.name] = widget.text
            elif isinstance(widget, Input):
                answers[row.name] = widget.value
        return answers

    @on(Select.Changed, "#kind")
    async def _kind_changed(self, event: Select.Changed) -> None:
        kind = str(event.value)
        if kind == self.kind:
            return
        self.answers = self._read_answers()
        self.kind = kind
        rows = self.query_one("#kind-rows", Vertical)
        await rows.remove_children()
        await rows.mount_all(list(self._rows(kind)))

    def say(self, message: str, style: str = "") -> None:
        self.query_one("#form-status", Static).update(
            Content.styled(inert(message, single_line=True), style)
        )

    def build_profile(self) -> Profile | None:
        """The profile the form describes, or None after saying which rule it breaks."""
        from batchtui.core.errors import ConfigError
        from batchtui.core.profile_form import edited_fields, fields_from_form
        from batchtui.core.profile_rules import make_profile

        answers = self._read_answers()
        self.answers = answers
        try:
            fields = fields_from_form(self.kind, answers)
            if self.profile is not None:
                fields["name"] = self.profile.name
            saved_name = self.profile.name if self.profile is not None else None
            profile = make_profile(edited_fields(self.profile, fields), saved_name=saved_name)
        except ConfigError as exc:
            self.say(str(exc), "$error")
            return None
        config = shell(self).config
        if self.profile is None and config is not None and profile.name in config.profiles:
            self.say(
                f"name: a profile named {profile.name!r} exists already "
                "(edit it from the profiles screen, P)",
                "$error",
            )
            return None
        return profile

    # --- actions ------------------------------------------------------------------------

    def action_test(self) -> None:
        profile = self.build_profile()
        if profile is not None:
            self.say(f"Testing {profile.name}…", "dim")
            self.test_connection(profile)

    @work(exclusive=True, group="test-connection", exit_on_error=False)
    async def test_connection(self, profile: Profile) -> None:
        from batchtui.core.errors import BatchtuiError
        from batchtui.core.providers.probe import probe_profile

        try:
            elapsed = await probe_profile(profile)
        except BatchtuiError as exc:
            self.say(f"Failed: {exc}", "$error")
        except Exception as exc:
            self.say(f"Failed: {type(exc).__name__}: {exc}", "$error")
        else:
            self.say(
                f"OK: {profile.effective_base_url} answered the list call "
                f"({elapsed * 1000:.0f} ms)",
                "$success",
            )

    def action_save(self) -> None:
        profile = self.build_profile()
        if profile is not None:
            self.say(f"Saving {profile.name}…", "dim")
            self.save(profile, self._config_path())

    def _config_path(self) -> Path:
        from batchtui.core.paths import config_path

        config = shell(self).config
        return config.path if config is not None else config_path()

    @work(thread=True, exclusive=True, group="save-profile", exit_on_error=False)
    def save(self, profile: Profile, path: Path) -> None:
        from batchtui.core.config import load_config, save_profile
        from batchtui.core.errors import BatchtuiError

        try:
            save_profile(profile, path)
            config = load_config(path)
        except BatchtuiError as exc:
            self.app.call_from_thread(self.say, str(exc), "$error")
            return
        self.app.call_from_thread(self._saved, profile.name, config)

    def _saved(self, name: str, config: Config) -> None:
        shell(self).use_config(config)
        self.app.notify(f"Profile {name} saved in {config.path}", markup=False)
        self.post_message(self.Saved(name, config.path))

    @on(Button.Pressed, "#test")
    def _test(self) -> None:
        self.action_test()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.action_save()
