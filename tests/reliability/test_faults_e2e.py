"""A 20-job CLI run (submit, watch, download) against a simulator failing ~30% of requests.

Every job must end tracked in its terminal state with its files downloaded whole, and the
simulator must hold exactly one batch per job: faults that strike after the server acted
(a reset or a truncated answer on create) must not lead to a second batch.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.registry import Registry

from .conftest import (
    CLI,
    SOAK,
    file_sha256,
    served_sha256,
    stop_faults,
    stored_batches,
    write_requests,
)

# ~30% of requests fail: refusals before the server acts, and drops after it did.
FAULTS = "429=0.1,500=0.08,503=0.04,reset=0.05,truncated=0.03"
JOBS = 50 if SOAK else 20
# Separate CLI processes at a time: real parallel users, and a CI run that stays short.
PARALLEL = 5


@pytest.mark.slow
def test_twenty_jobs_survive_thirty_percent_faults(
    cli: CLI, add_profile, start_simulator, tmp_path: Path
) -> None:
    simulator = start_simulator(faults=FAULTS, phase_seconds=0.05)
    add_profile(simulator.url)
    inputs = [
        write_requests(tmp_path / f"input-{n:02d}.jsonl", 12, prefix=f"j{n}") for n in range(JOBS)
    ]

    with ThreadPoolExecutor(PARALLEL) as pool:
        submits = list(pool.map(lambda path: cli("submit", str(path), "--json"), inputs))
    for run in submits:
        assert run.code == 0, run.stderr
    job_ids = [run.json()["id"] for run in submits]
    assert len(set(job_ids)) == JOBS

    watched = cli("watch", *job_ids, "--interval", "0.1")
    # Exit 1 would mean a job ended otherwise than completed (every one should complete).
    assert watched.code == 0, watched.stderr

    (tmp_path / "out").mkdir()  # `download -o DIR` makes DIR, not the folders above it
    with ThreadPoolExecutor(PARALLEL) as pool:
        downloads = list(
            pool.map(lambda job: cli("download", job, "-o", str(tmp_path / "out" / job)), job_ids)
        )
    for run in downloads:
        assert run.code == 0, run.stderr

    stop_faults(simulator)
    registry = Registry.open_default()  # the CLI's registry (BATCHTUI_DATA_DIR of the test)
    jobs = {job["id"]: job for job in cli("jobs", "--json").json()}
    assert set(jobs) == set(job_ids)
    batches = stored_batches(simulator)
    tags = Counter(batch["metadata"][TAG_METADATA_KEY] for batch in batches)
    assert len(batches) == JOBS, f"{len(batches)} batches for {JOBS} jobs"
    assert all(count == 1 for count in tags.values()), tags.most_common(3)
    by_remote = {batch["id"]: batch for batch in batches}
    for job_id in job_ids:
        job = jobs[job_id]
        assert job["status"] == "completed", job
        batch = by_remote[job["remote_id"]]
        assert batch["metadata"][TAG_METADATA_KEY] == registry.get_job(job_id).tag
        out = tmp_path / "out" / job_id
        assert file_sha256(out / "output.jsonl") == served_sha256(
            simulator, batch["output_file_id"]
        )
        assert file_sha256(out / "errors.jsonl") == served_sha256(simulator, batch["error_file_id"])
        assert not list(out.glob("**/*.part"))
    registry.close()
