"""`batchtui help [TOPIC]`, offline: exit codes, config keys, providers, filters, keys;
`batchtui help --man` prints a man page generated from the parser."""

from __future__ import annotations

import argparse
import sys

from batchtui.cli.help_topics import TOPICS
from batchtui.core.errors import UsageError


def run(args: argparse.Namespace) -> int:
    if args.man:
        sys.stdout.write(man_page())
        return 0
    if args.topic is None:
        width = max(len(name) for name in TOPICS)
        print("Topics (`batchtui help TOPIC`; each command also has --help):")
        for name, (summary, _render) in TOPICS.items():
            print(f"  {name:<{width}}  {summary}")
        return 0
    topic = TOPICS.get(args.topic)
    if topic is None:
        raise UsageError(f"no help topic {args.topic!r} (topics: {', '.join(TOPICS)})")
    print(topic[1]())
    return 0


def man_page() -> str:
    """batchtui(1): the commands and options from the parser, then the config keys."""
    from argparse_manpage.manpage import Manpage

    from batchtui.cli.parser import build_parser
    from batchtui.core.config_reference import config_keys

    page = str(Manpage(build_parser()))
    config = [".SH CONFIGURATION", "Keys of config.toml (see also \\fBbatchtui help config\\fR):"]
    for key in config_keys():
        config += [
            ".TP",
            f"\\fB{_roff(key.key)}\\fR ({_roff(key.type)}, default {_roff(key.default)})",
        ]
        config.append(_roff(key.meaning))
    exit_lines = [".SH EXIT STATUS"]
    from batchtui.core.unattended import EXIT_CODES

    for code, meaning in EXIT_CODES.items():
        exit_lines += [".TP", f"\\fB{code}\\fR", _roff(meaning)]
    return page.rstrip("\n") + "\n" + "\n".join(config + exit_lines) + "\n"


def _roff(text: str) -> str:
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + escaped if escaped.startswith((".", "'")) else escaped
