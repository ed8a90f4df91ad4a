"""A JobService's jobs, driven to their end against the project's simulator."""

from __future__ import annotations

import asyncio

from batchtui.core.models import Job
from batchtui.core.service import JobService


async def wait_until_terminal(service: JobService, job: Job, timeout: float) -> Job:
    """The job refreshed every 50 ms until it has ended; fails after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not job.is_terminal:
        assert asyncio.get_running_loop().time() < deadline, f"{job.id} stuck in {job.status}"
        await asyncio.sleep(0.05)
        job = await service.refresh(job)
    return job
