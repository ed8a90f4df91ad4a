"""Schema v5: retry jobs point at their parent; counted usage is saved on the job."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from batchtui.core.models import Job
from batchtui.core.registry import Registry, codec, schema


def make_job(name: str, **fields: object) -> Job:
    tag = str(uuid.uuid4())
    return Job(id=f"bt-{name}", name=name, profile="p", kind="openai", tag=tag, **fields)


def test_a_v4_registry_gains_parent_and_usage_keeping_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite3"
    old = make_job("old1", group_id=None)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        schema.apply_migrations(conn, path, target=4)
        values = dict(zip(codec.JOB_COLUMNS, codec.job_to_row(old), strict=True))
        # Only the columns a v4 file has (later migrations add more).
        v4_columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        v4 = {name: value for name, value in values.items() if name in v4_columns}
        conn.execute(
            f"INSERT INTO jobs ({', '.join(v4)}) VALUES ({', '.join('?' for _ in v4)})",
            list(v4.values()),
        )
    finally:
        conn.close()

    with Registry(path) as registry:
        assert registry.get_job(old.id) == old
        assert old.parent_id is None and old.result_usage is None
        child = make_job("kid1", parent_id=old.id, result_usage={"prompt_tokens": 5, "files": {}})
        registry.add_job(child)
        later = make_job("kid2", parent_id=old.id)
        registry.add_job(later)
        assert [job.id for job in registry.child_jobs(old.id)] == ["bt-kid1", "bt-kid2"]
        assert registry.get_job("bt-kid1").result_usage == {"prompt_tokens": 5, "files": {}}
        registry.update_job(old.id, result_usage={"prompt_tokens": 1})
        assert registry.get_job(old.id).result_usage == {"prompt_tokens": 1}
        assert registry.child_jobs("bt-kid1") == []

    conn = sqlite3.connect(path)
    try:
        assert schema.read_version(conn) >= 5
        columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        assert {"parent_id", "result_usage"} <= columns
        indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        assert "jobs_parent" in indexes
    finally:
        conn.close()
