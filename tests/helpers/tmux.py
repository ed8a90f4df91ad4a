"""A private tmux server for one test: start a command in an 80x24 pane, send keys, wait for
text on the screen (polling `capture-pane` with a timeout, never a fixed sleep)."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from realparts.provision import ensure_apt


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


@contextmanager
def tmux_server() -> Iterator[Tmux]:
    """A tmux server of its own (`-L`), installed if missing, killed at the end."""
    ensure_apt(["tmux"], commands=["tmux"])
    session = Tmux(f"batchtui-test-{uuid.uuid4().hex[:8]}")
    try:
        yield session
    finally:
        session.run("kill-server")


def base_env() -> dict[str, str]:
    """The test's isolated batchtui paths, PATH and HOME, a 256-colour UTF-8 terminal."""
    names = ("BATCHTUI_CONFIG", "BATCHTUI_DATA_DIR", "BATCHTUI_STATE_DIR", "PATH", "HOME")
    env = {name: os.environ[name] for name in names if name in os.environ}
    env.update(TERM="xterm-256color", LANG="C.UTF-8")
    return env
