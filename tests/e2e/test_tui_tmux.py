"""The real `batchtui` command in a real terminal (tmux at 80x24), driven by keys.

This is what Pilot skips: the pty, TERM handling, key decoding and process exit. Each
test runs its own tmux server (`-L`), polls `capture-pane` with a timeout instead of
sleeping, and kills the server at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtui.demo import SAMPLES
from helpers.cli import BATCHTUI
from helpers.tmux import Tmux, base_env, tmux_server

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.slow,
]


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with tmux_server() as session:
        yield session


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
