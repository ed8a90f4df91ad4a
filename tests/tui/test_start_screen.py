"""The first screen on a terminal: Textual alone before the first paint, then the job list.

Counted, not timed (benchmarks/startup measures the time): the modules loaded when the
first screen is on a real terminal (a pty, 80x24). The TUI's own start-up imports must
stay off that path: pydantic, httpx, the config, the registry store, the provider kinds
and the job list come after it, in a thread, and the job list then takes its place.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from textual.app import App

from batchtui.tui.app import BatchtuiApp
from batchtui.tui.screens.start import StartScreen

PROBE = """
import json, sys
from batchtui.cli.main import main
try:
    code = main([])
finally:
    with open({out!r}, "w") as loaded:
        loaded.write(json.dumps(list(sys.modules)))  # in the order they were imported
raise SystemExit(code)
"""
# Loaded after the first paint, never before it.
AFTER_FIRST_PAINT = (
    "pydantic",
    "pydantic_core",
    "httpx",
    "msgspec",
    "batchtui.core.models",
    "batchtui.core.config",
    "batchtui.core.registry.store",
    "batchtui.core.providers.kinds",
    "batchtui.core.jobs.monitor",
    "batchtui.tui.screens.jobs",
    "batchtui.tui.controller",
    "batchtui.demo",
)
# batchtui's own modules on the way to the first paint today: the entry point, the app, the
# first screen with the job list's header, table and cells, and the first page's reader
# (stdlib sqlite3, the page SQL, TOML for `[ui] columns`). More is a regression to look at.
MAX_OWN_MODULES = 36


class Terminal:
    """`batchtui` (through the probe) on a pty of 80x24, its output drained as it comes."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.loaded_file = tmp_path / "loaded.json"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        environment = {
            **os.environ,
            "TERM": "xterm-256color",
            "BATCHTUI_CONFIG": str(tmp_path / "config.toml"),
            "BATCHTUI_DATA_DIR": str(tmp_path / "data"),
            "BATCHTUI_STATE_DIR": str(tmp_path / "state"),
            **env,
        }
        environment.pop("TEXTUAL_DRIVER", None)
        (tmp_path / "config.toml").write_text('[profiles.sim]\nkind = "openai"\n')
        self.process = subprocess.Popen(
            [sys.executable, "-c", PROBE.format(out=str(self.loaded_file))],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.output = b""

    def read_until(self, marker: bytes | None, timeout: float = 60) -> None:
        """Drain the output until `marker` appears (None: until the process ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker is not None and marker in self.output:
                return
            if marker is None and self.process.poll() is not None:
                return
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # the process closed the terminal
                    if marker is None:
                        return
                    break
        raise AssertionError(f"no {marker!r} within {timeout} s: {self.output[-2000:]!r}")

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self) -> tuple[int, list[str]]:
        self.read_until(None)
        code = self.process.wait(timeout=30)
        os.close(self.master)
        return code, json.loads(self.loaded_file.read_text())


def test_the_first_paint_on_a_terminal_loads_textual_and_little_else(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path, BATCHTUI_EXIT_AFTER_FIRST_PAINT="1")
    code, loaded = terminal.finish()
    assert code == 0 and b"batchtui" in terminal.output
    early = [name for name in AFTER_FIRST_PAINT if name in loaded]
    assert early == [], f"imported before the first paint: {early}"
    own = [name for name in loaded if name.startswith("batchtui")]
    assert len(own) <= MAX_OWN_MODULES, own


def test_the_job_list_takes_the_first_screens_place_and_q_quits(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path)
    terminal.read_until(b"No jobs yet")  # the job list, read from the (empty) registry
    terminal.type(b"q")
    code, loaded = terminal.finish()
    assert code == 0
    assert "batchtui.tui.screens.jobs" in loaded and "batchtui.core.models" in loaded


class Host(App[None]):
    CSS_PATH = Path(BatchtuiApp.CSS_PATH)

    def on_mount(self) -> None:
        self.push_screen(StartScreen())


def test_start_screen_80x24(snap_compare) -> None:
    assert snap_compare(Host(), terminal_size=(80, 24))


async def test_q_on_the_start_screen_quits() -> None:
    app = Host()
    async with app.run_test() as pilot:
        assert isinstance(app.screen, StartScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def test_on_a_terminal_the_registrys_first_page_is_read_ahead(tmp_path: Path) -> None:
    """The entry point starts reading the first page before Textual is imported; the rows
    show, and the job list then takes over (`q` quits)."""
    from datetime import UTC, datetime

    from batchtui.core.models import Job
    from batchtui.core.registry import Registry
    from batchtui.core.status import JobStatus

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with Registry(tmp_path / "data" / "registry.sqlite3") as registry:
        registry.add_jobs(
            [
                Job(id="bt-pty1", name="read-ahead-row", profile="sim", kind="openai", tag="t",
                    status=JobStatus.COMPLETED, created_at=moment, updated_at=moment)
            ]
        )  # fmt: skip
    terminal = Terminal(tmp_path)
    terminal.read_until(b"read-ahead-row")
    terminal.type(b"q")
    code, loaded = terminal.finish()
    assert code == 0
    assert loaded.index("batchtui.core.registry.read_ahead") < loaded.index("textual.app")
    # Read by a child on another core: this process only unpickled the rows.
    assert "batchtui.core.registry.listed" in loaded
