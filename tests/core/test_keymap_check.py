"""`[keys]` checked without Textual, against the written-down bindings `doctor` uses."""

from __future__ import annotations

from batchtui.core.keymap_check import BindingRow, check_keymap, key_set, table_bindings


def test_each_kind_of_bad_entry_is_one_line_naming_file_table_and_entry() -> None:
    good, problems = check_keymap(
        {"results.serch": "x", "results.search": "ctrl+florp", "jobs.detail": "ctrl+e"},
        table_bindings(),
        where="c.toml",
    )
    assert good == {"jobs.detail": "ctrl+e"}
    assert problems == [
        "c.toml: [keys] results.serch: no key binding has this id "
        "(did you mean 'results.search'?); ignored",
        "c.toml: [keys] results.search = 'ctrl+florp': unknown key 'florp'; ignored",
    ]


def test_a_remap_onto_any_key_of_a_multi_key_binding_is_taken() -> None:
    # `:` and ctrl+g both go to a record: either one, given to search, takes it away.
    for key in (":", "ctrl+g"):
        _good, problems = check_keymap({"results.search": key}, table_bindings(), where="c.toml")
        assert len(problems) == 1 and "(results.goto), which has no key there now" in problems[0]


def test_a_key_taken_only_in_another_screen_is_free() -> None:
    rows = [
        BindingRow("a.Screen", "a.one", "x", "One"),
        BindingRow("b.Screen", "b.two", "y", "Two"),
    ]
    assert check_keymap({"a.one": "y"}, rows, where="c.toml") == ({"a.one": "y"}, [])
    _good, problems = check_keymap({"a.one": "y", "b.two": "y,z"}, rows, where="c.toml")
    assert problems == []
    rows.append(BindingRow("a.Screen", "", "z", "Unnamed"))
    _good, problems = check_keymap({"a.one": "z"}, rows, where="c.toml")
    assert problems == [
        "c.toml: [keys] a.one = 'z': z was Unnamed (no id), which has no key there now"
    ]


def test_characters_are_compared_by_their_key_names() -> None:
    assert key_set("?, slash") == {"question_mark", "slash"}
    assert key_set("/") == key_set("slash")
