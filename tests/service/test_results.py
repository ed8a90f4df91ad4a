"""Cancel, download and reading results: from disk when downloaded, else streamed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from batchtui.core.errors import BatchtuiError
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

from .conftest import PROFILE, wait_until_terminal, write_input


async def test_download_records_paths_and_results_then_read_from_disk(
    simulator, make_service, registry: Registry, input_file: Path, tmp_path: Path
) -> None:
    service = await make_service(simulator)
    job = await wait_until_terminal(service, await service.submit(input_file, PROFILE))
    dest = tmp_path / "out"

    paths = await service.download(job, dest)

    assert paths == [dest / "output.jsonl", dest / "errors.jsonl"]
    assert not list(dest.glob("*.part"))
    job = registry.get_job(job.id)
    assert (job.output_path, job.error_path) == (paths[0].resolve(), paths[1].resolve())
    simulator.stop()  # from here on, results can only come from the files
    records = [record async for record in service.iter_results(job)]
    assert sorted(record.custom_id for record in records) == ["req-0", "req-1", "req-2"]
    # Downloading again finds the whole files in place and asks nothing.
    assert await service.download(job, dest) == paths


async def test_results_of_an_unfinished_job_are_refused(
    start_simulator, make_service, input_file: Path, tmp_path: Path
) -> None:
    simulator = start_simulator(phase_seconds=30)
    service = await make_service(simulator)
    job = await service.submit(input_file, PROFILE)

    with pytest.raises(BatchtuiError, match="no results yet"):
        await service.download(job, tmp_path / "out")
    with pytest.raises(BatchtuiError, match="no results yet"):
        [record async for record in service.iter_results(job)]
    assert not (tmp_path / "out").exists()


async def test_all_requests_failing_gives_only_an_error_file(
    simulator, make_service, tmp_path: Path
) -> None:
    failing = write_input(tmp_path / "failing.jsonl", ["[sim:error] a", "[sim:error=500] b"])
    service = await make_service(simulator)
    job = await wait_until_terminal(service, await service.submit(failing, PROFILE))

    assert job.status is JobStatus.COMPLETED and job.output_file_id is None
    paths = await service.download(job, tmp_path / "out")

    assert paths == [tmp_path / "out" / "errors.jsonl"]
    records = [record async for record in service.iter_results(job)]
    assert sorted((r.custom_id, r.ok, r.status_code) for r in records) == [
        ("req-0", False, 400),
        ("req-1", False, 500),
    ]


async def test_cancel_keeps_partial_results(start_simulator, make_service, tmp_path: Path) -> None:
    simulator = start_simulator(speed=20, phase_seconds=0.1)
    prompts = [f"question {n}" for n in range(40)]
    service = await make_service(simulator)
    job = await service.submit(write_input(tmp_path / "many.jsonl", prompts), PROFILE)

    while not (job.status is JobStatus.IN_PROGRESS and job.request_counts.done):
        assert not job.is_terminal, f"ended ({job.status}) before it could be cancelled"
        await asyncio.sleep(0.02)
        job = await service.refresh(job)
    job = await service.cancel(job)
    assert job.status in (JobStatus.CANCELLING, JobStatus.CANCELLED)
    job = await wait_until_terminal(service, job)

    assert job.status is JobStatus.CANCELLED
    records = [record async for record in service.iter_results(job)]
    assert len(records) == 40
    unrun = [r for r in records if not r.ok]
    assert unrun and all(r.error_code == "batch_cancelled" for r in unrun)
    assert any(r.ok for r in records)
    with pytest.raises(BatchtuiError, match="already ended"):
        await service.cancel(job)
