"""Starting a job's runner as a detached process, and stopping it.

The runner gets its own session (`setsid`): closing the terminal, the SSH connection or
the tmux session that started it sends it no SIGHUP. Its stdin and stdout are /dev/null,
its stderr the job folder's runner.log. No daemon: a runner lives as long as its job.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from batchtui.core.providers.direct.folder import JobFolder
from batchtui.core.providers.direct.runner import SECRETS_ENV

# Runners started by this process, polled so none stays a zombie while the TUI runs on.
_STARTED: list[subprocess.Popen[bytes]] = []


def start_runner(folder: JobFolder, secrets: dict[str, Any]) -> int:
    """Start a runner for `folder` in the background; its pid. One that finds another
    runner holding the job's lock exits at once, so starting one too many is harmless."""
    _reap()
    env = {**os.environ, SECRETS_ENV: json.dumps(secrets)}
    with open(folder.path / "runner.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "batchtui.core.providers.direct.runner", str(folder.path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
            cwd=folder.path,
            start_new_session=True,
            close_fds=True,
        )
    _STARTED.append(process)
    return process.pid


def stop_runner(folder: JobFolder, *, wait: float) -> bool:
    """Ask the job's live runner to stop (SIGTERM when it runs on this machine; the cancel
    marker reaches it within a heartbeat otherwise); whether it has stopped."""
    beat = folder.read_heartbeat()
    if beat is not None and beat.host == socket.gethostname() and folder.runner_alive():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(beat.pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while folder.runner_alive():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    _reap()
    return True


def _reap() -> None:
    for process in list(_STARTED):
        if process.poll() is not None:
            _STARTED.remove(process)
