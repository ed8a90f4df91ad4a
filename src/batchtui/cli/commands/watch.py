"""`batchtui watch [JOB|GROUP...]`: poll until the jobs end, a timeout, or the first end.

A group stands for all its shards. Exit codes (see `batchtui help exit-codes`): 0 when
every job completed, 1 when any ended otherwise, 3 when `--timeout` or `--until-first`
stopped the watch while some still run and none ended badly. Status changes go to stderr
as lines (errors only with `--quiet`); on a terminal a live line shows request counts.
`--notify` and `[notify]` announce each job that ends (bell, desktop notification,
`--exec` command).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time

from batchtui.cli.commands.jobs import jobs_table
from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import job_summary, print_json, status_label
from batchtui.cli.progress import StatusLine
from batchtui.cli.terminal import glyphs_for
from batchtui.core.errors import BatchtuiError, ProviderError, ProviderUnreachable, UsageError
from batchtui.core.jobview import counts_text
from batchtui.core.leases import lease_seconds, new_lease_holder
from batchtui.core.models import Job
from batchtui.core.service import JobService
from batchtui.core.status import TERMINAL_STATUSES, JobStatus
from batchtui.core.unattended import Notifier, outcome_code

# Polls of one job that may fail in a row (provider unreachable, 5xx) before watch gives up.
MAX_FAILED_POLLS = 10


def _is_transient(error: ProviderError) -> bool:
    return isinstance(error, ProviderUnreachable) or error.retryable


class Watcher:
    def __init__(
        self,
        service: JobService,
        jobs: list[Job],
        interval: float,
        *,
        quiet: bool = False,
        notifier: Notifier | None = None,
        deadline: float | None = None,
        until_first: bool = False,
    ) -> None:
        self.service = service
        self.jobs = {job.id: job for job in jobs}
        self.interval = interval
        self.failed_polls = {job.id: 0 for job in jobs}
        self.glyphs = glyphs_for(sys.stderr)
        self.live = StatusLine(enabled=False) if quiet else StatusLine()
        self.quiet = quiet
        self.notifier = notifier
        self.deadline = deadline
        self.until_first = until_first
        self.ended_here = False
        # Who this process is in the registry's list leases (see `core.leases`).
        self.lease_holder = new_lease_holder()

    def report_change(self, job: Job) -> None:
        if self.quiet:
            return
        self.live.clear()
        counts = counts_text(job.request_counts)
        label = status_label(job.status, glyphs=self.glyphs)
        sys.stderr.write(f"{job.id}  {label}  {counts}\n")
        sys.stderr.flush()

    def show_progress(self) -> None:
        running = [job for job in self.jobs.values() if not job.is_terminal]
        parts = [f"{job.id} {job.status} {counts_text(job.request_counts)}" for job in running]
        self.live.show(f"watching {len(running)}: " + ", ".join(parts), force=True)

    async def poll_running(self) -> None:
        """Ask about every running job at once (a list page answers for many); a profile
        another process (a TUI) lists already is read from the registry instead."""
        running = [job for job in self.jobs.values() if not job.is_terminal]
        outcome = await self.service.poll_many(
            running, holder=self.lease_holder, lease_seconds=lease_seconds(self.interval)
        )
        for job in running:
            error = outcome.errors.get(job.id)
            if error is not None:
                self.jobs[job.id] = self.failed(job, error)
            elif job.id in outcome.jobs:
                self.jobs[job.id] = self.seen(job, outcome.jobs[job.id])

    def failed(self, job: Job, error: BatchtuiError) -> Job:
        self.failed_polls[job.id] += 1
        transient = isinstance(error, ProviderError) and _is_transient(error)
        if not transient or self.failed_polls[job.id] >= MAX_FAILED_POLLS:
            raise error
        self.live.clear()
        warn(f"{job.id}: {error} (retrying in {self.interval:g} s)")
        return job

    def seen(self, job: Job, fresh: Job) -> Job:
        self.failed_polls[job.id] = 0
        if fresh.status != job.status:
            self.report_change(fresh)
            if fresh.is_terminal:
                self.ended_here = True
                if self.notifier is not None:
                    self.notifier.job_ended(fresh)
        return fresh

    def _should_stop(self) -> bool:
        if all(job.is_terminal for job in self.jobs.values()):
            return True
        if self.until_first and self.ended_here:
            return True
        return self.deadline is not None and time.monotonic() >= self.deadline

    async def run(self) -> list[Job]:
        for job in self.jobs.values():
            self.report_change(job)
        if self.until_first and any(job.is_terminal for job in self.jobs.values()):
            return list(self.jobs.values())
        try:
            while True:
                await self.poll_running()
                if self._should_stop():
                    return list(self.jobs.values())
                self.show_progress()
                pause = self.interval
                if self.deadline is not None:
                    pause = max(0.0, min(pause, self.deadline - time.monotonic()))
                await asyncio.sleep(pause)
        finally:
            self.live.clear()
            # A TUI beside this watch takes over listing at once, not when the lease expires
            # (a registry locked now leaves it to expire).
            with contextlib.suppress(BatchtuiError):
                self.service.registry.release_poll_leases(self.lease_holder)


def expand_refs(context: CommandContext, refs: list[str]) -> list[Job]:
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


async def jobs_to_poll(context: CommandContext, service: JobService, refs: list[str]) -> list[Job]:
    """The jobs named (`watch`, `refresh`), else every unfinished one once the leftovers of
    killed submits are settled."""
    if refs:
        return expand_refs(context, refs)
    await reconcile_leftovers(service)
    active = frozenset(JobStatus) - TERMINAL_STATUSES
    return context.registry.list_jobs(statuses=active)


def default_interval(context: CommandContext, jobs: list[Job]) -> float:
    """The shortest poll interval among the jobs' profiles."""
    profiles = [context.config.profiles.get(job.profile) for job in jobs]
    return min((profile.poll_interval for profile in profiles if profile), default=30.0)


