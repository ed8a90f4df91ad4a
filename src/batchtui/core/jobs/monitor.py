"""The refresh loop of a long-running view: config and registry loading, snapshot, polls, leases.

Textual-free, so it is tested without a terminal. The owner (the TUI) runs its
coroutines on its event loop and hears back through `MonitorEvents`: a new snapshot, a
job that just finished, a problem to show. Every registry call goes through
`AsyncRegistry`; reading the config and the registry are independent, so a broken
config.toml never hides the jobs the registry holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from batchtui.core.errors import BatchtuiError
from batchtui.core.jobs.listing import KeptJobs, PageRequest, read_list
from batchtui.core.jobs.monitor_polls import MonitorPolls
from batchtui.core.jobs.poll_errors import RETRYING_MARK
from batchtui.core.jobview import PollHealth, PollSchedule
from batchtui.core.leases import new_lease_holder
from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.models import Job, JobGroup
    from batchtui.core.registry.async_registry import AsyncRegistry
    from batchtui.core.registry.pages import JobPage
    from batchtui.core.registry.store import Registry
    from batchtui.core.service import JobService

log = logging.getLogger("batchtui.monitor")


@dataclass(frozen=True)
class JobsSnapshot:
    """What the monitor knows now; handed to `MonitorEvents.published` whenever it changes."""

    jobs: dict[str, Job] = field(default_factory=dict)
    loading: bool = True
    updated_at: datetime | None = None
    # The registry could not be read (or written): the jobs shown are the last ones read.
    problem: str | None = None
    # Job groups (files split into shards); their shards are in `jobs`.
    groups: dict[str, JobGroup] = field(default_factory=dict)
    # config.toml could not be read: the jobs still show, actions that need a profile wait.
    config_problem: str | None = None
    # The window of the job list asked for by `JobMonitor.request`, with its counts (None
    # before the first read). `jobs` holds its jobs and every job still running.
    page: JobPage | None = None
    # How this process's polls of each job went (the ETA extrapolates only what was seen).
    polls: dict[str, PollHealth] = field(default_factory=dict)


class MonitorEvents(Protocol):
    """What the monitor tells its owner (called on the owner's event loop)."""

    def published(self, snapshot: JobsSnapshot) -> None:
        """The snapshot changed."""

    def finished(self, job: Job) -> None:
        """A job seen running is now terminal."""

    def problem(self, source: str, message: str, *, first: bool) -> None:
        """Something failed; `first` is false when the same problem was already reported."""

    def config_loaded(self, config: Config) -> None:
        """A (re-)read config was adopted."""


class JobMonitor(MonitorPolls):
    """Config, registry and provider state of every job, kept fresh.

    `config`/`registry` given: used as they are (tests, the CLI handing its own); else read
    from the default places, the config again on every `reload_config`.
    """

    def __init__(
        self,
        events: MonitorEvents,
        *,
        config: Config | None = None,
        registry: Registry | None = None,
        debug: bool = False,
        now: Callable[[], datetime] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.events = events
        self.config: Config | None = config
        self._config_given = config is not None
        self._sync_registry: Registry | None = registry
        self.registry: AsyncRegistry | None = None
        self.service: JobService | None = None
        self.debug = debug
        self._now = now or (lambda: datetime.now(UTC))
        self._clock = clock
        self.snapshot = JobsSnapshot()
        self.schedule = PollSchedule()
        # Who this process is in the registry's poll leases (host:pid:random).
        self.lease_holder = new_lease_holder()
        self.data_version: int | None = None
        # What the list view shows, and the jobs kept whole besides its page.
        self.request = PageRequest()
        self.kept = KeptJobs()
        self.polling: set[str] = set()
        self.reported_problems: dict[str, str] = {}
        # (mtime_ns, size) of config.toml when last read: saving the file reloads it.
        self._config_stamp: tuple[int, int] | None = None

    # --- loading --------------------------------------------------------------------------

    async def load(self) -> None:
        """Read the config and open the registry, each on its own: either may fail alone."""
        await self.reload_config()
        await self._open_registry()
        await self.reload(force=True, announce=False)

    async def reload_config(self) -> bool:
        """Read config.toml again; a broken file keeps the config in use and says why."""
        from batchtui.core.config import load_config

        if self._config_given and self.config is not None:
            self._rebuild_service()
            self.events.config_loaded(self.config)
            return True
        self._config_stamp = await asyncio.to_thread(_config_stamp)
        try:
            config = await asyncio.to_thread(load_config)
        except BatchtuiError as exc:
            self._publish(config_problem=str(exc), loading=self.registry is None)
            return False
        except Exception as exc:
            log.exception("reading the config failed")
            self._publish(config_problem=f"config: {exc}", loading=self.registry is None)
            return False
        self.config = config
        self._rebuild_service()
        self.events.config_loaded(config)
        self._publish(config_problem=None)
        return True

    async def reload_config_if_saved(self) -> bool:
        """Read config.toml again when it was saved since the last read (the user fixed it)."""
        if self._config_given:
            return False
        if await asyncio.to_thread(_config_stamp) == self._config_stamp:
            return False
        return await self.reload_config()

    def adopt_config(self, config: Config) -> None:
        """A config just read by someone else (a profile saved from a form)."""
        self.config = config
        self._rebuild_service()
        self.events.config_loaded(config)
        self._publish(config_problem=None)

    async def _open_registry(self) -> None:
        from batchtui.core.registry.async_registry import AsyncRegistry
        from batchtui.core.registry.store import Registry

        if self.registry is not None:
            return
        try:
            if self._sync_registry is None:
                self._sync_registry = await asyncio.to_thread(Registry.open_default)
        except BatchtuiError as exc:
            self._publish(problem=str(exc), loading=False)
            return
        except Exception as exc:
            log.exception("opening the registry failed")
            self._publish(problem=f"registry: {exc}", loading=False)
            return
        self.registry = AsyncRegistry(self._sync_registry)
        self._rebuild_service()

    def _rebuild_service(self) -> None:
        from batchtui.core.service import JobService

        if self.config is None or self._sync_registry is None:
            return
        try:
            self.service = JobService(self.config, self._sync_registry, debug=self.debug)
        except Exception as exc:
            log.exception("job service failed to start")
            self.service = None
            self._publish(problem=f"job service unavailable: {exc}")

    # --- the registry ---------------------------------------------------------------------

    async def reload(self, *, force: bool = False, announce: bool = True) -> bool:
        """Re-read the registry when another writer changed it (or `force`); True if read.

        Reads the rows written since the last read and the page of the list `request`
        asks for (see `listing`), never every job.
        """
        registry = self.registry
        if registry is None:
            return False
        try:
            version = await registry.data_version()
            if not force and version == self.data_version:
                return False
            since = None if force else self.data_version
            version, page = await read_list(registry, lambda: self.request, self.kept, since)
        except Exception as exc:
            return self._read_failed(exc)
        self.data_version = version
        self.reported_problems.pop("registry", None)
        self.show_page(page, announce=announce)
        return True

    async def reload_page(self, request: PageRequest) -> bool:
        """Read the window `request` asks for (the filter, sort or scroll position moved)."""
        self.request = request
        registry = self.registry
        if registry is None:
            return False
        try:
            page = await registry.job_page(request)
        except Exception as exc:
            return self._read_failed(exc)
        if request != self.request:
            return False  # asked again meanwhile: that answer is the one to show
        self.show_page(page, announce=False)
        return True

    def _read_failed(self, exc: Exception) -> bool:
        if not isinstance(exc, BatchtuiError):
            log.exception("registry read failed")
        self.report_problem("registry", f"registry: {exc}")
        if self.snapshot.loading:
            self._publish(problem=inert(str(exc), single_line=True), loading=False)
        return False

    def pin(self, job_id: str) -> None:
        """Keep `job_id` fresh in `snapshot.jobs` even off the page (a detail shows it)."""
        self.kept.pinned.add(job_id)
        if (job := self.snapshot.jobs.get(job_id)) is not None:
            self.kept.jobs[job_id] = job

    def show_page(self, page: JobPage, *, announce: bool = True) -> None:
        """Adopt a page of the list, with the jobs kept whole (running and pinned ones)."""
        jobs = {**self.kept.jobs, **{job.id: job for job in page.jobs}}
        if announce:
            self._announce_transitions(jobs.values())
        self.snapshot = replace(
            self.snapshot,
            jobs=jobs,
            loading=False,
            updated_at=self.snapshot.updated_at or self._now(),
            problem=None,
            groups=dict(page.groups),
            page=page,
        )
        self.events.published(self.snapshot)
        self.kept.settle()

    def merge_job(self, job: Job) -> None:
        """One job as a poll or an action just returned it."""
        self._announce_transitions([job])
        jobs = dict(self.snapshot.jobs)
        jobs[job.id] = job
        if not job.is_terminal or job.id in self.kept.pinned:
            self.kept.jobs[job.id] = job
        page = self.snapshot.page.with_job(job) if self.snapshot.page is not None else None
        self.snapshot = replace(
            self.snapshot, jobs=jobs, loading=False, updated_at=self._now(), page=page
        )
        self.events.published(self.snapshot)

    def merge_jobs(self, fresh: Iterable[Job]) -> None:
        """Several jobs as a poll just returned them: one snapshot for all."""
        fresh = list(fresh)
        self._announce_transitions(fresh)
        jobs = dict(self.snapshot.jobs)
        page = self.snapshot.page
        for job in fresh:
            jobs[job.id] = job
            if not job.is_terminal or job.id in self.kept.pinned:
                self.kept.jobs[job.id] = job
            if page is not None:
                page = page.with_job(job)
        self.snapshot = replace(
            self.snapshot, jobs=jobs, loading=False, updated_at=self._now(), page=page
        )
        self.events.published(self.snapshot)

    def _announce_transitions(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            before = self.snapshot.jobs.get(job.id)
            if before is not None and not before.is_terminal and job.is_terminal:
                self.events.finished(job)

    def _publish(self, **changes: object) -> None:
        self.snapshot = replace(self.snapshot, **changes)  # type: ignore[arg-type]
        self.events.published(self.snapshot)

    async def reconcile_leftovers(self) -> None:
        """Settle jobs a killed submit left in `submitting` (as every CLI command does)."""
        service, config = self.service, self.config
        if service is None or config is None:
            return
        leftovers = await service.settle_leftovers(list(self.snapshot.jobs.values()))
        for job, exc in leftovers.failed:
            self.report_problem(job.profile, f"job {job.id} is still submitting: {exc}")
        for settled in leftovers.settled:
            self.merge_job(settled)

    def report_problem(self, source: str, message: str) -> None:
        """Tell the owner; `first` only for a problem not already reported by `source`
        (one toast per new problem, not one per failed poll)."""
        message = inert(message, single_line=True)
        log.warning("%s: %s", source, message)
        key = message.split(RETRYING_MARK)[0]
        first = self.reported_problems.get(source) != key
        self.reported_problems[source] = key
        self.events.problem(source, message, first=first)

    async def release_leases(self, *, wait: float = 2.0) -> None:
        """Another TUI takes over polling at once, not when the leases expire. At most
        `wait` seconds: quitting never waits for a locked registry (the leases expire)."""
        if self.registry is None:
            return
        try:
            await asyncio.wait_for(self.registry.release_poll_leases(self.lease_holder), wait)
        except TimeoutError:
            log.warning("registry locked: poll leases left to expire")
        except Exception:
            log.exception("releasing poll leases failed")

    async def aclose(self) -> None:
        if self.service is not None:
            try:
                await self.service.aclose()
            except Exception:
                log.exception("closing provider connections failed")
        if self.registry is not None:
            self.registry.shutdown()


def _config_stamp() -> tuple[int, int] | None:
    """(mtime_ns, size) of config.toml, None when there is none (or it cannot be seen)."""
    from batchtui.core.paths import config_path

    try:
        info = config_path().stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size
