"""How a job that has left the queue is judged: by accounting (sacct) when the cluster has
it, else by the end record its script writes; with neither it failed, never completed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster.bed import Bed, chat_lines, terminal
from realparts.slurm import SlurmCluster, start_cluster

pytestmark = [pytest.mark.xdist_group("cluster"), pytest.mark.slow]

# SLURM forgets a finished job MinJobAge seconds after it ends, at its next purge pass.
PURGE_DEADLINE = 240.0


def _forgotten(cluster: SlurmCluster, job_id: str) -> None:
    end = time.monotonic() + PURGE_DEADLINE
    while cluster.run("scontrol", "show", "job", job_id, check=False).returncode == 0:
        assert time.monotonic() < end, f"SLURM still knows job {job_id}"
        time.sleep(2)


def _bed(cluster: SlurmCluster, tmp_path: Path) -> Bed:
    work_dir = cluster.root / "work" / tmp_path.name
    work_dir.mkdir(parents=True)
    return Bed(cluster=cluster, work_dir=work_dir, home=tmp_path)


@pytest.fixture(scope="module")
def forgetful_cluster() -> Iterator[SlurmCluster]:
    running = start_cluster(min_job_age=2)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def accounting_cluster() -> Iterator[SlurmCluster]:
    running = start_cluster(min_job_age=2, accounting=True)
    yield running
    running.stop()


def test_a_job_killed_outside_batchtui_and_forgotten_is_failed_without_a_record(
    forgetful_cluster: SlurmCluster, tmp_path: Path, isolated_environment: Path
) -> None:
    bed = _bed(forgetful_cluster, tmp_path)
    profile = bed.add_profile("cluster", "--setup", "sleep 600")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(3))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")
    bed.wait(job["id"], lambda status: status["status"] == "in_progress", deadline=120)

    forgetful_cluster.run("scancel", job["remote_id"])  # an admin, a node failure...
    _forgotten(forgetful_cluster, job["remote_id"])
    final = bed.status(job["id"])

    assert final["status"] == "failed", final
    assert final["raw_status"] == "ENDED_WITHOUT_RECORD"
    assert "ended without a record" in final["errors"][0]["message"]


def test_a_forgotten_job_is_judged_by_its_end_record(
    forgetful_cluster: SlurmCluster, tmp_path: Path, isolated_environment: Path
) -> None:
    bed = _bed(forgetful_cluster, tmp_path)
    profile = bed.add_profile("cluster", "--setup", "no-such-command-here")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(3))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")
    _forgotten(forgetful_cluster, job["remote_id"])  # batchtui never saw it run

    final = bed.status(job["id"])

    # The setup line fails, vLLM (activated by nobody) is not found: exit code 127.
    assert final["status"] == "failed", final
    message = final["errors"][0]["message"]
    assert "exited with code 127" in message
    assert "not found" in message


def test_with_accounting_a_forgotten_job_is_judged_by_sacct(
    accounting_cluster: SlurmCluster, tmp_path: Path, isolated_environment: Path
) -> None:
    bed = _bed(accounting_cluster, tmp_path)
    profile = bed.add_profile("cluster", "--setup", "sleep 600")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(3))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")
    bed.wait(job["id"], lambda status: status["status"] == "in_progress", deadline=120)

    accounting_cluster.run("scancel", job["remote_id"])
    _forgotten(accounting_cluster, job["remote_id"])
    final = bed.wait(job["id"], terminal, deadline=60)

    # No end record (the script was killed), but slurmdbd remembers: cancelled, not failed.
    assert final["status"] == "cancelled", final
    assert final["raw_status"] == "CANCELLED"


def test_a_job_waiting_for_the_gpu_is_pending_with_slurms_reason(
    forgetful_cluster: SlurmCluster, tmp_path: Path, isolated_environment: Path
) -> None:
    bed = _bed(forgetful_cluster, tmp_path)
    profile = bed.add_profile("cluster", "--setup", "sleep 600")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(2))
    first = bed.ok("submit", str(source), "--profile", profile, "--json")
    bed.wait(first["id"], lambda status: status["status"] == "in_progress", deadline=120)

    second = bed.ok("submit", str(source), "--profile", profile, "--json")
    assert bed.status(second["id"])["status"] == "pending"
    # The node's only GPU is taken: SLURM says why the job waits (once its scheduler has
    # looked at it: `None` before that), and batchtui shows it.
    reasons = {"PENDING (Resources)", "PENDING (Priority)"}
    waiting = bed.wait(second["id"], lambda status: status["raw_status"] in reasons, deadline=60)
    assert waiting["status"] == "pending", waiting
    for job in (first, second):
        bed.ok("cancel", job["id"])
    assert bed.wait(second["id"], terminal, deadline=60)["status"] == "cancelled"
