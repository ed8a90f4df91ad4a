"""Whether a stream is a terminal (the text rule and the UTF-8 check live in
`batchtui.core.terminal_text`)."""

from __future__ import annotations

from typing import TextIO


def is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
