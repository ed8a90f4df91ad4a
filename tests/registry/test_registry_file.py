"""The registry file: where it lives, its permissions, its schema versions, damaged files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtui.core.errors import RegistryError
from batchtui.core.models import Job
from batchtui.core.registry import Registry, codec, schema
from batchtui.core.status import JobStatus

from .conftest import MakeJob


@contextlib.contextmanager
def raw_connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection in autocommit mode, as an old or foreign program would use."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def assert_one_line_naming(error: pytest.ExceptionInfo[RegistryError], path: Path) -> None:
    message = str(error.value)
    assert str(path) in message
    assert "\n" not in message


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_new_registry_is_private(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "deep" / "data" / "registry.sqlite3"
    with Registry(path):
        pass
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_open_default_uses_batchtui_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    monkeypatch.setenv("BATCHTUI_DATA_DIR", str(tmp_path / "shared"))
    with Registry.open_default() as registry:
        assert registry.path == tmp_path / "shared" / "registry.sqlite3"
    assert (tmp_path / "shared" / "registry.sqlite3").is_file()
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o700


def test_journal_mode_is_rollback_not_wal(registry: Registry, registry_path: Path) -> None:
    with raw_connection(registry_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_non_sqlite_file_is_a_one_line_error(registry_path: Path) -> None:
    registry_path.parent.mkdir(parents=True)
    original = b"this is my shopping list, not a database\n" * 50
    registry_path.write_bytes(original)
    with pytest.raises(RegistryError, match="not an SQLite database") as caught:
        Registry(registry_path)
    assert_one_line_naming(caught, registry_path)
    assert registry_path.read_bytes() == original


def test_a_damaged_registry_is_a_one_line_error(registry_path: Path, make_job: MakeJob) -> None:
    with Registry(registry_path) as registry:
        for _ in range(50):
            registry.add_job(make_job(metadata={"padding": "x" * 500}))
    data = bytearray(registry_path.read_bytes())
    page_size = 4096
    data[page_size : 4 * page_size] = b"\xde\xad\xbe\xef" * (3 * page_size // 4)
    registry_path.write_bytes(bytes(data))

    with pytest.raises(RegistryError) as caught, Registry(registry_path) as registry:
        registry.list_jobs()
    assert_one_line_naming(caught, registry_path)


def test_another_programs_database_is_refused(registry_path: Path) -> None:
    registry_path.parent.mkdir(parents=True)
    with raw_connection(registry_path) as conn:
        conn.execute("CREATE TABLE jobs (name TEXT)")
        conn.execute("INSERT INTO jobs VALUES ('payroll')")
    with pytest.raises(RegistryError, match="not a batchtui registry") as caught:
        Registry(registry_path)
    assert_one_line_naming(caught, registry_path)
    with raw_connection(registry_path) as conn:
        assert conn.execute("SELECT name FROM jobs").fetchall() == [("payroll",)]


def test_a_registry_from_a_newer_batchtui_is_refused_untouched(
    registry: Registry, registry_path: Path, make_job: MakeJob
) -> None:
    registry.add_job(make_job())
    registry.close()
    newer = schema.SCHEMA_VERSION + 1
    with raw_connection(registry_path) as conn:
        conn.execute(f"PRAGMA user_version = {newer}")
    before = registry_path.read_bytes()

    with pytest.raises(RegistryError, match="newer batchtui") as caught:
        Registry(registry_path)

    assert_one_line_naming(caught, registry_path)
    assert f"v{newer}" in str(caught.value)
    assert registry_path.read_bytes() == before


def test_an_old_registry_is_migrated_keeping_its_data(registry_path: Path) -> None:
    registry_path.parent.mkdir(parents=True)
    job = Job(
        id="bt-0ld0ld",
        name="from v1",
        profile="openai",
        kind="openai",
        tag=str(uuid.uuid4()),
        status=JobStatus.IN_PROGRESS,
        raw_status="in_progress",
        remote_id="batch_old",
        input_path=Path("/home/ada/old.jsonl"),
    )
    with raw_connection(registry_path) as conn:
        schema.apply_migrations(conn, registry_path, target=1)
        assert schema.read_version(conn) == 1
        assert "meta" not in {
            name for (name,) in conn.execute("SELECT name FROM sqlite_master").fetchall()
        }
        # Only the columns v1 had (later migrations add columns).
        row = zip(codec.JOB_COLUMNS, codec.job_to_row(job), strict=True)
        later = {
            "estimated_input_tokens",
            "group_id",
            "shard_index",
            "parent_id",
            "result_usage",
            "archived_at",
            "requests_known",
        }
        v1 = [(name, value) for name, value in row if name not in later]
        columns = ", ".join(name for name, _ in v1)
        placeholders = ", ".join("?" for _ in v1)
        conn.execute(
            f"INSERT INTO jobs ({columns}) VALUES ({placeholders})", [value for _, value in v1]
        )
        conn.execute(
            "INSERT INTO status_history (job_id, at, status, raw_status, note) "
            "VALUES (?, '2025-01-01T00:00:00.000000+00:00', 'in_progress', 'in_progress', 'v1')",
            (job.id,),
        )

    with Registry(registry_path) as registry:
        assert registry.get_job(job.id) == job
        assert registry.find_job("batch_old") == job
        [row] = registry.history(job.id)
        assert row.note == "v1"
        assert row.request_counts is None
        version = registry.data_version()
        registry.update_job(job.id, name="renamed")
        assert registry.data_version() != version

    with raw_connection(registry_path) as conn:
        assert schema.read_version(conn) == schema.SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID


def test_opening_twice_migrates_once(registry_path: Path) -> None:
    with Registry(registry_path) as first:
        version = first.data_version()
    with Registry(registry_path) as second:
        assert second.data_version() == version
