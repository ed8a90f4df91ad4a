"""Downloads that survive bad links and small disks: checked, hashed, resumed, placed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from batchtui.core.config import Settings
from batchtui.core.downloads import (
    DiskSpaceError,
    TransferMeter,
    checksum_path,
    download_root,
    fetch_file,
    job_download_dir,
    make_download_dir,
    part_path,
    staging_path,
)
from batchtui.core.errors import BatchtuiError, ConfigError

from .conftest import API_KEY, PROFILE, until_terminal, write_chat_input


async def finished_job(service, tmp_path: Path, count: int = 6, failing=frozenset({2})):
    path = write_chat_input(tmp_path / "input.jsonl", count, failing=set(failing))
    job = await service.submit(path, PROFILE)
    return await until_terminal(service, job)


def remote_bytes(simulator, file_id: str) -> bytes:
    answer = httpx.get(
        f"{simulator.url}/files/{file_id}/content",
        headers={"Authorization": f"Bearer {API_KEY}"},
        trust_env=False,
        timeout=5,
    )
    answer.raise_for_status()
    return answer.content


async def test_files_are_checked_hashed_and_recorded(simulator, make_service, tmp_path, in_tmp):
    service = await make_service(simulator)
    job = await finished_job(service, tmp_path)
    report = await service.download_report(job, tmp_path / "out")
    assert [item.kind for item in report.files] == ["output", "error"]
    assert report.warnings == []  # 5 output lines + 1 error line = 6 requests
    assert sum(item.lines for item in report.files) == 6
    for item in report.files:
        data = item.path.read_bytes()
        assert item.expected == item.size == len(data)  # the provider's file object agreed
        digest = hashlib.sha256(data).hexdigest()
        assert checksum_path(item.path).read_text() == f"{digest}  {item.path.name}\n"
        assert item.resumed_from == 0
    assert not (tmp_path / "out" / ".incoming").exists()
    job = service.registry.get_job(job.id)
    assert job.output_path == (tmp_path / "out" / "output.jsonl").resolve()
    assert data == remote_bytes(simulator, job.error_file_id)
    # Whole files are kept: asking again fetches nothing.
    again = await service.download_report(job, tmp_path / "out")
    assert again.files == [] and again.paths == report.paths


async def test_a_server_ignoring_range_still_gives_the_whole_file(
    start_simulator, make_service, tmp_path, in_tmp
):
    simulator = start_simulator(no_range=True)
    service = await make_service(simulator)
    job = await finished_job(service, tmp_path)
    dest = tmp_path / "out" / "output.jsonl"
    part = part_path(dest)
    part.parent.mkdir(parents=True)
    part.write_bytes(b"X" * 100)  # a leftover the server will not resume: it sends 200
    report = await service.download_report(job, tmp_path / "out")
    [output] = [item for item in report.files if item.kind == "output"]
    assert output.resumed_from == 100
    assert dest.read_bytes() == remote_bytes(simulator, job.output_file_id)
    assert not part.exists()


async def test_not_enough_free_space_is_refused_before_a_byte(
    simulator, make_service, tmp_path, in_tmp, monkeypatch
):
    service = await make_service(simulator)
    job = await finished_job(service, tmp_path)
    monkeypatch.setattr(
        "batchtui.core.downloads.shutil.disk_usage", lambda path: SimpleNamespace(free=1000)
    )
    with pytest.raises(DiskSpaceError) as caught:
        await service.download(job, tmp_path / "small")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'small'}: not enough free space")
    assert "download_dir" in message and "\n" not in message
    assert not (tmp_path / "small" / "output.jsonl").exists()
    assert not part_path(tmp_path / "small" / "output.jsonl").exists()


async def test_a_full_disk_mid_download_keeps_the_part(simulator, make_service, tmp_path, in_tmp):
    service = await make_service(simulator)
    job = await finished_job(service, tmp_path)
    dest = tmp_path / "full" / "output.jsonl"
    part = part_path(dest)
    part.parent.mkdir(parents=True)
    os.symlink("/dev/full", part)  # every write fails with ENOSPC, as on a full disk
    with pytest.raises(DiskSpaceError) as caught:
        await service.download(job, tmp_path / "full")
    message = str(caught.value)
    size = len(remote_bytes(simulator, job.output_file_id))
    assert message.startswith(f"{tmp_path / 'full'}: disk full or over quota")
    assert f"needs {size:,} more bytes" in message and str(part) in message
    assert part.is_symlink()  # kept for the next attempt
    assert not dest.exists()


def test_download_dir_setting_expands_home_and_variables(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SCRATCH_ROOT", str(tmp_path / "scratch"))
    settings = Settings(download_dir="$SCRATCH_ROOT/batchtui")
    assert job_download_dir(settings, "bt-abc") == tmp_path / "scratch/batchtui/batchtui-bt-abc"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert download_root(Settings(download_dir="~/res")) == tmp_path / "home/res"
    monkeypatch.chdir(tmp_path)
    assert job_download_dir(Settings(), "bt-abc") == tmp_path / "batchtui-bt-abc"
    with pytest.raises(ConfigError, match=r"download_dir.*not set"):
        download_root(Settings(download_dir="$NO_SUCH_VARIABLE_HERE/x"))


async def test_service_downloads_into_the_configured_dir(simulator, make_service, tmp_path):
    from batchtui.core.downloads import results_dir

    service = await make_service(simulator, download_dir=str(tmp_path / "scratch"))
    job = await finished_job(service, tmp_path)
    settings = service.config.settings
    assert results_dir(settings, job) == tmp_path / "scratch" / f"batchtui-{job.id}"


def test_transfer_meter_reports_a_rate_that_restarts_with_the_file() -> None:
    now = [0.0]
    meter = TransferMeter(clock=lambda: now[0])
    assert meter.update(0) is None
    now[0] = 1.0
    assert meter.update(1000) == pytest.approx(1000.0)
    now[0] = 2.0
    assert meter.update(3000) == pytest.approx(1500.0)
    now[0] = 2.5
    assert meter.update(10) is None  # the server started over: no rate from one sample
    assert TransferMeter.describe(2048, 4096, 1024.0) == "2 kB of 4.1 kB at 1 kB/s"


def no_room(path: Path) -> SimpleNamespace:
    return SimpleNamespace(free=0)


async def test_a_whole_staged_file_is_finished_after_a_failed_checksum_without_room(
    simulator, make_service, tmp_path, in_tmp
):
    """The checksum could not be written (a full disk): once space is freed, the file
    already whole in `.incoming/` is hashed and placed; no room is asked to fetch it."""
    service = await make_service(simulator)
    job = await finished_job(service, tmp_path)
    provider = await service.provider(PROFILE)
    data = remote_bytes(simulator, job.output_file_id)
    dest = tmp_path / "out" / "output.jsonl"
    staged = staging_path(dest)
    staged.parent.mkdir(parents=True)
    staged.write_bytes(data)
    checksum_path(dest).mkdir()  # the .sha256 cannot be written, as on a full disk

    with pytest.raises(BatchtuiError) as caught:
        await fetch_file(provider, "output", job.output_file_id, dest, disk_usage=no_room)
    message = str(caught.value)
    assert message.startswith(f"{checksum_path(dest)}: cannot write the checksum")
    assert "\n" not in message and "without fetching again" in message
    assert staged.read_bytes() == data and not dest.exists()

    checksum_path(dest).rmdir()  # the space is freed
    fetched = await fetch_file(provider, "output", job.output_file_id, dest, disk_usage=no_room)

    assert dest.read_bytes() == data and not staged.exists()
    digest = hashlib.sha256(data).hexdigest()
    assert fetched.sha256 == digest
    assert checksum_path(dest).read_text() == f"{digest}  output.jsonl\n"


def test_download_dir_is_created_but_not_its_parents(tmp_path: Path) -> None:
    made = make_download_dir(tmp_path / "new")
    assert made.is_dir()
    assert make_download_dir(made) == made  # already there: fine
    with pytest.raises(BatchtuiError) as caught:
        make_download_dir(tmp_path / "a" / "b" / "out")
    assert str(caught.value).startswith(f"{tmp_path / 'a' / 'b'}: no such directory")
    assert not (tmp_path / "a").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(BatchtuiError, match="not a directory"):
        make_download_dir(tmp_path / "file")
