"""`batchtui sync --profile P`: adopt the profile's remote batches missing from the registry."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import job_summary, json_text, status_label
from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.sync import SyncReport


async def _sync(context: CommandContext, profile_name: str, limit: int | None) -> SyncReport:
    async with context.service() as service:
        await reconcile_leftovers(service, profile_name)
        return await service.sync(profile_name, limit=limit)


def run(args: argparse.Namespace) -> int:
    from batchtui.core.sync import ORIGIN_METADATA_KEY

    with CommandContext(args) as context:
        profile_name = context.profile_name(args.profile)
        report = run_async(_sync(context, profile_name, args.limit))
    if args.json:
        print(
            json_text(
                {
                    "profile": profile_name,
                    "scanned": report.scanned,
                    "already_tracked": report.already_tracked,
                    "adopted": [job_summary(job) for job in report.adopted],
                    "recovered": [job_summary(job) for job in report.recovered],
                    "skipped": report.skipped,
                },
                indent=2,
            )
        )
        return 0
    for reason in report.skipped:
        warn(f"skipped {reason}")
    for job in report.recovered:
        print(f"recovered {job.id} ({inert(job.name, single_line=True)}): {job.remote_id}")
    for job in report.adopted:
        origin = job.metadata.get(ORIGIN_METADATA_KEY, "")
        print(
            f"adopted {job.id}  {status_label(job.status)}  "
            f"{inert(job.name, single_line=True)}  ({job.remote_id}, created by {origin})"
        )
    print(
        f"{profile_name}: {report.scanned} remote batches, {report.already_tracked} already "
        f"tracked, {len(report.adopted)} adopted, {len(report.recovered)} recovered"
        + (f", {len(report.skipped)} skipped" if report.skipped else "")
    )
    return 0
