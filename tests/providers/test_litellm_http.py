"""LiteLLMProvider over HTTP against the simulator's `litellm-vertex` flavour (§3.2, §6 9-14)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import AuthenticationError, ConfigError
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.litellm import LiteLLMProvider
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

KEY = "sk-litellm-0123456789abcdef"
VERTEX_BODY = {"custom_llm_provider": "vertex_ai"}

Connect = Callable[..., LiteLLMProvider]


@pytest.fixture
def sim(start_simulator: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return start_simulator(flavor="litellm-vertex", api_key=KEY, phase_seconds=0.1)


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch) -> Connect:
    """A provider on `sim`; by default with Google credentials, so results are read from
    Cloud Storage (pass `credentials=None` for a profile without them)."""

    def build(sim: SimulatorHandle, **fields: Any) -> LiteLLMProvider:
        monkeypatch.setenv("LITELLM_API_KEY", KEY)
        fields.setdefault("extra_body", VERTEX_BODY)
        fields.setdefault("credentials", str(sim.google_credentials()))
        fields.setdefault("storage_url", sim.root_url)
        profile = Profile(name="proxy", kind="litellm", base_url=sim.url, **fields)
        provider = LiteLLMProvider.from_profile(profile, retry=FAST_RETRY)
        assert isinstance(provider, LiteLLMProvider)
        return provider

    return build


def spec_for(file_id: str, tag: str | None = None) -> BatchSpec:
    return BatchSpec(
        input_file_id=file_id,
        endpoint=CHAT,
        model=GEMINI,
        metadata={TAG_METADATA_KEY: tag or str(uuid.uuid4())},
    )


async def run_to_results(
    provider: LiteLLMProvider, path: Path, dest: Path
) -> tuple[Any, Any, list[Any], list[bytes], Path]:
    remote = await provider.upload(path)
    created = await provider.create(spec_for(remote.id))
    seen = await wait_terminal(provider, created.id)
    output = seen[-1].output_file_id or ""
    lines = [line async for line in provider.iter_lines(output)]
    return remote, created, seen, lines, await provider.download(output, dest)


async def test_a_job_runs_from_upload_to_vertex_native_results(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, ids = write_gateway_requests(tmp_path / "input.jsonl")
    started = datetime.now(UTC)
    async with connect(sim) as provider:
        remote, created, seen, lines, downloaded = await run_to_results(
            provider, path, tmp_path / "out.jsonl"
        )
    # A raw gs:// id, long and full of slashes, went into every path quoted once.
    assert remote.id.startswith("gs://") and f"/models/{GEMINI}/" in remote.id
    assert remote.created_at is not None and abs((remote.created_at - started).total_seconds()) < 5
    assert created.status is JobStatus.PENDING  # `validating`: Vertex has no validation
    assert created.completion_window == "24h" and created.endpoint is None
    assert created.output_file_id is None  # the input's folder, not a file
    done = seen[-1]
    assert done.status is JobStatus.COMPLETED and done.error_file_id is None
    assert done.output_file_id and done.output_file_id.endswith("/predictions.jsonl")
    assert all(batch.output_file_id is None for batch in seen[:-1])
    assert_recent(done, started)
    assert not done.request_counts.known  # LiteLLM reports none for Vertex: count rows
    assert downloaded.read_bytes().splitlines() == lines
    # Vertex's own rows: custom_ids come back exact from the base32 labels, even the long,
    # upper-case and non-ASCII one whose plain label was lowercased and cut to 63 characters.
    records = records_of(lines)
    assert set(records) == set(ids)
    assert [custom_id for custom_id in ids if records[custom_id].ok] == ids[:-1]
    assert "Simulated failure" in (records[FAILING_ID].error_message or "")


async def test_newer_proxies_converted_rows_give_the_same_records(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = start_simulator(
        flavor="litellm-vertex",
        api_key=KEY,
        phase_seconds=0.1,
        litellm_convert_output=True,
        litellm_raw_content=True,
        litellm_completion_window="24hrs",
    )
    path, ids = write_gateway_requests(tmp_path / "input.jsonl")
    # LiteLLM converts only when the first row answered; a failed first row (the order is
    # Vertex's) leaves the whole file native. Without failures it always converts.
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    ids.remove(FAILING_ID)
    # A profile without Google credentials reads through a proxy that still serves content.
    async with connect(sim, credentials=None) as provider:
        *_, lines, _downloaded = await run_to_results(provider, path, tmp_path / "out.jsonl")
    assert all(json.loads(line)["id"].startswith("batch_req_") for line in lines)
    records = records_of(lines)
    assert set(records) == set(ids)
    assert all(records[custom_id].ok and records[custom_id].text for custom_id in ids)


async def test_list_follows_vertexs_page_token(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim) as provider:
        file_id = (await provider.upload(path)).id
        created = [(await provider.create(spec_for(file_id))).id for _ in range(5)]
        provider.page_size = 2  # three pages; a job id as `after` is no page token
        listed = [batch.id async for batch in provider.list_batches()]
    assert listed == list(reversed(created))


async def test_cancel_and_find_by_tag_after_an_ambiguous_create(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = start_simulator(flavor="litellm-vertex", api_key=KEY, phase_seconds=0.4)
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    tag = str(uuid.uuid4())
    async with connect(sim) as provider:
        first = (await provider.upload(path)).id
        created = await provider.create(spec_for(first, tag))
        await provider.create(spec_for((await provider.upload(path)).id))
        found = await provider.find_by_tag(tag)
        cancelling = await provider.cancel(created.id)
        seen = await wait_terminal(provider, created.id)
    assert found is not None and found.id == created.id
    assert cancelling.status in (JobStatus.CANCELLING, JobStatus.CANCELLED)
    assert seen[-1].status is JobStatus.CANCELLED


async def test_without_custom_llm_provider_the_proxy_asks_openai(
    connect: Connect, sim: SimulatorHandle
) -> None:
    async with connect(sim, extra_body={}) as provider:
        with pytest.raises(AuthenticationError) as refused:
            await provider.retrieve("3814889423749775360")
    message = str(refused.value)
    assert message.startswith("litellm profile 'proxy': GET /batches/3814889423749775360: HTTP 401")
    assert "OPENAI_API_KEY" in message and KEY not in message


async def test_a_new_process_finds_the_batch_by_its_input_file(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    """After a crash no tag is known to the gateway; the recorded input file id still is."""
    sim = start_simulator(flavor="litellm-vertex", api_key=KEY)
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    tag = str(uuid.uuid4())
    async with connect(sim) as provider:
        input_file_id = (await provider.upload(path)).id
        created = await provider.create(spec_for(input_file_id, tag))
        await provider.create(spec_for((await provider.upload(path)).id))
    async with connect(sim) as restarted:
        assert await restarted.find_by_tag(tag) is None
        found = await restarted.find_by_tag(tag, input_file_id=input_file_id)
    assert found is not None and found.id == created.id


async def test_without_google_credentials_one_line_says_what_to_configure(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    """LiteLLM 1.108 refuses raw gs:// content: the fallback message, not results."""
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim, credentials=None) as provider:
        remote = await provider.upload(path)
        created = await provider.create(spec_for(remote.id))
        output = (await wait_terminal(provider, created.id))[-1].output_file_id or ""
        with pytest.raises(ConfigError) as refused:
            [line async for line in provider.iter_lines(output)]
        with pytest.raises(ConfigError):
            await provider.download(output, tmp_path / "out.jsonl")
    message = str(refused.value)
    assert "\n" not in message and output in message
    assert message.startswith("litellm profile 'proxy': the LiteLLM proxy does not serve")
    assert "--credentials FILE" in message
    assert not (tmp_path / "out.jsonl").exists()


async def test_results_outside_the_profiles_bucket_are_not_read(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path, _ids = write_gateway_requests(tmp_path / "input.jsonl")
    async with connect(sim, bucket="another-bucket") as provider:
        created = await provider.create(spec_for((await provider.upload(path)).id))
        output = (await wait_terminal(provider, created.id))[-1].output_file_id or ""
        with pytest.raises(ConfigError) as refused:
            [line async for line in provider.iter_lines(output)]
    assert "outside the profile's bucket 'another-bucket'" in str(refused.value)
