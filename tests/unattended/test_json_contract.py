"""Every command that prints something has --json; the exceptions are listed with a reason."""

from __future__ import annotations

import argparse

from batchtui.cli.parser import build_parser

# Commands whose output is not a result to parse, each with the reason.
WITHOUT_JSON = {
    "simulate": "a server: its first line is the URL, then a request log",
    "completion": "prints a shell script for the shell to source",
    "help": "prints documentation for people (the man page with --man)",
    "view": "opens the result viewer in the terminal; `results FILE --json` prints records",
}


def subcommands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> dict[str, argparse.ArgumentParser]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                command = f"{prefix}{name}"
                nested = subcommands(sub, prefix=f"{command} ")
                found.update(nested or {command: sub})
    return found


def test_every_subcommand_has_json_or_a_reason() -> None:
    commands = subcommands(build_parser())
    assert len(commands) > 20  # the walk found the tree, nested profile actions included
    missing = [
        name
        for name, sub in commands.items()
        if name not in WITHOUT_JSON
        and not any("--json" in action.option_strings for action in sub._actions)
    ]
    assert missing == [], f"subcommands without --json: {missing}"


def test_every_exception_is_still_a_command() -> None:
    assert set(WITHOUT_JSON) <= set(subcommands(build_parser()))


def test_every_subcommand_help_ends_with_an_example() -> None:
    for name, sub in subcommands(build_parser()).items():
        if name == "simulate":
            continue  # its own parser (`batchtui simulate --help`)
        assert sub.format_help().rstrip().splitlines()[-2:][0] == "example:", name
