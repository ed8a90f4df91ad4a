"""`batchtui watch [JOB|GROUP...] [--interval S]`: poll until every job has ended.

A group stands for all its shards.

Exit 0 when every job completed, 1 when any ended otherwise (failed, expired,
cancelled, not submitted). Status changes go to stderr as lines; on a terminal a
live line also shows request counts between changes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from batchtui.cli.commands.jobs import jobs_table
from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import counts_text, status_label
from batchtui.cli.progress import StatusLine
from batchtui.core.errors import ProviderError, ProviderUnreachable, UsageError
from batchtui.core.models import Job
from batchtui.core.service import JobService
from batchtui.core.status import TERMINAL_STATUSES, JobStatus
from batchtui.core.terminal_text import supports_unicode

# Polls of one job that may fail in a row (provider unreachable, 5xx) before watch gives up.
MAX_FAILED_POLLS = 10


def _is_transient(error: ProviderError) -> bool:
    return isinstance(error, ProviderUnreachable) or error.retryable


class Watcher:
    def __init__(self, service: JobService, jobs: list[Job], interval: float) -> None:
        self.service = service
        self.jobs = {job.id: job for job in jobs}
        self.interval = interval
        self.failed_polls = {job.id: 0 for job in jobs}
        self.unicode = supports_unicode(sys.stderr)
        self.live = StatusLine()

    def report_change(self, job: Job) -> None:
        self.live.clear()
        counts = counts_text(job.request_counts)
        label = status_label(job.status, unicode=self.unicode)
        sys.stderr.write(f"{job.id}  {label}  {counts}\n")
        sys.stderr.flush()

    def show_progress(self) -> None:
        running = [job for job in self.jobs.values() if not job.is_terminal]
        parts = [f"{job.id} {job.status} {counts_text(job.request_counts)}" for job in running]
        self.live.show(f"watching {len(running)}: " + ", ".join(parts), force=True)

    async def poll(self, job: Job) -> Job:
        try:
            fresh = await self.service.refresh(job)
        except ProviderError as error:
            self.failed_polls[job.id] += 1
            if not _is_transient(error) or self.failed_polls[job.id] >= MAX_FAILED_POLLS:
                raise
            self.live.clear()
            warn(f"{job.id}: {error} (retrying in {self.interval:g} s)")
            return job
        self.failed_polls[job.id] = 0
        if fresh.status != job.status:
            self.report_change(fresh)
        return fresh

    async def run(self) -> list[Job]:
        for job in self.jobs.values():
            self.report_change(job)
        try:
            while True:
                for job in [job for job in self.jobs.values() if not job.is_terminal]:
                    self.jobs[job.id] = await self.poll(job)
                if all(job.is_terminal for job in self.jobs.values()):
                    return list(self.jobs.values())
                self.show_progress()
                await asyncio.sleep(self.interval)
        finally:
            self.live.clear()


def _expand(context: CommandContext, refs: list[str]) -> list[Job]:
    """The jobs named, a group's shards in its place; each job once."""
    from batchtui.cli.targets import find_job_or_group

    jobs: dict[str, Job] = {}
    for ref in refs:
        target = find_job_or_group(context, ref)
        if isinstance(target, Job):
            jobs.setdefault(target.id, target)
        else:
            for shard in context.registry.group_jobs(target.id):
                jobs.setdefault(shard.id, shard)
    return list(jobs.values())


def default_interval(context: CommandContext, jobs: list[Job]) -> float:
    """The shortest poll interval among the jobs' profiles."""
    profiles = [context.config.profiles.get(job.profile) for job in jobs]
    return min((profile.poll_interval for profile in profiles if profile), default=30.0)


async def _watch(context: CommandContext, args: argparse.Namespace) -> list[Job]:
    async with context.service() as service:
        if args.jobs:
            jobs = _expand(context, args.jobs)
        else:
            await reconcile_leftovers(service)
            active = frozenset(JobStatus) - TERMINAL_STATUSES
            jobs = context.registry.list_jobs(statuses=active)
        if not jobs:
            return []
        interval = args.interval or default_interval(context, jobs)
        return await Watcher(service, jobs, interval).run()


def run(args: argparse.Namespace) -> int:
    if args.interval is not None and args.interval <= 0:
        raise UsageError(f"--interval {args.interval:g}: must be more than 0 seconds")
    with CommandContext(args) as context:
        jobs = run_async(_watch(context, args))
    if not jobs:
        print("no unfinished jobs to watch")
        return 0
    print(jobs_table(jobs, unicode=supports_unicode()))
    return 0 if all(job.status is JobStatus.COMPLETED for job in jobs) else 1
