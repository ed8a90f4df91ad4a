"""The exact bytes of an OSC 52 clipboard write: bare, inside tmux, inside GNU screen."""

from __future__ import annotations

import base64

from batchtui.core.terminal_osc import MAX_CLIPBOARD_BYTES, clipboard_payload, osc52_sequence

ANSWER = "Paris — la capitale\nline two"
B64 = base64.b64encode(ANSWER.encode("utf-8")).decode("ascii")


def test_bare_outside_a_multiplexer() -> None:
    assert osc52_sequence(ANSWER, {}) == f"\x1b]52;c;{B64}\x07"


def test_tmux_gets_its_own_form_and_the_passthrough() -> None:
    bare = f"\x1b]52;c;{B64}\x07"
    wrapped = f"\x1bPtmux;\x1b\x1b]52;c;{B64}\x07\x1b\\"
    assert osc52_sequence(ANSWER, {"TMUX": "/tmp/tmux-1/default,1,0"}) == bare + wrapped


def test_screen_gets_the_dcs_passthrough() -> None:
    expected = f"\x1bP\x1b]52;c;{B64}\x07\x1b\\"
    assert osc52_sequence(ANSWER, {"STY": "123.pts-0.host"}) == expected


def test_hostile_text_cannot_end_the_sequence() -> None:
    # Base64 has no ESC, BEL or ST: whatever the answer holds stays inside the payload.
    sequence = osc52_sequence("\x1b]0;title\x07\x1b\\", {})
    assert sequence.count("\x1b") == 1 and sequence.count("\x07") == 1


def test_a_long_answer_is_cut_on_a_character_boundary() -> None:
    data, cut = clipboard_payload("é" * MAX_CLIPBOARD_BYTES)
    assert cut and len(data) <= MAX_CLIPBOARD_BYTES
    assert data.decode("utf-8") == "é" * (len(data) // 2)
    assert clipboard_payload("short") == (b"short", False)
