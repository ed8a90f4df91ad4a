"""Operating-system commands (OSC) for the terminal, and their passthrough in tmux and screen.

One place wraps a sequence for a multiplexer: desktop notifications (`notify.py`) and
clipboard writes (OSC 52) both reach the outer terminal through it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Literal

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"

Multiplexer = Literal["tmux", "screen", "none"]

# Terminals cap what an OSC 52 write may carry (xterm: about 100 kB of base64 by default);
# a longer answer is cut rather than silently dropped by the terminal.
MAX_CLIPBOARD_BYTES = 74_000


def multiplexer_of(environ: Mapping[str, str]) -> Multiplexer:
    if environ.get("TMUX"):
        return "tmux"
    if environ.get("STY"):
        return "screen"
    return "none"


def wrap_for(sequence: str, multiplexer: Multiplexer) -> str:
    """Pass `sequence` through tmux (ESCs doubled) or screen to the outer terminal."""
    if not sequence or multiplexer == "none":
        return sequence
    if multiplexer == "tmux":
        return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"
    return f"{ESC}P{sequence}{ST}"


def clipboard_payload(text: str) -> tuple[bytes, bool]:
    """The UTF-8 bytes of `text` an OSC 52 write carries, and whether they were cut."""
    data = text.encode("utf-8")
    if len(data) <= MAX_CLIPBOARD_BYTES:
        return data, False
    # Cut on a character boundary: a clipboard must not end in half a character.
    return data[:MAX_CLIPBOARD_BYTES].decode("utf-8", errors="ignore").encode("utf-8"), True


def osc52_sequence(text: str, environ: Mapping[str, str]) -> str:
    """The exact text to write so the terminal's clipboard holds `text` (cut to the cap).

    Inside tmux both forms go out: the bare one sets tmux's own buffer (and reaches the
    outer terminal with `set-clipboard on`), the wrapped one reaches the outer terminal
    with `allow-passthrough on`. GNU screen ignores a bare OSC 52, so there it is wrapped.
    """
    data, _cut = clipboard_payload(text)
    bare = f"{ESC}]52;c;{base64.b64encode(data).decode('ascii')}{BEL}"
    multiplexer = multiplexer_of(environ)
    if multiplexer == "tmux":
        return bare + wrap_for(bare, multiplexer)
    return wrap_for(bare, multiplexer)
