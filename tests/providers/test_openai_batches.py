"""OpenAIProvider against the simulator: upload, create, retrieve, list, cancel, find by tag."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from batchtui.core.config import Profile
from batchtui.core.models import BatchSpec
from batchtui.core.providers import make_provider
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle

from .helpers import CHAT, wait_terminal, write_requests

Connect = Callable[..., OpenAIProvider]
LIFECYCLE = ["validating", "in_progress", "finalizing", "completed"]


def tagged_spec(file_id: str) -> tuple[BatchSpec, str]:
    tag = str(uuid.uuid4())
    return BatchSpec(input_file_id=file_id, endpoint=CHAT, metadata={TAG_METADATA_KEY: tag}), tag


def test_make_provider_builds_an_openai_provider(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    provider = make_provider(Profile(name="p", kind="openai", base_url="http://127.0.0.1:1/v1"))
    assert isinstance(provider, OpenAIProvider)


async def test_upload_streams_the_file_and_reports_progress(
    connect: Connect, simulator: SimulatorHandle, tmp_path: Path
) -> None:
    path = write_requests(tmp_path / "big.jsonl", 400, padding=400)  # several 64 KiB reads
    size = path.stat().st_size
    calls: list[tuple[int, int | None]] = []
    async with connect(simulator) as provider:
        remote = await provider.upload(path, progress=lambda *call: calls.append(call))
    assert remote.id and remote.bytes == size
    assert (remote.filename, remote.purpose) == ("big.jsonl", "batch")
    assert len(calls) >= 3
    assert all(total == size for _, total in calls)
    done = [value for value, _ in calls]
    assert done == sorted(done) and done[-1] == size


async def test_batch_goes_through_its_lifecycle_to_completed(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], requests_file: Path
) -> None:
    sim = start_simulator(phase_seconds=0.15)
    async with connect(sim) as provider:
        remote = await provider.upload(requests_file)
        spec, tag = tagged_spec(remote.id)
        created = await provider.create(spec)
        assert created.status is JobStatus.VALIDATING
        assert created.metadata[TAG_METADATA_KEY] == tag
        assert created.input_file_id == remote.id and created.endpoint == CHAT
        seen = await wait_terminal(provider, created.id)
    statuses = [batch.raw_status for batch in seen]
    assert statuses[-1] == "completed"
    assert "in_progress" in statuses
    distinct = list(dict.fromkeys(statuses))
    assert distinct == [status for status in LIFECYCLE if status in distinct]
    done = seen[-1]
    assert done.request_counts.total == 20 and done.request_counts.completed == 20
    assert done.output_file_id and done.timestamps["completed_at"] is not None
    assert done.timestamps["created_at"] <= done.timestamps["completed_at"]
    assert [f.kind for f in provider.result_files(done)] == ["output"]


async def test_create_merges_the_profile_extra_body_and_finds_the_batch_by_tag(
    connect: Connect, simulator: SimulatorHandle, requests_file: Path
) -> None:
    async with connect(simulator, extra_body={"metadata": {"team": "nlp"}}) as provider:
        remote = await provider.upload(requests_file)
        spec, tag = tagged_spec(remote.id)
        created = await provider.create(spec)
        for _ in range(3):  # other batches, created after it
            await provider.create(tagged_spec(remote.id)[0])
        found = await provider.find_by_tag(tag)
        missing = await provider.find_by_tag(str(uuid.uuid4()))
    assert created.metadata == {"team": "nlp", TAG_METADATA_KEY: tag}
    assert found is not None and found.id == created.id
    assert missing is None


async def test_list_follows_pagination_newest_first(
    connect: Connect, simulator: SimulatorHandle, requests_file: Path
) -> None:
    async with connect(simulator) as provider:
        remote = await provider.upload(requests_file)
        created = [(await provider.create(tagged_spec(remote.id)[0])).id for _ in range(5)]
        provider.page_size = 2  # 5 batches: three pages
        listed = [batch.id async for batch in provider.list_batches()]
        first_three = [batch.id async for batch in provider.list_batches(limit=3)]
    assert listed == list(reversed(created))
    assert first_three == listed[:3]


async def test_cancel_moves_the_batch_to_cancelled(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], requests_file: Path
) -> None:
    sim = start_simulator(phase_seconds=0.3)
    async with connect(sim) as provider:
        remote = await provider.upload(requests_file)
        created = await provider.create(tagged_spec(remote.id)[0])
        cancelling = await provider.cancel(created.id)
        seen = await wait_terminal(provider, created.id)
    assert cancelling.status is JobStatus.CANCELLING
    assert seen[-1].status is JobStatus.CANCELLED
    assert seen[-1].timestamps["cancelled_at"] is not None


async def test_an_invalid_input_file_fails_with_line_numbers(
    connect: Connect, simulator: SimulatorHandle, tmp_path: Path
) -> None:
    path = write_requests(tmp_path / "bad.jsonl", 3)
    path.write_text(path.read_text() + "{not json\n")
    async with connect(simulator) as provider:
        remote = await provider.upload(path)
        created = await provider.create(tagged_spec(remote.id)[0])
        seen = await wait_terminal(provider, created.id)
    failed = seen[-1]
    assert failed.status is JobStatus.FAILED
    assert failed.errors and failed.errors[0].line == 4
