"""The job list's first page read with the standard library alone, for the TUI's first screen:
the same rows, order, counts and cells as the registry's own page; None (the screen says
it is loading) whenever the file cannot be read at once and in full."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.jobs.list_cells import columns_for_width, row_cells
from batchtui.core.jobs.listing import PageRequest
from batchtui.core.jobview import PollHealth
from batchtui.core.models import Job, JobGroup, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.registry.first_page import configured_columns, read_first_page
from batchtui.core.registry.pages import JobPage
from batchtui.core.registry.schema import SCHEMA_VERSION
from batchtui.core.status import JobStatus

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
STATUSES = (
    JobStatus.COMPLETED,
    JobStatus.IN_PROGRESS,
    JobStatus.FAILED,
    JobStatus.PENDING,
    JobStatus.CANCELLED,
)


def listed_jobs(count: int) -> list[Job]:
    """Jobs of every kind a row shows: statuses, unknown counts, failures, odd names."""
    jobs = []
    for n in range(count):
        status = STATUSES[n % len(STATUSES)]
        moment = NOW - timedelta(hours=count - n)
        jobs.append(
            Job(
                id=f"bt-f{n:04d}",
                name=f"first-page-{n}" if n % 7 else f"a\x1b[31m very long name {n}\n",
                profile="bench" if n % 3 else "a-profile-with-a-long-name",
                kind="openai",
                tag=f"tag-{n}",
                status=status,
                remote_id=f"batch_{n}",
                model="publishers/google/models/gemini-2.5-flash" if n % 2 else None,
                request_counts=(
                    RequestCounts.unknown()
                    if n % 11 == 5
                    else RequestCounts(total=100, completed=n % 100, failed=n % 4)
                ),
                timestamps={
                    "created_at": moment,
                    "in_progress_at": moment + timedelta(minutes=5),
                    **({"completed_at": moment + timedelta(minutes=50)} if n % 5 == 0 else {}),
                },
                last_error="refresh: no answer" if n % 13 == 1 else None,
                created_at=moment,
                updated_at=moment + timedelta(minutes=1),
                archived_at=NOW if n % 17 == 3 else None,
            )
        )
    return jobs


def default_page(path: Path, limit: int) -> JobPage:
    """The page the job list asks for first, read by the registry itself."""
    request = PageRequest(limit=limit)
    with Registry(path) as registry:
        return registry.job_page(
            request.job_filter, request.order, request.scope, offset=0, limit=limit
        )


def registry_with(path: Path, jobs: list[Job]) -> Path:
    with Registry(path) as registry:
        registry.add_jobs(jobs)
    return path


def test_the_first_page_is_the_registrys_own_first_page(tmp_path: Path) -> None:
    path = registry_with(tmp_path / "registry.sqlite3", listed_jobs(60))
    expected = default_page(path, 25)
    page = read_first_page(path, limit=25)
    assert page is not None
    assert [row.id for row in page.rows] == [row.id for row in expected.rows]
    assert page.counts == expected.counts and page.total == expected.total
    assert len(page.rows) == 25 and page.total < 60  # archived jobs are left out


def test_each_cell_reads_as_the_job_tables(tmp_path: Path) -> None:
    path = registry_with(tmp_path / "registry.sqlite3", listed_jobs(40))
    expected = default_page(path, 40).rows
    page = read_first_page(path, limit=40)
    assert page is not None
    health = PollHealth(last_ok=NOW - timedelta(minutes=1))
    for listed, job in zip(page.rows, expected, strict=True):
        for ascii_only in (False, True):
            for poll in (None, health):
                assert row_cells(listed, NOW, ascii_only=ascii_only, poll=poll) == row_cells(
                    job, NOW, ascii_only=ascii_only, poll=poll
                ), job.id


def test_at_80_columns_a_row_shows_id_status_name_and_progress() -> None:
    assert columns_for_width(80) == ["mark", "name", "id", "status", "progress"]


def test_a_missing_file_is_no_page(tmp_path: Path) -> None:
    assert read_first_page(tmp_path / "registry.sqlite3", limit=20) is None
    assert not (tmp_path / "registry.sqlite3").exists()  # read-only: nothing created


def test_a_locked_file_is_no_page_until_the_lock_is_gone(tmp_path: Path) -> None:
    path = registry_with(tmp_path / "registry.sqlite3", listed_jobs(5))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        assert read_first_page(path, limit=20) is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert read_first_page(path, limit=20) is not None


def test_a_newer_or_older_schema_is_no_page(tmp_path: Path) -> None:
    path = registry_with(tmp_path / "registry.sqlite3", listed_jobs(5))
    for version in (SCHEMA_VERSION + 1, SCHEMA_VERSION - 1):
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {version}")
        assert read_first_page(path, limit=20) is None


def test_another_programs_database_or_garbage_is_no_page(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE jobs (id TEXT)")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    assert read_first_page(other, limit=20) is None
    assert read_first_page(garbage, limit=20) is None


def add_group(path: Path, group_id: str, created_at: datetime, statuses: list[JobStatus]) -> None:
    """A split file: one group, a shard per status (some counted, some not yet)."""
    group = JobGroup(
        id=group_id, name=f"split {group_id}", profile="bench", shard_count=len(statuses),
        created_at=created_at,
    )  # fmt: skip
    shards = [
        Job(
            id=f"{group_id}-{index}",
            name=f"split shard {index}",
            profile="bench",
            kind="openai",
            tag=f"{group_id}-{index}",
            status=status,
            model="gpt-4o-mini" if index else "publishers/google/models/gemini-2.5-flash",
            input_lines=100,
            request_counts=RequestCounts(total=100 * (index % 2), completed=index * 7),
            timestamps={
                "created_at": created_at + timedelta(minutes=index),
                "in_progress_at": created_at + timedelta(minutes=index + 1),
                **({"failed_at": created_at + timedelta(hours=1)} if status.is_terminal else {}),
            },
            last_error="refresh: no answer" if index == 2 else None,
            group_id=group_id,
            shard_index=index + 1,
            created_at=created_at,
            updated_at=created_at + timedelta(minutes=10 * index),
        )
        for index, status in enumerate(statuses)
    ]
    with Registry(path) as registry:
        registry.add_group(group, shards)


def test_a_groups_row_sums_its_shards_as_the_job_list_does(tmp_path: Path) -> None:
    path = registry_with(tmp_path / "registry.sqlite3", listed_jobs(12))
    running = [JobStatus.COMPLETED, JobStatus.IN_PROGRESS, JobStatus.FAILED]
    add_group(path, "bg-running", NOW - timedelta(hours=3, minutes=30), running)
    add_group(path, "bg-ended", NOW - timedelta(hours=8, minutes=30), [JobStatus.FAILED] * 2)
    expected = default_page(path, 20)
    page = read_first_page(path, limit=20)
    assert page is not None and page.groups == {"bg-running", "bg-ended"}
    assert [row.id for row in page.rows] == [row.id for row in expected.rows]
    assert page.counts == expected.counts
    for listed, job in zip(page.rows, expected.rows, strict=True):
        assert row_cells(listed, NOW) == row_cells(job, NOW), job.id


def test_ui_columns_are_read_from_the_toml_alone(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert configured_columns(config) is None
    config.write_text('[ui]\ncolumns = ["name", "progress"]\n')
    assert configured_columns(config) == frozenset({"name", "progress"})
    config.write_text('[ui]\ncolumns = ["name", "bogus"]\n')
    assert configured_columns(config) is None  # the config refuses it: every column
    config.write_text("[ui\n")
    assert configured_columns(config) is None


PROBE = """
import json, sys
from pathlib import Path
import batchtui.tui.screens.start
from batchtui.core.registry.pages import JobPage
from batchtui.core.registry.first_page import configured_columns, read_first_page
page = read_first_page(Path(sys.argv[1]), limit=20)
configured_columns(Path(sys.argv[2]))
print(json.dumps({"rows": len(page.rows), "modules": sorted(sys.modules)}))
"""
HEAVY = ("pydantic", "pydantic_core", "httpx", "batchtui.core.config", "batchtui.core.models")


def test_the_first_screen_and_its_read_import_nothing_heavy(tmp_path: Path) -> None:
    path = registry_with(tmp_path / "registry.sqlite3", listed_jobs(30))
    config = tmp_path / "config.toml"
    config.write_text('[profiles.bench]\nkind = "openai"\n[ui]\ncolumns = ["name"]\n')
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    assert found["rows"] == 20
    assert [name for name in HEAVY if name in found["modules"]] == []
