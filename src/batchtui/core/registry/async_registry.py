"""The registry for async code: every method runs on the registry's own thread, never the loop.

Another process (a CLI write, a slow NFS server) may hold the file locked for seconds;
code on an event loop that must keep answering keys gets only this class, so a blocking
call cannot be written by mistake. Threads and the CLI keep using `Registry` itself.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from batchtui.core.jobs.listing import PageRequest
    from batchtui.core.models import Job, JobGroup, StatusChange
    from batchtui.core.registry.pages import JobPage
    from batchtui.core.registry.store import Registry
    from batchtui.core.status import JobStatus

P = ParamSpec("P")
T = TypeVar("T")


class AsyncRegistry:
    """Awaitable registry calls, run one at a time on a dedicated thread.

    A dedicated thread (not the loop's default executor): while the file is locked, the
    waiting calls must not take the threads that file hashing and downloads need.
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self.path: Path = registry.path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry")

    @classmethod
    async def open_default(cls) -> AsyncRegistry:
        """The registry at `paths.registry_path()`, opened (and migrated) off the loop."""
        from batchtui.core.registry.store import Registry

        return cls(await asyncio.to_thread(Registry.open_default))

    async def run(
        self, work: Callable[Concatenate[Registry, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(registry, *args, **kwargs)` on the registry thread: for core helpers that
        take a `Registry` (families, quota, costs) and read it more than once."""
        call = functools.partial(work, self._registry, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        await self.run(lambda registry: registry.close())
        self._executor.shutdown(wait=False)

    def shutdown(self) -> None:
        """Stop the thread without waiting for a call stuck on a lock (the app is exiting)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- the registry's methods, awaitable ----------------------------------------------

    async def data_version(self) -> int:
        return await self.run(lambda registry: registry.data_version())

    async def list_jobs(
        self,
        *,
        profile: str | None = None,
        statuses: Iterable[JobStatus] | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        return await self.run(
            lambda registry: registry.list_jobs(profile=profile, statuses=statuses, limit=limit)
        )

    async def job_page(self, request: PageRequest) -> JobPage:
        return await self.run(
            lambda registry: registry.job_page(
                request.job_filter,
                request.order,
                request.scope,
                offset=request.offset,
                limit=request.limit,
            )
        )

    async def changed_since(self, revision: int) -> tuple[int, list[Job]]:
        return await self.run(lambda registry: registry.changed_since(revision))

    async def active_jobs(self) -> list[Job]:
        return await self.run(lambda registry: registry.active_jobs())

    async def list_groups(self, *, profile: str | None = None) -> list[JobGroup]:
        return await self.run(lambda registry: registry.list_groups(profile=profile))

    async def get_job(self, job_id: str) -> Job:
        return await self.run(lambda registry: registry.get_job(job_id))

    async def find_job(self, ref: str) -> Job:
        return await self.run(lambda registry: registry.find_job(ref))

    async def get_group(self, group_id: str) -> JobGroup:
        return await self.run(lambda registry: registry.get_group(group_id))

    async def group_jobs(self, group_id: str) -> list[Job]:
        return await self.run(lambda registry: registry.group_jobs(group_id))

    async def child_jobs(self, parent_id: str) -> list[Job]:
        return await self.run(lambda registry: registry.child_jobs(parent_id))

    async def history(self, job_id: str) -> list[StatusChange]:
        return await self.run(lambda registry: registry.history(job_id))

    async def update_job(self, job_id: str, *, note: str | None = None, **fields: object) -> Job:
        return await self.run(lambda registry: registry.update_job(job_id, note=note, **fields))

    async def poll_lease_holder(self, job_id: str) -> str | None:
        return await self.run(lambda registry: registry.poll_lease_holder(job_id))

    async def release_poll_leases(self, holder: str) -> int:
        return await self.run(lambda registry: registry.release_poll_leases(holder))
