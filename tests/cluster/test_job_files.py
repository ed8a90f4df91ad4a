"""The slurm provider's file side, which needs no cluster: "upload" into a job folder,
reading and downloading results, and a missing file named in one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from batchtui.core.errors import NotFoundError
from batchtui.core.providers.slurm.provider import COPY_CHUNK, SlurmProvider
from batchtui.core.providers.slurm.settings import SlurmSettings


def _provider(tmp_path: Path) -> SlurmProvider:
    settings = SlurmSettings(work_dir=tmp_path / "work", model="/models/m")
    return SlurmProvider(label="slurm profile 'hpc'", settings=settings)


async def test_upload_copies_into_a_new_job_folder_reporting_progress_on_the_loop(
    tmp_path: Path,
) -> None:
    source = tmp_path / "big.jsonl"
    line = b'{"custom_id": "r", "body": {}}\n'
    source.write_bytes(line * (2 * COPY_CHUNK // len(line) + 3))
    seen: list[tuple[int, int | None]] = []

    def progress(done: int, total: int | None) -> None:
        asyncio.get_running_loop()  # raises off the event loop
        seen.append((done, total))

    uploaded = await _provider(tmp_path).upload(source, progress=progress)

    copy = Path(uploaded.id)
    assert copy.read_bytes() == source.read_bytes()
    assert copy.parent.parent == tmp_path / "work" / "batchtui-jobs"
    assert uploaded.bytes == source.stat().st_size
    assert seen[0] == (0, uploaded.bytes) and seen[-1] == (uploaded.bytes, uploaded.bytes)
    assert len(seen) >= 4  # several chunks, each reported


async def test_results_are_read_and_downloaded_whole(tmp_path: Path) -> None:
    provider = _provider(tmp_path)
    results = tmp_path / "output.jsonl"
    results.write_bytes(b'{"a": 1}\n{"b": 2}\n')
    lines = [line async for line in provider.iter_lines(str(results))]
    assert lines == [b'{"a": 1}', b'{"b": 2}']
    dest = tmp_path / "dl" / "output.jsonl"
    dest.parent.mkdir()
    await provider.download(str(results), dest)
    assert dest.read_bytes() == results.read_bytes()
    assert not dest.with_name("output.jsonl.part").exists()
    info = await provider.file_info(str(results))
    assert info is not None and info.bytes == results.stat().st_size


async def test_a_missing_file_is_named_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        await _provider(tmp_path).download(str(tmp_path / "gone.jsonl"), tmp_path / "x")
    assert str(caught.value).count("\n") == 0
    assert "gone.jsonl" in str(caught.value)
