"""`batchtui [--demo] [--no-mouse]`: the Textual app, imported only here."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from batchtui.core.errors import UsageError

if TYPE_CHECKING:
    from batchtui.tui.app import DemoSession


def run(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "the TUI needs a terminal (stdin and stdout are not both one); "
            "for scripts use the commands listed by `batchtui --help`"
        )
    # The job list's first page is read in a thread while Textual is imported below, so the
    # first screen paints with its rows (not for the demo: it has a registry of its own).
    from batchtui.core.registry.read_ahead import FirstPageRead

    first_page = None if args.demo else FirstPageRead()
    # The entry point is the only importer of the demo: the app gets a factory, and the
    # demo module is imported only when one starts (not on the way to the first paint).
    from batchtui.tui.app import run_tui

    demo = new_demo() if args.demo else None
    return run_tui(
        demo=demo,
        demo_factory=new_demo,
        no_mouse=args.no_mouse,
        debug=args.debug,
        first_page=first_page,
    )


def new_demo() -> DemoSession:
    from batchtui.demo import DemoRun

    return DemoRun()
