"""`batchtui resume JOB [--json]`: start a direct job's runner again now.

A runner killed (kill -9, a reboot) is restarted by the next `watch`, `status --refresh`
or TUI poll once its heartbeat is old; `resume` does not wait. A direct job that failed
because its server answered nothing for `give_up_after` runs again too. Either way only
the lines without an answer are sent.
"""

from __future__ import annotations

import argparse

from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import job_summary, print_json, status_label
from batchtui.core.errors import BatchtuiError
from batchtui.core.models import Job
from batchtui.core.status import JobStatus


async def _resume(context: CommandContext, job: Job) -> tuple[Job, bool]:
    from batchtui.core.providers.direct.provider import DirectProvider

    async with context.service() as service:
        provider = await service.provider(job.profile)
        if not isinstance(provider, DirectProvider) or job.remote_id is None:
            raise BatchtuiError(
                f"job {job.id} is a {job.kind} job: only direct jobs have a runner to resume"
            )
        started = await provider.resume(job.remote_id)
        if started and job.status is JobStatus.FAILED:
            context.registry.update_job(
                job.id, status=JobStatus.IN_PROGRESS, note="resumed after giving up"
            )
            job = context.registry.get_job(job.id)
        return await service.refresh(job, force=True), started


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        job = context.registry.find_job(args.job)
        job, started = run_async(_resume(context, job))
    if args.json:
        print_json({**job_summary(job), "runner_started": started})
    elif started:
        print(f"{job.id}: runner started, {status_label(job.status)}")
    elif job.is_terminal:
        print(f"{job.id} is {status_label(job.status)}: nothing to resume")
    else:
        print(f"{job.id}: its runner is alive, {status_label(job.status)}")
    return 0
