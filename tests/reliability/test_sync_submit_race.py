"""`sync` and `submit` never both own one batch, whichever gets there first.

A submit records its job (`submitting`, with a tag) before upload; the batch it creates
carries the tag. A sync running at the same time, in another process with its own view of
the registry, lists that batch: it must land in the submit's job, not in a second job
"created by another batchtui registry". The two are forced into each order through the
job service's hooks (no sleeps), eight times each, against the simulator over HTTP, with
two registry connections as two processes would have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from batchtui.core.config import Config, Profile
from batchtui.core.jobs.hooks import JobHooks, Step
from batchtui.core.models import Job
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.core.sync import SyncReport
from batchtui.simulator import SimulatorHandle

from .conftest import API_KEY, write_requests

ROUNDS = 8


class Gate(JobHooks):
    """Holds the use case at `step` until `go` is set; `arrived` says it got there."""

    def __init__(self, step: Step) -> None:
        self.step = step
        self.arrived = asyncio.Event()
        self.go = asyncio.Event()

    async def reached(self, step: Step, job_id: str | None = None) -> None:
        if step == self.step:
            self.arrived.set()
            await self.go.wait()


@pytest.fixture
def two_processes(
    start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> Callable[[JobHooks, JobHooks], tuple[JobService, JobService]]:
    simulator = start_simulator()
    profile = Profile(name="sim", base_url=simulator.url, api_key=API_KEY, timeout=10)
    config = Config(path=tmp_path / "config.toml", profiles={"sim": profile})
    registries: list[Registry] = []

    def make(submit_hooks: JobHooks, sync_hooks: JobHooks) -> tuple[JobService, JobService]:
        services = []
        for hooks in (submit_hooks, sync_hooks):
            registries.append(Registry.open_default())
            services.append(JobService(config, registries[-1], hooks=hooks))
        return services[0], services[1]

    yield make
    for registry in registries:
        registry.close()


def owners_of(remote_id: str) -> list[Job]:
    with Registry.open_default() as registry:
        return [job for job in registry.list_jobs() if job.remote_id == remote_id]


async def test_a_sync_that_lists_the_batch_before_submit_records_it_gives_it_to_the_submit(
    two_processes, tmp_path: Path
) -> None:
    """Sync reads the registry, submit creates the batch, sync lists it, submit records it."""
    for round in range(ROUNDS):
        submit_gate, sync_gate = Gate("after-create"), Gate("sync-listed")
        submitter, syncer = two_processes(submit_gate, sync_gate)
        source = write_requests(tmp_path / f"input-{round}.jsonl", 3, prefix=f"r{round}")
        async with submitter, syncer:
            syncing = asyncio.create_task(syncer.sync("sim"))
            await sync_gate.arrived.wait()  # sync has read the registry: no such job yet
            submitting = asyncio.create_task(submitter.submit(source, "sim"))
            await submit_gate.arrived.wait()  # the batch exists; the registry does not know
            sync_gate.go.set()
            report: SyncReport = await syncing  # sync reaches the batch first
            submit_gate.go.set()
            job: Job = await submitting
        assert job.remote_id is not None
        assert [owner.id for owner in owners_of(job.remote_id)] == [job.id], f"round {round}"
        assert [found.id for found in report.recovered] == [job.id]
        assert not report.adopted


async def test_a_submit_that_records_the_batch_first_keeps_it_from_a_sync_under_way(
    two_processes, tmp_path: Path
) -> None:
    """Sync reads the registry, submit creates and records the batch, then sync lists it."""
    for round in range(ROUNDS):
        sync_gate = Gate("sync-listed")
        submitter, syncer = two_processes(JobHooks(), sync_gate)
        source = write_requests(tmp_path / f"input-{round}.jsonl", 3, prefix=f"r{round}")
        async with submitter, syncer:
            syncing = asyncio.create_task(syncer.sync("sim"))
            await sync_gate.arrived.wait()  # sync has read the registry: no such job yet
            job = await submitter.submit(source, "sim")  # created and recorded
            sync_gate.go.set()
            report = await syncing
        assert job.remote_id is not None
        assert [owner.id for owner in owners_of(job.remote_id)] == [job.id], f"round {round}"
        assert not report.adopted and not report.recovered
        assert report.already_tracked == report.scanned


async def test_a_submit_held_after_create_gets_its_batch_back_from_a_whole_sync(
    two_processes, tmp_path: Path
) -> None:
    """Submit creates the batch and waits; a whole sync runs; then submit records it."""
    for round in range(ROUNDS):
        submit_gate = Gate("after-create")
        submitter, syncer = two_processes(submit_gate, JobHooks())
        source = write_requests(tmp_path / f"input-{round}.jsonl", 3, prefix=f"r{round}")
        async with submitter, syncer:
            submitting = asyncio.create_task(submitter.submit(source, "sim"))
            await submit_gate.arrived.wait()
            report = await syncer.sync("sim")
            submit_gate.go.set()
            job = await submitting
        assert job.remote_id is not None
        assert [owner.id for owner in owners_of(job.remote_id)] == [job.id], f"round {round}"
        assert [found.id for found in report.recovered] == [job.id]
