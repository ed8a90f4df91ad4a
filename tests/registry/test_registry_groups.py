"""Job groups in the registry: the v4 migration, all-or-nothing inserts, lookups."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from batchtui.core.errors import JobNotFound, RegistryError, UsageError
from batchtui.core.models import Job, JobGroup
from batchtui.core.registry import Registry, codec, schema

from .conftest import FakeClock, MakeJob


def make_group(registry: Registry, clock: FakeClock, make_job: MakeJob, count: int = 3):
    group = JobGroup(
        id=registry.new_group_id(),
        name="big.jsonl",
        profile="openai",
        input_path=Path("/data/big.jsonl"),
        input_lines=120_000,
        estimated_input_tokens=1_800_000,
        shard_count=count,
        created_at=clock(),
    )
    shards = [
        make_job(name=f"big.jsonl [{n}/{count}]", group_id=group.id, shard_index=n)
        for n in range(1, count + 1)
    ]
    return group, shards


def test_a_group_and_its_shards_are_stored_and_found(
    registry: Registry, clock: FakeClock, make_job: MakeJob
) -> None:
    group, shards = make_group(registry, clock, make_job)
    registry.add_group(group, shards, note="recorded before upload")

    assert group.id.startswith("bg-")
    assert registry.get_group(group.id) == group
    assert registry.find_group(group.id.upper()) == group
    assert registry.find_group(group.id.removeprefix("bg-")[:4]) == group
    assert registry.list_groups() == [group]
    assert registry.group_jobs(group.id) == shards
    assert [change.note for change in registry.history(shards[1].id)] == ["recorded before upload"]
    assert registry.find_job(shards[0].id).group_id == group.id


def test_a_group_is_recorded_whole_or_not_at_all(
    registry: Registry, clock: FakeClock, make_job: MakeJob
) -> None:
    group, shards = make_group(registry, clock, make_job)
    registry.add_job(shards[2])  # the third shard's id is taken: the insert must fail whole
    version = registry.data_version()

    with pytest.raises(RegistryError, match=shards[2].id):
        registry.add_group(group, shards)

    assert registry.list_groups() == []
    assert [job.id for job in registry.list_jobs()] == [shards[2].id]
    assert registry.data_version() == version
    with pytest.raises(ValueError, match="not shard 1"):
        registry.add_group(group, [shards[1], shards[0], shards[2]])


def test_unknown_and_ambiguous_group_references(
    registry: Registry, clock: FakeClock, make_job: MakeJob
) -> None:
    with pytest.raises(JobNotFound, match="no job group matches 'bg-nope'"):
        registry.find_group("bg-nope")
    for _ in range(2):
        group, shards = make_group(registry, clock, make_job, count=1)
        registry.add_group(group, shards)
    with pytest.raises(UsageError, match="ambiguous"):
        registry.find_group("bg-")


def test_a_v3_registry_is_migrated_to_v4_keeping_its_jobs(registry_path: Path) -> None:
    registry_path.parent.mkdir(parents=True)
    job = Job(
        id="bt-v3v3v3",
        name="from v3",
        profile="openai",
        kind="openai",
        tag=str(uuid.uuid4()),
        estimated_input_tokens=1234,
    )
    conn = sqlite3.connect(registry_path, isolation_level=None)
    try:
        schema.apply_migrations(conn, registry_path, target=3)
        row = zip(codec.JOB_COLUMNS, codec.job_to_row(job), strict=True)
        later = (  # v4 and after
            "group_id",
            "shard_index",
            "parent_id",
            "result_usage",
            "archived_at",
            "requests_known",
        )
        v3 = [(name, value) for name, value in row if name not in later]
        conn.execute(
            f"INSERT INTO jobs ({', '.join(name for name, _ in v3)}) "
            f"VALUES ({', '.join('?' for _ in v3)})",
            [value for _, value in v3],
        )
    finally:
        conn.close()

    with Registry(registry_path) as registry:
        assert registry.get_job(job.id) == job
        assert registry.get_job(job.id).group_id is None
        assert registry.list_groups() == []

    conn = sqlite3.connect(registry_path)
    try:
        assert schema.read_version(conn) == schema.SCHEMA_VERSION >= 4
        indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        assert {"groups", "jobs_group"} <= indexes
    finally:
        conn.close()
