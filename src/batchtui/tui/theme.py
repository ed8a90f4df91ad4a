"""The TUI's theme choice; the rule lives in `core.themes` (`doctor` reports it too)."""

from batchtui.core.themes import ANSI_THEME, DEFAULT_THEME, THEME_ENV, choose_theme

__all__ = ["ANSI_THEME", "DEFAULT_THEME", "THEME_ENV", "choose_theme"]
