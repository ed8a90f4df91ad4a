"""Poll leases: several processes watching one job ask the provider once, not once each.

The registry's `poll_leases` table (schema migration `_v6_poll_leases`) names one holder
per job; `JobService.poll` asks the provider only while it holds the lease, and the
others read the registry. The TUI polls through it.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.config import Config, Profile
from batchtui.core.leases import lease_seconds, new_lease_holder
from batchtui.core.models import BatchSpec, Job
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.registry import Registry, codec, schema
from batchtui.core.service import JobService
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle
from batchtui.tui.app import BatchtuiApp

from .conftest import CountingFaults

CONTEXT = multiprocessing.get_context("spawn")
API_KEY = "sk-test-leases-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def new_job(registry: Registry, **fields: object) -> Job:
    values: dict[str, object] = {
        "id": registry.new_job_id(),
        "name": "leased",
        "profile": "sim",
        "kind": "openai",
        "tag": str(uuid.uuid4()),
        **fields,
    }
    return registry.add_job(Job.model_validate(values))


# --- the migration ---------------------------------------------------------------------------


def test_the_poll_lease_migration_keeps_existing_jobs(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    before = schema.MIGRATIONS.index(schema._v6_poll_leases)
    conn = sqlite3.connect(path, isolation_level=None)
    schema.apply_migrations(conn, path, target=before)
    assert schema.read_version(conn) == before
    now = codec.encode_datetime(datetime.now(UTC))
    conn.execute(
        "INSERT INTO jobs (id, name, profile, kind, tag, status, created_at, updated_at) "
        "VALUES ('bt-old001', 'from before', 'sim', 'openai', 't', 'in_progress', ?, ?)",
        (now, now),
    )
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'poll_leases'").fetchall()
    conn.close()

    with Registry(path) as registry:
        assert registry.get_job("bt-old001").name == "from before"
        assert registry.acquire_poll_lease("bt-old001", "me", 30)
        assert registry.poll_lease_holder("bt-old001") == "me"
    with sqlite3.connect(path) as raw:
        assert schema.read_version(raw) >= before + 1
        # Deleting a job takes its lease with it.
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("DELETE FROM jobs WHERE id = 'bt-old001'")
        assert raw.execute("SELECT count(*) FROM poll_leases").fetchone()[0] == 0


# --- the registry's lease rules ----------------------------------------------------------------


def test_one_holder_at_a_time_renewed_by_it_taken_over_when_expired(tmp_path: Path) -> None:
    clock = Clock()
    with Registry(tmp_path / "r.sqlite3", clock=clock) as registry:
        job = new_job(registry)
        version = registry.data_version()

        assert registry.acquire_poll_lease(job.id, "a", 60)
        assert not registry.acquire_poll_lease(job.id, "b", 60)
        clock.now += timedelta(seconds=59)
        assert registry.acquire_poll_lease(job.id, "a", 60)  # renewed until 119 s
        clock.now += timedelta(seconds=30)
        assert not registry.acquire_poll_lease(job.id, "b", 60)
        clock.now += timedelta(seconds=31)  # a missed its renewals: expired
        assert registry.poll_lease_holder(job.id) is None
        assert registry.acquire_poll_lease(job.id, "b", 60)
        assert registry.poll_lease_holder(job.id) == "b"
        assert not registry.acquire_poll_lease(job.id, "a", 60)

        assert registry.release_poll_leases("b") == 1
        assert registry.acquire_poll_lease(job.id, "a", 60)  # at once, no expiry to wait for
        assert not registry.acquire_poll_lease("bt-nosuch", "a", 60)
        # Leases are bookkeeping: the TUIs' "anything new?" check does not fire for them.
        assert registry.data_version() == version


def race_for_lease(path: Path, job_id: str, holder: str, start: float, wins: object) -> None:
    with Registry(path) as registry:
        time.sleep(max(start - time.time(), 0))
        if registry.acquire_poll_lease(job_id, holder, 60):
            wins.put(holder)  # type: ignore[attr-defined]


def test_of_processes_asking_at_once_exactly_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    with Registry(path) as registry:
        job = new_job(registry)
    wins = CONTEXT.Queue()
    start = time.time() + 1.5
    processes = [
        CONTEXT.Process(target=race_for_lease, args=(path, job.id, f"p{n}", start, wins))
        for n in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    winners = []
    while not wins.empty():
        winners.append(wins.get())
    assert len(winners) == 1, winners
    with Registry(path) as registry:
        assert registry.poll_lease_holder(job.id) == winners[0]


def test_holder_ids_name_host_and_process_and_leases_outlast_two_polls() -> None:
    import os
    import socket

    first, second = new_lease_holder(), new_lease_holder()
    assert first != second
    host, pid, _random = first.split(":")
    assert (host, pid) == (socket.gethostname(), str(os.getpid()))
    assert lease_seconds(30) > 60


# --- through the job service and the TUI --------------------------------------------------------


def config_for(simulator: SimulatorHandle, tmp_path: Path) -> Config:
    profile = Profile(name="sim", base_url=simulator.url, api_key=API_KEY, poll_interval=1)
    return Config(path=tmp_path / "config.toml", profiles={"sim": profile})


async def running_batch_job(simulator: SimulatorHandle, registry: Registry, tmp_path: Path) -> Job:
    source = tmp_path / "input.jsonl"
    source.write_text(
        '{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", '
        '"body": {"model": "gpt-4o-mini", "messages": []}}\n'
    )
    tag = str(uuid.uuid4())
    async with OpenAIProvider.from_profile(config_for(simulator, tmp_path).profile("sim")) as api:
        uploaded = await api.upload(source)
        batch = await api.create(
            BatchSpec(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                metadata={TAG_METADATA_KEY: tag},
            )
        )
    job = new_job(registry, tag=tag)
    registry.apply_remote(job.id, batch)
    return registry.get_job(job.id)


async def test_two_services_on_one_registry_poll_the_provider_once(
    start_simulator, tmp_path: Path
) -> None:
    simulator = start_simulator(phase_seconds=30)  # stays in progress during the test
    counting = CountingFaults()
    simulator.server.faults = counting
    path = tmp_path / "r.sqlite3"
    with Registry(path) as first_registry, Registry(path) as second_registry:
        job = await running_batch_job(simulator, first_registry, tmp_path)
        config = config_for(simulator, tmp_path)
        async with (
            JobService(config, first_registry) as first,
            JobService(config, second_registry) as second,
        ):
            asked = []
            for _ in range(5):
                for service, holder in ((first, "node-a:1:x"), (second, "node-b:2:y")):
                    seen, polled = await service.poll(job, holder=holder, lease_seconds=60)
                    assert seen.id == job.id and seen.status is not JobStatus.SUBMITTING
                    asked.append((holder, polled))
    assert counting.retrieves == 5
    assert {holder for holder, polled in asked if polled} == {"node-a:1:x"}


async def test_a_tui_whose_jobs_another_tui_polls_reads_instead_of_asking(
    start_simulator, tmp_path: Path
) -> None:
    simulator = start_simulator(phase_seconds=30)
    counting = CountingFaults()
    simulator.server.faults = counting
    registry = Registry.open_default()
    job = await running_batch_job(simulator, registry, tmp_path)
    other = "login2:4242:cafe"
    # The TUI polls a profile's running jobs together, under the profile's list lease.
    assert registry.acquire_list_lease(job.profile, other, 600)
    app = BatchtuiApp(
        config=config_for(simulator, tmp_path), registry=registry, refresh_seconds=0.1
    )
    async with app.run_test() as pilot:
        await pilot.pause(2.5)  # the job's poll interval is 1 s: two or three polls due
        assert counting.retrieves == 0
        # What the lease holder writes shows up here through the registry re-read.
        registry.update_job(
            job.id,
            raw_status="in_progress",
            request_counts={"total": 1, "completed": 1, "failed": 0},
        )
        deadline = time.monotonic() + 5
        while app.get_job(job.id).request_counts.completed != 1:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the other TUI's update never showed"
            await pilot.pause(0.1)

        # The holder quits (releases): this TUI takes over at its next poll.
        registry.release_poll_leases(other)
        deadline = time.monotonic() + 5
        while counting.retrieves == 0:
            assert time.monotonic() < deadline, "nobody took the lease over"
            await pilot.pause(0.1)
        assert registry.list_lease_holder(job.profile) == app.lease_holder
        await app.action_quit()
    assert registry.list_lease_holder(job.profile) is None  # quitting gave the lease up
    registry.close()
