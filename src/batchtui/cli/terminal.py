"""A command's stdout and stderr: whether they are terminals, and the guard that keeps
whatever a command prints inert there (the rule itself is `batchtui.core.terminal_text`)."""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Callable
from enum import Enum
from typing import Any, BinaryIO, TextIO

from batchtui.core.terminal_text import inert, supports_unicode

GLYPHS_ENV = "BATCHTUI_GLYPHS"
GLYPH_CHOICES = ("auto", "always", "never")


def is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Glyphs(Enum):
    """How a status or a mark is drawn on one stream."""

    UNICODE = "unicode"  # ✔ completed, ellipsis …
    ASCII = "ascii"  # + completed, ellipsis ~
    NONE = "none"  # completed: words only, for scripts that read the output


_asked_glyphs: str | None = None


def ask_glyphs(when: str | None) -> None:
    """`--glyphs WHEN` from the command line; None leaves it to $BATCHTUI_GLYPHS."""
    global _asked_glyphs
    _asked_glyphs = when


def glyphs_for(stream: TextIO | None = None) -> Glyphs:
    """The one rule: no glyphs when `stream` (default stdout) is not a terminal unless
    asked (`--glyphs always` or BATCHTUI_GLYPHS=always); on a terminal, glyphs unless
    asked not to, in ASCII where the locale cannot show them."""
    stream = stream or sys.stdout
    when = _asked_glyphs or os.environ.get(GLYPHS_ENV, "auto").strip().lower()
    if when == "never" or (when != "always" and not is_tty(stream)):
        return Glyphs.NONE
    return Glyphs.UNICODE if supports_unicode(stream) else Glyphs.ASCII


class InertTextStream:
    """A text stream that writes everything through `inert` (newlines and tabs kept), so
    no text a command prints can act on the terminal, whoever forgot to escape it; a
    second pass over escaped text changes nothing. batchtui's own control sequences (the
    progress line's redraw) go through `write_own`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(inert(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def write_own(self, sequence: str) -> None:
        self._stream.write(sequence)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def write_own(stream: TextIO, sequence: str) -> None:
    """Write batchtui's own control `sequence` (never foreign text) to `stream`."""
    getattr(stream, "write_own", stream.write)(sequence)


def guarded_streams(run: Callable[[], int]) -> int:
    """Run a command with stdout and stderr behind `InertTextStream`."""
    saved = sys.stdout, sys.stderr
    sys.stdout = InertTextStream(sys.stdout)  # type: ignore[assignment]
    sys.stderr = InertTextStream(sys.stderr)  # type: ignore[assignment]
    try:
        return run()
    finally:
        sys.stdout, sys.stderr = saved


class InertBinaryStream(io.RawIOBase):
    """UTF-8 bytes (a file being shown, e.g. `export -o -` to a terminal) passed on with
    every control character escaped by `inert`; characters split across writes are kept
    whole."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        text = self._decoder.decode(bytes(data))
        if text:
            self._stream.write(inert(text).encode("utf-8"))
        return len(data)

    def flush(self) -> None:
        tail = self._decoder.decode(b"", final=True)
        if tail:
            self._stream.write(inert(tail).encode("utf-8"))
        self._stream.flush()
