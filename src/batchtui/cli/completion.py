"""Shell completion (bash, zsh, fish) generated from the parser by argcomplete.

`batchtui completion SHELL` prints the shell's hook. On TAB the shell runs `batchtui`
with argcomplete's environment; `main` hands over here before anything heavy is imported.
Profile names and job ids come from `values_for` — also the hidden `batchtui __complete
profiles|jobs` command — which reads config.toml with tomllib and the registry with
sqlite3 directly: no httpx, pydantic or textual on a keystroke.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Iterable

SHELLS = ("bash", "zsh", "fish")
JOB_LIMIT = 500
# Argument destinations that name a job, and those that name a profile.
JOB_DESTS = frozenset({"job", "jobs", "source"})
PROFILE_DESTS = frozenset({"profile"})


def values_for(what: str) -> list[str]:
    """`profiles`: the configured names; `jobs`: newest job ids, then their unique names."""
    if what == "profiles":
        return _profile_names()
    if what == "jobs":
        return _job_refs()
    return []


def _profile_names() -> list[str]:
    import tomllib

    from batchtui.core.paths import config_path

    try:
        data = tomllib.loads(config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    profiles = data.get("profiles")
    return sorted(profiles) if isinstance(profiles, dict) else []


def _job_refs() -> list[str]:
    from batchtui.core.paths import registry_path

    path = registry_path()
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5) as conn:
            rows = conn.execute(
                "SELECT id, name FROM jobs ORDER BY created_at DESC LIMIT ?", (JOB_LIMIT,)
            ).fetchall()
            groups = conn.execute(
                "SELECT id FROM groups ORDER BY created_at DESC LIMIT ?", (JOB_LIMIT,)
            ).fetchall()
    except sqlite3.Error:
        return []
    ids = [str(row[0]) for row in rows] + [str(row[0]) for row in groups]
    names = [str(row[1]) for row in rows]
    unique_names = [name for name in dict.fromkeys(names) if names.count(name) == 1]
    return ids + [name for name in unique_names if _shell_word(name)]


def _shell_word(text: str) -> bool:
    return bool(text) and text.isprintable() and not any(char.isspace() for char in text)


def _completer(what: str):
    def complete(prefix: str = "", **_: object) -> Iterable[str]:
        return [value for value in values_for(what) if value.startswith(prefix)]

    return complete


def attach_completers(parser: argparse.ArgumentParser) -> None:
    """Give every JOB and --profile argument of every subcommand its value completer."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                attach_completers(sub)
        elif action.dest in JOB_DESTS:
            action.completer = _completer("jobs")  # type: ignore[attr-defined]
        elif action.dest in PROFILE_DESTS:
            action.completer = _completer("profiles")  # type: ignore[attr-defined]
    if parser.prog.endswith(("profile show", "profile remove", "profile test")):
        for action in parser._actions:
            if action.dest == "name":
                action.completer = _completer("profiles")  # type: ignore[attr-defined]


def complete_now() -> None:
    """Answer the shell's completion request (argcomplete's environment is set); exits."""
    import argcomplete

    from batchtui.cli.parser import build_parser

    parser = build_parser()
    attach_completers(parser)
    argcomplete.autocomplete(parser, always_complete_options="long")
    sys.exit(0)  # autocomplete exits itself; reached only if it declined


def shell_script(shell: str) -> str:
    import argcomplete

    return argcomplete.shellcode(["batchtui"], shell=shell)


def run_hidden(argv: list[str]) -> int:
    """`batchtui __complete profiles|jobs`: one value a line."""
    for value in values_for(argv[0] if argv else ""):
        sys.stdout.write(value + "\n")
    return 0
