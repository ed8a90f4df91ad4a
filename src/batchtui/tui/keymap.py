"""`[keys]` of config.toml in the TUI: each entry checked (`core.keymap_check`) against
every live binding and Textual's key names, then given to Textual's keymap; a bad entry is
skipped with one line naming it. Also writes those bindings down for the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import _normalize_key_list

from batchtui.core import keymap_check
from batchtui.core.keymap_check import BindingRow

# Names Textual accepts besides its `Keys` (its `_normalize_key_list` and aliases).
ALIASES = frozenset({"space", "enter", "tab", "escape", "backspace", "delete", "newline"})


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


def live_rows() -> list[BindingRow]:
    """Every binding of the TUI's classes as `core.keymap_check` reads them: one row per id
    (or per action, for the few without an id) of each class, its keys normalised."""
    rows: dict[tuple[str, str], BindingRow] = {}
    for node_class, bindings in bindings_by_class().items():
        owner = f"{node_class.__module__}.{node_class.__qualname__}"
        for binding in bindings:
            group = (owner, binding.id or f"!{binding.action}")
            keys = _normalize_key_list(binding.key)
            if group in rows:
                keys = f"{rows[group].keys},{keys}"
            rows[group] = BindingRow(owner, binding.id or "", keys, binding.description)
    return sorted(rows.values())


def checked_keymap(
    remaps: Mapping[str, str], *, where: str, known: Mapping[str, Binding] | None = None
) -> tuple[dict[str, str], list[str]]:
    """(the entries to apply, one warning per entry skipped or taking another binding's
    key, each naming `[keys] ID`). `known`: other bindings to check against (tests)."""
    if not remaps:  # the common case: no need to import every screen to learn their ids
        return {}, []
    if known is None:
        return keymap_check.check_keymap(remaps, live_rows(), where=where)
    rows = [BindingRow("", binding_id, b.key, b.description) for binding_id, b in known.items()]
    return keymap_check.check_keymap(remaps, rows, where=where, check_taken_keys=False)


def binding_table_text() -> str:
    """The source of `core/binding_table.py`: the live bindings and Textual's key names,
    written down for the CLI (`scripts/binding_table.py --write` saves it)."""
    import textual.keys as keys

    key_names = {key.value.rpartition("+")[2] for key in keys.Keys} | ALIASES
    bindings = "".join(f"    {tuple(row)!r},\n" for row in live_rows())
    return (
        f'"""The TUI\'s bindings and Textual\'s key names as data: generated, do not edit.\n'
        "\n"
        "Written by `scripts/binding_table.py --write` from the Bindings the TUI declares and\n"
        "from textual.keys, so `batchtui doctor` checks `[keys]` without importing Textual;\n"
        "tests/tui/test_binding_table.py fails when it is out of date.\n"
        '"""\n'
        "\n"
        '# (class, binding id or "", default keys, description): one row per id of a class.\n'
        f"BINDINGS: tuple[tuple[str, str, str, str], ...] = (\n{bindings})\n"
        "# The named keys Textual decodes (the last part of each of its `Keys`), and aliases.\n"
        f"KEY_NAMES = frozenset({sorted(key_names)!r})\n"
        f"KEY_NAME_REPLACEMENTS = {keys.KEY_NAME_REPLACEMENTS!r}\n"
        f"REPLACED_KEYS = {keys.REPLACED_KEYS!r}\n"
        f"KEY_TO_UNICODE_NAME = {keys.KEY_TO_UNICODE_NAME!r}\n"
        f"ASCII_KEY_NAMES = {keys.ASCII_KEY_NAMES!r}\n"
    )


def remapped(binding: Binding, remaps: Mapping[str, str]) -> Binding:
    """The binding as the keymap makes it (its new key, shown as such)."""
    if binding.id is not None and binding.id in remaps:
        return binding.with_key(remaps[binding.id], key_display=None)
    return binding
