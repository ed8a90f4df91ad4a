"""The job service the CLI and the TUI both call: a facade over the use cases in `core.jobs`.

It ties config, registry and providers together (a `JobContext`) and keeps the method
names front ends and tests use; each rule lives in its use case module: `jobs.plan`
(validate, plan), `jobs.submit` (one batch, never twice), `jobs.groups` (shards),
`jobs.reconcile` (leftover `submitting` jobs), `jobs.refresh` (refresh, poll, cancel) and
`jobs.results` (download, read). Sync adopts remote batches (`core.sync`); retries are
planned and merged in `core.families`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.config import Config
from batchtui.core.jobs import groups, reconcile, refresh, results, submit
from batchtui.core.jobs import plan as planning
from batchtui.core.jobs.context import SUBMIT_GRACE, JobContext, ProviderFactory
from batchtui.core.jobs.groups import GroupSubmission, GroupSubmitError
from batchtui.core.jobs.hooks import NO_HOOKS, JobHooks
from batchtui.core.jobs.plan import InvalidInputFile, SubmitPlan
from batchtui.core.jobs.reconcile import Leftovers
from batchtui.core.jobs.results import FileStartCallback
from batchtui.core.jobs.submit import (
    CREATE_ATTEMPTS,
    HEARTBEAT_SECONDS,
    ShardStartCallback,
    SubmitOptions,
    checked_metadata,
    fingerprint,
)
from batchtui.core.models import Job, JobGroup, ResultRecord
from batchtui.core.providers.base import BatchProvider, ProgressCallback
from batchtui.core.registry import Registry

if TYPE_CHECKING:
    from batchtui.core.downloads import DownloadReport
    from batchtui.core.formats import ValidationReport
    from batchtui.core.remote_output import RemoteOutput
    from batchtui.core.sync import SyncReport

__all__ = [
    "CREATE_ATTEMPTS",
    "HEARTBEAT_SECONDS",
    "SUBMIT_GRACE",
    "FileStartCallback",
    "GroupSubmission",
    "GroupSubmitError",
    "InvalidInputFile",
    "JobService",
    "Leftovers",
    "ShardStartCallback",
    "SubmitOptions",
    "SubmitPlan",
    "checked_metadata",
    "fingerprint",
]


class JobService:
    def __init__(
        self,
        config: Config,
        registry: Registry,
        *,
        debug: bool = False,
        submit_grace: timedelta = SUBMIT_GRACE,
        provider_factory: ProviderFactory | None = None,
        hooks: JobHooks = NO_HOOKS,
    ) -> None:
        self.context = JobContext(config, registry, debug, submit_grace, provider_factory, hooks)

    @property
    def config(self) -> Config:
        return self.context.config

    @property
    def registry(self) -> Registry:
        return self.context.registry

    @property
    def debug(self) -> bool:
        return self.context.debug

    async def __aenter__(self) -> JobService:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.context.aclose()

    async def provider(self, profile_name: str) -> BatchProvider:
        """The open provider of a profile, built once per service (reads the API key)."""
        return await self.context.provider(profile_name)

    # --- before submit ----------------------------------------------------------------

    def validate(
        self, path: Path, profile: str | None = None, *, estimate: bool = False
    ) -> ValidationReport:
        return planning.validate(self.config, path, profile, estimate=estimate)

    def plan_submit(self, path: Path, profile: str, *, split: bool = True) -> SubmitPlan:
        return planning.plan_submit(self.config, self.registry, path, profile, split=split)

    # --- submit -------------------------------------------------------------------------

    async def submit(
        self,
        path: Path,
        profile: str,
        *,
        name: str | None = None,
        window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
        plan: SubmitPlan | None = None,
        on_ready: Callable[[], None] | None = None,
        parent_id: str | None = None,
        options: SubmitOptions | None = None,
    ) -> Job:
        """One file as one batch (`jobs.submit.submit`); `options` replaces the keywords."""
        options = options or SubmitOptions(
            name, window, metadata or {}, progress, on_ready, parent_id=parent_id, split=False
        )
        return await submit.submit(self.context, path, profile, options, plan)

    async def submit_file(
        self,
        path: Path,
        profile: str,
        *,
        name: str | None = None,
        window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
        plan: SubmitPlan | None = None,
        split: bool = True,
        on_shard: ShardStartCallback | None = None,
        on_ready: Callable[[], None] | None = None,
        options: SubmitOptions | None = None,
    ) -> Job | GroupSubmission:
        """`submit`, or `submit_group` when the file is over the limits of one batch."""
        options = options or SubmitOptions(
            name, window, metadata or {}, progress, on_ready, on_shard, split=split
        )
        return await submit.submit_file(self.context, path, profile, options, plan)

    async def submit_group(
        self,
        plan: SubmitPlan,
        *,
        name: str | None = None,
        window: str = "24h",
        metadata: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
        on_shard: ShardStartCallback | None = None,
        on_ready: Callable[[], None] | None = None,
        options: SubmitOptions | None = None,
    ) -> GroupSubmission:
        """The planned file as shards, one batch each, recorded whole (`jobs.groups`)."""
        options = options or SubmitOptions(
            name, window, metadata or {}, progress, on_ready, on_shard
        )
        return await groups.submit_group(self.context, plan, options)

    # --- reconcile ----------------------------------------------------------------------

    def grace_for(self, job: Job) -> timedelta:
        return reconcile.grace_for(self.context, job)

    def is_stale(self, job: Job, *, now: datetime | None = None) -> bool:
        return reconcile.is_stale(self.context, job, now=now)

    async def reconcile(self, job: Job) -> Job:
        return await reconcile.reconcile(self.context, job)

    def submitting_jobs(self, profile: str | None = None) -> list[Job]:
        return reconcile.submitting_jobs(self.context, profile)

    async def settle_leftovers(
        self, jobs: Iterable[Job] | None = None, *, profile: str | None = None
    ) -> Leftovers:
        return await reconcile.settle_leftovers(self.context, jobs, profile=profile)

    # --- refresh, cancel, sync ----------------------------------------------------------

    async def refresh(self, job: Job, *, force: bool = False) -> Job:
        return await refresh.refresh(self.context, job, force=force)

    async def poll(self, job: Job, *, holder: str, lease_seconds: float) -> tuple[Job, bool]:
        return await refresh.poll(self.context, job, holder=holder, lease_seconds=lease_seconds)

    async def poll_many(
        self, jobs: Iterable[Job], *, holder: str | None = None, lease_seconds: float = 0.0
    ) -> refresh.PollResult:
        return await refresh.poll_many(
            self.context, jobs, holder=holder, lease_seconds=lease_seconds
        )

    async def cancel(self, job: Job) -> Job:
        return await refresh.cancel(self.context, job)

    async def sync(self, profile_name: str, *, limit: int | None = None) -> SyncReport:
        """Adopt the profile's remote batches the registry does not know (`core.sync`)."""
        from batchtui.core.sync import sync_profile

        provider = await self.provider(profile_name)
        profile = self.config.profile(profile_name)
        return await sync_profile(
            self.registry, provider, profile, limit=limit, hooks=self.context.hooks
        )

    # --- results ------------------------------------------------------------------------

    async def download(
        self,
        job: Job,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        on_file_start: FileStartCallback | None = None,
    ) -> list[Path]:
        return await results.download(
            self.context, job, dest_dir, progress=progress, on_file_start=on_file_start
        )

    async def download_report(
        self,
        job: Job,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        on_file_start: FileStartCallback | None = None,
    ) -> DownloadReport:
        return await results.download_report(
            self.context, job, dest_dir, progress=progress, on_file_start=on_file_start
        )

    def iter_results(self, job: Job, *, errors_only: bool = False) -> AsyncIterator[ResultRecord]:
        return results.iter_results(self.context, job, errors_only=errors_only)

    async def remote_output(self, job: Job, kind: str = "output") -> RemoteOutput:
        return await results.remote_output(self.context, job, kind)

    # --- job groups: every operation acts on each shard ---------------------------------

    def shards(self, group: JobGroup) -> list[Job]:
        return groups.shards(self.context, group)

    async def refresh_group(self, group: JobGroup, *, force: bool = False) -> list[Job]:
        return await groups.refresh_group(self.context, group, force=force)

    async def cancel_group(self, group: JobGroup) -> list[Job]:
        return await groups.cancel_group(self.context, group)

    async def download_group(
        self,
        group: JobGroup,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        on_file_start: FileStartCallback | None = None,
    ) -> list[Path]:
        return await groups.download_group(
            self.context, group, dest_dir, progress=progress, on_file_start=on_file_start
        )

    def iter_group_results(
        self, group: JobGroup, *, errors_only: bool = False
    ) -> AsyncIterator[ResultRecord]:
        return groups.iter_group_results(self.context, group, errors_only=errors_only)
