"""`batchtui convert FILE --to openai|gemini|vertex [-o OUT] [--model M] [--no-request-id]
[--json]`: exit 0 when every line was converted whole, 1 when a line was skipped or a
field dropped (the report names each, by line and field).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from batchtui.cli.output import print_json
from batchtui.core.terminal_text import inert


def default_output(source: Path, target: str) -> Path:
    """`in.jsonl` -> `in.gemini.jsonl`, beside the source."""
    return source.with_name(f"{source.stem}.{target}.jsonl")


def run(args: argparse.Namespace) -> int:
    from batchtui.core.errors import UsageError
    from batchtui.core.formats.convert import DEFAULT_MAX_ISSUES, convert_file

    source = Path(args.file)
    dest = Path(args.output) if args.output else default_output(source, args.to)
    if dest.exists() and source.exists() and dest.resolve() == source.resolve():
        raise UsageError(f"-o {dest}: the output would overwrite the input")
    report = convert_file(
        source, dest, args.to, model=args.model, vertex_request_id=not args.no_request_id
    )
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    for issue in report.issues:
        print(inert(issue.describe(source), single_line=True))
    shown = len(report.issues)
    total = report.lines_skipped + report.fields_dropped
    if total > shown and shown >= DEFAULT_MAX_ISSUES:
        print(f"... more issues not shown ({total:,} in all)")
    print(inert(report.summary(), single_line=True))
    return 0 if report.ok else 1
