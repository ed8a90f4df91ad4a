"""Copying to the terminal's clipboard (OSC 52), through tmux and GNU screen.

Textual's `App.copy_to_clipboard` writes the sequence bare, which GNU screen drops and
tmux keeps to itself unless `set-clipboard` is on: the bytes come from
`core.terminal_osc`, which wraps them as the desktop notifications are wrapped.
"""

from __future__ import annotations

import os
from typing import Any

from textual.app import App

from batchtui.core.terminal_osc import osc52_sequence


def copy_text(app: App[Any], text: str) -> str:
    """Put `text` on the terminal's clipboard (and the app's, for its own paste); returns
    the exact sequence written."""
    sequence = osc52_sequence(text, os.environ)
    app._clipboard = text  # what `App.clipboard` answers, as `copy_to_clipboard` keeps it
    if app._driver is not None:
        app._driver.write(sequence)
    return sequence
