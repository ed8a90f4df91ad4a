"""Asking the provider about a job: refresh, poll under a lease shared by several processes,
poll many running jobs with a list call per page, and cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

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


@dataclass
class PollResult:
    """What `poll_many` learnt: each job as it is now, or the error asking about it met."""

    jobs: dict[str, Job] = field(default_factory=dict)
    errors: dict[str, BatchtuiError] = field(default_factory=dict)
    # Profiles whose batches another process holds the list lease of: their jobs are the
    # registry's copies, which that process keeps fresh.
    left_to_others: set[str] = field(default_factory=set)


async def poll_many(
    ctx: JobContext,
    jobs: Iterable[Job],
    *,
    holder: str | None = None,
    lease_seconds: float = 0.0,
) -> PollResult:
    """Refresh running jobs, one profile at a time, with as few requests as the provider
    allows: its `refresh_many` lists its batches when a list page answers for more than
    one job (see `providers.listrefresh`), else asks for each.

    With a `holder`, only the process holding the profile's list lease asks the provider
    (a TUI and a `watch` beside it, several login nodes): the others take the registry's
    copies. Terminal jobs are never asked about; jobs a submit left without a batch id
    are reconciled one by one.
    """
    result = PollResult()
    by_profile: dict[str, list[Job]] = {}
    for job in jobs:
        if job.is_terminal:
            result.jobs[job.id] = job
        elif job.remote_id is None:
            try:
                result.jobs[job.id] = await refresh(ctx, job)
            except BatchtuiError as error:
                result.errors[job.id] = error
        else:
            by_profile.setdefault(job.profile, []).append(job)

    async def poll_profile(profile: str, active: list[Job]) -> None:
        if holder is not None:
            leased = await ctx.in_thread(
                ctx.registry.acquire_list_lease, profile, holder, lease_seconds
            )
            if not leased:
                result.left_to_others.add(profile)
                for job in active:
                    result.jobs[job.id] = await ctx.in_thread(ctx.registry.get_job, job.id)
                return
        await _refresh_profile(ctx, profile, active, result)

    # Profiles at once: a slow provider does not hold the others' answers back.
    await asyncio.gather(*(poll_profile(profile, active) for profile, active in by_profile.items()))
    return result


async def _refresh_profile(
    ctx: JobContext, profile: str, active: list[Job], result: PollResult
) -> None:
    try:
        provider = await ctx.provider(profile)
    except BatchtuiError as error:
        result.errors.update((job.id, error) for job in active)
        return
    # The oldest job decides how far back a list must go: its batch's own creation time
    # where known, else when the job was made (a moment before its batch).
    since = min(job.timestamps.get("created_at") or job.created_at for job in active)
    oldest_local = min(job.created_at for job in active)
    expected = await ctx.in_thread(ctx.registry.count_jobs_since, profile, oldest_local)
    by_remote = {job.remote_id: job for job in active if job.remote_id is not None}
    try:
        answers = await provider.refresh_many(by_remote, since=since, expected=expected)
    except ProviderError as error:
        answers = dict.fromkeys(by_remote, error)
    reports = []
    for remote_id, job in by_remote.items():
        answer = answers.get(remote_id)
        if answer is None:
            answer = ProviderError(f"{profile}: no answer about batch {remote_id}")
        if isinstance(answer, ProviderError):
            await ctx.in_thread(
                ctx.registry.update_job, job.id, last_error=f"{REFRESH_ERROR_PREFIX}{answer}"
            )
            result.errors[job.id] = answer
            continue
        if job.last_error:
            await ctx.in_thread(ctx.registry.update_job, job.id, last_error=None)
        reports.append((job.id, answer))
    for fresh, _changed in await ctx.in_thread(ctx.registry.apply_remote_many, reports):
        result.jobs[fresh.id] = fresh


async def cancel(ctx: JobContext, job: Job) -> Job:
    if job.remote_id is None:
        raise BatchtuiError(f"job {job.id} is {job.status}: there is no batch to cancel")
    if job.is_terminal:
        raise BatchtuiError(f"job {job.id} has already ended ({job.status})")
    provider = await ctx.provider(job.profile)
    batch = await provider.cancel(job.remote_id)
    job, _changed = await ctx.in_thread(ctx.registry.apply_remote, job.id, batch)
    return job
