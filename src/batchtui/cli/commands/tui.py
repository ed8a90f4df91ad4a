"""`batchtui [--demo] [--no-mouse]`: the Textual app, imported only here."""

from __future__ import annotations

import argparse
import sys

from batchtui.core.errors import UsageError


def run(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "the TUI needs a terminal (stdin and stdout are not both one); "
            "for scripts use the commands listed by `batchtui --help`"
        )
    if args.demo:
        from batchtui.demo import run_demo

        return run_demo(no_mouse=args.no_mouse, debug=args.debug)
    from batchtui.tui.app import run_tui

    return run_tui(no_mouse=args.no_mouse, debug=args.debug)
