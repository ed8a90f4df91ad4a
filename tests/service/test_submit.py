"""Submitting: recorded before any remote call, never created twice, failures leave no debris."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from batchtui.core.errors import (
    AuthenticationError,
    ProviderError,
    ProviderUnreachable,
)
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.registry import Registry
from batchtui.core.service import InvalidInputFile
from batchtui.core.status import JobStatus

from .conftest import API_KEY, PROFILE, remote_batches, wait_until_terminal


async def test_submit_records_the_job_and_its_batch(
    simulator, make_service, registry: Registry, input_file: Path
) -> None:
    service = await make_service(simulator)
    job = await service.submit(
        input_file, PROFILE, name="sums", metadata={"team": "nlp"}, progress=None
    )

    assert job.remote_id is not None and job.status is not JobStatus.SUBMITTING
    assert job.input_sha256 == hashlib.sha256(input_file.read_bytes()).hexdigest()
    assert (job.input_bytes, job.input_lines) == (input_file.stat().st_size, 3)
    assert job.endpoint == "/v1/chat/completions" and job.model == "gpt-4o-mini"
    [batch] = remote_batches(simulator)
    assert batch["id"] == job.remote_id
    assert batch["metadata"] == {TAG_METADATA_KEY: job.tag, "team": "nlp"}
    history = registry.history(job.id)
    assert history[0].status is JobStatus.SUBMITTING
    assert history[0].note == "recorded before upload"


async def test_submitted_job_completes_and_its_results_stream(
    simulator, make_service, input_file: Path
) -> None:
    service = await make_service(simulator)
    job = await wait_until_terminal(service, await service.submit(input_file, PROFILE))

    assert job.status is JobStatus.COMPLETED
    assert (job.request_counts.total, job.request_counts.failed) == (3, 1)
    records = [record async for record in service.iter_results(job)]
    assert sorted(record.custom_id for record in records) == ["req-0", "req-1", "req-2"]
    assert [r.custom_id for r in records if not r.ok] == ["req-2"]
    assert "What is 2+2?" in next(r.text for r in records if r.custom_id == "req-0")
    errors = [record async for record in service.iter_results(job, errors_only=True)]
    assert [(r.custom_id, r.ok) for r in errors] == [("req-2", False)]


async def test_invalid_file_is_refused_before_anything_is_recorded(
    simulator, make_service, registry: Registry, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"custom_id": "a", "method": "POST"}\nnot json\n')
    service = await make_service(simulator)

    with pytest.raises(InvalidInputFile) as raised:
        await service.submit(bad, PROFILE)

    assert str(raised.value).startswith(f"{bad}:1:")
    assert raised.value.report.error_count >= 2
    assert registry.list_jobs() == []
    assert remote_batches(simulator) == []


async def test_create_reset_after_creating_adopts_the_batch_by_tag(
    start_simulator, make_service, registry: Registry, input_file: Path
) -> None:
    simulator = start_simulator(faults="create:reset=1")
    service = await make_service(simulator)

    job = await service.submit(input_file, PROFILE)

    [batch] = remote_batches(simulator)
    assert job.remote_id == batch["id"]
    assert batch["metadata"][TAG_METADATA_KEY] == job.tag
    assert job.last_error is None
    notes = [change.note or "" for change in registry.history(job.id)]
    assert any(note.startswith("adopted by tag") for note in notes)


@pytest.mark.parametrize(
    ("fault", "message"),
    [("create:500=1", "none was created"), ("create:429=1", "HTTP 429")],
)
async def test_create_refused_marks_not_submitted_and_creates_nothing(
    start_simulator, make_service, registry: Registry, input_file: Path, fault, message
) -> None:
    simulator = start_simulator(faults=fault)
    service = await make_service(simulator)

    with pytest.raises(ProviderError, match=message):
        await service.submit(input_file, PROFILE)

    [job] = registry.list_jobs()
    assert job.status is JobStatus.NOT_SUBMITTED
    assert job.remote_id is None and job.input_file_id is not None
    assert "create batch" in (job.last_error or "")
    assert remote_batches(simulator) == []


async def test_unreachable_provider_fails_before_recording_anything(
    simulator, make_service, registry: Registry, input_file: Path
) -> None:
    service = await make_service(simulator)
    simulator.stop()

    with pytest.raises(ProviderUnreachable, match="cannot connect"):
        await service.submit(input_file, PROFILE)

    assert registry.list_jobs() == []


async def test_failed_upload_marks_not_submitted(
    start_simulator, make_service, registry: Registry, input_file: Path
) -> None:
    simulator = start_simulator(faults="upload:500=1")
    service = await make_service(simulator)

    with pytest.raises(ProviderError, match="POST /files"):
        await service.submit(input_file, PROFILE)

    [job] = registry.list_jobs()
    assert job.status is JobStatus.NOT_SUBMITTED
    assert job.last_error is not None and job.last_error.startswith(f"upload {input_file}:")
    assert remote_batches(simulator) == []


async def test_wrong_key_is_refused_without_echoing_it(
    start_simulator, make_service, registry: Registry, input_file: Path
) -> None:
    simulator = start_simulator(api_key=API_KEY)
    wrong_key = "sk-wrong-key-9876543210"
    service = await make_service(simulator, api_key=wrong_key)

    with pytest.raises(AuthenticationError) as raised:
        await service.submit(input_file, PROFILE)

    assert wrong_key not in str(raised.value)
    assert registry.list_jobs() == []


async def test_metadata_using_the_reserved_tag_key_is_a_usage_error(
    simulator, make_service, registry: Registry, input_file: Path
) -> None:
    from batchtui.core.errors import UsageError

    service = await make_service(simulator)
    with pytest.raises(UsageError, match=TAG_METADATA_KEY):
        await service.submit(input_file, PROFILE, metadata={TAG_METADATA_KEY: "x"})
    assert registry.list_jobs() == []
