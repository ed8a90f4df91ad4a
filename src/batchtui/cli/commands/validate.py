"""`batchtui validate FILE [--profile P] [--json]`: exit 1 when the file has errors.

Besides the problems, it prints the token estimate made in the same pass, the cost at
batch prices (config.toml's `[prices."MODEL"]` over the shipped table) and, with a
profile, the profile's limits and its enqueued-token headroom for the file's model.
The verdict is printed before config and registry are read, so it comes at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.cli.output import print_json
from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.formats import ValidationReport


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run(args: argparse.Namespace) -> int:
    from batchtui.cli.context import CommandContext
    from batchtui.cli.estimates import estimate_view
    from batchtui.core.formats import validate_file
    from batchtui.core.formats.parallel import usable_workers
    from batchtui.core.providers.kinds import limits_for_kind

    path = Path(args.file)
    with CommandContext(args) as context:
        if args.profile:
            profile = context.config.profile(args.profile)
            prices = context.config.price_table()
        else:
            # Only the prices: the whole config (and pydantic) would double the start-up.
            from batchtui.core.config_file import load_price_table

            profile = None
            prices = load_price_table()
        limits = limits_for_kind(profile.kind if profile else None)
        report = validate_file(
            path,
            limits=limits,
            estimate=True,
            context_window=prices.context_window,
            workers=usable_workers(),
        )
        if not args.json:
            _print_problems(path, report)
            sys.stdout.flush()
        registry = context.registry if profile is not None else None
        view = estimate_view(report, prices, limits=limits, profile=profile, registry=registry)
    if args.json:
        data = report.to_json()
        if view is not None:
            data["estimate"] = view.to_json()
        print_json(data)
    elif view is not None:
        for line in view.lines():
            print(line)
    return 0 if report.ok else 1


def _print_problems(path: Path, report: ValidationReport) -> None:
    for problem in report.problems:
        print(inert(problem.describe(path), single_line=True))
    if report.truncated:
        print(f"... {report.problem_count - len(report.problems)} more problems not shown")
    for note in report.notes:
        print(f"note: {inert(note, single_line=True)}")
    summary = f"{path}: {_plural(report.lines, 'request')}"
    if report.ok:
        warnings = f", {_plural(report.warning_count, 'warning')}" if report.warning_count else ""
        print(f"{summary}, OK{warnings}")
    else:
        print(f"{summary}, {_plural(report.error_count, 'error')}")
