"""What batchtui keeps for the user is private to the user, whatever the umask says.

Config, data dir, registry, logs and the simulator's data: directories 0700, files 0600,
even under a permissive umask (022, 002). Downloads into a directory the user chose are
the user's files: they get the umask's mode, and the directory keeps its own.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtui.simulator import SimulatorHandle

from .conftest import add_profile, request_line, run_cli


@pytest.fixture(params=[0o022, 0o002], ids=["umask022", "umask002"])
def permissive_umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def modes_under(root: Path) -> dict[Path, int]:
    found = {root: stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[path] = stat.S_IMODE(path.lstat().st_mode)
    return found


def assert_private(*roots: Path) -> int:
    checked = 0
    for root in roots:
        assert root.exists(), root
        for path, mode in modes_under(root).items():
            expected = 0o700 if path.is_dir() else 0o600
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}, expected {oct(expected)}"
            checked += 1
    return checked


def submitted_job(simulator: SimulatorHandle, tmp_path: Path) -> str:
    add_profile(simulator.url)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hi") + "\n" + request_line("r2", "[sim:error] x") + "\n")
    submitted = run_cli("submit", str(source), "--profile", "sim", "--json")
    assert submitted.code == 0, submitted.err
    job_id = json.loads(submitted.out)["id"]
    watched = run_cli("watch", job_id, "--interval", "1", timeout=120)
    assert watched.code == 0, watched.err
    return job_id


def test_batchtui_files_are_private(
    permissive_umask: int,
    start_simulator,
    isolated_environment: Path,
    tmp_path: Path,
) -> None:
    simulator = start_simulator(data_dir=tmp_path / "sim-data")
    submitted_job(simulator, tmp_path)
    from batchtui.tui.app import _setup_debug_log

    log = _setup_debug_log()
    import logging

    logging.getLogger("batchtui").info("a line for the log")
    for handler in list(logging.getLogger("batchtui").handlers):
        if getattr(handler, "baseFilename", None) == str(log):
            logging.getLogger("batchtui").removeHandler(handler)
            handler.close()

    home = isolated_environment
    checked = assert_private(home / "config", home / "data", home / "state")
    assert checked >= 6  # three dirs, config, registry, log at least
    assert log.exists()


def test_simulator_data_is_private(permissive_umask: int, start_simulator, tmp_path: Path) -> None:
    simulator = start_simulator(data_dir=tmp_path / "sim-data")
    submitted_job(simulator, tmp_path)

    assert_private(simulator.data_dir)


def test_downloads_follow_the_chosen_directory_and_umask(
    permissive_umask: int, simulator: SimulatorHandle, tmp_path: Path
) -> None:
    job_id = submitted_job(simulator, tmp_path)
    chosen = tmp_path / "shared-results"
    chosen.mkdir()
    os.chmod(chosen, 0o2775)  # a group project directory, setgid

    downloaded = run_cli("download", job_id, "-o", str(chosen))
    assert downloaded.code == 0, downloaded.err
    by_default = run_cli("download", job_id, cwd=tmp_path)
    assert by_default.code == 0, by_default.err

    assert stat.S_IMODE(chosen.stat().st_mode) == 0o2775
    files = [path for path in chosen.iterdir() if path.is_file()]
    assert files, "nothing was downloaded"
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~permissive_umask, path
    default_dir = tmp_path / f"batchtui-{job_id}"
    assert stat.S_IMODE(default_dir.stat().st_mode) == 0o777 & ~permissive_umask
    for path in default_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~permissive_umask, path
