"""Status as glyph + word + colour, coloured from the active theme's variables."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color

from batchtui.core.jobview import STATUS_TONES, Tone, status_label
from batchtui.core.status import JobStatus

# Theme variable behind each tone. Running jobs use $primary: in the default theme
# $accent is the same orange as $warning, and in ansi-dark the same green as $success.
TONE_VARIABLES: dict[Tone, str] = {
    "warning": "warning",
    "active": "primary",
    "success": "success",
    "error": "error",
    "muted": "",
}


def tone_style(app: App, tone: Tone) -> Style:
    """A Rich style for cells of tables, which Textual renders outside of its CSS."""
    variable = TONE_VARIABLES[tone]
    if not variable:
        return Style(dim=True)
    value = app.theme_variables.get(variable)
    if not value:
        return Style.null()
    try:
        return Style(color=Color.parse(value).rich_color)
    except Exception:  # a theme with a value Color can't parse: fall back to no colour
        return Style.null()


def status_text(app: App, status: JobStatus, *, ascii_only: bool) -> Text:
    return Text(
        status_label(status, ascii_only=ascii_only), style=tone_style(app, STATUS_TONES[status])
    )
