"""GeminiProvider over real HTTP against the simulator's Gemini API (reference §4)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import ProviderError
from batchtui.core.formats.results import read_result_file
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.gemini import INLINE_MAX_REQUESTS, GeminiProvider
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle

from .google_helpers import MODEL, TAG, read_records, wait_until_terminal, write_openai_file
from .helpers import CHAT, FAST_RETRY

KEY = "AIzaSy-test-key-0123456789"


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Callable[..., GeminiProvider]:
    def build(sim: SimulatorHandle, *, key: str = KEY, **fields: Any) -> GeminiProvider:
        monkeypatch.setenv("GEMINI_API_KEY", key)
        profile = Profile(name="g", kind="gemini", base_url=sim.root_url, **fields)
        return GeminiProvider.from_profile(profile, retry=FAST_RETRY)

    return build


def spec(file_id: str, **fields: Any) -> BatchSpec:
    defaults: dict[str, Any] = {"model": MODEL, "metadata": {TAG_METADATA_KEY: TAG}, "name": "t"}
    return BatchSpec(input_file_id=file_id, endpoint=CHAT, **{**defaults, **fields})


async def test_file_batch_from_openai_lines_to_results_keyed_by_custom_id(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
) -> None:
    ids = [f"Row-{n}/Ünïcode-{'x' * (n % 70)}" for n in range(150)]
    source = write_openai_file(tmp_path / "in.jsonl", ids, failing={ids[7]})
    progress: list[tuple[int, int | None]] = []
    async with gemini(start_simulator()) as provider:
        remote = await provider.upload(source, progress=lambda d, t: progress.append((d, t)))
        assert remote.id.startswith("files/")
        assert progress[-1][0] == progress[-1][1] == remote.bytes
        created = await provider.create(spec(remote.id))
        assert created.id.startswith("batches/") and created.metadata[TAG_METADATA_KEY] == TAG
        assert created.model == MODEL
        batch = await wait_until_terminal(provider, created.id)
        assert batch.status is JobStatus.COMPLETED
        assert batch.output_file_id and batch.output_file_id.startswith("files/batch-")
        assert (batch.request_counts.total, batch.request_counts.failed) == (150, 1)
        records = await read_records(provider, batch.output_file_id)
        assert sorted(r.custom_id for r in records) == sorted(ids)
        failed = [r.custom_id for r in records if not r.ok]
        assert failed == [ids[7]]
        assert all(r.text for r in records if r.ok)
        dest = await provider.download(batch.output_file_id, tmp_path / "out" / "output.jsonl")
        assert sorted(r.custom_id for r in read_result_file(dest)) == sorted(ids)
        found = await provider.find_by_tag(TAG)
        assert found is not None and found.id == created.id
        await provider.delete(created.id)
        assert await provider.find_by_tag(TAG) is None


async def test_small_jobs_go_inline_and_their_answers_read_like_a_file(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
) -> None:
    ids = ["UPPER-Case-1", "b", "c"]
    source = write_openai_file(tmp_path / "in.jsonl", ids, failing={"b"})
    async with gemini(start_simulator()) as provider:
        remote = await provider.upload(source)
        assert remote.id.startswith("inline:")
        batch = await wait_until_terminal(provider, (await provider.create(spec(remote.id))).id)
        assert batch.output_file_id == f"{batch.id}/inlinedResponses"
        records = await read_records(provider, batch.output_file_id)
        assert {r.custom_id: r.ok for r in records} == {"UPPER-Case-1": True, "b": False, "c": True}
        dest = await provider.download(batch.output_file_id, tmp_path / "inline.jsonl")
        assert [r.custom_id for r in read_result_file(dest)] == [r.custom_id for r in records]


async def test_inline_threshold_is_by_request_count(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
) -> None:
    async with gemini(start_simulator()) as provider:
        below = write_openai_file(tmp_path / "a.jsonl", [f"r{n}" for n in range(99)])
        at = write_openai_file(tmp_path / "b.jsonl", [f"r{n}" for n in range(INLINE_MAX_REQUESTS)])
        assert (await provider.upload(below)).id.startswith("inline:")
        assert (await provider.upload(at)).id.startswith("files/")


async def test_upload_in_chunks_resumes_after_dropped_connections(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # `reset` drops the connection after the server took the chunk: the client asks how much
    # arrived and goes on from there; a lost answer to finalize means uploading again.
    caplog.set_level(logging.INFO, logger="batchtui.providers")
    ids = [f"r{n}" for n in range(120)]
    source = write_openai_file(tmp_path / "in.jsonl", ids)
    sim = start_simulator(faults="upload:reset=0.3", seed=1)
    async with gemini(sim) as provider:
        provider.upload_chunk_bytes = 1024
        progress: list[int] = []
        remote = await provider.upload(source, progress=lambda done, _total: progress.append(done))
        assert remote.bytes is not None and remote.bytes > 5 * 1024
        assert progress[-1] == remote.bytes
        batch = await wait_until_terminal(provider, (await provider.create(spec(remote.id))).id)
        records = await read_records(provider, batch.output_file_id or "")
        assert sorted(r.custom_id for r in records) == sorted(ids)
    assert "resuming the upload at byte" in caplog.text
    assert "the finished upload's answer was lost; again" in caplog.text


async def test_wrong_key_is_one_line_naming_the_call_without_the_key(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
) -> None:
    sim = start_simulator(api_key="AIza-the-right-one")
    async with gemini(sim, key="AIza-wrong-key-value") as provider:
        with pytest.raises(ProviderError) as caught:
            async for _batch in provider.list_batches(limit=1):
                pass
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("gemini profile 'g': GET /v1beta/batches: HTTP 400")
    assert "AIza-wrong-key-value" not in message


def test_missing_key_names_both_variables(gemini: Callable[..., GeminiProvider]) -> None:
    from batchtui.core.errors import ConfigError

    with pytest.raises(ConfigError, match="GEMINI_API_KEY or GOOGLE_API_KEY is not set"):
        GeminiProvider.from_profile(Profile(name="g", kind="gemini"))


async def test_google_api_key_is_the_fallback_variable(
    start_simulator: Callable[..., SimulatorHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_simulator(api_key="AIza-the-right-one")
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-the-right-one")
    profile = Profile(name="g", kind="gemini", base_url=sim.root_url)
    async with GeminiProvider.from_profile(profile, retry=FAST_RETRY) as provider:
        assert [b async for b in provider.list_batches(limit=1)] == []


async def test_quota_refusal_at_create_says_nothing_was_created(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
) -> None:
    source = write_openai_file(tmp_path / "in.jsonl", [f"r{n}" for n in range(120)])
    async with gemini(start_simulator(faults="create:429=1")) as provider:
        remote = await provider.upload(source)
        with pytest.raises(ProviderError) as caught:
            await provider.create(spec(remote.id))
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith(f"gemini profile 'g': create batch (POST /v1beta/models/{MODEL}")
        assert "HTTP 429 RESOURCE_EXHAUSTED" in message and "none was created" in message
        assert caught.value.status_code == 429
        assert [b async for b in provider.list_batches()] == []


async def test_cancel_reports_cancelling_until_google_says_cancelled(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
) -> None:
    source = write_openai_file(tmp_path / "in.jsonl", [f"r{n}" for n in range(200)])
    async with gemini(start_simulator(phase_seconds=0.5, speed=5.0)) as provider:
        created = await provider.create(spec((await provider.upload(source)).id))
        cancelled = await provider.cancel(created.id)
        assert cancelled.status in (JobStatus.CANCELLING, JobStatus.CANCELLED)
        final = await wait_until_terminal(provider, created.id)
        assert final.status is JobStatus.CANCELLED


async def test_no_model_anywhere_is_a_config_error(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
) -> None:
    from batchtui.core.errors import ConfigError

    source = write_openai_file(tmp_path / "in.jsonl", ["a"])
    async with gemini(start_simulator()) as provider:
        remote = await provider.upload(source)
        with pytest.raises(ConfigError, match="no model"):
            await provider.create(spec(remote.id, model=None))


async def test_list_follows_page_tokens_newest_first(
    start_simulator: Callable[..., SimulatorHandle],
    gemini: Callable[..., GeminiProvider],
    tmp_path: Path,
) -> None:
    source = write_openai_file(tmp_path / "in.jsonl", ["a", "b"])
    async with gemini(start_simulator()) as provider:
        created = []
        for _ in range(5):
            created.append((await provider.create(spec((await provider.upload(source)).id))).id)
        provider.page_size = 2  # three pages
        listed = [batch.id async for batch in provider.list_batches()]
        first_three = [batch.id async for batch in provider.list_batches(limit=3)]
    assert sorted(listed) == sorted(created)
    assert first_three == listed[:3]
