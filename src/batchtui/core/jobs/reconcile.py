"""Jobs found in `submitting`: the batch carrying their tag adopted, else `not_submitted`
once they have shown no sign of life for a grace period.

A job found in `submitting` later (the submitting process was killed, or is still running
on another login node sharing the registry over NFS) is reconciled: a batch carrying its
tag is adopted at once, whatever the job's age. Without such a batch the job is marked
`not_submitted` only once it has shown no sign of life for a grace period (`submit_grace`,
at least twice the profile's HTTP timeout): a live submit touches the job every
`HEARTBEAT_SECONDS` while uploading, and its create call cannot outlast the timeout. The
grace also absorbs modest clock skew between login nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from batchtui.core.errors import BatchtuiError
from batchtui.core.jobs.context import JobContext
from batchtui.core.jobs.refresh import refresh
from batchtui.core.models import Job
from batchtui.core.status import JobStatus


@dataclass
class Leftovers:
    """What `settle_leftovers` did: the jobs that left `submitting`, and those it could not
    check (with why); the others are still being submitted somewhere."""

    settled: list[Job] = field(default_factory=list)
    failed: list[tuple[Job, BatchtuiError]] = field(default_factory=list)


def grace_for(ctx: JobContext, job: Job) -> timedelta:
    profile = ctx.config.profiles.get(job.profile)
    timeout = profile.timeout if profile else 0.0
    return max(ctx.submit_grace, timedelta(seconds=2 * timeout))


def is_stale(ctx: JobContext, job: Job, *, now: datetime | None = None) -> bool:
    """A `submitting` job that has shown no sign of life for its grace period."""
    now = now or datetime.now(UTC)
    return now - job.updated_at >= grace_for(ctx, job)


async def reconcile(ctx: JobContext, job: Job) -> Job:
    """A job left in `submitting`: adopt the batch carrying its tag, or mark `not_submitted`."""
    if job.status is not JobStatus.SUBMITTING:
        return job
    # The caller's copy may be old (a TUI's snapshot): its submitter may have moved on.
    job = await ctx.in_thread(ctx.registry.get_job, job.id)
    if job.status is not JobStatus.SUBMITTING:
        return job
    if job.remote_id:  # created and recorded, then interrupted before the status was
        return await refresh(ctx, job, force=True)
    stale = is_stale(ctx, job)
    if job.input_file_id is None and not stale:
        return job  # still uploading somewhere: create cannot have happened yet
    provider = await ctx.provider(job.profile)
    batch = await provider.find_by_tag(job.tag, input_file_id=job.input_file_id)
    if batch is not None:
        return await ctx.in_thread(ctx.adopt, job, batch, note="adopted by tag (reconcile)")
    if not stale:
        return job
    return await ctx.in_thread(
        ctx.mark_not_submitted,
        job,
        "submit was interrupted before the batch was created (no batch carries its tag)",
    )


def submitting_jobs(ctx: JobContext, profile: str | None = None) -> list[Job]:
    return ctx.registry.list_jobs(profile=profile, statuses=[JobStatus.SUBMITTING])


async def settle_leftovers(
    ctx: JobContext, jobs: Iterable[Job] | None = None, *, profile: str | None = None
) -> Leftovers:
    """Reconcile jobs a killed submit left in `submitting` (`jobs`, else the registry's,
    of `profile` or all): what every CLI command and the TUI's start do. Cheap when there
    are none; jobs whose profile was removed are left alone (there is nothing to ask)."""
    if jobs is None:
        jobs = await ctx.in_thread(submitting_jobs, ctx, profile)
    leftovers = Leftovers()
    for job in jobs:
        if job.status is not JobStatus.SUBMITTING or job.profile not in ctx.config.profiles:
            continue
        try:
            settled = await reconcile(ctx, job)
        except BatchtuiError as error:
            leftovers.failed.append((job, error))
            continue
        if settled.status is not JobStatus.SUBMITTING:
            leftovers.settled.append(settled)
    return leftovers
