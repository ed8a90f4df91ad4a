"""Submitting one file as one batch, never twice.

The job is recorded as `submitting`, with a fresh UUID tag, before any remote call; the tag
travels in the batch metadata. When create fails in a way that may have created the batch
anyway (a dropped connection, a timeout, a 5xx), the batch is looked for by its tag before
anything else: found, it is adopted; absent, creating again is safe (up to
`CREATE_ATTEMPTS`), and the last failure marks the job `not_submitted`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.errors import (
    AmbiguousSubmitError,
    BatchtuiError,
    InputFileError,
    ProviderError,
    UsageError,
)
from batchtui.core.jobs.context import JobContext, describe
from batchtui.core.jobs.plan import SubmitPlan, plan_submit
from batchtui.core.models import BatchSpec, Job
from batchtui.core.providers.base import TAG_METADATA_KEY, BatchProvider, ProgressCallback
from batchtui.core.providers.probe import check_access

if TYPE_CHECKING:
    from batchtui.core.formats import ValidationReport
    from batchtui.core.jobs.groups import GroupSubmission

# Creates of one job whose failure left no batch carrying its tag (each looked for first).
CREATE_ATTEMPTS = 5
HEARTBEAT_SECONDS = 30.0
# OpenAI: at most 16 metadata pairs (one is the tag), keys up to 64 and values up to 512 chars.
MAX_USER_METADATA = 15
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
_HASH_CHUNK = 1 << 20

# Called with (shard index, shard count) before each shard of a group is uploaded.
ShardStartCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SubmitOptions:
    """How to submit: the job's name (default: the file's), completion window, the user's
    batch metadata, progress of the upload, and the callbacks a front end shows things in."""

    name: str | None = None
    window: str = "24h"
    metadata: Mapping[str, str] = field(default_factory=dict)
    progress: ProgressCallback | None = None
    # Called once the provider has accepted the key, before anything is recorded or sent:
    # the moment to show the plan's estimate and warnings.
    on_ready: Callable[[], None] | None = None
    on_shard: ShardStartCallback | None = None  # groups only
    parent_id: str | None = None  # the job this one retries (see `families.py`)
    split: bool = True  # False: a file over one batch's limits is refused, not split


async def submit(
    ctx: JobContext, path: Path, profile: str, options: SubmitOptions, plan: SubmitPlan | None
) -> Job:
    """Validate, record as `submitting`, upload, create (tagged), record the remote batch.

    Never creates a batch twice: after an ambiguous create failure it looks for the tag.
    A file over the limits of one batch is refused here: see `submit_file`.
    """
    user_metadata = checked_metadata(options.metadata)
    if plan is None:
        plan = await asyncio.to_thread(
            plan_submit, ctx.config, ctx.registry, path, profile, split=False
        )
    if plan.split is not None:
        raise InputFileError(f"{path}: over the limits of one batch; submit it as a group")
    sha256, size = await asyncio.to_thread(fingerprint, path)
    # Building the provider reads the API key: a missing key fails before anything is recorded.
    provider = await checked_provider(ctx, profile, options.on_ready)
    name = options.name or path.name
    job = await ctx.in_thread(
        new_job, ctx, plan, path, plan.report, name, options.window, sha256, size, user_metadata
    )
    if options.parent_id is not None:
        job = job.model_copy(update={"parent_id": options.parent_id})
    job = await ctx.in_thread(ctx.registry.add_job, job, note="recorded before upload")
    return await send(ctx, job, provider, user_metadata, options.progress)


async def submit_file(
    ctx: JobContext, path: Path, profile: str, options: SubmitOptions, plan: SubmitPlan | None
) -> Job | GroupSubmission:
    """`submit`, or `submit_group` when the file is over the limits of one batch."""
    from batchtui.core.jobs.groups import submit_group

    if plan is None:
        plan = await asyncio.to_thread(
            plan_submit, ctx.config, ctx.registry, path, profile, split=options.split
        )
    if plan.split is None:
        return await submit(ctx, path, profile, options, plan)
    return await submit_group(ctx, plan, options)


async def checked_provider(
    ctx: JobContext, profile: str, on_ready: Callable[[], None] | None
) -> BatchProvider:
    """The profile's provider once it has accepted the key; then `on_ready` is called."""
    provider = await ctx.provider(profile)
    await check_access(provider)
    if on_ready is not None:
        on_ready()
    return provider


def new_job(
    ctx: JobContext,
    plan: SubmitPlan,
    path: Path,
    report: ValidationReport,
    name: str,
    window: str,
    sha256: str,
    size: int,
    metadata: dict[str, str],
) -> Job:
    return Job(
        id=ctx.registry.new_job_id(),
        name=name,
        profile=plan.profile,
        kind=ctx.config.profile(plan.profile).kind,
        tag=str(uuid.uuid4()),
        endpoint=report.endpoint or plan.report.endpoint,
        model=plan.model,
        completion_window=window,
        input_path=path.resolve(),
        input_sha256=sha256,
        input_bytes=size,
        input_lines=report.lines,
        estimated_input_tokens=report.estimate.input_tokens if report.estimate else None,
        metadata=metadata,
    )


