"""First run: no profile yet. Offer the demo, or the profile form to add one and test it."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Static

from batchtui.tui.shell import shell
from batchtui.tui.widgets.profile_form import ProfileForm

INTRO = (
    "No provider profile is configured yet. A profile says where batches go (an OpenAI-"
    "compatible endpoint, a Portkey or LiteLLM gateway, Gemini or Vertex AI, a SLURM "
    "cluster, a vLLM server) and which environment variable holds the key; the key itself "
    "never goes in the file."
)


def _intro() -> list[Widget]:
    return [
        Static(Content.styled("Welcome to batchtui", "bold $accent"), id="welcome-title"),
        Static(Content(INTRO), id="welcome-intro"),
        Horizontal(
            Button("Try the demo (simulated)", id="demo", variant="success"),
            Static(
                Content("sample jobs on a local simulator;\nyour own files are not touched"),
                classes="welcome-note",
            ),
            classes="welcome-row",
        ),
    ]


class WelcomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="welcome.close"),
    ]

    def compose(self) -> ComposeResult:
        yield ProfileForm(preamble=_intro(), id="profile-form")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#demo").focus()

    @on(ProfileForm.Saved)
    def _saved(self) -> None:
        self.dismiss()

    def action_close(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#demo")
    def _demo(self) -> None:
        shell(self).actions.start_demo()
