"""VertexProvider over real HTTP against the simulator's Vertex AI, Cloud Storage and /token.

Every test signs in with a service-account key it generates; the simulator is told to trust it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import AuthenticationError, ConfigError, NotFoundError, ProviderError
from batchtui.core.formats.results import read_result_file
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.vertex import StorageObject, VertexProvider
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle

from .google_helpers import (
    BUCKET,
    MODEL,
    PROJECT,
    TAG,
    read_records,
    start_google_simulator,
    wait_until_terminal,
    write_openai_file,
    write_service_account,
)
from .helpers import CHAT, FAST_RETRY

EMAIL = "tests@batchtui-sim.iam.gserviceaccount.com"
Start = Callable[..., SimulatorHandle]


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return write_service_account(tmp_path / "sa.json", email=EMAIL, token_uri="unset")


def connect(sim: SimulatorHandle, key_file: Path, **fields: Any) -> VertexProvider:
    settings: dict[str, Any] = {
        "base_url": sim.root_url,
        "storage_url": sim.root_url,
        "project": PROJECT,
        "bucket": BUCKET,
        "credentials": str(key_file),
        **fields,
    }
    profile = Profile(name="v", kind="vertex", **settings)
    return VertexProvider.from_profile(profile, retry=FAST_RETRY)


def spec(file_id: str, **fields: Any) -> BatchSpec:
    defaults: dict[str, Any] = {"model": MODEL, "metadata": {TAG_METADATA_KEY: TAG}, "name": "t"}
    return BatchSpec(input_file_id=file_id, endpoint=CHAT, **{**defaults, **fields})


async def test_a_job_from_openai_lines_to_every_shard_keyed_by_custom_id(
    start_simulator: Start, key_file: Path, tmp_path: Path
) -> None:
    # Long and upper-case ids: GCP labels are lowercased and cut to 63 characters (§6 item 10).
    ids = [f"Case-{n}-" + "LONG" * (n % 30) for n in range(130)]
    failing = {ids[3], ids[100]}
    source = write_openai_file(tmp_path / "in.jsonl", ids, failing=failing)
    sim = start_google_simulator(start_simulator, key_file, vertex_file_rows=50)
    async with connect(sim, key_file) as provider:
        remote = await provider.upload(source)
        assert remote.id.startswith(f"gs://{BUCKET}/batchtui/") and remote.id.endswith(".jsonl")
        created = await provider.create(spec(remote.id))
        assert created.id.startswith("projects/") and "/batchPredictionJobs/" in created.id
        batch = await wait_until_terminal(provider, created.id)
        # Some rows failed: PARTIALLY_SUCCEEDED is a completed job (§5.4).
        assert (batch.status, batch.raw_status) == (
            JobStatus.COMPLETED,
            "JOB_STATE_PARTIALLY_SUCCEEDED",
        )
        assert (batch.request_counts.completed, batch.request_counts.failed) == (128, 2)
        assert batch.output_file_id is not None
        assert batch.output_file_id.startswith(f"gs://{BUCKET}/batchtui/{TAG}/output/")
        shards = await provider.result_objects(batch.output_file_id)
        assert len(shards) == 3  # 130 rows, 50 a file: every file is read
        records = await read_records(provider, batch.output_file_id)
        assert sorted(r.custom_id for r in records) == sorted(ids)
        assert {r.custom_id for r in records if not r.ok} == failing
        dest = await provider.download(batch.output_file_id, tmp_path / "d" / "output.jsonl")
        assert sorted(r.custom_id for r in read_result_file(dest)) == sorted(ids)
        assert not list(dest.parent.glob("*.tmp")) and not list(dest.parent.glob("*.part"))


async def test_a_new_process_finds_the_job_by_its_tag(
    start_simulator: Start, key_file: Path, tmp_path: Path
) -> None:
    source = write_openai_file(tmp_path / "in.jsonl", ["a", "b"])
    sim = start_google_simulator(start_simulator, key_file)
    async with connect(sim, key_file) as provider:
        created = await provider.create(spec((await provider.upload(source)).id))
    async with connect(sim, key_file) as after_crash:
        found = await after_crash.find_by_tag(TAG)
        assert found is not None and found.id == created.id
        assert await after_crash.find_by_tag("1b4e28ba-2fa1-11d2-883f-0016d3cca427") is None


async def test_token_refresh_runs_in_a_worker_thread_and_repeats_when_tokens_expire(
    start_simulator: Start, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # google-auth refreshes tokens that expire within minutes: a 1 s lifetime means every call.
    sim = start_google_simulator(start_simulator, key_file, token_lifetime=1)
    caplog.set_level(logging.DEBUG, logger="batchtui.providers.google_auth")
    async with connect(sim, key_file) as provider:
        for _ in range(3):
            assert [b async for b in provider.list_batches(limit=1)] == []
    refreshes = [r for r in caplog.records if "refreshing" in r.getMessage()]
    assert len(refreshes) == 3
    assert all(r.thread != threading.main_thread().ident for r in refreshes)


async def test_a_slow_token_endpoint_does_not_block_the_event_loop(
    start_simulator: Start, key_file: Path
) -> None:
    sim = start_google_simulator(start_simulator, key_file, faults="token:slow=1", slow_seconds=0.6)
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    ticker = asyncio.create_task(tick())
    try:
        async with connect(sim, key_file) as provider:
            started = time.monotonic()
            assert [b async for b in provider.list_batches(limit=1)] == []
            assert time.monotonic() - started >= 0.6
    finally:
        ticker.cancel()
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert max(gaps) < 0.3


async def test_credentials_the_token_endpoint_refuses(
    start_simulator: Start, tmp_path: Path
) -> None:
    trusted = write_service_account(tmp_path / "trusted.json", email=EMAIL, token_uri="unset")
    sim = start_google_simulator(start_simulator, trusted)
    stranger = write_service_account(
        tmp_path / "stranger.json",
        email="stranger@elsewhere.iam.gserviceaccount.com",
        token_uri=f"{sim.root_url}/token",
    )
    async with connect(sim, stranger) as provider:
        with pytest.raises(AuthenticationError) as caught:
            await provider.retrieve("123")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"vertex profile 'v': token refresh (POST {sim.root_url}/token)")
    assert "invalid_grant" in message
    assert "PRIVATE KEY" not in message


async def test_a_missing_bucket_is_named(
    start_simulator: Start, key_file: Path, tmp_path: Path
) -> None:
    source = write_openai_file(tmp_path / "in.jsonl", ["a"])
    sim = start_google_simulator(start_simulator, key_file)
    async with connect(sim, key_file, bucket="no-such-bucket") as provider:
        with pytest.raises(NotFoundError) as caught:
            await provider.upload(source)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("vertex profile 'v': upload gs://no-such-bucket/batchtui/")
    assert "bucket does not exist" in message and "'no-such-bucket' right?" in message


async def test_quota_refusal_at_create(
    start_simulator: Start, key_file: Path, tmp_path: Path
) -> None:
    source = write_openai_file(tmp_path / "in.jsonl", ["a"])
    sim = start_google_simulator(start_simulator, key_file, faults="create:429=1")
    async with connect(sim, key_file) as provider:
        remote = await provider.upload(source)
        with pytest.raises(ProviderError) as caught:
            await provider.create(spec(remote.id))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"vertex profile 'v': create batch (POST /v1/projects/{PROJECT}/locations/us-central1/"
    )
    assert "HTTP 429 RESOURCE_EXHAUSTED" in message and caught.value.status_code == 429


async def test_paused_and_cancelled_jobs(
    start_simulator: Start, key_file: Path, tmp_path: Path
) -> None:
    source = write_openai_file(tmp_path / "in.jsonl", [f"r{n}" for n in range(10)])
    sim = start_google_simulator(start_simulator, key_file, phase_seconds=0.3, speed=50.0)
    async with connect(sim, key_file) as provider:
        remote = await provider.upload(source)
        paused = await provider.create(spec(remote.id, name="[sim:pause] nightly"))
        seen = set()
        batch = paused
        while not batch.status.is_terminal:
            seen.add(batch.status)
            await asyncio.sleep(0.05)
            batch = await provider.retrieve(paused.id)
        assert JobStatus.PAUSED in seen
        other = await provider.create(spec(remote.id, metadata={}))
        cancelling = await provider.cancel(other.id)
        assert cancelling.status in (JobStatus.CANCELLING, JobStatus.CANCELLED)
        assert (await wait_until_terminal(provider, other.id)).status is JobStatus.CANCELLED


async def test_a_credentials_file_others_can_read_is_refused(
    start_simulator: Start, key_file: Path
) -> None:
    sim = start_google_simulator(start_simulator, key_file)
    os.chmod(key_file, 0o644)
    async with connect(sim, key_file) as provider:
        with pytest.raises(ConfigError, match=r"others can read it; refusing .*`chmod 600 "):
            await provider.retrieve("123")


def test_folder_ids_stand_for_every_object_in_them() -> None:
    assert StorageObject.parse("gs://b/out/prediction-model-1/").is_folder
    assert not StorageObject.parse("gs://b/out/predictions.jsonl").is_folder
