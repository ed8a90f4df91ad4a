"""Asking the provider about a job: refresh, poll under a lease shared by several processes,
and cancel."""

from __future__ import annotations

from batchtui.core.errors import BatchtuiError, ProviderError
from batchtui.core.jobs.context import JobContext
from batchtui.core.jobview import REFRESH_ERROR_PREFIX
from batchtui.core.models import Job


async def refresh(ctx: JobContext, job: Job, *, force: bool = False) -> Job:
    """Ask the provider for the job's state (terminal jobs only when `force`)."""
    if job.remote_id is None:
        from batchtui.core.jobs.reconcile import reconcile

        return await reconcile(ctx, job)
    if job.is_terminal and not force:
        return job
    provider = await ctx.provider(job.profile)
    try:
        batch = await provider.retrieve(job.remote_id)
    except ProviderError as error:
        await ctx.in_thread(
            ctx.registry.update_job, job.id, last_error=f"{REFRESH_ERROR_PREFIX}{error}"
        )
        raise
    if job.last_error:
        await ctx.in_thread(ctx.registry.update_job, job.id, last_error=None)
    job, _changed = await ctx.in_thread(ctx.registry.apply_remote, job.id, batch)
    return job


async def poll(ctx: JobContext, job: Job, *, holder: str, lease_seconds: float) -> tuple[Job, bool]:
    """`refresh` by whichever process holds the job's poll lease: several TUIs (on
    several login nodes) then ask the provider once, not once each. The others get
    the registry's copy, which the holder keeps fresh; True when this one asked."""
    if job.remote_id is None or job.is_terminal:
        return await refresh(ctx, job), True
    leased = await ctx.in_thread(ctx.registry.acquire_poll_lease, job.id, holder, lease_seconds)
    if not leased:
        return await ctx.in_thread(ctx.registry.get_job, job.id), False
    return await refresh(ctx, job), True


async def cancel(ctx: JobContext, job: Job) -> Job:
    if job.remote_id is None:
        raise BatchtuiError(f"job {job.id} is {job.status}: there is no batch to cancel")
    if job.is_terminal:
        raise BatchtuiError(f"job {job.id} has already ended ({job.status})")
    provider = await ctx.provider(job.profile)
    batch = await provider.cancel(job.remote_id)
    job, _changed = await ctx.in_thread(ctx.registry.apply_remote, job.id, batch)
    return job
