"""The TUI's way in: `JobService.poll` under the job's poll lease restarts a stale runner;
a second TUI (another lease holder) polling at the same time neither asks nor restarts."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from batchtui.core.config import load_config
from batchtui.core.leases import lease_seconds, new_lease_holder
from batchtui.core.providers.direct.folder import HEARTBEAT_SECONDS, STALE_HEARTBEATS
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from helpers.cli import CLI, KEY_ENV

from .conftest import API_KEY, answers, folder_of, submit, wait_for, write_input

LINES = 200


@pytest.mark.slow
async def test_a_tui_poll_restarts_a_stale_runner_once(
    cli: CLI,
    direct_profile: Callable[..., str],
    start_simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv(KEY_ENV, API_KEY)  # the key, as in the TUI's own environment
    sim = start_simulator()
    direct_profile(sim.url, "--concurrency", "4", "--rpm", "3000")
    submitted = submit(cli, write_input(tmp_path / "in.jsonl", LINES))
    folder = folder_of(submitted)
    wait_for(lambda: sum(answers(folder).values()) >= 40, 60, "some answers")
    beat = folder.read_heartbeat()
    assert beat is not None
    os.kill(beat.pid, signal.SIGKILL)
    wait_for(lambda: not folder.runner_alive(), 10, "the runner to die")
    wait_for(folder.is_stale, (STALE_HEARTBEATS + 2) * HEARTBEAT_SECONDS, "a stale heartbeat")

    config = load_config()
    seconds = lease_seconds(config.profile("d").poll_interval)
    with Registry.open_default() as registry:
        first, second = JobService(config, registry), JobService(config, registry)
        async with first, second:
            job = registry.get_job(submitted["id"])
            job, asked = await first.poll(job, holder=new_lease_holder(), lease_seconds=seconds)
            assert asked
            wait_for(folder.runner_alive, 10, "the restarted runner")
            _job, other_asked = await second.poll(
                job, holder=new_lease_holder(), lease_seconds=seconds
            )
            assert not other_asked
    watched = cli("watch", submitted["id"], "--interval", "0.3", timeout=120)
    assert watched.code == 0, watched.stderr
    seen = answers(folder)
    assert len(seen) == LINES and set(seen.values()) == {1}
    log = (folder.path / "runner.log").read_text()
    assert log.count(" starts:") == 2 and "another runner" not in log
