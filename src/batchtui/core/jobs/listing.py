"""What a job list view reads from the registry: the window it asks for, and the jobs kept
whole between reads (running ones, for polling; pinned ones, for an open detail)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from batchtui.core.errors import JobNotFound
from batchtui.core.jobview import ArchivedScope, JobFilter, SortOrder

if TYPE_CHECKING:
    from batchtui.core.models import Job
    from batchtui.core.registry.async_registry import AsyncRegistry
    from batchtui.core.registry.pages import JobPage

# Top-level rows a list view reads at once: a screenful or two around the cursor.
DEFAULT_PAGE_ROWS = 120


@dataclass(frozen=True)
class PageRequest:
    """Which window of the job list a view shows: filter, sort, archived scope, rows."""

    job_filter: JobFilter = field(default_factory=JobFilter)
    order: SortOrder = field(default_factory=SortOrder)
    offset: int = 0
    limit: int = DEFAULT_PAGE_ROWS

    @property
    def scope(self) -> ArchivedScope:
        return self.job_filter.archived or ArchivedScope.HIDDEN


@dataclass
class KeptJobs:
    """Jobs kept whole besides the page: those not yet ended and those `pinned`."""

    jobs: dict[str, Job] = field(default_factory=dict)
    pinned: set[str] = field(default_factory=set)

    def merge(self, changed: Iterable[Job]) -> None:
        for job in changed:
            if not job.is_terminal or job.id in self.pinned or job.id in self.jobs:
                self.jobs[job.id] = job

    def settle(self) -> None:
        """Forget the ended jobs nobody pinned (after their end was announced)."""
        self.jobs = {
            job_id: job
            for job_id, job in self.jobs.items()
            if not job.is_terminal or job_id in self.pinned
        }


async def read_list(
    registry: AsyncRegistry,
    request_of: Callable[[], PageRequest],
    kept: KeptJobs,
    since: int | None,
) -> tuple[int, JobPage]:
    """(data_version, the page `request_of()` asks for); `kept` brought up to date from the
    rows written after `since` (None: read whole). Never reads every job."""
    if since is None:
        version = await registry.data_version()
        kept.jobs = {job.id: job for job in await registry.active_jobs()}
        for job_id in kept.pinned - kept.jobs.keys():
            try:
                kept.jobs[job_id] = await registry.get_job(job_id)
            except JobNotFound:
                kept.pinned.discard(job_id)
    else:
        version, changed = await registry.changed_since(since)
        kept.merge(changed)
    request = request_of()
    page = await registry.job_page(request)
    while request != request_of():  # the view moved while that page was read
        request = request_of()
        page = await registry.job_page(request)
    return version, page
