"""`batchtui view` on a request file: numbered raw lines, read-only, the prompt below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static

from batchtui.tui.screens.requests import RequestsScreen
from batchtui.tui.view_app import ViewApp
from batchtui.tui.widgets.line_viewer import LineViewer
from helpers.viewer import input_line, wait_for


@pytest.fixture
def requests_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # a relative path keeps tmp names out of the snapshot
    path = Path("input.jsonl")
    path.write_text("".join(json.dumps(input_line(n)) + "\n" for n in range(1, 41)))
    return path


def prompt_text(app: ViewApp) -> str:
    return str(app.screen.query_one("#requests-prompt", Static).render())


async def test_keys_move_and_show_each_prompt(requests_file: Path) -> None:
    app = ViewApp(requests_file, requests=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, RequestsScreen)
        viewer = screen.query_one(LineViewer)
        await wait_for(pilot, lambda: screen.index is not None)
        assert "40 lines · read-only" in str(screen.query_one("#requests-title").render())
        assert "country 1?" in prompt_text(app)
        await pilot.press("j", "j")
        assert viewer.cursor == 2 and "input.jsonl:3" in prompt_text(app)
        await pilot.press("ctrl+d")
        half = viewer.scrollable_content_region.height // 2
        assert viewer.cursor == 2 + half
        await pilot.press("ctrl+u")
        assert viewer.cursor == 2
        await pilot.press("G")
        assert viewer.cursor == 39 and "country 40?" in prompt_text(app)
        await pilot.press("g")
        assert viewer.cursor == 0
        await pilot.press("escape")  # alone in the app: leaving it quits
        await pilot.pause()
    assert app.return_code == 0


def test_snapshot_request_file(snap_compare, requests_file: Path) -> None:
    async def run_before(pilot) -> None:
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.index is not None)
        await pilot.press("j")

    assert snap_compare(
        ViewApp(requests_file, requests=True), terminal_size=(80, 24), run_before=run_before
    )