async def send(
    ctx: JobContext,
    job: Job,
    provider: BatchProvider,
    user_metadata: dict[str, str],
    progress: ProgressCallback | None,
    *,
    also_alive: list[str] | None = None,
) -> Job:
    """Upload and create the recorded job's batch, never twice."""
    assert job.input_path is not None and job.endpoint is not None
    path = job.input_path
    heartbeat = _heartbeat(ctx, [job.id, *(also_alive or [])], progress)
    try:
        remote_file = await provider.upload(path, progress=heartbeat)
    except BaseException as error:
        # Nothing can have been created yet: only create makes a batch.
        ctx.mark_not_submitted(job, f"upload {path}: {describe(error)}")
        raise
    job = await ctx.in_thread(ctx.registry.update_job, job.id, input_file_id=remote_file.id)
    await ctx.hooks.reached("after-upload", job.id)
    spec = BatchSpec(
        input_file_id=remote_file.id,
        endpoint=job.endpoint or "",
        completion_window=job.completion_window or "24h",
        model=job.model,
        metadata={TAG_METADATA_KEY: job.tag, **user_metadata},
        name=job.name,
    )
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            batch = await provider.create(spec)
        except AmbiguousSubmitError as error:
            adopted = await _recover_create(
                ctx, job, provider, error, last_attempt=attempt == CREATE_ATTEMPTS
            )
            if adopted is not None:
                return adopted
            continue  # the tag proved nothing was created: creating again is safe
        except ProviderError as error:  # refused, or never sent: nothing was created
            ctx.mark_not_submitted(job, f"create batch: {error}")
            raise
        except BaseException as error:
            # Interrupted or broken mid-call: the batch may exist; reconcile finds it by tag.
            ctx.registry.update_job(
                job.id, last_error=f"create batch: {describe(error)}; to be reconciled by tag"
            )
            raise
        await ctx.hooks.reached("after-create", job.id)
        job, _changed = await ctx.in_thread(ctx.registry.apply_remote, job.id, batch)
        return job
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


async def _recover_create(
    ctx: JobContext,
    job: Job,
    provider: BatchProvider,
    error: ProviderError,
    *,
    last_attempt: bool,
) -> Job | None:
    """After a create whose outcome is unknown: the batch found by tag, adopted; or None
    when no batch carries the tag and another attempt may go (else `not_submitted`)."""
    try:
        batch = await provider.find_by_tag(job.tag, input_file_id=job.input_file_id)
    except ProviderError as lookup_error:
        await ctx.in_thread(
            ctx.registry.update_job,
            job.id,
            last_error=f"create batch: {error}; tag lookup failed: {lookup_error}",
        )
        raise ProviderError(
            f"create batch may have succeeded ({error}) and looking for it failed "
            f"({lookup_error}): job {job.id} stays submitting until a later command "
            "finds it by its tag",
            provider=error.provider,
            call=error.call,
        ) from error
    if batch is not None:
        return await ctx.in_thread(ctx.adopt, job, batch, note=f"adopted by tag after: {error}")
    reason = f"{error}; no batch carries the job's tag, so none was created"
    if not last_attempt:
        await ctx.in_thread(
            ctx.registry.update_job, job.id, note=f"create batch: {reason}; creating again"
        )
        return None
    await ctx.in_thread(ctx.mark_not_submitted, job, f"create batch: {reason}")
    raise ProviderError(
        f"{reason}: job {job.id} is not_submitted, submit again",
        provider=error.provider,
        call=error.call,
        status_code=error.status_code,
        code=error.code,
    ) from error


def _heartbeat(
    ctx: JobContext, job_ids: list[str], progress: ProgressCallback | None
) -> ProgressCallback:
    """Pass progress on, and touch the jobs now and then so reconcile sees them alive
    (the one uploading, and the shards of its group waiting their turn)."""
    last_touch = time.monotonic()
    touching: set[asyncio.Future[None]] = set()

    def touch() -> None:
        for job_id in job_ids:
            # A missed heartbeat only shortens the grace others give this submit.
            with contextlib.suppress(BatchtuiError):
                ctx.registry.update_job(job_id)  # touches updated_at

    def on_progress(done: int, total: int | None) -> None:
        nonlocal last_touch
        if time.monotonic() - last_touch >= HEARTBEAT_SECONDS:
            last_touch = time.monotonic()
            # Off the event loop (the upload keeps streaming while the file is locked);
            # kept referenced until done.
            future = asyncio.get_running_loop().run_in_executor(None, touch)
            touching.add(future)
            future.add_done_callback(touching.discard)
        if progress is not None:
            progress(done, total)

    return on_progress


def checked_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """The user's batch metadata, refused when a provider would refuse it."""
    if len(metadata) > MAX_USER_METADATA:
        raise UsageError(f"batch metadata: at most {MAX_USER_METADATA} pairs (got {len(metadata)})")
    for key, value in metadata.items():
        if key == TAG_METADATA_KEY:
            raise UsageError(f"batch metadata: {key!r} is reserved for batchtui's own tag")
        if not key or len(key) > MAX_METADATA_KEY:
            raise UsageError(
                f"batch metadata: key {key!r} must be 1 to {MAX_METADATA_KEY} characters"
            )
        if len(value) > MAX_METADATA_VALUE:
            raise UsageError(
                f"batch metadata: value of {key!r} is over {MAX_METADATA_VALUE} characters"
            )
    return dict(metadata)


def fingerprint(path: Path) -> tuple[str, int]:
    """sha256 and size of a file, streamed."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror or error}") from None
    return digest.hexdigest(), size
