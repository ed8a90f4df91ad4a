"""The one terminal rule: every character a terminal acts on is shown escaped, nothing lost.

Each row is foreign text and what the terminal must be shown; a new hostile input is a
new row.
"""

from __future__ import annotations

import pytest

from batchtui.core.terminal_text import inert, is_inert, locale_is_utf8

from .conftest import EVIL, assert_inert

ROWS = [
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07", "\\x1b]0;title\\x07"),
    ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07", "\\x1b]52;c;aGk=\\x07"),
    ("\x1b]8;;http://x\x1b\\a\x1b]8;;\x1b\\", "\\x1b]8;;http://x\\x1b\\a\\x1b]8;;\\x1b\\", None),
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H", "\\x1b[2J\\x1b[H"),
    ("\x9b2J\x9d0;t\x9c", "\\x9b2J\\x9d0;t\\x9c", "\\x9b2J\\x9d0;t\\x9c"),
    ("a\rb\x08c\x7f\x00", "a\\x0db\\x08c\\x7f\\x00", "a b\\x08c\\x7f\\x00"),
    ("evil\u202etxt\u202a\u202b\u202c\u202d", "evil\\u202etxt\\u202a\\u202b\\u202c\\u202d", None),
    ("\u2066iso\u2067\u2068\u2069", "\\u2066iso\\u2067\\u2068\\u2069", None),
    ("sep\u2028par\u2029", "sep\\u2028par\\u2029", None),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate", None),
    ("line one\r\n\tline two", "line one\n\tline two", "line one line two"),
    ("héllo ✔ 日本 [bold]x[/]", "héllo ✔ 日本 [bold]x[/]", "héllo ✔ 日本 [bold]x[/]"),
    (None, "", ""),
    (42, "42", "42"),
]


@pytest.mark.parametrize(("text", "shown", "one_line"), ROWS)
def test_inert_escapes_what_a_terminal_acts_on(
    text: object, shown: str, one_line: str | None
) -> None:
    assert inert(text) == shown
    assert_inert(inert(text))
    flat = inert(text, single_line=True)
    if one_line is not None:
        assert flat == one_line
    assert "\n" not in flat and "\t" not in flat
    assert_inert(flat)
    assert is_inert(inert(text))


def test_evil_is_inert_and_readable() -> None:
    shown = inert(EVIL, single_line=True)
    assert_inert(shown)
    assert "pwned" in shown and "markup" in shown


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "en_US.UTF-8"}, True),
        ({"LC_ALL": "C.utf8", "LANG": "C"}, True),
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, False),
        ({"LC_CTYPE": "de_DE.utf-8"}, True),
        ({"LANG": "C"}, False),
        ({}, False),
    ],
)
def test_locale_is_utf8(environ: dict[str, str], expected: bool) -> None:
    assert locale_is_utf8(environ) is expected
