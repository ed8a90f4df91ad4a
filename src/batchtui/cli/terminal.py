"""What the terminal can show, and making foreign text safe to show on it.

Text that came from a provider or a model may carry escape sequences (cursor moves,
OSC 52 clipboard writes, title changes); it is printed with every control character
escaped so it stays inert.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

_BIDI_AND_SEPARATORS = (
    *range(0x202A, 0x202F),  # embeddings and overrides
    *range(0x2066, 0x206A),  # isolates
    0x2028,
    0x2029,
)


def _escape_for(codepoint: int) -> str:
    return f"\\x{codepoint:02x}" if codepoint < 0x100 else f"\\u{codepoint:04x}"


def _build_table(*, keep_layout: bool) -> dict[int, str]:
    codepoints = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI_AND_SEPARATORS]
    table = {codepoint: _escape_for(codepoint) for codepoint in codepoints}
    if keep_layout:
        del table[ord("\n")]
        del table[ord("\t")]
    else:
        table[ord("\n")] = " "
        table[ord("\t")] = " "
    return table


_MULTI_LINE = _build_table(keep_layout=True)
_SINGLE_LINE = _build_table(keep_layout=False)


def inert(text: str, *, single_line: bool = False) -> str:
    """`text` with control characters shown as `\\xNN` escapes (newline and tab kept unless
    `single_line`, where they become spaces)."""
    return text.translate(_SINGLE_LINE if single_line else _MULTI_LINE)


def _locale_is_utf8() -> bool:
    for variable in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "utf8" in value.lower().replace("-", "")
    return False


def supports_unicode(stream: TextIO | None = None) -> bool:
    """Whether glyphs beyond ASCII can be printed: a UTF-8 stream and a UTF-8 locale."""
    stream = stream or sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return "utf8" in encoding and _locale_is_utf8()


def is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
