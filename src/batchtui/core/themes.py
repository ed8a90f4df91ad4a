"""Which TUI theme suits the terminal we run in: the TUI applies it, `doctor` reports it.

A login node reached through tmux or the Linux console often has 16 colours only; there
the ANSI theme uses the terminal's own palette instead of approximated truecolour.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_THEME = "textual-dark"
ANSI_THEME = "ansi-dark"

THEME_ENV = "BATCHTUI_THEME"

# The themes Textual ships (textual.theme.BUILTIN_THEMES of the pinned version; a test keeps
# the two equal): named here so `doctor` and config checks need not import Textual.
KNOWN_THEMES = (
    "ansi-dark",
    "ansi-light",
    "atom-one-dark",
    "atom-one-light",
    "catppuccin-frappe",
    "catppuccin-latte",
    "catppuccin-macchiato",
    "catppuccin-mocha",
    "dracula",
    "flexoki",
    "gruvbox",
    "monokai",
    "nord",
    "rose-pine",
    "rose-pine-dawn",
    "rose-pine-moon",
    "solarized-dark",
    "solarized-light",
    "textual-dark",
    "textual-light",
    "tokyo-night",
)


def theme_problem(name: str, *, setting: str) -> str | None:
    """One line naming `setting` and the valid themes when `name` is none of them."""
    if name in KNOWN_THEMES:
        return None
    return f"{setting}: unknown theme {name!r}; valid: {', '.join(KNOWN_THEMES)}"


def terminal_has_256_colours(environ: Mapping[str, str]) -> bool:
    if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return True
    term = environ.get("TERM", "").lower()
    return "256" in term or "direct" in term or "truecolor" in term


def choose_theme(environ: Mapping[str, str] | None = None, configured: str | None = None) -> str:
    """`BATCHTUI_THEME`, else the config's theme, else ANSI on 16-colour terminals."""
    env = os.environ if environ is None else environ
    chosen = env.get(THEME_ENV) or configured
    if chosen:
        return chosen
    return DEFAULT_THEME if terminal_has_256_colours(env) else ANSI_THEME
