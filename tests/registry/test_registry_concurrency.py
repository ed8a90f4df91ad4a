"""Several processes on one registry file: nothing lost, changes seen by everyone."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest

from batchtui.core.errors import RegistryError
from batchtui.core.models import Job, RemoteBatch
from batchtui.core.registry import Registry, database
from batchtui.core.status import JobStatus

from .conftest import MakeJob

# fork: the children need nothing re-imported, which keeps the test short.
CONTEXT = multiprocessing.get_context("fork")
WORKERS = 3
HAMMER_SECONDS = 1.5
# Each worker goes on past HAMMER_SECONDS until it has done this many rounds: on a loaded
# machine one writer can wait out several lock rounds, and the test must still interleave.
MIN_ROUNDS = 5
MAX_SECONDS = 60


def new_job(registry: Registry, name: str) -> Job:
    return Job(
        id=registry.new_job_id(), name=name, profile="p", kind="openai", tag=str(uuid.uuid4())
    )


def hammer(path: Path, worker: int, shared_id: str, results: multiprocessing.Queue) -> None:
    """Interleave read-modify-writes on a shared job and an own job, and adds."""
    with Registry(path) as registry:
        own = registry.add_job(new_job(registry, f"own {worker}"))
        added: list[str] = []
        rounds = 0
        started = time.monotonic()
        while (
            time.monotonic() - started < HAMMER_SECONDS or rounds < MIN_ROUNDS
        ) and time.monotonic() - started < MAX_SECONDS:
            rounds += 1
            mark = f"w{worker}-{rounds}"
            # apply_remote merges metadata key by key: a lost update would drop a key.
            registry.apply_remote(
                shared_id,
                RemoteBatch(
                    id="batch_shared",
                    status=JobStatus.IN_PROGRESS,
                    raw_status="in_progress",
                    metadata={mark: "seen"},
                ),
            )
            registry.update_job(shared_id, note=mark)
            registry.update_job(own.id, input_lines=rounds, note=mark)
            if rounds % 4 == 0:
                added.append(registry.add_job(new_job(registry, mark)).id)
        results.put((worker, rounds, own.id, added))


def test_concurrent_writers_lose_nothing(registry: Registry, registry_path: Path) -> None:
    shared = registry.add_job(new_job(registry, "shared"))
    results = CONTEXT.Queue()
    processes = [
        CONTEXT.Process(target=hammer, args=(registry_path, worker, shared.id, results))
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    shared_now = registry.get_job(shared.id)
    shared_notes = {row.note for row in registry.history(shared.id)}
    all_ids = {job.id for job in registry.list_jobs()}
    expected_jobs = 1
    for worker, rounds, own_id, added in reports:
        assert rounds >= MIN_ROUNDS, f"worker {worker} only managed {rounds} rounds"
        marks = {f"w{worker}-{n}" for n in range(1, rounds + 1)}
        assert marks <= set(shared_now.metadata)
        assert marks <= shared_notes
        own = registry.get_job(own_id)
        assert own.input_lines == rounds
        assert {row.note for row in registry.history(own_id)} >= marks
        assert set(added) <= all_ids
        expected_jobs += 1 + len(added)
    assert len(all_ids) == expected_jobs


def bump(path: Path, job_id: str) -> None:
    with Registry(path) as registry:
        registry.update_job(job_id, name="changed by another process")


def test_data_version_sees_another_process_write(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    before = registry.data_version()
    registry.get_job(job.id)
    registry.list_jobs()
    assert registry.data_version() == before

    process = CONTEXT.Process(target=bump, args=(registry.path, job.id))
    process.start()
    process.join(timeout=30)
    assert process.exitcode == 0

    after = registry.data_version()
    assert after != before
    assert registry.get_job(job.id).name == "changed by another process"


def test_data_version_sees_own_and_other_connection_writes(
    registry: Registry, registry_path: Path, make_job: MakeJob
) -> None:
    versions = [registry.data_version()]
    job = registry.add_job(make_job())
    versions.append(registry.data_version())
    with Registry(registry_path) as other:
        other.update_job(job.id, last_error="seen elsewhere")
        assert other.data_version() == registry.data_version()
    versions.append(registry.data_version())
    registry.delete_job(job.id)
    versions.append(registry.data_version())
    assert len(set(versions)) == len(versions)


def test_registry_can_be_shared_by_threads(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    errors: list[BaseException] = []

    def note_many(thread: int) -> None:
        try:
            for n in range(20):
                registry.update_job(job.id, note=f"t{thread}-{n}")
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=note_many, args=(thread,)) for thread in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(registry.history(job.id)) == 1 + 3 * 20


def test_a_held_lock_is_waited_for_then_reported(
    registry_path: Path, make_job: MakeJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 0.05)
    monkeypatch.setattr(database, "LOCKED_ATTEMPTS", 3)
    holder = sqlite3.connect(registry_path, isolation_level=None, check_same_thread=False)
    with Registry(registry_path) as impatient:
        job = impatient.add_job(make_job())

        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(RegistryError, match="still locked") as caught:
            impatient.update_job(job.id, name="blocked")
        assert str(registry_path) in str(caught.value)
        assert "\n" not in str(caught.value)

        # Released after one busy timeout has already run out: the retry gets through.
        monkeypatch.setattr(database, "LOCKED_ATTEMPTS", 20)
        release = threading.Timer(0.12, holder.execute, args=("ROLLBACK",))
        release.start()
        updated = impatient.update_job(job.id, name="got through")
        release.join()
        assert updated.name == "got through"
        assert impatient.get_job(job.id).name == "got through"
    holder.close()
