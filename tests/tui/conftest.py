"""Fixtures of the TUI tests: the registry's loop guard, a steady cursor, sample files and
a job service on the simulator (`service`).

Every test here runs with the registry's loop guard on: a blocking registry call on the
event loop fails it. The shared apps and data are in `helpers.viewer`, `helpers.remote`
and `helpers.shell` (imported by package name, never as `conftest` or a test module).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from batchtui.core.registry import Registry, loop_guard
from batchtui.core.service import JobService
from helpers.remote import quick_retries, sim_config
from helpers.viewer import input_line, result_line, write_jsonl


@pytest.fixture(autouse=True)
def _no_blocking_registry_calls() -> Iterator[None]:
    """A sync registry call on a running app's event loop fails the test, even when the
    app caught the error and only reported it."""
    loop_guard.enable()
    try:
        yield
        assert not loop_guard.violations, loop_guard.violations[0]
    finally:
        loop_guard.enable(False)


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    # A blinking cursor makes snapshots depend on timing.
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "output.jsonl", [result_line(n) for n in range(1, 61)])


@pytest.fixture
def inputs_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "input.jsonl", [input_line(n) for n in range(1, 61)])


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, results_file: Path, inputs_file: Path):
    # Relative paths keep the tmp directory's random name out of snapshots.
    monkeypatch.chdir(tmp_path)
    return Path("output.jsonl"), Path("input.jsonl")


@pytest.fixture
async def service(simulator) -> AsyncIterator[JobService]:
    with Registry.open_default() as registry:
        async with JobService(
            sim_config(simulator.url), registry, provider_factory=quick_retries
        ) as opened:
            yield opened
