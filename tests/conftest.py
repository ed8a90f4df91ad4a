"""Shared fixtures: isolation from the user's files, and simulators to talk real HTTP to.

- `isolated_environment` (autouse): every test gets its own config file path, data dir and
  state dir (`BATCHTUI_CONFIG`, `BATCHTUI_DATA_DIR`, `BATCHTUI_STATE_DIR` under tmp_path),
  and no API keys or proxy variables from the environment.
- `simulator`: a running in-thread simulator with fast phases (see `FAST`), yields its
  `SimulatorHandle` (`.url` ends in /v1, `.data_dir`, `.stop()`).
- `start_simulator(**options)`: start more, with CLI-named options
  (`start_simulator(api_key="k", faults="create:500=1", seed=1, phase_seconds=0.1)`);
  fast defaults unless overridden; all stopped at teardown.
- `spawn_simulator_process(*flags, data_dir=None)`: `python -m batchtui.simulator` as a
  subprocess, for kill/restart tests; killed at teardown.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from batchtui.simulator import SimulatorHandle, start_in_thread

# Property tests take their example count from the profile: `dev` (default) is quick,
# `ci` (set by .ci/run) stays lean at a hundred, `HYPOTHESIS_PROFILE=deep` searches harder.
_QUIET = [HealthCheck.too_slow]
settings.register_profile("dev", max_examples=200, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("deep", max_examples=20_000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Fast enough for tests, slow enough to observe each status with a few polls.
FAST: dict[str, Any] = {"phase_seconds": 0.2, "speed": 1000.0}
PROCESS_START_TIMEOUT = 15.0

_ENV_TO_DROP = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "PORTKEY_API_KEY",
    "LITELLM_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point batchtui at tmp paths and drop keys and proxies; returns the tmp home dir."""
    home = tmp_path / "batchtui-home"
    monkeypatch.setenv("BATCHTUI_CONFIG", str(home / "config" / "config.toml"))
    monkeypatch.setenv("BATCHTUI_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("BATCHTUI_STATE_DIR", str(home / "state"))
    for name in _ENV_TO_DROP:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def start_simulator(tmp_path: Path) -> Iterator[Callable[..., SimulatorHandle]]:
    """Factory: `start_simulator(**options)` -> a running in-thread simulator.

    Options are the CLI flags' names. Defaults: port 0, `FAST` timings, a fresh data dir
    under tmp_path (pass `data_dir=` to share one between two simulators, e.g. a restart).
    """
    handles: list[SimulatorHandle] = []

    def start(**options: Any) -> SimulatorHandle:
        options.setdefault("data_dir", tmp_path / f"simulator-{len(handles)}")
        for name, value in FAST.items():
            options.setdefault(name, value)
        handle = start_in_thread(**options)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def simulator(start_simulator: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A running simulator with fast phases, any API key accepted, no faults."""
    return start_simulator()


@dataclass
class SimulatorProcess:
    """A simulator running as `python -m batchtui.simulator`."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, no cleanup: what a crash or `kill -9` looks like."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=10)


@pytest.fixture
def spawn_simulator_process(tmp_path: Path) -> Iterator[Callable[..., SimulatorProcess]]:
    """Factory: `spawn_simulator_process(*flags, data_dir=None)` -> `SimulatorProcess`.

    Runs `python -m batchtui.simulator --port 0 --data-dir D <FAST timings> *flags`, reads the
    URL from the first stdout line, and sends stderr (the request log) to a file. Pass the same
    `data_dir` to a second call to restart on the same state.
    """
    processes: list[SimulatorProcess] = []

    def spawn(*flags: str, data_dir: Path | None = None) -> SimulatorProcess:
        data_dir = data_dir or tmp_path / f"simulator-process-{len(processes)}"
        stderr_path = tmp_path / f"simulator-process-{len(processes)}.stderr"
        command = [
            sys.executable,
            "-m",
            "batchtui.simulator",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--phase-seconds",
            str(FAST["phase_seconds"]),
            "--speed",
            str(FAST["speed"]),
            *flags,
        ]
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=stderr, env=os.environ.copy()
            )
        running = SimulatorProcess("", data_dir, process, stderr_path)
        processes.append(running)
        running.url = _read_first_line(process, stderr_path)
        return running

    yield spawn
    for running in processes:
        running.kill()
        if running.process.stdout is not None:
            running.process.stdout.close()


def _read_first_line(process: subprocess.Popen[bytes], stderr_path: Path) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=PROCESS_START_TIMEOUT):
            process.kill()
            pytest.fail(f"simulator printed no URL in {PROCESS_START_TIMEOUT}s")
    line = process.stdout.readline().decode().strip()
    if not line:
        process.wait(timeout=10)
        pytest.fail(
            f"simulator exited ({process.returncode}) before printing its URL: "
            f"{stderr_path.read_text(errors='replace').strip()}"
        )
    return line
