"""`batchtui clean JOB...`: delete a finished job's remote files and batchtui's local copies.

Deletes the input, output and error files at the provider where it allows it (a kind that
cannot says so per file), and the retry inputs and shard files batchtui wrote; never your
own input file or the downloaded results. Run it again to finish an interrupted clean.
"""

from __future__ import annotations

import argparse

from batchtui.cli.commands.watch import expand_refs
from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import print_json
from batchtui.core.cleanup import CleanReport, clean_job
from batchtui.core.terminal_text import inert


async def _clean(context: CommandContext, refs: list[str]) -> list[CleanReport]:
    from batchtui.core.housekeeping import refuse_running

    jobs = expand_refs(context, refs)
    refuse_running(jobs, "clean")
    reports = []
    async with context.service() as service:
        for job in jobs:
            report = await clean_job(await service.provider(job.profile), job)
            summary = ", ".join(f"{item.what} {item.outcome}" for item in report.files)
            context.registry.update_job(job.id, note=f"cleaned: {summary or 'nothing to delete'}")
            reports.append(report)
    return reports


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        reports = run_async(_clean(context, args.jobs))
    if args.json:
        print_json(
            [
                {
                    "job": report.job_id,
                    "ok": report.ok,
                    "files": [
                        {"what": item.what, "name": item.name, "outcome": item.outcome}
                        for item in report.files
                    ],
                }
                for report in reports
            ]
        )
    else:
        for report in reports:
            if not report.files:
                print(f"{report.job_id}: nothing to delete")
            for item in report.files:
                name = inert(item.name, single_line=True)
                print(f"{report.job_id}  {item.what:<6}  {name}  {item.outcome}")
    return 0 if all(report.ok for report in reports) else 1
