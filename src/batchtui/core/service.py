"""The job service the CLI and the TUI both call.

It ties config, registry and providers together: every rule about submitting,
refreshing, recovering and reading results lives here, once, outside any widget.

Submitting never creates a batch twice. The job is recorded as `submitting`, with a
fresh UUID tag, before any remote call; the tag travels in the batch metadata. When
create fails in a way that may have created the batch anyway (a dropped connection, a
timeout, a 5xx), the batch is looked for by its tag before anything else: found, it is
adopted; absent, the job is `not_submitted`.

A job found in `submitting` later (the submitting process was killed, or is still
running on another login node sharing the registry over NFS) is reconciled: a batch
carrying its tag is adopted at once, whatever the job's age. Without such a batch the
job is marked `not_submitted` only once it has shown no sign of life for a grace period
(`submit_grace`, at least twice the profile's HTTP timeout): a live submit touches the
job every `HEARTBEAT_SECONDS` while uploading, and its create call cannot outlast the
timeout. The grace also absorbs modest clock skew between login nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from batchtui.core.config import Config, Profile
from batchtui.core.errors import (
    AmbiguousSubmitError,
    BatchtuiError,
    InputFileError,
    ProviderError,
    UsageError,
)
from batchtui.core.models import BatchSpec, Job, JobGroup, RemoteBatch, ResultRecord
from batchtui.core.providers.base import TAG_METADATA_KEY, BatchProvider, ProgressCallback
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

if TYPE_CHECKING:
    from batchtui.core.downloads import DownloadReport
    from batchtui.core.formats import Limits, ValidationReport
    from batchtui.core.formats.validate import Problem
    from batchtui.core.prices import Cost
    from batchtui.core.quota import Headroom
    from batchtui.core.split import SplitPlan

SUBMIT_GRACE = timedelta(minutes=2)
# Creates of one job whose failure left no batch carrying its tag (each looked for first).
CREATE_ATTEMPTS = 5
HEARTBEAT_SECONDS = 30.0
# OpenAI: at most 16 metadata pairs (one is the tag), keys up to 64 and values up to 512 chars.
MAX_USER_METADATA = 15
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
RESULT_FILE_NAMES = {"output": "output.jsonl", "error": "errors.jsonl"}
_HASH_CHUNK = 1 << 20

T = TypeVar("T")

# Called with (kind, destination) before each result file is downloaded.
FileStartCallback = Callable[[str, Path], None]
# Called with (shard index, shard count) before each shard of a group is uploaded.
ShardStartCallback = Callable[[int, int], None]
# Builds a profile's provider (default: `make_provider`); tests pass a faster retry policy.
ProviderFactory = Callable[[Profile], BatchProvider]


class InvalidInputFile(InputFileError):
    """The input file failed validation; `report` holds every problem found."""

    def __init__(
        self, path: Path, report: ValidationReport, errors: list[Problem] | None = None
    ) -> None:
        shown = errors or report.errors
        more = report.error_count - 1
        tail = f" (and {more} more error{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"{shown[0].describe(path)}{tail}")
        self.report = report


class GroupSubmitError(BatchtuiError):
    """A shard of a group failed to submit; every shard stays tracked in the registry."""

    def __init__(self, message: str, group: JobGroup) -> None:
        super().__init__(message)
        self.group = group


@dataclass
class SubmitPlan:
    """What submitting a file will do, known before anything is sent: shown, then followed."""

    path: Path
    profile: str
    limits: Limits
    report: ValidationReport  # with its token estimate
    model: str | None
    split: SplitPlan | None  # None: the file goes as one batch
    headroom: Headroom | None
    cost: Cost | None

    @property
    def input_tokens(self) -> int:
        return self.report.estimate.input_tokens if self.report.estimate else 0

    @property
    def shard_count(self) -> int:
        return self.split.shard_count if self.split else 1

    def warnings(self) -> list[str]:
        """What the user should hear before the upload starts (never a refusal)."""
        warning = self.headroom.warning() if self.headroom is not None else None
        return [warning] if warning else []


@dataclass
class GroupSubmission:
    group: JobGroup
    shards: list[Job]


class JobService:
    def __init__(
        self,
        config: Config,
        registry: Registry,
        *,
        debug: bool = False,
        submit_grace: timedelta = SUBMIT_GRACE,
        provider_factory: ProviderFactory | None = None,
    ) -> None:
        self.config = config
        self.registry = registry
        self.debug = debug
        self.submit_grace = submit_grace
        self._provider_factory = provider_factory
        self._providers: dict[str, BatchProvider] = {}

    # --- lifecycle ------------------------------------------------------------------

    async def __aenter__(self) -> JobService:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            await provider.__aexit__(None, None, None)

    async def provider(self, profile_name: str) -> BatchProvider:
        """The open provider of a profile, built once per service (reads the API key)."""
        provider = self._providers.get(profile_name)
        if provider is None:
            profile = self.config.profile(profile_name)
            if self._provider_factory is not None:
                provider = self._provider_factory(profile)
            else:
                from batchtui.core.providers import make_provider

                provider = make_provider(profile, debug=self.debug)
            await provider.__aenter__()
            self._providers[profile_name] = provider
        return provider

    # --- validation -------------------------------------------------------------------

    def validate(
        self, path: Path, profile: str | None = None, *, estimate: bool = False
    ) -> ValidationReport:
        """Check an input file against the limits of `profile`'s kind (OpenAI's by default)."""
        from batchtui.core.formats import validate_file
        from batchtui.core.providers.kinds import limits_for_kind

        kind = self.config.profile(profile).kind if profile else None
        return validate_file(
            path,
            limits=limits_for_kind(kind),
            estimate=estimate,
            context_window=self.config.price_table().context_window,
        )

    def plan_submit(self, path: Path, profile: str, *, split: bool = True) -> SubmitPlan:
        """Validate and estimate `path` for `profile`: how it would go, and what it may cost.

        Raises InvalidInputFile for any problem splitting does not cure, and InputFileError
        when the file is over the limits for one batch and `split` is False.
        """
        from batchtui.core.providers.kinds import limits_for_kind
        from batchtui.core.quota import headroom_from_registry
        from batchtui.core.split import (
            blocking_problems,
            needs_split,
            plan_split,
            splittable_problems,
        )

        settings = self.config.profile(profile)
        limits = limits_for_kind(settings.kind)
        report = self.validate(path, profile, estimate=True)
        blocking = blocking_problems(report)
        if blocking or (report.error_count and not needs_split(report)):
            raise InvalidInputFile(path, report, blocking)
        if not report.endpoint:
            raise InputFileError(f"{path}: no request says which endpoint (url) it is for")
        split_plan = plan_split(report, limits) if needs_split(report) else None
        if split_plan is not None and not split:
            first = splittable_problems(report)[0]
            raise InputFileError(
                f"{first.describe(path)}: not submitted (--no-split); without --no-split it "
                f"goes as a job group of {split_plan.describe(limits)}"
            )
        model = report.model or settings.model
        tokens = report.estimate.input_tokens if report.estimate else 0
        headroom = cost = None
        if model:
            headroom = headroom_from_registry(self.registry, settings, model, tokens)
            estimate = report.estimate
            if estimate is not None:
                cost = self.config.price_table().estimate_cost(
                    model, estimate.input_tokens, estimate.max_output_tokens
                )
        return SubmitPlan(path, profile, limits, report, model, split_plan, headroom, cost)

    # --- submit -----------------------------------------------------------------------

    async def submit(
        self,
        path: Path,
        profile: str,
        *,
        name: str | None = None,
        window: str = "24h",
        metadata: dict[str, str] | None = None,
        progress: ProgressCallback | None = None,
        plan: SubmitPlan | None = None,
        on_ready: Callable[[], None] | None = None,
        parent_id: str | None = None,
    ) -> Job:
        """Validate, record as `submitting`, upload, create (tagged), record the remote batch.

        Never creates a batch twice: after an ambiguous create failure it looks for the tag.
        A file over the limits of one batch is refused here: see `submit_file`. `parent_id`
        records the job as a retry of that one (see `families.py`).
        """
        user_metadata = checked_metadata(metadata or {})
        if plan is None:
            plan = await asyncio.to_thread(self.plan_submit, path, profile, split=False)
        if plan.split is not None:
            raise InputFileError(f"{path}: over the limits of one batch; submit it as a group")
        sha256, size = await asyncio.to_thread(fingerprint, path)
        # Building the provider reads the API key: a missing key fails before anything is recorded.
        provider = await self._checked_provider(profile, on_ready)
        job = await self._in_thread(
            self._new_job,
            plan,
            path,
            plan.report,
            name or path.name,
            window,
            sha256,
            size,
            user_metadata,
        )
        if parent_id is not None:
            job = job.model_copy(update={"parent_id": parent_id})
        job = await self._in_thread(self.registry.add_job, job, note="recorded before upload")
        return await self._send(job, provider, user_metadata, progress)

    async def submit_file(
        self,
        path: Path,
        profile: str,
        *,
        name: str | None = None,
        window: str = "24h",
        metadata: dict[str, str] | None = None,
        progress: ProgressCallback | None = None,
        plan: SubmitPlan | None = None,
        split: bool = True,
        on_shard: ShardStartCallback | None = None,
        on_ready: Callable[[], None] | None = None,
    ) -> Job | GroupSubmission:
        """`submit`, or `submit_group` when the file is over the limits of one batch.

        `on_ready` is called once the provider has accepted the key, before anything is
        recorded or sent: the moment to show the plan's estimate and warnings.
        """
        if plan is None:
            plan = await asyncio.to_thread(self.plan_submit, path, profile, split=split)
        common = {
            "name": name,
            "window": window,
            "metadata": metadata,
            "progress": progress,
            "on_ready": on_ready,
        }
        if plan.split is None:
            return await self.submit(path, profile, plan=plan, **common)  # type: ignore[arg-type]
        return await self.submit_group(plan, on_shard=on_shard, **common)  # type: ignore[arg-type]

    async def submit_group(
        self,
        plan: SubmitPlan,
        *,
        name: str | None = None,
        window: str = "24h",
        metadata: dict[str, str] | None = None,
        progress: ProgressCallback | None = None,
        on_shard: ShardStartCallback | None = None,
        on_ready: Callable[[], None] | None = None,
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
        user_metadata = checked_metadata(metadata or {})
        path = plan.path
        provider = await self._checked_provider(plan.profile, on_ready)
        group_id = await self._in_thread(self.registry.new_group_id)
        shard_dir = data_dir() / "shards" / group_id
        shards = await asyncio.to_thread(write_shards, path, shard_dir, plan.split)
        group_name = name or path.name
        jobs: list[Job] = []
        for shard in shards:
            report = await asyncio.to_thread(self.validate, shard.path, plan.profile, estimate=True)
            if not report.ok:  # the whole file was valid: a shard cannot be invalid
                raise InvalidInputFile(shard.path, report)
            sha256, size = await asyncio.to_thread(fingerprint, shard.path)
            job = self._new_job(
                plan,
                shard.path,
                report,
                f"{group_name} [{shard.index}/{len(shards)}]",
                window,
                sha256,
                size,
                user_metadata,
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
        await self._in_thread(self.registry.add_group, group, jobs, note="recorded before upload")
        submitted: list[Job] = []
        for position, job in enumerate(jobs):
            if on_shard is not None:
                on_shard(position + 1, len(jobs))
            waiting = [later.id for later in jobs[position + 1 :]]
            try:
                submitted.append(
                    await self._send(job, provider, user_metadata, progress, also_alive=waiting)
                )
            except BaseException as error:
                self._abandon(jobs[position + 1 :], job, len(jobs), error)
                if not isinstance(error, BatchtuiError):
                    raise
                raise GroupSubmitError(
                    self._group_failure(group, job, submitted, error), group
                ) from error
        return GroupSubmission(group, submitted)

    async def _checked_provider(
        self, profile: str, on_ready: Callable[[], None] | None
    ) -> BatchProvider:
        """The profile's provider once it has accepted the key; then `on_ready` is called."""
        provider = await self.provider(profile)
        await check_access(provider)
        if on_ready is not None:
            on_ready()
        return provider

    def _new_job(
        self,
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
            id=self.registry.new_job_id(),
            name=name,
            profile=plan.profile,
            kind=self.config.profile(plan.profile).kind,
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

    def _abandon(self, later: list[Job], failed: Job, count: int, error: BaseException) -> None:
        reason = (
            f"not submitted: shard {failed.shard_index} of {count} failed first "
            f"({_describe(error)})"
        )
        for job in later:
            self._mark_not_submitted(job, reason)

    def _group_failure(
        self, group: JobGroup, failed: Job, submitted: list[Job], error: BatchtuiError
    ) -> str:
        failed = self.registry.get_job(failed.id)
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

    async def _send(
        self,
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
        heartbeat = self._heartbeat([job.id, *(also_alive or [])], progress)
        try:
            remote_file = await provider.upload(path, progress=heartbeat)
        except BaseException as error:
            # Nothing can have been created yet: only create makes a batch.
            self._mark_not_submitted(job, f"upload {path}: {_describe(error)}")
            raise
        job = await self._in_thread(self.registry.update_job, job.id, input_file_id=remote_file.id)
        await pause_for_tests("after-upload")
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
                adopted = await self._recover_create(
                    job, provider, error, last_attempt=attempt == CREATE_ATTEMPTS
                )
                if adopted is not None:
                    return adopted
                continue  # the tag proved nothing was created: creating again is safe
            except ProviderError as error:  # refused, or never sent: nothing was created
                self._mark_not_submitted(job, f"create batch: {error}")
                raise
            except BaseException as error:
                # Interrupted or broken mid-call: the batch may exist; reconcile finds it by tag.
                self.registry.update_job(
                    job.id, last_error=f"create batch: {_describe(error)}; to be reconciled by tag"
                )
                raise
            await pause_for_tests("after-create")
            job, _changed = await self._in_thread(self.registry.apply_remote, job.id, batch)
            return job
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def _recover_create(
        self, job: Job, provider: BatchProvider, error: ProviderError, *, last_attempt: bool
    ) -> Job | None:
        """After a create whose outcome is unknown: the batch found by tag, adopted; or None
        when no batch carries the tag and another attempt may go (else `not_submitted`)."""
        try:
            batch = await provider.find_by_tag(job.tag, input_file_id=job.input_file_id)
        except ProviderError as lookup_error:
            await self._in_thread(
                self.registry.update_job,
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
            return await self._in_thread(
                self._adopt, job, batch, note=f"adopted by tag after: {error}"
            )
        reason = f"{error}; no batch carries the job's tag, so none was created"
        if not last_attempt:
            await self._in_thread(
                self.registry.update_job, job.id, note=f"create batch: {reason}; creating again"
            )
            return None
        await self._in_thread(self._mark_not_submitted, job, f"create batch: {reason}")
        raise ProviderError(
            f"{reason}: job {job.id} is not_submitted, submit again",
            provider=error.provider,
            call=error.call,
            status_code=error.status_code,
            code=error.code,
        ) from error

    async def _in_thread(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A registry call, off the event loop: another process (or an NFS server) may hold
        the file locked for seconds, and the TUI must keep answering keys meanwhile. The
        registry serializes calls itself, so threads are safe."""
        return await asyncio.to_thread(call, *args, **kwargs)

    def _heartbeat(self, job_ids: list[str], progress: ProgressCallback | None) -> ProgressCallback:
        """Pass progress on, and touch the jobs now and then so reconcile sees them alive
        (the one uploading, and the shards of its group waiting their turn)."""
        last_touch = time.monotonic()
        touching: set[asyncio.Future[None]] = set()

        def touch() -> None:
            for job_id in job_ids:
                # A missed heartbeat only shortens the grace others give this submit.
                with contextlib.suppress(BatchtuiError):
                    self.registry.update_job(job_id)  # touches updated_at

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

    def _adopt(self, job: Job, batch: RemoteBatch, *, note: str) -> Job:
        """Take over a batch found by tag; the note explains the history's jump."""
        self.registry.update_job(job.id, last_error=None, note=note)
        job, _changed = self.registry.apply_remote(job.id, batch)
        return job

    def _mark_not_submitted(self, job: Job, reason: str) -> Job:
        return self.registry.update_job(
            job.id, status=JobStatus.NOT_SUBMITTED, last_error=reason, note=reason
        )

    # --- reconcile --------------------------------------------------------------------

    def grace_for(self, job: Job) -> timedelta:
        profile = self.config.profiles.get(job.profile)
        timeout = profile.timeout if profile else 0.0
        return max(self.submit_grace, timedelta(seconds=2 * timeout))

    def is_stale(self, job: Job, *, now: datetime | None = None) -> bool:
        """A `submitting` job that has shown no sign of life for its grace period."""
        now = now or datetime.now(UTC)
        return now - job.updated_at >= self.grace_for(job)

    async def reconcile(self, job: Job) -> Job:
        """A job left in `submitting`: adopt the batch carrying its tag, or mark `not_submitted`."""
        if job.status is not JobStatus.SUBMITTING:
            return job
        # The caller's copy may be old (a TUI's snapshot): its submitter may have moved on.
        job = await self._in_thread(self.registry.get_job, job.id)
        if job.status is not JobStatus.SUBMITTING:
            return job
        if job.remote_id:  # created and recorded, then interrupted before the status was
            return await self.refresh(job, force=True)
        stale = self.is_stale(job)
        if job.input_file_id is None and not stale:
            return job  # still uploading somewhere: create cannot have happened yet
        provider = await self.provider(job.profile)
        batch = await provider.find_by_tag(job.tag, input_file_id=job.input_file_id)
        if batch is not None:
            return await self._in_thread(self._adopt, job, batch, note="adopted by tag (reconcile)")
        if not stale:
            return job
        return await self._in_thread(
            self._mark_not_submitted,
            job,
            "submit was interrupted before the batch was created (no batch carries its tag)",
        )

    def submitting_jobs(self, profile: str | None = None) -> list[Job]:
        return self.registry.list_jobs(profile=profile, statuses=[JobStatus.SUBMITTING])

    # --- refresh, cancel ----------------------------------------------------------------

    async def refresh(self, job: Job, *, force: bool = False) -> Job:
        """Ask the provider for the job's state (terminal jobs only when `force`)."""
        if job.remote_id is None:
            return await self.reconcile(job)
        if job.is_terminal and not force:
            return job
        provider = await self.provider(job.profile)
        try:
            batch = await provider.retrieve(job.remote_id)
        except ProviderError as error:
            await self._in_thread(self.registry.update_job, job.id, last_error=f"refresh: {error}")
            raise
        if job.last_error:
            await self._in_thread(self.registry.update_job, job.id, last_error=None)
        job, _changed = await self._in_thread(self.registry.apply_remote, job.id, batch)
        return job

    async def poll(self, job: Job, *, holder: str, lease_seconds: float) -> tuple[Job, bool]:
        """`refresh` by whichever process holds the job's poll lease: several TUIs (on
        several login nodes) then ask the provider once, not once each. The others get
        the registry's copy, which the holder keeps fresh; True when this one asked."""
        if job.remote_id is None or job.is_terminal:
            return await self.refresh(job), True
        leased = await self._in_thread(
            self.registry.acquire_poll_lease, job.id, holder, lease_seconds
        )
        if not leased:
            return await self._in_thread(self.registry.get_job, job.id), False
        return await self.refresh(job), True

    async def cancel(self, job: Job) -> Job:
        if job.remote_id is None:
            raise BatchtuiError(f"job {job.id} is {job.status}: there is no batch to cancel")
        if job.is_terminal:
            raise BatchtuiError(f"job {job.id} has already ended ({job.status})")
        provider = await self.provider(job.profile)
        batch = await provider.cancel(job.remote_id)
        job, _changed = await self._in_thread(self.registry.apply_remote, job.id, batch)
        return job

    # --- results ------------------------------------------------------------------------

    async def download(
        self,
        job: Job,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        on_file_start: FileStartCallback | None = None,
    ) -> list[Path]:
        """Output and error files into `dest_dir` (see `download_report`); their paths.

        An empty list means the batch ended without any result file (e.g. it failed
        validation); `job.errors` says why.
        """
        report = await self.download_report(
            job, dest_dir, progress=progress, on_file_start=on_file_start
        )
        return report.paths

    async def download_report(
        self,
        job: Job,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        on_file_start: FileStartCallback | None = None,
    ) -> DownloadReport:
        """The files `provider.result_files` names, each fetched whole and checked (its size
        against the provider's file object, a `.sha256` beside it, a `.part` resumed), then
        the job's request counts against the lines; records the paths on the job.
        """
        from batchtui.core.downloads import DownloadReport, counts_warning, fetch_file

        job = await self._refreshed_with_results(job)
        provider = await self.provider(job.profile)
        assert job.remote_id is not None  # may_have_results: the batch was created
        try:
            batch = await provider.retrieve(job.remote_id)
        except ProviderError as error:
            await self._in_thread(self.registry.update_job, job.id, last_error=f"download: {error}")
            raise
        job, _changed = await self._in_thread(self.registry.apply_remote, job.id, batch)
        report = DownloadReport()
        written: dict[str, Path] = {}
        for result_file in provider.result_files(batch):
            kind = result_file.kind
            dest = dest_dir / RESULT_FILE_NAMES[kind]
            recorded = job.output_path if kind == "output" else job.error_path
            if recorded is not None and recorded.resolve() == dest.resolve() and dest.is_file():
                written[kind] = dest  # whole files are only ever renamed into place
                report.kept.append(dest)
                continue
            if on_file_start is not None:
                on_file_start(kind, dest)
            fetched = await fetch_file(
                provider, kind, result_file.file_id, dest, progress=_pausing(progress)
            )
            written[kind] = fetched.path
            report.files.append(fetched)
        report.paths = list(written.values())
        if written:
            job = await self._in_thread(
                self.registry.update_job,
                job.id,
                output_path=_absolute(written.get("output")) or job.output_path,
                error_path=_absolute(written.get("error")) or job.error_path,
            )
        if job.status is JobStatus.COMPLETED and report.files and not report.kept:
            warning = counts_warning(job.id, job.request_counts.total, report.files)
            if warning:
                report.warnings.append(warning)
        return report

    async def _refreshed_with_results(self, job: Job) -> Job:
        """The job refreshed, refused unless its batch has reached a state with results."""
        job = await self.refresh(job)
        if not job.status.may_have_results:
            raise BatchtuiError(
                f"job {job.id} is {job.status}: no results yet "
                f"(wait with `batchtui watch {job.id}`)"
            )
        return job

    async def iter_results(
        self, job: Job, *, errors_only: bool = False
    ) -> AsyncIterator[ResultRecord]:
        """Records from the downloaded files, or streamed from the provider when not downloaded.

        The output file comes first, then the error file; with `errors_only` the error
        file comes first and successful records are skipped.
        """
        from batchtui.core.formats.results import parse_result_line

        if not _has_local_results(job):
            job = await self._refreshed_with_results(job)
        sources = result_file_ids(job)
        if errors_only:
            sources.sort(key=lambda source: source[0] != "error")
        for kind, file_id in sources:
            local = job.output_path if kind == "output" else job.error_path
            if local is not None and local.is_file():
                lines: AsyncIterator[bytes] = _local_lines(local)
            else:
                provider = await self.provider(job.profile)
                lines = provider.iter_lines(file_id)
            async for line in lines:
                if not line.strip():
                    continue
                record = parse_result_line(line)
                if errors_only and record.ok:
                    continue
                yield record

    # --- job groups: every operation acts on each shard ---------------------------------

    def shards(self, group: JobGroup) -> list[Job]:
        return self.registry.group_jobs(group.id)

    async def refresh_group(self, group: JobGroup, *, force: bool = False) -> list[Job]:
        """Refresh every shard; a shard whose provider cannot be reached keeps its state."""
        shards = []
        for shard in self.shards(group):
            shards.append(await self.refresh(shard, force=force))
        return shards

    async def cancel_group(self, group: JobGroup) -> list[Job]:
        """Cancel every shard still running; the shards that have ended are left as they are."""
        running = [
            shard
            for shard in await self.refresh_group(group)
            if shard.remote_id is not None and not shard.is_terminal
        ]
        if not running:
            raise BatchtuiError(f"group {group.id} has no running shard to cancel")
        return [await self.cancel(shard) for shard in running]

    async def download_group(
        self,
        group: JobGroup,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        on_file_start: FileStartCallback | None = None,
    ) -> list[Path]:
        """Each shard's result files into `dest_dir/shard-NN/`; shards never sent are skipped."""
        shards = await self.refresh_group(group)
        waiting = [s for s in shards if s.remote_id is not None and not s.status.may_have_results]
        if waiting:
            raise BatchtuiError(
                f"group {group.id}: shard {waiting[0].shard_index} ({waiting[0].id}) is "
                f"{waiting[0].status}: no results yet (wait with `batchtui watch {group.id}`)"
            )
        written: list[Path] = []
        for shard in shards:
            if shard.remote_id is None:
                continue
            shard_dir = dest_dir / f"shard-{shard.shard_index or 0:02d}"
            written += await self.download(
                shard, shard_dir, progress=progress, on_file_start=on_file_start
            )
        return written

    async def iter_group_results(
        self, group: JobGroup, *, errors_only: bool = False
    ) -> AsyncIterator[ResultRecord]:
        """The records of every shard, in shard order, read as one file would be.

        custom_ids are unique across the group: the file was validated whole before it
        was split. Shards that were never sent have no records.
        """
        shards = [shard for shard in self.shards(group) if shard.remote_id is not None]
        if not shards:
            raise BatchtuiError(f"group {group.id}: no shard was submitted, so no results")
        for shard in shards:
            # Closed here, not left to the loop: a reader may stop after `--head N`.
            async with aclosing(self.iter_results(shard, errors_only=errors_only)) as records:
                async for record in records:
                    yield record


# --- helpers ------------------------------------------------------------------------------


# Crash tests set this to a step name (`after-upload`, `after-create`, `mid-download`) to
# hold a real CLI process still at that step while they `kill -9` it; unset, it costs one
# environment lookup per step.
PAUSE_ENV = "BATCHTUI_TEST_PAUSE_AT"
PAUSE_SECONDS = 60.0


async def pause_for_tests(step: str) -> None:
    if os.environ.get(PAUSE_ENV) == step:
        await asyncio.sleep(PAUSE_SECONDS)


def _pausing(progress: ProgressCallback | None) -> ProgressCallback | None:
    """`progress`, held still at `mid-download` once some bytes are on disk."""
    if os.environ.get(PAUSE_ENV) != "mid-download":
        return progress

    def on_progress(done: int, total: int | None) -> None:
        if progress is not None:
            progress(done, total)
        if done and (total is None or done < total):
            time.sleep(PAUSE_SECONDS)

    return on_progress


def checked_metadata(metadata: dict[str, str]) -> dict[str, str]:
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


async def check_access(provider: BatchProvider) -> None:
    """One cheap authenticated call (list one batch), so a wrong key or URL fails at once
    instead of after uploading a file of up to 200 MB over a slow link."""
    async for _batch in provider.list_batches(limit=1):
        break


def result_file_ids(job: Job) -> list[tuple[str, str]]:
    """(kind, file id) of the job's result files, output first; empty ids count as absent."""
    files = []
    if job.output_file_id:
        files.append(("output", job.output_file_id))
    if job.error_file_id:
        files.append(("error", job.error_file_id))
    return files


def _has_local_results(job: Job) -> bool:
    expected = result_file_ids(job)
    if not expected:
        return False
    local = {"output": job.output_path, "error": job.error_path}
    return all(local[kind] is not None and local[kind].is_file() for kind, _ in expected)


async def _local_lines(path: Path) -> AsyncIterator[bytes]:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror or error}") from None
    with handle:
        for line in handle:
            yield line.rstrip(b"\r\n")


def _describe(error: BaseException) -> str:
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return "interrupted"
    return str(error) or type(error).__name__


def _absolute(path: Path | None) -> Path | None:
    return path.resolve() if path is not None else None
