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
