"""PortkeyProvider over HTTP against the simulator's `portkey-vertex` flavour (§2.3, §6 21-22)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import AuthenticationError, ProviderError
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.portkey import PortkeyProvider
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle

from .gateway_helpers import (
    FAILING_ID,
    GEMINI,
    assert_recent,
    records_of,
    write_gateway_requests,
)
from .helpers import CHAT, FAST_RETRY, wait_terminal

KEY = "pk-test-0123456789abcdef"
BUCKET = "nyu-batch"
HEADERS = {"x-portkey-provider": "@vertexai", "x-portkey-vertex-storage-bucket-name": BUCKET}

Connect = Callable[..., PortkeyProvider]


@pytest.fixture
def sim(start_simulator: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return start_simulator(flavor="portkey-vertex", api_key=KEY, phase_seconds=0.1)


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch) -> Connect:
    def build(sim: SimulatorHandle, *, key: str = KEY, **fields: Any) -> PortkeyProvider:
        monkeypatch.setenv("PORTKEY_API_KEY", key)
        fields.setdefault("headers", HEADERS)
        fields.setdefault("model", GEMINI)
        profile = Profile(name="nyu", kind="portkey", base_url=sim.url, **fields)
        provider = PortkeyProvider.from_profile(profile, retry=FAST_RETRY)
        assert isinstance(provider, PortkeyProvider)
        return provider

    return build


def spec_for(file_id: str, tag: str | None = None) -> BatchSpec:
    return BatchSpec(
        input_file_id=file_id,
        endpoint=CHAT,
        model=GEMINI,
        name="portkey test",
        metadata={TAG_METADATA_KEY: tag or str(uuid.uuid4())},
    )


async def test_a_job_runs_from_upload_to_results(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, ids = write_gateway_requests(tmp_path / "input.jsonl")
    started = datetime.now(UTC)
    async with connect(sim) as provider:
        remote = await provider.upload(path)
        created = await provider.create(spec_for(remote.id))
        seen = await wait_terminal(provider, created.id)
        done = seen[-1]
        lines = [line async for line in provider.iter_lines(done.output_file_id or "")]
        downloaded = await provider.download(done.output_file_id or "", tmp_path / "out.jsonl")
    # The upload answer: an encoded gs:// id and a misspelled `create_at`, in ms.
    assert remote.id.startswith("gs%3A%2F%2F" + BUCKET)
    assert remote.created_at is not None and abs((remote.created_at - started).total_seconds()) < 5
    assert created.status is JobStatus.PENDING  # Portkey's `validating`: Vertex is queued
    statuses = list(dict.fromkeys(batch.status for batch in seen))
    assert statuses[-1] is JobStatus.COMPLETED and JobStatus.VALIDATING not in statuses
    # Counts arrive as strings; `total` sums every completionStats value.
    assert (done.request_counts.completed, done.request_counts.failed) == (len(ids) - 1, 1)
    assert done.request_counts.total == len(ids)
    assert_recent(done, started)
    assert done.timestamps["in_progress_at"] is not None
    # The output folder is not an error file; results come through /batches/{id}/output.
    assert done.raw["error_file_id"] and done.error_file_id is None
    assert [(f.kind, f.file_id) for f in provider.result_files(done)] == [
        ("output", f"batches/{done.id}/output")
    ]
    assert downloaded.read_bytes().splitlines() == lines
    records = records_of(lines)
    assert set(records) == set(ids)  # exact custom_ids, long and upper-case ones included
    assert not records[FAILING_ID].ok and "Simulated failure" in (
        records[FAILING_ID].error_message or ""
    )
    answered = [records[custom_id] for custom_id in ids if custom_id != FAILING_ID]
    assert all(record.text and record.text.startswith("Simulated answer") for record in answered)


async def test_successful_rows_read_as_successes(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim) as provider:
        remote = await provider.upload(path)
        done = (await wait_terminal(provider, (await provider.create(spec_for(remote.id))).id))[-1]
        records = records_of(
            [line async for line in provider.iter_lines(done.output_file_id or "")]
        )
    assert [custom_id for custom_id in ids if records[custom_id].ok] == ids[:-1]


async def test_cancel_answers_with_the_batch_not_vertexs_empty_object(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = start_simulator(flavor="portkey-vertex", api_key=KEY, phase_seconds=0.4)
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim) as provider:
        created = await provider.create(spec_for((await provider.upload(path)).id))
        cancelling = await provider.cancel(created.id)
        seen = await wait_terminal(provider, created.id)
    assert cancelling.id == created.id
    assert cancelling.status in (JobStatus.CANCELLING, JobStatus.CANCELLED)
    assert seen[-1].status is JobStatus.CANCELLED
    assert seen[-1].timestamps["cancelled_at"] is not None


async def test_a_job_is_found_by_its_tag_even_by_a_new_process(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    tag = str(uuid.uuid4())
    async with connect(sim) as provider:
        file_id = (await provider.upload(path)).id
        created = await provider.create(spec_for(file_id, tag))
        for _ in range(3):
            await provider.create(spec_for(file_id))
    # Another provider (a restarted process) knows nothing of the create above.
    async with connect(sim) as fresh:
        found = await fresh.find_by_tag(tag)
        missing = await fresh.find_by_tag(str(uuid.uuid4()))
    assert found is not None and found.id == created.id
    assert found.metadata[TAG_METADATA_KEY] == tag
    assert missing is None


async def test_listing_stops_after_the_one_page_portkey_can_serve(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim) as provider:
        file_id = (await provider.upload(path)).id
        created = [(await provider.create(spec_for(file_id))).id for _ in range(5)]
        provider.page_size = 2  # has_more is true, but `after` would be sent as a page token
        listed = [batch.id async for batch in provider.list_batches()]
    assert listed == list(reversed(created))[:2]


async def test_gateway_refusals_are_one_clear_line_without_the_key(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim, headers={"x-portkey-provider": "@vertexai"}) as no_bucket:
        with pytest.raises(ProviderError) as refused:
            await no_bucket.upload(path)
    async with connect(sim, key="pk-wrong-key-000") as wrong_key:
        with pytest.raises(AuthenticationError) as denied:
            await wrong_key.retrieve("1")
    message = str(refused.value)
    assert message.startswith("portkey profile 'nyu': POST /files: HTTP 400")
    assert "x-portkey-vertex-storage-bucket-name" in message and "\n" not in message
    assert "pk-wrong-key-000" not in str(denied.value) and KEY not in message


async def test_an_uploaded_file_reads_back_by_its_encoded_id(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim) as provider:
        remote = await provider.upload(path)
        lines = [line async for line in provider.iter_lines(remote.id)]
    # Portkey stored each line transformed for Vertex, the custom_id as `requestId`.
    assert [json.loads(line)["requestId"] for line in lines] == ids
    assert all("contents" in json.loads(line)["request"] for line in lines)
