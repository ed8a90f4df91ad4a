"""`[keys]` of config.toml in the TUI: each entry checked against every binding's id and
Textual's key names, then given to Textual's keymap; a bad entry is skipped with one line
naming it."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, _normalize_key_list, key_to_character

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
# Named keys Textual decodes (the last part of each of its `Keys`), and its aliases.
KEY_NAMES = frozenset(
    {key.value.rpartition("+")[2] for key in Keys}
    | {"space", "enter", "tab", "escape", "backspace", "delete", "newline"}
)


def _import_every_module_with_bindings() -> None:
    """The TUI's modules that declare bindings (a test keeps this list complete)."""
    import batchtui.tui.app
    import batchtui.tui.screens.columns
    import batchtui.tui.screens.compose
    import batchtui.tui.screens.confirm
    import batchtui.tui.screens.detail
    import batchtui.tui.screens.group_detail
    import batchtui.tui.screens.help
    import batchtui.tui.screens.jobs
    import batchtui.tui.screens.profile_form
    import batchtui.tui.screens.profiles
    import batchtui.tui.screens.requests
    import batchtui.tui.screens.results
    import batchtui.tui.screens.start
    import batchtui.tui.screens.validate
    import batchtui.tui.screens.welcome
    import batchtui.tui.typeahead
    import batchtui.tui.view_app
    import batchtui.tui.widgets.file_picker
    import batchtui.tui.widgets.job_table
    import batchtui.tui.widgets.line_viewer
    import batchtui.tui.widgets.profile_form
    import batchtui.tui.widgets.record_view  # noqa: F401


@cache
def bindings_by_class() -> dict[type[DOMNode], list[Binding]]:
    """The bindings each of the TUI's screens and widgets declares itself."""
    _import_every_module_with_bindings()
    return {
        node_class: list(Binding.make_bindings(node_class.__dict__["BINDINGS"]))
        for node_class in _subclasses(DOMNode)
        if node_class.__module__.startswith("batchtui.") and "BINDINGS" in node_class.__dict__
    }


@cache
def known_bindings() -> dict[str, Binding]:
    """Every binding the TUI declares, by id."""
    found: dict[str, Binding] = {}
    for bindings in bindings_by_class().values():
        for binding in bindings:
            if binding.id is not None:
                found.setdefault(binding.id, binding)
    return found


def _subclasses(base: type) -> list[type]:
    found: list[type] = []
    for child in base.__subclasses__():
        found += [child, *_subclasses(child)]
    return found


def key_problem(key: str) -> str | None:
    """Why `key` (one key such as "ctrl+k", "f5", "?" or "question_mark") is no key; None
    when it is one."""
    if not key:
        return "an empty key"
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            return f"unknown modifier {modifier!r} (known: {', '.join(sorted(MODIFIERS))})"
    if len(base) == 1 or base in KEY_NAMES:
        return None
    if key_to_character(REPLACED_KEYS.get(base, base)) is not None:
        return None  # a character's name: question_mark, slash, ...
    return f"unknown key {base!r}"


def checked_keymap(
    remaps: Mapping[str, str], *, where: str, known: Mapping[str, Binding] | None = None
) -> tuple[dict[str, str], list[str]]:
    """(the entries to apply, one warning per entry skipped or taking another binding's
    key, each naming `[keys] ID`). `known`: other bindings to check against (tests)."""
    if not remaps:  # the common case: no need to import every screen to learn their ids
        return {}, []
    check_taken_keys = known is None
    known = known_bindings() if known is None else known
    good: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, value in remaps.items():
        entry = f"{where}: [keys] {binding_id}"
        if binding_id not in known:
            match = difflib.get_close_matches(binding_id, list(known), n=1)
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
        problems += _taken_keys(good, where)
    return good, problems


def _taken_keys(remaps: Mapping[str, str], where: str) -> list[str]:
    """A remap onto a key another binding of the same screen keeps: that one loses it."""
    problems = []
    for bindings in bindings_by_class().values():
        keys_of = {
            binding.id: _key_set(remaps.get(binding.id or "", binding.key)) for binding in bindings
        }
        for binding in bindings:
            if binding.id not in remaps:
                continue
            for other in bindings:
                taken = keys_of[binding.id] & keys_of[other.id]
                if other.id != binding.id and taken:
                    problems.append(
                        f"{where}: [keys] {binding.id} = {remaps[binding.id]!r}: "
                        f"{', '.join(sorted(taken))} was {other.description} ({other.id}), "
                        "which has no key there now"
                    )
    return problems


def _key_set(keys: str) -> set[str]:
    return set(_normalize_key_list(keys).split(","))


def remapped(binding: Binding, remaps: Mapping[str, str]) -> Binding:
    """The binding as the keymap makes it (its new key, shown as such)."""
    if binding.id is not None and binding.id in remaps:
        return binding.with_key(remaps[binding.id], key_display=None)
    return binding
