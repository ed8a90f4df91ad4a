"""`batchtui`: parse, dispatch to a command module, turn errors into one line and an exit code.

Exit codes: 0 success; 1 the operation failed; 2 usage or config error; 130 Ctrl-C.
Only argparse and `batchtui.__version__` are imported before a command is chosen, so
`--version` and `--help` answer without loading pydantic, httpx or textual.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.core.jobs.hooks import JobHooks

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

HIDDEN_COMPLETE = "__complete"
GLOBAL_FLAGS = frozenset({"--debug", "--demo", "--no-mouse"})
GLOBAL_OPTIONS = frozenset({"--glyphs"})  # each takes one value


def main(argv: list[str] | None = None, *, job_hooks: JobHooks | None = None) -> int:
    """Run `batchtui ARGV`; `job_hooks` reach the job service of the command (tests hold a
    real command still at a step with them)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (see cli/completion.py)
        from batchtui.cli.completion import complete_now

        complete_now()
    if argv[:1] == [HIDDEN_COMPLETE]:
        from batchtui.cli.completion import run_hidden

        return run_hidden(argv[1:])
    simulate_at = _simulate_position(argv)
    if simulate_at is not None:
        debug = "--debug" in argv[:simulate_at]
        return _guarded(lambda: _run_simulator(argv[simulate_at + 1 :]), debug=debug)

    if argv == ["--version"]:  # the commonest probe of an install: no parser needed
        from batchtui import __version__

        sys.stdout.write(f"batchtui {__version__}\n")
        return EXIT_OK
    from batchtui.cli.parser import build_parser

    try:
        args = build_parser(kind_flags="profile" in argv, with_commands=bool(argv)).parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, usage errors
        return _exit_code(exit_request)
    args.job_hooks = job_hooks
    from batchtui.cli.terminal import ask_glyphs

    ask_glyphs(args.glyphs)  # None (not given) also resets what an earlier call asked
    if args.debug and args.command is not None:  # the TUI keeps its own debug log file
        _enable_debug_logging()
    if args.command is None:  # the TUI draws the terminal itself, from inert text
        return _guarded(lambda: _resolve(args.handler)(args), debug=args.debug)
    from batchtui.cli.terminal import guarded_streams

    return guarded_streams(lambda: _guarded(lambda: _resolve(args.handler)(args), debug=args.debug))


def _simulate_position(argv: list[str]) -> int | None:
    """Index of a `simulate` command: everything after it belongs to the simulator's parser."""
    expect_value = False
    for index, token in enumerate(argv):
        if expect_value:
            expect_value = False
            continue
        if token == "simulate":
            return index
        if token in GLOBAL_OPTIONS:
            expect_value = True
            continue
        if token not in GLOBAL_FLAGS and token.split("=", 1)[0] not in GLOBAL_OPTIONS:
            return None
    return None


def _run_simulator(argv: list[str]) -> int:
    from batchtui.simulator.cli import main as simulator_main

    return simulator_main(argv)


def _resolve(target: str) -> Callable[..., int]:
    import importlib

    module_name, function_name = target.split(":")
    module = importlib.import_module(f"batchtui.cli.commands.{module_name}")
    return getattr(module, function_name)


def _guarded(run: Callable[[], int], *, debug: bool) -> int:
    """Run a command; any failure becomes `batchtui: error: ...` on one line of stderr."""
    from batchtui.core.errors import BatchtuiError

    try:
        return run()
    except KeyboardInterrupt:
        _print_error("interrupted", debug=False)
        return EXIT_INTERRUPTED
    except BatchtuiError as error:
        _print_error(error.message, debug=debug)
        return error.exit_code
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except SystemExit as exit_request:
        return _exit_code(exit_request)
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"
        hint = "" if debug else " (run with --debug for a traceback)"
        _print_error(f"unexpected failure: {detail}{hint}", debug=debug)
        return EXIT_FAILED


def _print_error(message: str, *, debug: bool) -> None:
    from batchtui.core.terminal_text import inert

    if debug:
        import traceback

        # An exception's text can hold what a server sent: escape sequences included.
        sys.stderr.write(inert(traceback.format_exc()))
    sys.stderr.write(f"batchtui: error: {inert(message, single_line=True)}\n")
    sys.stderr.flush()


def _exit_code(exit_request: SystemExit) -> int:
    code = exit_request.code
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_FAILED


def _enable_debug_logging() -> None:
    import logging

    from batchtui.core.terminal_text import inert

    class InertFormatter(logging.Formatter):
        """Log lines quote servers and models: shown with control characters escaped."""

        def format(self, record: logging.LogRecord) -> str:
            return inert(super().format(record))

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(InertFormatter("%(asctime)s %(name)s: %(message)s"))
    logger = logging.getLogger("batchtui")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


if __name__ == "__main__":
    raise SystemExit(main())
