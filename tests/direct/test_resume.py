"""kill -9 of a runner halfway: nothing runs until a command touches the job; then only the
unanswered lines are sent, each custom_id ends up once, and a torn last line is repaired."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from batchtui.cli.json_shapes import SHAPES
from batchtui.core.providers.direct.folder import HEARTBEAT_SECONDS, STALE_HEARTBEATS
from helpers.cli import CLI

from .conftest import answers, folder_of, submit, wait_for, write_input

LINES = 300
CONCURRENCY = 4


def _kill_halfway(cli: CLI, direct_profile, start_simulator, tmp_path: Path):
    sim = start_simulator()
    # Paced so that "halfway" lasts long enough to be caught: 50 requests a second.
    direct_profile(sim.url, "--concurrency", str(CONCURRENCY), "--rpm", "3000")
    job = submit(cli, write_input(tmp_path / "in.jsonl", LINES))
    folder = folder_of(job)
    wait_for(lambda: sum(answers(folder).values()) >= LINES // 3, 60, "a third answered")
    beat = folder.read_heartbeat()
    assert beat is not None
    os.kill(beat.pid, signal.SIGKILL)
    wait_for(lambda: not folder.runner_alive(), 10, "the runner to die")
    return sim, job, folder


def _sent_twice(sim) -> int:
    """Lines whose request reached the server more than once."""
    counts = Counter(
        hashlib.sha256(json.dumps(arrival.body, sort_keys=True).encode()).hexdigest()
        for arrival in sim.server.realtime.snapshot()
    )
    return sum(1 for count in counts.values() if count > 1)


def _starts(folder) -> int:
    return (folder.path / "runner.log").read_text().count(" starts:")


@pytest.mark.slow
def test_resume_after_kill_sends_only_unanswered_lines_and_repairs_a_torn_line(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    sim, job, folder = _kill_halfway(cli, direct_profile, start_simulator, tmp_path)
    answered = set(answers(folder))
    assert len(answered) < LINES
    unanswered = sorted(set(f"r{n}" for n in range(LINES)) - answered)
    # A reboot mid-write leaves a line without its end: never taken for an answer.
    with folder.file("output").open("ab") as output:
        output.write(b'{"id":"batch_req_torn","custom_id":"' + unanswered[0].encode() + b'","resp')
    time.sleep(2 * HEARTBEAT_SECONDS)
    assert not folder.runner_alive()  # nothing restarts it by itself

    resumed = cli("resume", job["id"], "--json")
    assert resumed.code == 0, resumed.stderr
    jsonschema.validate(resumed.json(), SHAPES["resume"])  # as `batchtui help json` says
    assert resumed.json()["runner_started"] is True
    watched = cli("watch", job["id"], "--interval", "0.3", timeout=120)
    assert watched.code == 0, watched.stderr

    seen = answers(folder)  # also proves every line of both files is whole JSON
    assert set(seen) == {f"r{n}" for n in range(LINES)}
    assert set(seen.values()) == {1}
    assert _sent_twice(sim) <= CONCURRENCY  # at most the requests in flight at the kill
    assert _starts(folder) == 2


@pytest.mark.slow
def test_a_stale_runner_is_restarted_once_by_status_refresh_from_two_processes(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    sim, job, folder = _kill_halfway(cli, direct_profile, start_simulator, tmp_path)
    fresh = cli("status", job["id"], "--refresh")
    assert fresh.code == 0, fresh.stderr
    assert not folder.runner_alive()  # the heartbeat is still young: no restart yet

    wait_for(folder.is_stale, (STALE_HEARTBEATS + 2) * HEARTBEAT_SECONDS, "a stale heartbeat")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        refreshes = list(pool.map(lambda _: cli("status", job["id"], "--refresh"), range(2)))
    assert all(run.code == 0 for run in refreshes), [run.stderr for run in refreshes]
    wait_for(folder.runner_alive, 10, "the restarted runner")
    watched = cli("watch", job["id"], "--interval", "0.3", timeout=120)
    assert watched.code == 0, watched.stderr

    log = (folder.path / "runner.log").read_text()
    assert _starts(folder) == 2, log  # the first runner, and one restart
    assert "another runner holds the job" not in log  # the lease let one process start it
    seen = answers(folder)
    assert set(seen) == {f"r{n}" for n in range(LINES)}
    assert set(seen.values()) == {1}
    assert _sent_twice(sim) <= CONCURRENCY
