"""`batchtui cancel JOB|GROUP [--json]`: a group cancels every shard still running."""

from __future__ import annotations

import argparse

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async
from batchtui.cli.output import job_summary, print_json, status_label
from batchtui.cli.targets import find_job_or_group
from batchtui.core.models import Job, JobGroup


async def _cancel(context: CommandContext, job: Job) -> Job:
    async with context.service() as service:
        await reconcile_leftovers(service, job.profile)
        job = await service.refresh(context.registry.get_job(job.id))
        return await service.cancel(job)


async def _cancel_group(context: CommandContext, group: JobGroup) -> list[Job]:
    async with context.service() as service:
        await reconcile_leftovers(service, group.profile)
        return await service.cancel_group(group)


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        target = find_job_or_group(context, args.job)
        if isinstance(target, JobGroup):
            shards = run_async(_cancel_group(context, target))
            if args.json:
                print_json([job_summary(shard) for shard in shards])
                return 0
            for shard in shards:
                print(
                    f"cancel requested for {shard.id} (shard {shard.shard_index} of "
                    f"{target.id}): {status_label(shard.status)}"
                )
            return 0
        job = run_async(_cancel(context, target))
    if args.json:
        print_json(job_summary(job))
        return 0
    print(f"cancel requested for {job.id}: {status_label(job.status)}")
    return 0
