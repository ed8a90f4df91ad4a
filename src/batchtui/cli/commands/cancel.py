"""`batchtui cancel JOB`."""

from __future__ import annotations

import argparse

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async
from batchtui.cli.output import status_label
from batchtui.core.models import Job


async def _cancel(context: CommandContext, job: Job) -> Job:
    async with context.service() as service:
        await reconcile_leftovers(service, job.profile)
        job = await service.refresh(context.registry.get_job(job.id))
        return await service.cancel(job)


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        job = run_async(_cancel(context, context.find_job(args.job)))
    print(f"cancel requested for {job.id}: {status_label(job.status)}")
    return 0
