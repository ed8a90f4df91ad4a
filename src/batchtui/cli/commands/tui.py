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
    # The entry point is the only importer of the demo: the app gets a factory.
    from batchtui.demo import DemoRun
    from batchtui.tui.app import run_tui

    demo = DemoRun() if args.demo else None
    return run_tui(demo=demo, demo_factory=DemoRun, no_mouse=args.no_mouse, debug=args.debug)
