"""`batchtui refresh [JOB...] [--all]`: poll once and exit, for crontab or scrontab.

Asks the provider about each named job (a group: every shard), or with `--all` about every
unfinished job (a profile's running jobs together: a list page answers for many), stores
what it says, announces the jobs that ended in this poll
(`--notify`, `--exec`, `[notify]`), and exits like `watch`: 0 when every job completed,
1 when any ended otherwise, 3 when some still run and none ended badly.
"""

from __future__ import annotations

import argparse

from batchtui.cli.commands.jobs import jobs_table
from batchtui.cli.commands.watch import jobs_to_poll, make_notifier
from batchtui.cli.context import CommandContext, run_async, warn
from batchtui.cli.output import job_summary, print_json
from batchtui.cli.terminal import glyphs_for
from batchtui.core.errors import UsageError
from batchtui.core.models import Job
from batchtui.core.unattended import EXIT_ENDED_BADLY, outcome_code


async def _refresh(context: CommandContext, args: argparse.Namespace) -> tuple[list[Job], bool]:
    """The jobs after one poll each, and whether any poll failed."""
    notifier = make_notifier(context, args)
    failed = False
    async with context.service() as service:
        jobs = await jobs_to_poll(context, service, args.jobs)
        # Running jobs of one profile are asked about together (a list page answers for
        # many); each one's error is its own.
        outcome = await service.poll_many(jobs)
        fresh_jobs = []
        for job in jobs:
            error = outcome.errors.get(job.id)
            if error is not None:
                warn(f"{job.id}: {error}")
                failed = True
            fresh = outcome.jobs.get(job.id, job)
            if fresh.is_terminal and not job.is_terminal and notifier is not None:
                notifier.job_ended(fresh)
            fresh_jobs.append(fresh)
    return fresh_jobs, failed


def run(args: argparse.Namespace) -> int:
    if not args.jobs and not args.all:
        raise UsageError("name the jobs to refresh, or pass --all for every unfinished job")
    with CommandContext(args) as context:
        jobs, failed = run_async(_refresh(context, args))
    if args.json:
        print_json([job_summary(job) for job in jobs])
    elif jobs and not args.quiet:
        print(jobs_table(jobs, glyphs=glyphs_for()))
    code = outcome_code(jobs)
    return EXIT_ENDED_BADLY if failed else code
