"""`[keys]` entries checked against the TUI's bindings and Textual's key names, without Textual.

The TUI checks against its live bindings; `batchtui doctor` against `binding_table`, the
same bindings written down (a test keeps that table equal to the live ones), so the CLI
never imports Textual. Key names follow `textual.keys`, from the same table.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


class BindingRow(NamedTuple):
    """One binding id of one screen or widget class (`binding_id` "" for those without)."""

    owner: str  # the class declaring it, "module.Class"
    binding_id: str
    keys: str  # its default keys, comma-separated, as Textual normalises them
    description: str


def table_bindings() -> list[BindingRow]:
    """The TUI's bindings as written down in `binding_table` (cheap: no Textual)."""
    from batchtui.core.binding_table import BINDINGS

    return [BindingRow(*row) for row in BINDINGS]


def character_of(name: str) -> str | None:
    """The character a key name stands for ("question_mark" -> "?"), as Textual finds it."""
    from batchtui.core.binding_table import KEY_TO_UNICODE_NAME

    for unicode_name in (KEY_TO_UNICODE_NAME.get(name), name.replace("_", " ").upper()):
        if unicode_name is None:
            continue
        try:
            return unicodedata.lookup(unicode_name)
        except KeyError:
            continue
    return None


def key_problem(key: str) -> str | None:
    """Why `key` (one key such as "ctrl+k", "f5", "?" or "question_mark") is no key; None
    when it is one."""
    from batchtui.core.binding_table import KEY_NAMES, REPLACED_KEYS

    if not key:
        return "an empty key"
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            return f"unknown modifier {modifier!r} (known: {', '.join(sorted(MODIFIERS))})"
    if len(base) == 1 or base in KEY_NAMES:
        return None
    if character_of(REPLACED_KEYS.get(base, base)) is not None:
        return None  # a character's name: question_mark, slash, ...
    return f"unknown key {base!r}"


def key_name(key: str) -> str:
    """One key as Textual names it in a binding: a single character by its name."""
    from batchtui.core.binding_table import ASCII_KEY_NAMES, KEY_NAME_REPLACEMENTS

    if len(key) != 1:
        return key
    if key.isalnum():
        name = key
    else:
        try:
            name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
        except ValueError:
            name = ASCII_KEY_NAMES.get(key, key)
    return KEY_NAME_REPLACEMENTS.get(name, name)


def key_set(keys: str) -> set[str]:
    """A comma-separated list of keys as the set of key names Textual binds."""
    return {key_name(key.strip()) for key in keys.split(",")}


def check_keymap(
    remaps: Mapping[str, str],
    bindings: Sequence[BindingRow],
    *,
    where: str,
    check_taken_keys: bool = True,
) -> tuple[dict[str, str], list[str]]:
    """(the entries to apply, one line per entry skipped or taking another binding's key,
    each naming `where: [keys] ID`)."""
    known = {row.binding_id for row in bindings if row.binding_id}
    good: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in remaps.items():
        entry = f"{where}: [keys] {binding_id}"
        if binding_id not in known:
            match = difflib.get_close_matches(binding_id, sorted(known), n=1)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            problems.append(f"{entry}: no key binding has this id{hint}; ignored")
            continue
        keys = [key.strip() for key in value.split(",")]
        problem = next((p for key in keys if (p := key_problem(key)) is not None), None)
        if problem is not None:
            problems.append(f"{entry} = {value!r}: {problem}; ignored")
            continue
        good[binding_id] = ",".join(keys)
    if check_taken_keys:
        problems += taken_keys(good, bindings, where)
    return good, problems


def taken_keys(remaps: Mapping[str, str], bindings: Iterable[BindingRow], where: str) -> list[str]:
    """A remap onto a key another binding of the same class keeps: that one loses it."""
    by_owner: dict[str, list[BindingRow]] = {}
    for row in bindings:
        by_owner.setdefault(row.owner, []).append(row)
    problems = []
    for rows in by_owner.values():
        keys_of = [key_set(remaps.get(row.binding_id, row.keys)) for row in rows]
        for row, keys in zip(rows, keys_of, strict=True):
            if row.binding_id not in remaps:
                continue
            for other, other_keys in zip(rows, keys_of, strict=True):
                taken = keys & other_keys
                if other is not row and taken:
                    problems.append(
                        f"{where}: [keys] {row.binding_id} = {remaps[row.binding_id]!r}: "
                        f"{', '.join(sorted(taken))} was {other.description} "
                        f"({other.binding_id or 'no id'}), which has no key there now"
                    )
    return problems
