"""Foreign text is printed inert; glyphs fall back to ASCII outside UTF-8 locales."""

from __future__ import annotations

import io

import pytest

from batchtui.cli.output import json_text, status_label
from batchtui.cli.terminal import Glyphs, ask_glyphs, glyphs_for
from batchtui.core.terminal_text import inert, supports_unicode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),  # OSC 52 clipboard write
        ("\x9b2J", "\\x9b2J"),  # C1 CSI
        ("a\rb\x08c\x7f", "a\\x0db\\x08c\\x7f"),
        ("evil\u202etxt", "evil\\u202etxt"),
        ("line one\n\tline two", "line one\n\tline two"),
        ("héllo ✔ 日本", "héllo ✔ 日本"),
    ],
)
def test_inert_escapes_controls_and_keeps_text(text: str, expected: str) -> None:
    assert inert(text) == expected


def test_inert_single_line_flattens_layout() -> None:
    assert inert("a\nb\tc\x1b", single_line=True) == "a b c\\x1b"


def test_json_text_escapes_what_json_leaves_raw() -> None:
    text = json_text({"text": "\x1b[2J\x9b\x7f\u202e ok é"})
    assert "\x1b" not in text and "\x9b" not in text and "\x7f" not in text
    assert "\u202e" not in text
    assert "ok é" in text


class FakeStream(io.StringIO):
    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


@pytest.mark.parametrize(
    ("env", "encoding", "expected"),
    [
        ({"LANG": "en_US.UTF-8"}, "utf-8", True),
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, "utf-8", False),
        ({"LC_CTYPE": "C.utf8"}, "utf-8", True),
        ({"LANG": "en_US.UTF-8"}, "ascii", False),
        ({}, "utf-8", False),
    ],
)
def test_supports_unicode_follows_locale_and_stream(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], encoding: str, expected: bool
) -> None:
    for variable in ("LC_ALL", "LC_CTYPE", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    assert supports_unicode(FakeStream(encoding)) is expected


def test_status_label_glyph_ascii_fallback_and_words() -> None:
    assert status_label("completed", glyphs=Glyphs.UNICODE) == "✔ completed"
    assert status_label("completed", glyphs=Glyphs.ASCII) == "+ completed"
    assert status_label("failed", glyphs=Glyphs.ASCII) == "x failed"
    assert status_label("failed", glyphs=Glyphs.ASCII).isascii()
    assert status_label("failed", glyphs=Glyphs.NONE) == "failed"
    assert status_label("not-a-status", glyphs=Glyphs.NONE) == "not-a-status"


class TtyStream(FakeStream):
    def __init__(self, encoding: str, *, tty: bool) -> None:
        super().__init__(encoding)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "asked", "environment", "expected"),
    [
        (True, None, None, Glyphs.UNICODE),
        (False, None, None, Glyphs.NONE),  # a pipe or a file: words for scripts
        (False, "always", None, Glyphs.UNICODE),
        (False, None, "always", Glyphs.UNICODE),
        (True, "never", None, Glyphs.NONE),
        (True, None, "never", Glyphs.NONE),
        (False, "auto", "always", Glyphs.NONE),  # the flag wins over the variable
    ],
)
def test_glyphs_only_on_a_terminal_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
    tty: bool,
    asked: str | None,
    environment: str | None,
    expected: Glyphs,
) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_CTYPE", raising=False)
    if environment is None:
        monkeypatch.delenv("BATCHTUI_GLYPHS", raising=False)
    else:
        monkeypatch.setenv("BATCHTUI_GLYPHS", environment)
    ask_glyphs(asked)
    try:
        assert glyphs_for(TtyStream("utf-8", tty=tty)) is expected
    finally:
        ask_glyphs(None)


def test_glyphs_asked_on_an_ascii_locale_fall_back_to_ascii(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("BATCHTUI_GLYPHS", "always")
    assert glyphs_for(TtyStream("ascii", tty=False)) is Glyphs.ASCII
