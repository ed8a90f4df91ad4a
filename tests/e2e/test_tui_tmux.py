"""The real `batchtui` command in a real terminal (tmux at 80x24), driven by keys.

This is what Pilot skips: the pty, TERM handling, key decoding and process exit. Each
test runs its own tmux server (`-L`), polls `capture-pane` with a timeout instead of
sleeping, and kills the server at the end.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from batchtui.demo import SAMPLES
from realparts.provision import ensure_apt

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.slow,
]

BATCHTUI = Path(sys.executable).with_name("batchtui")


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.session = "bt"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    def start(
        self, command: str, env: dict[str, str], *, width: int = 80, height: int = 24
    ) -> None:
        assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        # `; echo EXITED=$?; sleep 30` keeps the pane after exit so the exit code can be read.
        shell = f"env {assignments} {command}; echo EXITED=$?; sleep 30"
        done = self.run(
            "new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height), shell
        )
        assert done.returncode == 0, done.stderr

    def screen(self, *, escapes: bool = False) -> str:
        args = ["capture-pane", "-p", "-t", self.session] + (["-e"] if escapes else [])
        return self.run(*args).stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", self.session, key)
            time.sleep(0.15)

    def wait_for(self, predicate: Callable[[str], bool] | str, timeout: float = 15.0) -> str:
        check = (lambda text: predicate in text) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.2)
        raise AssertionError(
            f"timed out after {timeout}s waiting for {predicate!r}; screen:\n{text}"
        )


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    ensure_apt(["tmux"], commands=["tmux"])
    session = Tmux(f"batchtui-test-{uuid.uuid4().hex[:8]}")
    yield session
    session.run("kill-server")


def base_env() -> dict[str, str]:
    names = ("BATCHTUI_CONFIG", "BATCHTUI_DATA_DIR", "BATCHTUI_STATE_DIR", "PATH", "HOME")
    env = {name: os.environ[name] for name in names if name in os.environ}
    env.update(TERM="xterm-256color", LANG="C.UTF-8")
    return env


def test_demo_job_completes_by_itself_then_results_then_quit(tmux: Tmux) -> None:
    tmux.start(f"{BATCHTUI} --demo", base_env())
    tmux.wait_for("SIMULATED", timeout=10)
    tmux.wait_for("demo-chat", timeout=20)
    # No key pressed: the list refreshes itself until a job completes.
    tmux.wait_for("✔ completed", timeout=90)
    tmux.keys("/", *"status:completed", "Enter")
    shown = re.compile(rf"\((\d+) of {len(SAMPLES)}\)")
    tmux.wait_for(lambda text: (match := shown.search(text)) is not None and match[1] != "0")
    tmux.keys("o")
    # The footer of the job list already says "Results": wait for the viewer's own count.
    tmux.wait_for(lambda text: "record" in text, timeout=15)
    tmux.keys("Escape")
    tmux.wait_for("SIMULATED")
    tmux.keys("Escape", "q")
    tmux.wait_for("EXITED=0", timeout=10)


def test_first_run_welcome_help_and_quit(tmux: Tmux, tmp_path: Path) -> None:
    env = base_env()
    env["BATCHTUI_CONFIG"] = str(tmp_path / "absent" / "config.toml")
    tmux.start(str(BATCHTUI), env)
    tmux.wait_for("Welcome to batchtui")
    tmux.keys("Escape")
    tmux.wait_for("No jobs yet")
    tmux.keys("?")
    tmux.wait_for("batchtui keys")
    tmux.keys("Escape", "q")
    tmux.wait_for("EXITED=0", timeout=10)
    assert not (tmp_path / "absent" / "config.toml").exists()


def test_sixteen_colour_terminal_gets_the_ansi_theme(tmux: Tmux, tmp_path: Path) -> None:
    env = base_env()
    env["TERM"] = "screen"
    env["BATCHTUI_CONFIG"] = str(tmp_path / "config.toml")
    (tmp_path / "config.toml").write_text('[profiles.p]\nkind = "openai"\n')
    tmux.start(str(BATCHTUI), env)
    tmux.wait_for("No jobs yet")
    painted = tmux.screen(escapes=True)
    assert "38;5;" not in painted and "38;2;" not in painted  # no 256-colour or truecolour
    tmux.keys("q")
    tmux.wait_for("EXITED=0", timeout=10)
