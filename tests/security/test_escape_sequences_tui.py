"""Escape sequences from models and servers never reach the terminal through the TUI.

Each check renders the whole screen the way Textual writes it to the terminal
(`render_segments`), removes the TUI's own colour (SGR) and cursor-move sequences, and
requires that nothing a terminal acts on is left: the result viewer's rows and detail in
every mode, the job list, the detail screen's errors, and toasts.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App

from batchtui.core.config import Config, Profile
from batchtui.core.models import BatchError, Job, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.tui.app import BatchtuiApp
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.screens.results import ResultsScreen

from .conftest import EVIL, KEY_ENV, TITLE, Answer, HostileServer, assert_inert, batch_object

# What Textual itself writes: colours and styles (SGR) and cursor moves.
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H")


def terminal_output(app: App) -> str:
    """The screen exactly as Textual would write it to the terminal."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return update.render_segments(console)


def assert_screen_inert(app: App) -> str:
    output = terminal_output(app)
    assert_inert(output, allowed=TEXTUAL_OWN)
    assert_inert(app.export_screenshot())
    return TEXTUAL_OWN.sub("", output)


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await pilot.pause(0.05)
    await pilot.pause()


# --- the result viewer --------------------------------------------------------------------


class ViewerHost(App):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.ascii_only = False
        self.service = self.registry = self.config = None

    def on_mount(self) -> None:
        self.push_screen(ResultsScreen(path=self.path))


def hostile_results(path: Path) -> Path:
    ok = {
        "custom_id": f"ok{EVIL}",
        "response": {
            "status_code": 200,
            "body": {
                "choices": [
                    {
                        "message": {"content": f"# answer {EVIL}\n\n- item {TITLE}"},
                        "finish_reason": f"stop{EVIL}",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
            },
        },
        "error": None,
    }
    failed = {
        "custom_id": f"bad{EVIL}",
        "response": {
            "status_code": 400,
            "body": {"error": {"message": f"message {EVIL}", "code": f"c{EVIL}"}},
        },
        "error": None,
    }
    lines = [json.dumps(ok), json.dumps(failed), EVIL, json.dumps({f"k{EVIL}": EVIL})]
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_result_viewer_rows_and_detail_in_every_mode(tmp_path: Path) -> None:
    app = ViewerHost(hostile_results(tmp_path / "output.jsonl"))
    async with app.run_test(size=(110, 32)) as pilot:
        screen = app.screen
        await wait_until(pilot, lambda: screen.source is not None and screen.source.complete)
        shown = assert_screen_inert(app)
        assert "pwned" in shown  # the text is there, only its control bytes are gone
        for keys in (["m"], ["J"], ["J"], ["j"], ["J"], ["j"], ["j"], ["E"], ["E"]):
            await pilot.press(*keys)
            await pilot.pause(0.05)
            assert_screen_inert(app)


# --- the shell: job list, detail, toasts ---------------------------------------------------


def hostile_job(number: int, **fields: Any) -> Job:
    values: dict[str, Any] = {
        "id": f"bt-evil{number}",
        "name": f"name{EVIL}",
        "profile": "hostile",
        "kind": "openai",
        "tag": f"00000000-0000-0000-0000-{number:012d}",
        "status": JobStatus.FAILED,
        "raw_status": f"failed{EVIL}",
        "remote_id": f"batch_{number}",
        "endpoint": "/v1/chat/completions",
        "model": f"gpt{EVIL}",
        "completion_window": "24h",
        "request_counts": RequestCounts(total=3, completed=1, failed=2),
        "last_error": f"last {EVIL}",
        "errors": [BatchError(code=f"c{EVIL}", message=f"m{EVIL}", line=2)],
        "metadata": {f"k{TITLE}": EVIL},
    }
    values.update(fields)
    return Job.model_validate(values)


def shell(tmp_path: Path, server_url: str, jobs: list[Job]) -> BatchtuiApp:
    registry = Registry(tmp_path / "registry.sqlite3")
    for job in jobs:
        registry.add_job(job, note=f"note {EVIL}")
    profile = Profile(name="hostile", base_url=server_url, api_key_env=KEY_ENV, timeout=5)
    config = Config(path=tmp_path / "config.toml", exists=True, profiles={"hostile": profile})
    return BatchtuiApp(config=config, registry=registry, theme="textual-dark", poll=True)


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-tui-escape-test")


async def test_job_list_and_detail_show_hostile_fields_inert(
    tmp_path: Path, hostile_server: HostileServer, key: None
) -> None:
    app = shell(tmp_path, hostile_server.url, [hostile_job(1)])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: bool(app.jobs))
        assert "name" in assert_screen_inert(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
        shown = assert_screen_inert(app)
        assert "last" in shown and "pwned" in shown


async def test_toasts_of_server_errors_and_finished_jobs_are_inert(
    tmp_path: Path, hostile_server: HostileServer, key: None
) -> None:
    running = hostile_job(1, status=JobStatus.IN_PROGRESS, raw_status="in_progress", errors=[])
    finishing = hostile_job(2, status=JobStatus.IN_PROGRESS, raw_status="in_progress", errors=[])
    hostile_server.answer(
        "GET /v1/batches/batch_1",
        Answer(400, json.dumps({"error": {"message": f"refused {EVIL}"}}).encode()),
    )
    hostile_server.answer(
        "GET /v1/batches/batch_2",
        batch_object(
            "batch_2",
            status="failed",
            failed_at=1711471600,
            errors={"data": [{"code": EVIL, "message": f"gone {EVIL}"}]},
        ),
    )
    app = shell(tmp_path, hostile_server.url, [running, finishing])
    notes: list[str] = []
    original_notify = app.notify

    def recording_notify(message: str, **options: Any) -> None:
        notes.append(message)
        original_notify(message, **options)

    app.notify = recording_notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(notes) >= 2)
        await pilot.pause(0.1)
        shown = assert_screen_inert(app)
        assert "refused" in shown
        assert any("Job finished" in shown or "name" in note for note in notes)
