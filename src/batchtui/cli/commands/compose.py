"""`batchtui compose DATASET --template T [--system S] [--model M] [--id-column C]
[--endpoint E] [--max-tokens N] [--temperature X] [--format F] [-o OUT] [--json]`.

Writes the batch input (atomically: whole or not at all), then validates and estimates
it as `validate` would, so the next step, `batchtui submit OUT`, holds no surprise.
Progress goes to stderr on a terminal.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from batchtui.cli.context import CommandContext
from batchtui.cli.output import print_json
from batchtui.cli.progress import StatusLine
from batchtui.core.errors import UsageError
from batchtui.core.terminal_text import inert
from batchtui.core.units import format_bytes


def run(args: argparse.Namespace) -> int:
    from batchtui.cli.estimates import estimate_view
    from batchtui.core.compose import ComposeSpec, compose_file, default_output
    from batchtui.core.formats import validate_file
    from batchtui.core.providers.kinds import limits_for_kind
    from batchtui.core.split import SPLITTABLE_CODES, blocking_problems

    dataset = Path(args.dataset)
    output = Path(args.output) if args.output else default_output(dataset)
    if output.exists() and not args.force:
        raise UsageError(f"{output} exists: pass --force to overwrite it, or -o another path")
    with CommandContext(args) as context:
        profile = context.config.profile(args.profile) if args.profile else None
        model = args.model or (profile.model if profile else None)
        if not model:
            raise UsageError(
                "--model: required (e.g. --model gpt-4o-mini), or a --profile that sets one"
            )
        spec = ComposeSpec(
            user_template=args.template,
            model=model,
            endpoint=args.endpoint,
            system_prompt=args.system,
            custom_id_column=args.id_column,
            max_tokens=args.max_tokens,
            temperature=args.temperature,
        )
        line = StatusLine()
        try:
            result = compose_file(
                dataset,
                spec,
                output,
                kind=args.format,
                progress=lambda count: line.show(f"composing: {count:,} requests written"),
            )
        finally:
            line.clear()
        assert result is not None  # no cancel callback: never cancelled
        limits = limits_for_kind(profile.kind if profile else None)
        report = validate_file(
            output,
            limits=limits,
            estimate=True,
            context_window=context.config.price_table().context_window,
        )
        view = estimate_view(report, context.config.price_table(), limits=limits, profile=profile)
    if args.json:
        print_json(
            {
                "path": str(result.path),
                "requests": result.requests,
                "bytes": result.bytes,
                "validation": report.to_json()
                | ({"estimate": view.to_json()} if view is not None else {}),
            }
        )
        return 0 if not blocking_problems(report) else 1
    print(
        f"wrote {result.requests:,} requests ({format_bytes(result.bytes)}) to "
        f"{inert(str(result.path), single_line=True)}"
    )
    for problem in report.problems:
        if problem.code not in SPLITTABLE_CODES:
            print(inert(problem.describe(result.path), single_line=True))
    if view is not None:
        for text in view.lines():
            print(text)
    # Too big for one batch is no error here: `submit` splits the file into a job group.
    if blocking_problems(report):
        return 1
    print(f"next: batchtui submit {inert(str(result.path), single_line=True)}")
    return 0
