"""Reliability tests: faults, crashes and concurrency, through the real CLI and registry.

`BATCHTUI_SOAK=1` runs the deeper versions (longer concurrency runs, more jobs).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.app import App

from batchtui.simulator import SimulatorHandle
from batchtui.simulator.faults import FaultInjector
from helpers.cli import BATCHTUI, CLI, KEY_ENV, Run, env_with_key, request_line, run_batchtui
from helpers.cli import add_profile as add_profile_through_cli

# Names from `helpers.cli` this package's test modules import from here.
__all__ = ["CLI", "KEY_ENV"]

SOAK = os.environ.get("BATCHTUI_SOAK") == "1"
API_KEY = "sk-test-reliability-0123456789"


def cli_env(**extra: str) -> dict[str, str]:
    return env_with_key(API_KEY, **extra)


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """`cli("jobs", "--json")` runs the installed `batchtui` in tmp_path."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
        return run_batchtui(args, cwd=tmp_path, env=env or cli_env(), timeout=timeout)

    return run


PAUSED_CLI = Path(__file__).with_name("paused_cli.py")


def spawn_cli(
    tmp_path: Path, *args: str, pause_at: str | None = None, **env: str
) -> subprocess.Popen[str]:
    """`batchtui ARGS` started in the background (to be killed at a chosen moment); with
    `pause_at`, held still at that step of its job service (see `paused_cli.py`)."""
    command = [str(BATCHTUI)] if pause_at is None else [sys.executable, str(PAUSED_CLI), pause_at]
    return subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(**env),
        cwd=tmp_path,
    )


@pytest.fixture
def add_profile(cli: CLI) -> Callable[..., str]:
    def add(url: str, name: str = "sim", kind: str = "openai", *extra: str) -> str:
        return add_profile_through_cli(cli, url, name, kind, *extra)

    return add


def write_requests(path: Path, count: int, *, prefix: str = "req") -> Path:
    lines = [
        request_line(f"{prefix}-{n}", f"Say {n}" if n % 7 else f"[sim:error] fail {n}")
        for n in range(count)
    ]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def stop_faults(simulator: SimulatorHandle) -> None:
    """From now on the simulator answers every request normally."""
    simulator.server.faults = FaultInjector(())


def stored_batches(simulator: SimulatorHandle) -> list[dict[str, Any]]:
    """Every batch the simulator created, read from its store (no HTTP, so no faults)."""
    return simulator.server.engine.store.list_batches()


def served_sha256(simulator: SimulatorHandle, file_id: str) -> str:
    """sha256 of a file's content as the simulator serves it (call after `stop_faults`)."""
    answer = httpx.get(
        f"{simulator.url}/files/{file_id}/content",
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
        trust_env=False,
    )
    answer.raise_for_status()
    return hashlib.sha256(answer.content).hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def key_answer_seconds(app: App, key: str, answered: Callable[[], bool]) -> float:
    """Seconds from a key press to `answered()` being true, polled every 10 ms.

    The key is posted as a terminal would send it; Pilot's own waits are avoided on
    purpose: they wait for the whole process to go idle, which a test busy serving a
    simulator never is, and would measure that instead of the app.
    """
    started = time.monotonic()
    app.simulate_key(key)
    while not answered():
        if time.monotonic() - started > 30:
            raise AssertionError(f"the app did not answer {key!r} within 30 s")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


class CountingFaults(FaultInjector):
    """No faults; counts the simulator's `retrieve` requests (GET /batches/ID)."""

    def __init__(self) -> None:
        super().__init__(())
        self.retrieves = 0
        self._count_lock = threading.Lock()

    def pick(self, route: str) -> str | None:
        if route == "retrieve":
            with self._count_lock:
                self.retrieves += 1
        return None
