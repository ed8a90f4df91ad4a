"""Label/value rows for detail screens: a fixed label column, values wrapped under their own.

A value longer than the line (a path, a sha256, a file id) continues on the next lines
indented to the value column, never at column 1, and a label too long for its column is
clipped so at least one space always separates it from its value.
"""

from __future__ import annotations

import textwrap

from textual.content import Content

Part = Content | tuple[str, str] | str

LABEL_INDENT = 2
LABEL_WIDTH = 16
# Where every value starts: the indent, the label column, one space.
VALUE_COLUMN = LABEL_INDENT + LABEL_WIDTH + 1
# Narrower than this and wrapping makes a value unreadable: let the terminal wrap it.
MIN_VALUE_WIDTH = 12


def fit_label(label: str, *, ellipsis: str = "…") -> str:
    """`label` padded to the label column, clipped (with `ellipsis`) when longer."""
    if len(label) > LABEL_WIDTH:
        label = label[: LABEL_WIDTH - len(ellipsis)] + ellipsis
    return f"{label:<{LABEL_WIDTH}}"


def wrap_value(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters: at spaces where it can, inside a long
    word (a sha256, a path) where it must."""
    width = max(width, MIN_VALUE_WIDTH)
    lines = textwrap.wrap(
        text, width, break_long_words=True, break_on_hyphens=False, drop_whitespace=True
    )
    return lines or [""]


def field_parts(
    label: str,
    value: str,
    line_width: int,
    *,
    style: str = "",
    label_style: str = "dim",
    ascii_only: bool = False,
) -> list[Part]:
    """One field as Content parts, ending in a newline: the label, then `value` wrapped to
    what is left of `line_width` with its continuation lines at `VALUE_COLUMN`."""
    shown = fit_label(label, ellipsis="~" if ascii_only else "…")
    lines = wrap_value(value, line_width - VALUE_COLUMN)
    parts: list[Part] = [(f"{' ' * LABEL_INDENT}{shown} ", label_style), (lines[0], style), "\n"]
    for line in lines[1:]:
        parts.extend([" " * VALUE_COLUMN, (line, style), "\n"])
    return parts


def indented_parts(text: str, indent: int, line_width: int, *, style: str = "") -> list[Part]:
    """`text` wrapped to `line_width`, every line (the first too) indented by `indent`."""
    parts: list[Part] = []
    for line in wrap_value(text, line_width - indent):
        parts.extend([" " * indent, (line, style), "\n"])
    return parts
