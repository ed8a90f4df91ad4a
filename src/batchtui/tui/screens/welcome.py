"""First run: no profile yet. Offer the demo, or a form to add a profile and test it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea

from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell

if TYPE_CHECKING:
    from batchtui.core.config import Profile

INTRO = (
    "No provider profile is configured yet. A profile says where batches go (an OpenAI-"
    "compatible endpoint, a Portkey or LiteLLM gateway, Gemini or Vertex AI) and which "
    "environment variable holds the key; the key itself never goes in the file."
)


def parse_headers(text: str) -> dict[str, str]:
    """One `Name=value` (or `Name: value`) per line; blank lines and `#` comments skipped."""
    headers: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        separator = "=" if "=" in line else ":"
        name, sep, value = line.partition(separator)
        if not sep or not name.strip():
            raise ValueError(f"headers line {number}: expected Name=value")
        headers[name.strip()] = value.strip()
    return headers


class WelcomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "test", "Test connection", id="welcome.test"),
        Binding("ctrl+s", "save", "Save profile", id="welcome.save"),
        Binding("escape", "close", "Close", id="welcome.close"),
    ]

    def __init__(self, *, form_only: bool = False) -> None:
        super().__init__()
        self.form_only = form_only

    def compose(self) -> ComposeResult:
        from batchtui.core.providers.kinds import DEFAULT_KIND, form_settings, provider_kinds

        kinds = provider_kinds()
        with VerticalScroll(id="welcome-body"):
            if not self.form_only:
                yield Static(
                    Content.styled("Welcome to batchtui", "bold $accent"), id="welcome-title"
                )
                yield Static(Content(INTRO), id="welcome-intro")
                with Horizontal(classes="welcome-row"):
                    yield Button("Try the demo (simulated)", id="demo", variant="success")
                    yield Static(
                        Content(
                            "sample jobs on a local simulator;\nyour own files are not touched"
                        ),
                        classes="welcome-note",
                    )
            yield Static(Content.styled("Add a profile", "bold"), id="form-title")
            with Horizontal(classes="form-row"):
                yield Label("Kind", classes="form-label")
                yield Select(
                    [(kind, kind) for kind in kinds],
                    value=DEFAULT_KIND,
                    allow_blank=False,
                    id="kind",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label("Name", classes="form-label")
                yield Input(
                    placeholder="e.g. openai, portkey, lab-gateway", id="name", compact=True
                )
            with Horizontal(classes="form-row"):
                yield Label("Base URL", classes="form-label")
                yield Input(placeholder="empty: the kind's default", id="base-url", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Key variable", classes="form-label")
                yield Input(
                    placeholder="environment variable, e.g. OPENAI_API_KEY",
                    id="key-env",
                    compact=True,
                )
            # Each kind's own settings: a row shown only while one of its kinds is chosen.
            for name, owners in form_settings().items():
                kind_classes = " ".join(f"kind-{kind.name}" for kind, _setting in owners)
                setting = owners[0][1]
                with Horizontal(classes=f"form-row kind-row {kind_classes}") as row:
                    row.display = any(kind.name == DEFAULT_KIND for kind, _setting in owners)
                    yield Label(setting.form_label, classes="form-label")
                    yield Input(placeholder=setting.form_placeholder, id=name, compact=True)
            with Horizontal(classes="form-row form-row-tall"):
                yield Label("Headers", classes="form-label")
                yield TextArea(id="headers", soft_wrap=False, compact=True)
            yield Static(
                Content(
                    "  one Name=value per line (Portkey: x-portkey-provider=..., Vertex headers)"
                ),
                classes="form-hint",
            )
            with Horizontal(classes="welcome-row"):
                yield Button("Test connection (^t)", id="test")
                yield Button("Save (^s)", id="save", variant="primary")
            yield Static(id="form-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#demo" if not self.form_only else "#name").focus()

    # --- the form ---------------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "kind":
            return
        for row in self.query(".kind-row"):
            row.display = row.has_class(f"kind-{event.value}")

    def _kind_settings(self, kind: str) -> dict[str, str]:
        """The chosen kind's own fields that are filled in (a key file must be private)."""
        from batchtui.core.providers.kinds import get_kind, setting_value

        settings = {}
        for setting in get_kind(kind).settings:
            if not setting.in_form:
                continue
            value = self.query_one(f"#{setting.name}", Input).value.strip()
            if value:
                settings[setting.name] = setting_value(setting, value, label=setting.form_label)
        return settings

    def _say(self, message: str, style: str = "") -> None:
        self.query_one("#form-status", Static).update(Content.styled(inert(message), style))

    def build_profile(self) -> Profile | None:
        from pydantic import ValidationError

        from batchtui.core.config import Profile

        name = self.query_one("#name", Input).value.strip()
        if not name:
            self._say("Name: required", "$error")
            return None
        from batchtui.core.errors import ConfigError

        kind = str(self.query_one("#kind", Select).value)
        try:
            headers = parse_headers(self.query_one("#headers", TextArea).text)
            return Profile(
                name=name,
                kind=kind,
                base_url=self.query_one("#base-url", Input).value.strip() or None,
                api_key_env=self.query_one("#key-env", Input).value.strip() or None,
                headers=headers,
                **self._kind_settings(kind),
            )
        except ConfigError as exc:
            self._say(str(exc), "$error")
            return None
        except ValueError as exc:
            message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            self._say(message, "$error")
            return None

    def action_test(self) -> None:
        profile = self.build_profile()
        if profile is not None:
            self._say(f"Testing {profile.name}…", "dim")
            self.test_connection(profile)

    @work(exclusive=True, group="test-connection", exit_on_error=False)
    async def test_connection(self, profile: Profile) -> None:
        from batchtui.core.errors import BatchtuiError
        from batchtui.core.providers.probe import probe_profile

        try:
            await probe_profile(profile)
        except BatchtuiError as exc:
            self._say(f"Failed: {exc}", "$error")
        except Exception as exc:
            self._say(f"Failed: {type(exc).__name__}: {exc}", "$error")
        else:
            self._say(f"OK: {profile.effective_base_url} answered the list call", "$success")

    def action_save(self) -> None:
        profile = self.build_profile()
        if profile is not None:
            self.save(profile)

    @work(thread=True, exclusive=True, group="save-profile", exit_on_error=False)
    def save(self, profile: Profile) -> None:
        from batchtui.core.config import load_config, save_profile
        from batchtui.core.errors import BatchtuiError

        try:
            path = save_profile(profile)
            config = load_config()
        except BatchtuiError as exc:
            self.app.call_from_thread(self._say, str(exc), "$error")
            return
        self.app.call_from_thread(self._saved, profile.name, str(path), config)

    def _saved(self, name: str, path: str, config: object) -> None:
        shell(self).use_config(config)  # type: ignore[arg-type]
        self.app.notify(f"Profile {name} saved in {path}", markup=False)
        self.dismiss()

    def action_close(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#demo")
    def _demo(self) -> None:
        shell(self).actions.start_demo()

    @on(Button.Pressed, "#test")
    def _test(self) -> None:
        self.action_test()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.action_save()
