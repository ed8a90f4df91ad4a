"""rename, forget and archive through the CLI; forget is all-or-nothing under kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.models import Job
from batchtui.core.registry import Registry, codec
from batchtui.core.status import JobStatus
from helpers.cli import BATCHTUI, CLI


def _registry() -> Registry:
    return Registry(Path(os.environ["BATCHTUI_DATA_DIR"]) / "registry.sqlite3")


def _add(registry: Registry, job_id: str, status: JobStatus, days_old: float) -> None:
    created = datetime.now(UTC) - timedelta(days=days_old)
    registry.add_job(
        Job(
            id=job_id,
            name=job_id,
            profile="p",
            kind="openai",
            tag=job_id,
            status=status,
            created_at=created,
            updated_at=created,
        )
    )


def test_forget_older_than_removes_only_old_ended_jobs(cli: CLI) -> None:
    with _registry() as registry:
        _add(registry, "bt-old001", JobStatus.COMPLETED, 100)
        _add(registry, "bt-old002", JobStatus.FAILED, 100)
        _add(registry, "bt-old003", JobStatus.IN_PROGRESS, 100)  # still running: kept
        _add(registry, "bt-new001", JobStatus.COMPLETED, 1)
    refused = cli("forget", "--older-than", "90d", "--status", "completed")
    assert refused.code == 2 and "--yes" in refused.one_error_line()  # no terminal to ask

    done = cli("forget", "--older-than", "90d", "--status", "completed", "--yes", "--json")
    assert done.code == 0 and done.json()["jobs"] == ["bt-old001"]
    left = {job["id"] for job in cli("jobs", "--json").json()}
    assert left == {"bt-old002", "bt-old003", "bt-new001"}

    running = cli("forget", "bt-old003", "--yes")
    assert running.code == 2 and "still running" in running.one_error_line()


def test_rename_and_archive(cli: CLI) -> None:
    with _registry() as registry:
        _add(registry, "bt-arc001", JobStatus.COMPLETED, 40)
        _add(registry, "bt-arc002", JobStatus.COMPLETED, 1)
    assert cli("rename", "bt-arc002", "final run", "--json").json()["name"] == "final run"
    assert cli("status", "final run", "--json").json()["id"] == "bt-arc002"

    assert cli("archive", "--older-than", "30d", "--json").json()["jobs"] == ["bt-arc001"]
    assert [job["id"] for job in cli("jobs", "--json").json()] == ["bt-arc002"]
    assert {job["id"] for job in cli("jobs", "--all", "--json").json()} == {
        "bt-arc001",
        "bt-arc002",
    }
    assert cli("archive", "bt-arc001", "--undo").code == 0
    assert len(cli("jobs", "--json").json()) == 2


def test_forget_is_all_or_nothing_under_kill_9(cli: CLI) -> None:
    """A forget of many jobs killed at any moment leaves every job or none."""
    total = 20_000
    with _registry() as registry:
        _add(registry, "bt-k00000", JobStatus.COMPLETED, 200)  # creates and migrates the file
        template = registry.get_job("bt-k00000")
    rows = [
        codec.job_to_row(template.model_copy(update={"id": f"bt-k{n:05d}", "tag": str(n)}))
        for n in range(1, total)
    ]
    marks = ", ".join("?" for _ in codec.JOB_COLUMNS)
    with sqlite3.connect(Path(os.environ["BATCHTUI_DATA_DIR"]) / "registry.sqlite3") as conn:
        conn.executemany(
            f"INSERT INTO jobs ({', '.join(codec.JOB_COLUMNS)}) VALUES ({marks})", rows
        )
    outcomes = set()
    for delay in (0.05, 0.15, 0.3, 0.6):
        process = subprocess.Popen(
            [str(BATCHTUI), "forget", "--older-than", "90d", "--yes"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        with _registry() as registry:
            left = len(registry.list_jobs())
        assert left in (0, total), left
        outcomes.add(left)
        if left == 0:
            break
    assert cli("forget", "--older-than", "90d", "--yes").code == 0
    with _registry() as registry:
        assert registry.list_jobs() == []
