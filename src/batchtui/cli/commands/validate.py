"""`batchtui validate FILE [--profile P] [--json]`: exit 1 when the file has errors."""

from __future__ import annotations

import argparse
from pathlib import Path

from batchtui.cli.output import print_json
from batchtui.cli.terminal import inert


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def run(args: argparse.Namespace) -> int:
    from batchtui.core.formats import limits_for_kind, validate_file

    path = Path(args.file)
    kind = None
    if args.profile:
        from batchtui.cli.context import CommandContext

        with CommandContext(args) as context:
            kind = context.config.profile(args.profile).kind
    report = validate_file(path, limits=limits_for_kind(kind))
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    for problem in report.problems:
        print(inert(problem.describe(path), single_line=True))
    if report.truncated:
        print(f"... {report.problem_count - len(report.problems)} more problems not shown")
    summary = f"{path}: {_plural(report.lines, 'request')}"
    if report.ok:
        warnings = f", {_plural(report.warning_count, 'warning')}" if report.warning_count else ""
        print(f"{summary}, OK{warnings}")
    else:
        print(f"{summary}, {_plural(report.error_count, 'error')}")
    return 0 if report.ok else 1
