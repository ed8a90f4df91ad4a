"""The CLI's written-down bindings (`core.binding_table`) equal the TUI's live ones, and its
key-name rules equal Textual's: `batchtui doctor` checks `[keys]` with them, no Textual."""

from __future__ import annotations

import string

import textual.keys as textual_keys

from batchtui.core import binding_table, keymap_check
from batchtui.tui.keymap import ALIASES, live_rows

STALE = "out of date: run `python scripts/binding_table.py --write`"


def test_the_table_holds_every_live_binding_of_every_class() -> None:
    live = [tuple(row) for row in live_rows()]
    assert list(binding_table.BINDINGS) == live, STALE
    # What a remap check needs is there: the ids the job list's users remap most.
    ids = {row[1] for row in binding_table.BINDINGS}
    assert {"jobs.cancel", "jobs.archive", "results.search", "help"} <= ids


def test_the_key_names_are_textuals() -> None:
    named = {key.value.rpartition("+")[2] for key in textual_keys.Keys} | ALIASES
    assert named == binding_table.KEY_NAMES, STALE
    assert binding_table.KEY_NAME_REPLACEMENTS == textual_keys.KEY_NAME_REPLACEMENTS, STALE
    assert binding_table.REPLACED_KEYS == textual_keys.REPLACED_KEYS, STALE
    assert binding_table.KEY_TO_UNICODE_NAME == textual_keys.KEY_TO_UNICODE_NAME, STALE
    assert binding_table.ASCII_KEY_NAMES == textual_keys.ASCII_KEY_NAMES, STALE


def test_single_characters_are_named_as_textual_names_them() -> None:
    for character in string.printable:
        ours = keymap_check.key_name(character)
        assert ours == textual_keys._character_to_key(character), repr(character)


def test_character_names_are_found_as_textual_finds_them() -> None:
    names = [*textual_keys.KEY_TO_UNICODE_NAME, "slash", "question_mark", "florp", "at"]
    for name in names:
        original = textual_keys.REPLACED_KEYS.get(name, name)
        assert keymap_check.character_of(original) == textual_keys.key_to_character(original)


def test_every_key_the_tui_binds_passes_the_cli_check() -> None:
    for row in binding_table.BINDINGS:
        for key in row[2].split(","):
            assert keymap_check.key_problem(key) is None, (row, key)
