"""Result files: streaming lines, downloading, resuming a `.part` file."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from batchtui.core.errors import NotFoundError, ProviderUnreachable
from batchtui.core.models import BatchSpec, RemoteBatch
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.simulator import SimulatorHandle

from .helpers import CHAT, wait_terminal, write_requests

Connect = Callable[..., OpenAIProvider]
REQUESTS = 300


async def completed_batch(provider: OpenAIProvider, tmp_path: Path) -> RemoteBatch:
    path = write_requests(tmp_path / "input.jsonl", REQUESTS)
    remote = await provider.upload(path)
    spec = BatchSpec(
        input_file_id=remote.id, endpoint=CHAT, metadata={TAG_METADATA_KEY: str(uuid.uuid4())}
    )
    batch = (await wait_terminal(provider, (await provider.create(spec)).id))[-1]
    assert batch.output_file_id
    return batch


async def download_bytes(provider: OpenAIProvider, batch: RemoteBatch, dest: Path) -> bytes:
    assert batch.output_file_id
    return (await provider.download(batch.output_file_id, dest)).read_bytes()


def assert_whole_output(content: bytes) -> None:
    """Every request's row exactly once, each a whole JSON line: nothing lost or repeated."""
    assert content.endswith(b"\n")
    ids = [json.loads(line)["custom_id"] for line in content.splitlines()]
    assert sorted(ids) == sorted(f"r{index}" for index in range(REQUESTS))


@pytest.fixture
def fast_simulator(start_simulator: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return start_simulator(phase_seconds=0.02, speed=100_000)


async def test_iter_lines_and_download_agree(
    connect: Connect, fast_simulator: SimulatorHandle, tmp_path: Path
) -> None:
    dest = tmp_path / "out" / "output.jsonl"
    progress: list[tuple[int, int | None]] = []
    async with connect(fast_simulator) as provider:
        batch = await completed_batch(provider, tmp_path)
        lines = [line async for line in provider.iter_lines(batch.output_file_id)]
        path = await provider.download(
            batch.output_file_id, dest, progress=lambda *call: progress.append(call)
        )
    content = path.read_bytes()
    assert path == dest and not dest.with_name("output.jsonl.part").exists()
    assert_whole_output(content)
    assert lines == content.splitlines()
    assert progress[-1] == (len(content), len(content))


async def test_iter_lines_can_stop_early(
    connect: Connect, fast_simulator: SimulatorHandle, tmp_path: Path
) -> None:
    async with connect(fast_simulator) as provider:
        batch = await completed_batch(provider, tmp_path)
        first: list[bytes] = []
        async with contextlib.aclosing(provider.iter_lines(batch.output_file_id)) as lines:
            async for line in lines:
                first.append(line)
                if len(first) == 3:
                    break
        # The connection of the abandoned stream is gone; the client still works.
        again = [line async for line in provider.iter_lines(batch.output_file_id)]
    assert first == again[:3]
    assert all(json.loads(line)["custom_id"] for line in first)


async def test_download_resumes_a_part_file_with_range(
    connect: Connect, fast_simulator: SimulatorHandle, tmp_path: Path
) -> None:
    async with connect(fast_simulator) as provider:
        batch = await completed_batch(provider, tmp_path)
        whole = await download_bytes(provider, batch, tmp_path / "whole.jsonl")
        half = len(whole) // 2
        dest = tmp_path / "resumed.jsonl"
        dest.with_name("resumed.jsonl.part").write_bytes(whole[:half])
        progress: list[tuple[int, int | None]] = []
        await provider.download(
            batch.output_file_id, dest, progress=lambda *call: progress.append(call)
        )
    assert dest.read_bytes() == whole
    # Resumed, not restarted: the first report already counts the bytes on disk.
    assert progress[0] == (half, len(whole))


async def test_download_starts_over_when_the_server_ignores_range(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = start_simulator(phase_seconds=0.02, speed=100_000, no_range=True)
    async with connect(sim) as provider:
        batch = await completed_batch(provider, tmp_path)
        dest = tmp_path / "output.jsonl"
        part = dest.with_name("output.jsonl.part")
        part.write_bytes(b"stale bytes that must not survive\n")
        await provider.download(batch.output_file_id, dest)
        lines = [line async for line in provider.iter_lines(batch.output_file_id)]
    assert not part.exists()
    assert_whole_output(dest.read_bytes())
    assert dest.read_bytes().splitlines() == lines


async def test_a_whole_part_file_is_renamed_and_a_too_long_one_replaced(
    connect: Connect, fast_simulator: SimulatorHandle, tmp_path: Path
) -> None:
    async with connect(fast_simulator) as provider:
        batch = await completed_batch(provider, tmp_path)
        whole = await download_bytes(provider, batch, tmp_path / "whole.jsonl")
        # Interrupted between the last byte and the rename: the server answers 416.
        complete = tmp_path / "complete.jsonl"
        complete.with_name("complete.jsonl.part").write_bytes(whole)
        await provider.download(batch.output_file_id, complete)
        # A `.part` longer than the file cannot be a prefix of it.
        too_long = tmp_path / "too_long.jsonl"
        too_long.with_name("too_long.jsonl.part").write_bytes(whole + b"garbage\n")
        await provider.download(batch.output_file_id, too_long)
    assert complete.read_bytes() == whole
    assert too_long.read_bytes() == whole


async def test_unknown_file_is_not_found_and_leaves_no_file(
    connect: Connect, simulator: SimulatorHandle, tmp_path: Path
) -> None:
    dest = tmp_path / "nothing.jsonl"
    async with connect(simulator) as provider:
        with pytest.raises(NotFoundError) as caught:
            await provider.download("file-missing/../x", dest)
        with pytest.raises(NotFoundError):
            _ = [line async for line in provider.iter_lines("file-missing")]
    # The id travels as one percent-encoded path segment.
    assert "GET /files/file-missing%2F..%2Fx/content: HTTP 404" in str(caught.value)
    assert not dest.exists()


async def test_a_file_that_keeps_arriving_short_is_never_renamed_into_place(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    # Every answer stops half-way: resuming gains less each time until nothing comes.
    sim = start_simulator(phase_seconds=0.02, speed=100_000, faults="content:truncated=1")
    dest = tmp_path / "output.jsonl"
    async with connect(sim) as provider:
        batch = await completed_batch(provider, tmp_path)
        assert batch.output_file_id
        with pytest.raises(ProviderUnreachable) as caught:
            await provider.download(batch.output_file_id, dest)
    assert not dest.exists()
    part = dest.with_name("output.jsonl.part")
    assert part.stat().st_size > 0  # kept, to resume later
    assert "dropped before the answer was complete" in str(caught.value)
