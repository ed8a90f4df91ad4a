"""The real `batchtui` TUI in tmux: injected title changes and clipboard writes never happen.

A job whose name, errors and results carry an OSC 0 title change and an OSC 52 clipboard
write is shown in the job list, the detail screen and the result viewer (text, Markdown
and raw JSON). tmux, with `set-clipboard on`, would act on either sequence: the pane's
title would become "pwned" and a paste buffer would appear. A control pane that prints
the same bytes raw shows the check can see it happen.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtui.core.models import BatchError, Job, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from realparts.provision import ensure_apt

from .conftest import BATCHTUI, CLIPBOARD, EVIL, TITLE
from .test_escape_sequences_tui import hostile_results

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.slow,
]


class Tmux:
    def __init__(self) -> None:
        self.socket = f"batchtui-security-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return done.stdout

    def start(self, session: str, command: str) -> None:
        self.run(
            "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command,
            ";", "set", "-g", "set-clipboard", "on",
        )  # fmt: skip

    def title(self, session: str) -> str:
        return self.run("display-message", "-p", "-t", session, "#{pane_title}").strip()

    def buffers(self) -> str:
        return self.run("list-buffers")

    def screen(self, session: str, *, escapes: bool = False) -> str:
        return self.run("capture-pane", "-p", "-t", session, *(["-e"] if escapes else []))

    def keys(self, session: str, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", session, key)
            time.sleep(0.2)

    def wait_for(self, session: str, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen(session)
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {text!r}; screen:\n{screen}")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    ensure_apt(["tmux"], commands=["tmux"])
    server = Tmux()
    yield server
    server.run("kill-server")


def test_raw_sequences_would_be_seen(tmux: Tmux) -> None:
    """The control: the same bytes printed raw do change the title and the clipboard."""
    printed = shlex.quote(f"{TITLE}{CLIPBOARD}")
    tmux.start("control", f"sleep 0.5; printf %s {printed}; sleep 30")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "pwned" not in tmux.buffers():
        time.sleep(0.1)
    assert tmux.title("control") == "pwned"
    assert "pwned" in tmux.buffers()


def seed_registry(results: Path) -> str:
    registry = Registry.open_default()
    job = Job(
        id="bt-evil1",
        name=f"evil{EVIL}",
        profile="p",
        kind="openai",
        tag="00000000-0000-0000-0000-000000000001",
        status=JobStatus.COMPLETED,
        raw_status=f"completed{EVIL}",
        remote_id="batch_1",
        model=f"gpt{EVIL}",
        request_counts=RequestCounts(total=2, completed=1, failed=1),
        errors=[BatchError(code=f"c{EVIL}", message=f"m{EVIL}", line=1)],
        last_error=f"last {EVIL}",
        output_file_id="file-out",
        output_path=results,
    )
    registry.add_job(job, note=f"note {EVIL}")
    registry.close()
    return job.id


def test_tui_never_lets_an_injected_sequence_act(tmux: Tmux, tmp_path: Path) -> None:
    seed_registry(hostile_results(tmp_path / "output.jsonl"))
    config = tmp_path / "config.toml"
    config.write_text('[profiles.p]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    names = ("BATCHTUI_DATA_DIR", "BATCHTUI_STATE_DIR", "PATH", "HOME")
    env = {name: os.environ[name] for name in names if name in os.environ}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", BATCHTUI_CONFIG=str(config))
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    tmux.start("tui", f"env {assignments} {BATCHTUI}; sleep 30")
    tmux.wait_for("tui", "evil")
    screens = [tmux.screen("tui", escapes=True)]
    tmux.keys("tui", "Enter")
    tmux.wait_for("tui", "last")
    screens.append(tmux.screen("tui", escapes=True))
    tmux.keys("tui", "o")
    tmux.wait_for("tui", "answer")
    for key in ("m", "J", "j", "J", "j", "j"):
        tmux.keys("tui", key)
        screens.append(tmux.screen("tui", escapes=True))

    assert tmux.title("tui") != "pwned" and "pwned" not in tmux.title("tui")
    assert "pwned" not in tmux.buffers()
    for screen in screens:
        # capture-pane -e re-encodes what is on screen: only colours (SGR) may be there.
        assert "\x1b]" not in screen and "\x07" not in screen
        assert "pwned" in screen  # the text itself is shown, harmlessly
    tmux.keys("tui", "Escape", "Escape", "q")
