"""The one rule for showing foreign text on a terminal, and whether the terminal shows UTF-8."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TextIO

# What a terminal acts on or reorders: C0 controls (newline and tab are layout), DEL, C1
# controls (8-bit CSI, OSC, DCS...), the line and paragraph separators, the bidi
# embeddings, overrides and isolates (they reorder what follows: U+202E flips a file name),
# and lone surrogates (no terminal encoding can write them). ESC is a C0 control, so every
# CSI, OSC (title, clipboard, hyperlink) and DCS sequence loses its introducer.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_ON_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_LAYOUT_RUN = re.compile(r"[ \t\r\n]+")


def _escape(match: re.Match[str]) -> str:
    codepoint = ord(match.group())
    return f"\\x{codepoint:02x}" if codepoint < 0x100 else f"\\u{codepoint:04x}"


def inert(text: object, *, single_line: bool = False) -> str:
    """`text` (from a provider, a file or a config) made safe to show on a terminal: every
    character a terminal would act on is shown as a visible `\\xNN`/`\\uNNNN` escape, so
    nothing is lost and nothing takes effect. Newlines and tabs are kept (`\\r\\n` becomes
    `\\n`) unless `single_line`, where each run of spaces, tabs and line ends becomes one
    space. `None` is the empty string; other objects are shown by `str()`."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if single_line:
        value = _LAYOUT_RUN.sub(" ", value).strip(" ")
        return _UNSAFE_ON_ONE_LINE.sub(_escape, value)
    if "\r\n" in value:
        value = value.replace("\r\n", "\n")
    return _UNSAFE.sub(_escape, value)


def is_inert(text: str, *, single_line: bool = False) -> bool:
    """Whether `text` holds nothing `inert` would escape."""
    pattern = _UNSAFE_ON_ONE_LINE if single_line else _UNSAFE
    return pattern.search(text) is None


def locale_is_utf8(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the locale promises UTF-8: the first of LC_ALL, LC_CTYPE and LANG that is set
    decides (as the C library reads them)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name)
        if value:
            return "utf8" in value.lower().replace("-", "")
    return False


def supports_unicode(stream: TextIO | None = None) -> bool:
    """Whether glyphs beyond ASCII can be printed on `stream` (default stdout): a UTF-8
    stream and a UTF-8 locale."""
    import sys

    stream = stream or sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return "utf8" in encoding and locale_is_utf8()
