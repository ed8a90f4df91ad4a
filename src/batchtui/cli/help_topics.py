"""`batchtui help TOPIC`: each topic's text, built from the code it documents where it can be.

Exit codes come from `core.unattended`, config keys from the config models
(`core.config_reference`), provider kinds from the kind table, TUI keys from the `Binding`
declarations in the TUI's source (read as text: help must not load Textual).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable
from pathlib import Path


def exit_codes() -> str:
    from batchtui.core.unattended import EXIT_CODES

    lines = ["Exit codes of batchtui commands:", ""]
    lines += [f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items()]
    return "\n".join(lines)


def config_keys() -> str:
    from batchtui.core.config_reference import config_keys as keys
    from batchtui.core.paths import config_path

    lines = [f"Every key of {config_path()} (BATCHTUI_CONFIG overrides):"]
    table = None
    for row in keys():
        head, _, name = row.key.rpartition(".")
        if head != table:
            table = head
            lines += ["", f"[{head}]"]
        lines.append(f"  {name}  ({row.type}, default {row.default})")
        lines.append(
            textwrap.fill(row.meaning, width=80, initial_indent=" " * 6, subsequent_indent=" " * 6)
        )
    return "\n".join(lines)


def providers() -> str:
    from batchtui.core.providers import PROVIDER_KINDS

    width = max(len(name) for name in PROVIDER_KINDS)
    lines = ["Provider kinds (`batchtui profile add NAME --kind KIND ...`):", ""]
    for kind in PROVIDER_KINDS.values():
        keys = " or ".join(kind.default_key_envs) or "-"
        lines.append(f"  {kind.name:<{width}}  {kind.description} (key: {keys})")
    return "\n".join(lines)


FILTERS = """\
Filters, in the TUI's job list (`/`):

  word            any of id, remote id, name, profile, model, status, kind contains it
  status:failed   a field contains the value; fields: status, profile, name, model, id, kind
  !word           negates a term (`!status:completed`)
  several terms   must all match: `profile:uni status:in_progress`

On the command line: `batchtui jobs --status S` (repeatable or comma-separated; the groups
`active` and `terminal` too) and `--profile P`."""


def tui_keys() -> str:
    """Every key binding declared in the TUI's source, by screen."""
    root = Path(__file__).resolve().parent.parent / "tui"
    lines = ["Keys of the TUI (press ? inside it for the same list, with remaps):", ""]
    for path in sorted(root.rglob("*.py")):
        found = list(_bindings_in(path))
        if found:
            lines.append(f"{path.stem}:")
            lines += [f"  {key:<14} {description}" for key, description in found]
    return "\n".join(lines)


def _bindings_in(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding":
            values = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
            keywords = {
                keyword.arg: keyword.value.value
                for keyword in node.keywords
                if isinstance(keyword.value, ast.Constant)
            }
            key = values[0] if values else keywords.get("key")
            description = values[2] if len(values) > 2 else keywords.get("description", "")
            if isinstance(key, str):
                yield key, str(description or keywords.get("tooltip", ""))


def json_shapes() -> str:
    import json

    from batchtui.cli.json_shapes import SHAPES

    lines = [
        "The --json output of each command, as JSON Schema (`results --json` is JSON Lines,",
        "one record a line). Later versions may add keys; the ones listed stay.",
    ]
    for command, schema in SHAPES.items():
        lines += ["", f"batchtui {command} --json:", json.dumps(schema, indent=1)]
    return "\n".join(lines)


OUTPUT = """What batchtui prints, for scripts:

  stdout to a terminal      status glyphs (ASCII ones outside a UTF-8 locale)
  stdout to a pipe or file  words only: no glyphs, no escape sequences, no progress line
  --glyphs always|never     decide yourself (also BATCHTUI_GLYPHS=always|never|auto)
  --json                    every command that prints something (see `batchtui help json`)
  jobs --format tsv|csv     a header row, then a row a job

The redrawn progress line goes to stderr, and only while stderr is a terminal."""


TOPICS: dict[str, tuple[str, Callable[[], str]]] = {
    "output": ("plain output for scripts: glyphs, pipes, --json", lambda: OUTPUT),
    "exit-codes": ("what each exit code means", exit_codes),
    "config": ("every key of config.toml: type, default, meaning", config_keys),
    "providers": ("the provider kinds and their keys", providers),
    "filters": ("the job filter syntax", lambda: FILTERS),
    "keys": ("the TUI's keys", tui_keys),
    "json": ("the shape of every command's --json output", json_shapes),
}
