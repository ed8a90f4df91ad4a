"""A submit started inside a tmux session that is then killed (SIGHUP to the pane's process
group): the runner is in a session of its own, so the job still finishes, by itself."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers.cli import BATCHTUI, CLI
from realparts.provision import ensure_apt

from .conftest import answers, cli_env, folder_of, wait_for, write_input

LINES = 100

pytestmark = [pytest.mark.tmux, pytest.mark.slow]


@pytest.fixture
def tmux() -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    ensure_apt(["tmux"], commands=["tmux"])
    socket = f"batchtui-direct-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=10, check=False
        )

    yield run
    run("kill-server")


def test_a_submit_in_a_killed_tmux_session_still_finishes(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmux, tmp_path: Path
):
    sim = start_simulator()
    direct_profile(sim.url, "--rpm", "600")  # 100 lines take about 10 s
    path = write_input(tmp_path / "in.jsonl", LINES)
    env = " ".join(
        f"{name}={shlex.quote(value)}"
        for name, value in cli_env().items()
        if name.startswith(("BATCHTUI", "PATH", "HOME", "LANG"))
    )
    shell = f"env {env} {BATCHTUI} submit {shlex.quote(str(path))} --profile d; sleep 120"
    started = tmux("new-session", "-d", "-s", "bt", "-x", "100", "-y", "20", shell)
    assert started.returncode == 0, started.stderr
    wait_for(lambda: "submitted" in tmux("capture-pane", "-p", "-t", "bt").stdout, 30, "submit")
    jobs = cli("jobs", "--json").json()
    folder = folder_of(jobs[0])
    wait_for(folder.runner_alive, 10, "the runner")

    pane_pid = int(tmux("display-message", "-p", "-t", "bt", "#{pane_pid}").stdout)
    os.killpg(os.getpgid(pane_pid), signal.SIGHUP)
    tmux("kill-server")  # and the session's end hangs up whatever is left in it
    assert sum(answers(folder).values()) < LINES  # killed mid-run

    # No batchtui command touches the job from here: the runner finishes on its own.
    wait_for(lambda: folder.read_state()["status"] == "completed", 60, "the job to complete")
    seen = answers(folder)
    assert len(seen) == LINES and set(seen.values()) == {1}
    assert (folder.path / "runner.log").read_text().count(" starts:") == 1
