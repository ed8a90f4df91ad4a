"""`kill -9` of `batchtui submit` for a slurm profile, then the next command: the job is found
again by its tag (the job folder's record, or the SLURM job's comment), never sent twice."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batchtui.core.config import load_config
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.kinds import make_provider
from batchtui.core.providers.slurm.folder import IDS_DIR, JOBS_DIR, all_folders
from batchtui.core.registry import Registry
from cluster.bed import Bed, chat_lines, terminal
from helpers.cli import run_batchtui

pytestmark = [pytest.mark.xdist_group("cluster"), pytest.mark.slow]


# The real `batchtui` held still at one step of its job service (through the service's
# hooks seam, as the reliability suite does), so the test can kill -9 it there.
PAUSED_CLI = Path(__file__).resolve().parent.parent / "reliability" / "paused_cli.py"


def _spawn_submit(bed: Bed, source: Path, profile: str, step: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(PAUSED_CLI), step, "submit", str(source), "--profile", profile],
        cwd=bed.home,
        env=bed.cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(process: subprocess.Popen[str]) -> None:
    assert process.poll() is None, process.communicate()
    process.kill()
    process.communicate(timeout=10)


def _squeue_ids(bed: Bed) -> list[str]:
    """The queued jobs of this test (their working dir is under its work dir)."""
    out = bed.cluster.run("squeue", "-h", "-o", "%i|%Z").stdout
    rows = [line.split("|", 1) for line in out.splitlines() if "|" in line]
    return [job_id for job_id, work_dir in rows if work_dir.startswith(str(bed.work_dir))]


def test_a_submit_killed_after_sbatch_is_adopted_by_the_next_command(
    bed: Bed, tmp_path: Path
) -> None:
    # The job fails at once (no vLLM on PATH): what matters is that it is found, once.
    profile = bed.add_profile("cluster", "--setup", "no-such-command-here")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(3))
    process = _spawn_submit(bed, source, profile, "after-create")
    deadline = time.monotonic() + 60
    while not any(f.read_record().get("job_id") for f in all_folders(bed.work_dir)):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.1)
    _kill(process)
    with Registry.open_default() as registry:
        [job] = registry.list_jobs()
    assert job.remote_id is None  # killed before it recorded the SLURM job

    watched = bed.cli("watch", "--interval", "0.5", timeout=180)

    # 1: it watched the job fail; 0: the job had failed before the watch began (settled
    # on start, nothing left to watch). Either way the job was adopted, not sent again.
    assert watched.code in (0, 1), watched.stderr
    [folder] = all_folders(bed.work_dir)
    with Registry.open_default() as registry:
        [job] = registry.list_jobs()
        notes = [change.note or "" for change in registry.history(job.id)]
    assert job.remote_id == str(folder.read_record()["job_id"])
    assert job.status == "failed"
    assert "adopted by tag (reconcile)" in notes


def test_a_job_whose_id_never_reached_its_folder_is_found_by_its_comment(
    bed: Bed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_CONF", str(bed.cluster.conf))
    bed.add_profile("cluster", "--setup", "sleep 600")
    profile = load_config().profile("cluster")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(2))
    tag = "5d1c7a52-4d0e-4a57-9b0e-0e2f3c4d5e6f"

    async def submit_then_lose_the_id() -> tuple[str, str | None]:
        async with make_provider(profile) as provider:
            uploaded = await provider.upload(source)
            spec = BatchSpec(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                metadata={TAG_METADATA_KEY: tag},
            )
            created = await provider.create(spec)
        # What a crash between sbatch and writing the id leaves: a record without it.
        [folder] = all_folders(bed.work_dir)
        record = folder.read_record()
        record["job_id"] = None
        folder.write_record(record)
        (bed.work_dir / JOBS_DIR / IDS_DIR / created.id).unlink()
        async with make_provider(profile) as provider:
            found = await provider.find_by_tag(tag)
            missing = await provider.find_by_tag("no-such-tag")
        assert missing is None
        return created.id, found.id if found else None

    created, found = asyncio.run(submit_then_lose_the_id())
    assert found == created
    assert _squeue_ids(bed) == [created]  # adopted, not submitted again
    [folder] = all_folders(bed.work_dir)
    assert str(folder.read_record()["job_id"]) == created
    bed.cluster.run("scancel", created)
    assert json.loads(folder.record_path.read_text())["tag"] == tag


def test_a_submit_killed_after_the_upload_submits_nothing_and_is_settled_later(
    bed: Bed, tmp_path: Path
) -> None:
    profile = bed.add_profile("cluster", "--setup", "sleep 600")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(3))
    process = _spawn_submit(bed, source, profile, "after-upload")
    deadline = time.monotonic() + 60

    def uploaded() -> bool:
        with Registry.open_default() as registry:
            jobs = registry.list_jobs()
        return bool(jobs and jobs[0].input_file_id)

    while not uploaded():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.1)
    _kill(process)
    with Registry.open_default() as registry:
        [job] = registry.list_jobs()
    then = datetime.now(UTC) - timedelta(minutes=10)  # the next start, much later
    with Registry(Registry.open_default().path, clock=lambda: then) as past:
        past.update_job(job.id)

    watched = bed.cli("watch", "--interval", "0.5", timeout=120)

    assert watched.code == 0, watched.stderr
    with Registry.open_default() as registry:
        settled = registry.get_job(job.id)
    assert settled.status == "not_submitted"
    assert _squeue_ids(bed) == []  # nothing reached SLURM
    assert Path(job.input_file_id or "").is_file()  # the copy in its folder, left for the user


def test_profile_test_asks_the_controller_and_names_a_missing_command(bed: Bed) -> None:
    profile = bed.add_profile("cluster")
    assert bed.cli("profile", "test", profile).code == 0

    env = {**bed.cluster.env, "PATH": str(Path(os.__file__).parent)}  # no SLURM commands
    failed = run_batchtui(("profile", "test", profile), cwd=bed.home, env=env, timeout=60)

    assert failed.code == 1
    assert "`squeue` is not on PATH" in failed.one_error_line()


def test_a_job_that_ran_and_left_the_queue_before_its_id_was_written_is_found(
    bed: Bed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_CONF", str(bed.cluster.conf))
    bed.add_profile("cluster", "--setup", "no-such-command-here")  # ends at once
    profile = load_config().profile("cluster")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(2))
    tag = "0c9a3f1e-7b2d-4c5e-8f60-1a2b3c4d5e6f"

    async def run() -> tuple[str, str | None, str | None]:
        async with make_provider(profile) as provider:
            uploaded = await provider.upload(source)
            spec = BatchSpec(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                metadata={TAG_METADATA_KEY: tag},
            )
            created = await provider.create(spec)
        [folder] = all_folders(bed.work_dir)
        record = folder.read_record()
        record["job_id"] = None
        folder.write_record(record)
        (bed.work_dir / JOBS_DIR / IDS_DIR / created.id).unlink()
        deadline = time.monotonic() + 120
        while _squeue_ids(bed):
            assert time.monotonic() < deadline, "the job never left the queue"
            await asyncio.sleep(0.5)
        async with make_provider(profile) as provider:
            found = await provider.find_by_tag(tag)
        return created.id, found.id if found else None, found.status if found else None

    created, found, status = asyncio.run(run())

    assert found == created
    assert status == "failed"  # vLLM was never found: exit code 127, from its end record


def test_a_job_that_completed_without_answering_waits_for_its_files_then_fails(
    bed: Bed, tmp_path: Path
) -> None:
    # The setup line ends the script with exit code 0 before vLLM ran: SLURM says COMPLETED.
    profile = bed.add_profile("cluster", "--setup", "exit 0")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(2))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")["id"]

    ended = bed.wait(job, lambda s: s["status"] not in {"pending", "in_progress"}, deadline=120)
    assert ended["status"] == "finalizing", ended  # its answers may still be on their way
    assert ended["raw_status"] == "COMPLETED (answers not seen yet)"

    final = bed.wait(job, terminal, deadline=120)
    assert final["status"] == "failed", final
    assert "completed but answered 0 of 2 requests" in final["errors"][0]["message"]