def make_notifier(context: CommandContext, args: argparse.Namespace) -> Notifier | None:
    """`--notify` turns on the `[notify]` settings; `--exec` alone runs just the command."""
    if not (args.notify or args.exec):
        return None
    settings = context.config.notify
    if not args.notify:  # --exec alone: no bell, no desktop notification
        settings = settings.model_copy(update={"bell": False, "desktop": "off"})
    return Notifier(
        settings,
        config_path=context.config.path,
        exec_command=args.exec,
        job_json=job_summary,
        warn=warn,
    )


async def _watch(context: CommandContext, args: argparse.Namespace) -> list[Job]:
    async with context.service() as service:
        jobs = await jobs_to_poll(context, service, args.jobs)
        if not jobs:
            return []
        interval = args.interval or default_interval(context, jobs)
        deadline = time.monotonic() + args.timeout if args.timeout else None
        watcher = Watcher(
            service,
            jobs,
            interval,
            quiet=args.quiet,
            notifier=make_notifier(context, args),
            deadline=deadline,
            until_first=args.until_first,
        )
        return await watcher.run()


def run(args: argparse.Namespace) -> int:
    from batchtui.core.durations import parse_duration

    if args.interval is not None and args.interval <= 0:
        raise UsageError(f"--interval {args.interval:g}: must be more than 0 seconds")
    args.timeout = parse_duration(args.timeout, setting="--timeout") if args.timeout else None
    with CommandContext(args) as context:
        jobs = run_async(_watch(context, args))
    if args.json:
        print_json([job_summary(job) for job in jobs])
    elif not jobs:
        if not args.quiet:
            print("no unfinished jobs to watch")
    elif not args.quiet:
        print(jobs_table(jobs, glyphs=glyphs_for()))
    return outcome_code(jobs)
