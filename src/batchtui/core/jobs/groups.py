"""Job groups: a file over one batch's limits sent as shards, and every operation on a group
acting on each of its shards (refresh, cancel, download, read results)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.errors import BatchtuiError
from batchtui.core.jobs.context import JobContext, describe
from batchtui.core.jobs.plan import InvalidInputFile, SubmitPlan, validate
from batchtui.core.jobs.refresh import cancel, refresh
from batchtui.core.jobs.results import download, iter_results
from batchtui.core.jobs.submit import (
    SubmitOptions,
    checked_metadata,
    checked_provider,
    fingerprint,
    new_job,
    send,
)
from batchtui.core.models import Job, JobGroup, ResultRecord
from batchtui.core.providers.base import ProgressCallback

if TYPE_CHECKING:
    from batchtui.core.jobs.results import FileStartCallback


class GroupSubmitError(BatchtuiError):
    """A shard of a group failed to submit; every shard stays tracked in the registry."""

    def __init__(self, message: str, group: JobGroup) -> None:
        super().__init__(message)
        self.group = group


@dataclass
class GroupSubmission:
    group: JobGroup
    shards: list[Job]


async def submit_group(
    ctx: JobContext, plan: SubmitPlan, options: SubmitOptions
) -> GroupSubmission:
    """Split the planned file into shards and submit them, one batch each, as a group.

    The group and every shard are recorded (`submitting`) in one transaction before the
    first upload. When a shard fails, the shards already submitted keep running, the
    failed one is settled as a single submit would be, and the rest are marked
    `not_submitted`: the group is always recorded whole.
    """
    from batchtui.core.paths import data_dir
    from batchtui.core.split import write_shards

    assert plan.split is not None
    user_metadata = checked_metadata(options.metadata)
    path = plan.path
    provider = await checked_provider(ctx, plan.profile, options.on_ready)
    group_id = await ctx.in_thread(ctx.registry.new_group_id)
    shard_dir = data_dir() / "shards" / group_id
    shards = await asyncio.to_thread(write_shards, path, shard_dir, plan.split)
    group_name = options.name or path.name
    jobs: list[Job] = []
    for shard in shards:
        report = await asyncio.to_thread(
            validate, ctx.config, shard.path, plan.profile, estimate=True
        )
        if not report.ok:  # the whole file was valid: a shard cannot be invalid
            raise InvalidInputFile(shard.path, report)
        sha256, size = await asyncio.to_thread(fingerprint, shard.path)
        name = f"{group_name} [{shard.index}/{len(shards)}]"
        job = new_job(
            ctx, plan, shard.path, report, name, options.window, sha256, size, user_metadata
        )
        jobs.append(job.model_copy(update={"group_id": group_id, "shard_index": shard.index}))
    sha256, size = await asyncio.to_thread(fingerprint, path)
    group = JobGroup(
        id=group_id,
        name=group_name,
        profile=plan.profile,
        input_path=path.resolve(),
        input_sha256=sha256,
        input_bytes=size,
        input_lines=plan.report.lines,
        estimated_input_tokens=plan.input_tokens,
        shard_count=len(jobs),
    )
    await ctx.in_thread(ctx.registry.add_group, group, jobs, note="recorded before upload")
    submitted: list[Job] = []
    for position, job in enumerate(jobs):
        if options.on_shard is not None:
            options.on_shard(position + 1, len(jobs))
        waiting = [later.id for later in jobs[position + 1 :]]
        try:
            submitted.append(
                await send(ctx, job, provider, user_metadata, options.progress, also_alive=waiting)
            )
        except BaseException as error:
            _abandon(ctx, jobs[position + 1 :], job, len(jobs), error)
            if not isinstance(error, BatchtuiError):
                raise
            raise GroupSubmitError(_group_failure(ctx, group, job, submitted, error), group) from (
                error
            )
    return GroupSubmission(group, submitted)


def _abandon(
    ctx: JobContext, later: list[Job], failed: Job, count: int, error: BaseException
) -> None:
    reason = (
        f"not submitted: shard {failed.shard_index} of {count} failed first ({describe(error)})"
    )
    for job in later:
        ctx.mark_not_submitted(job, reason)


def _group_failure(
    ctx: JobContext, group: JobGroup, failed: Job, submitted: list[Job], error: BatchtuiError
) -> str:
    failed = ctx.registry.get_job(failed.id)
    state = failed.status
    # The shard's own record says what happened without a single job's advice
    # ("submit again" would send the shards already running a second time).
    cause = failed.last_error or str(error)
    done = (
        f"shard{'s' if len(submitted) > 1 else ''} "
        f"{', '.join(str(job.shard_index) for job in submitted)} submitted and running"
        if submitted
        else "no shard was submitted"
    )
    return (
        f"group {group.id}: shard {failed.shard_index} of {group.shard_count} failed: "
        f"{cause}; {done}; shard {failed.shard_index} is {state}, later shards are "
        f"not_submitted (see `batchtui status {group.id}`)"
    )


# --- every operation acts on each shard ---------------------------------------------------


def shards(ctx: JobContext, group: JobGroup) -> list[Job]:
    return ctx.registry.group_jobs(group.id)


async def refresh_group(ctx: JobContext, group: JobGroup, *, force: bool = False) -> list[Job]:
    """Refresh every shard; a shard whose provider cannot be reached keeps its state."""
    return [await refresh(ctx, shard, force=force) for shard in shards(ctx, group)]


async def cancel_group(ctx: JobContext, group: JobGroup) -> list[Job]:
    """Cancel every shard still running; the shards that have ended are left as they are."""
    running = [
        shard
        for shard in await refresh_group(ctx, group)
        if shard.remote_id is not None and not shard.is_terminal
    ]
    if not running:
        raise BatchtuiError(f"group {group.id} has no running shard to cancel")
    return [await cancel(ctx, shard) for shard in running]


async def download_group(
    ctx: JobContext,
    group: JobGroup,
    dest_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    on_file_start: FileStartCallback | None = None,
) -> list[Path]:
    """Each shard's result files into `dest_dir/shard-NN/`; shards never sent are skipped."""
    from batchtui.core.downloads import shard_folder

    listed = await refresh_group(ctx, group)
    waiting = [s for s in listed if s.remote_id is not None and not s.status.may_have_results]
    if waiting:
        raise BatchtuiError(
            f"group {group.id}: shard {waiting[0].shard_index} ({waiting[0].id}) is "
            f"{waiting[0].status}: no results yet (wait with `batchtui watch {group.id}`)"
        )
    written: list[Path] = []
    for shard in listed:
        if shard.remote_id is None:
            continue
        shard_dir = dest_dir / shard_folder(shard.shard_index)
        written += await download(
            ctx, shard, shard_dir, progress=progress, on_file_start=on_file_start
        )
    return written


async def iter_group_results(
    ctx: JobContext, group: JobGroup, *, errors_only: bool = False
) -> AsyncIterator[ResultRecord]:
    """The records of every shard, in shard order, read as one file would be.

    custom_ids are unique across the group: the file was validated whole before it
    was split. Shards that were never sent have no records.
    """
    # In a thread: the TUI reads a group's results on its event loop.
    listed = await asyncio.to_thread(shards, ctx, group)
    sent = [shard for shard in listed if shard.remote_id is not None]
    if not sent:
        raise BatchtuiError(f"group {group.id}: no shard was submitted, so no results")
    for shard in sent:
        # Closed here, not left to the loop: a reader may stop after `--head N`.
        async with aclosing(iter_results(ctx, shard, errors_only=errors_only)) as records:
            async for record in records:
                yield record
