"""The background scan of a remote output: streamed once (bytes counted by a loopback relay in
front of the simulator) into the index a download builds, saved so the next open is exact
after two small ranged reads, cancellable and resumed from where it stopped."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import BatchtuiError
from batchtui.core.lineindex import LineIndex
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.remote_output import RemoteOutput
from batchtui.core.remote_scan import RemoteScan, prune_saved_indexes
from providers.helpers import FAST_RETRY

from .relay import Relay

KB, MB = 1 << 10, 1 << 20
# HTTP heads and the like, on top of the file's bytes.
OVERHEAD = 16 * KB


def mixed_lines() -> bytes:
    """About 6 MB: long lines (a checkpoint each), then short ones (counted between sparse
    checkpoints), then long again; the last line without a newline."""
    rows = []
    for n in range(1200):
        body = {"choices": [{"message": {"content": "w" * (1500 + (n * 37) % 1000)}}]}
        rows.append(json.dumps({"custom_id": f"a-{n:05d}", "body": body}).encode() + b"\n")
    rows += [f'{{"custom_id": "b-{n:06d}"}}\n'.encode() for n in range(90_000)]
    for n in range(300):
        rows.append(json.dumps({"custom_id": f"c-{n:05d}", "pad": "x" * 900}).encode() + b"\n")
    return b"".join(rows).rstrip(b"\n")


@pytest.fixture(scope="module")
def data() -> bytes:
    return mixed_lines()


@pytest.fixture
def relay(simulator):
    made = Relay(int(simulator.url.split(":")[2].split("/")[0]))
    yield made
    made.close()


@pytest.fixture
async def uploaded(relay, data: bytes, tmp_path: Path):
    """(provider, file id, local copy) of the output uploaded to the simulator."""
    path = tmp_path / "output.jsonl"
    path.write_bytes(data)
    profile = Profile(name="s", kind="openai", base_url=relay.url, api_key="sk-t", timeout=5)
    async with OpenAIProvider.from_profile(profile, retry=FAST_RETRY) as provider:
        remote = await provider.upload(path)
        yield provider, remote.id, path


async def opened(provider: OpenAIProvider, file_id: str) -> RemoteOutput:
    source = await provider.byte_source(file_id)
    assert source is not None
    return RemoteOutput(source, key=f"s:{file_id}")


def local_index(path: Path) -> LineIndex:
    index = LineIndex(path)
    assert index.scan()
    return index


async def test_the_scan_builds_the_downloads_index_streaming_once(uploaded, relay, data) -> None:
    provider, file_id, path = uploaded
    output = await opened(provider, file_id)
    near = await output.lines_near(50_000, 3)
    assert not near.exact

    seen: list[tuple[int, int]] = []
    before = relay.to_client
    scan = RemoteScan(output)
    index = await scan.run(lambda done, total: seen.append((done, total)))
    assert scan.bytes_streamed == len(data)
    assert len(data) <= relay.to_client - before <= len(data) + OVERHEAD  # once, not twice
    assert seen[-1] == (len(data), len(data)) and len(seen) >= 3  # progress by window
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)

    expected = local_index(path)
    assert index.layout() == expected.layout()
    assert index.line_count == expected.line_count == data.count(b"\n") + 1
    assert index.checkpoint_count < expected.line_count  # the short lines were counted
    assert index.fingerprint() == expected.fingerprint()

    all_lines = data.split(b"\n")
    assert output.indexed and output.estimated_lines() == len(all_lines)
    for line in (0, 700, 1_199, 1_200, 50_000, 91_199, 91_200, len(all_lines) - 2):
        window = await output.lines_near(line, 2)
        assert window.exact and window.first_line == line
        assert window.lines == all_lines[line : line + 2]
    for fraction in (0.3, 0.6, 0.97):
        window = await output.lines_at_fraction(fraction, 2)
        assert window.exact and all_lines[window.first_line] == window.lines[0]
        after = await output.lines_after(window, 2)
        assert after.exact and after.first_line == window.first_line + 2
    tail = await output.last_lines(5)
    assert tail.exact and tail.first_line == len(all_lines) - 5
    assert tail.lines == all_lines[-5:]


async def test_a_saved_index_makes_the_next_open_exact_after_two_small_reads(
    uploaded, relay, data
) -> None:
    provider, file_id, path = uploaded
    first = await opened(provider, file_id)
    await RemoteScan(first).run()

    again = await opened(provider, file_id)
    before = relay.to_client
    assert await RemoteScan(again).load_saved()
    assert relay.to_client - before <= 2 * 64 * KB + OVERHEAD
    assert again.indexed and again.index is not None
    assert again.index.layout() == local_index(path).layout()
    window = await again.lines_near(60_000, 1)
    assert window.exact and window.lines == [data.split(b"\n")[60_000]]

    # Another file under the same name (a key reused) does not match: scanned anew.
    other = await provider.upload(_written(path.with_name("other.jsonl"), data[::-1]))
    source = await provider.byte_source(other.id)
    assert source is not None
    impostor = RemoteOutput(source, key=f"s:{file_id}")
    assert not await RemoteScan(impostor).load_saved()
    assert not impostor.indexed


async def test_a_cancelled_scan_resumes_at_the_byte_it_reached(uploaded, relay, data) -> None:
    provider, file_id, path = uploaded
    output = await opened(provider, file_id)
    relay.rate = 2 * MB  # slow enough to stop half-way
    scan = RemoteScan(output)
    reached = asyncio.Event()

    def progress(done: int, _total: int) -> None:
        if done >= 2 * MB:
            reached.set()

    task = asyncio.create_task(scan.run(progress))
    await asyncio.wait_for(reached.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not output.indexed
    stopped_at = scan.bytes_streamed
    assert 2 * MB <= stopped_at < len(data)

    relay.rate = None
    before = await quiet(relay)  # what the relay still held for the closed stream is through
    again = await opened(provider, file_id)
    resumed = RemoteScan(again)
    index = await resumed.run()
    assert 0 < resumed.resumed_from <= stopped_at  # from the last whole window
    assert resumed.bytes_streamed == len(data) - resumed.resumed_from
    # The resumed scan compares the first 64 KB before going on: that and the rest only.
    assert relay.to_client - before <= len(data) - resumed.resumed_from + 64 * KB + OVERHEAD
    assert index.layout() == local_index(path).layout()
    assert again.indexed


async def test_a_failed_scan_leaves_the_numbers_approximate_and_says_why(uploaded) -> None:
    provider, file_id, _path = uploaded
    output = await opened(provider, file_id)
    await output.lines_near(50_000, 1)
    assert await provider.delete_file(file_id)
    with pytest.raises(BatchtuiError) as failure:
        await RemoteScan(output).run()
    message = str(failure.value)
    assert len(message.splitlines()) == 1 and file_id in message
    assert not output.indexed
    window = await output.lines_near(50_000, 1)  # cached blocks: still answered, ≈
    assert not window.exact


async def quiet(relay: Relay) -> int:
    """The relay's byte count once nothing has moved for a moment."""
    last = -1
    for _ in range(100):
        if relay.to_client == last:
            break
        last = relay.to_client
        await asyncio.sleep(0.1)
    return relay.to_client


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_only_the_most_recent_saved_indexes_are_kept(tmp_path: Path) -> None:
    import os

    for n in range(10):
        path = tmp_path / f"{n:02d}.idx"
        path.write_bytes(b"x")
        os.utime(path, ns=(n * 10**9, n * 10**9))
    (tmp_path / "other.txt").write_text("not an index")
    assert prune_saved_indexes(tmp_path, keep=4) == 6
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "06.idx", "07.idx", "08.idx", "09.idx", "other.txt"
    ]  # fmt: skip
    assert prune_saved_indexes(tmp_path / "missing") == 0
