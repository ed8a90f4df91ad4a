"""The validate screen: snapshots, the problems table, jumping to lines, every key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, DirectoryTree, Input, Static

from batchtui.tui.screens.validate import ValidateScreen
from batchtui.tui.widgets.file_picker import FilePicker
from batchtui.tui.widgets.line_viewer import LineViewer
from helpers.viewer import ANSI_THEME, DEFAULT_THEME, ViewerApp, input_line, wait_for


def bad_file(directory: Path) -> Path:
    lines = [json.dumps(input_line(n)) for n in range(1, 41)]
    lines[4] = lines[4].replace('"POST"', '"GET"')
    lines[9] = '{"custom_id": "req-00010", "method": "POST", broken'
    lines[20] = lines[3]
    path = directory / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def good_file(directory: Path) -> Path:
    path = directory / "good.jsonl"
    path.write_text("".join(json.dumps(input_line(n)) + "\n" for n in range(1, 6)))
    return path


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)
    bad_file(tmp_path)
    good_file(tmp_path)
    return Path("bad.jsonl"), Path("good.jsonl")


def make_app(path: Path | None, theme: str = DEFAULT_THEME) -> ViewerApp:
    return ViewerApp(lambda: ValidateScreen(path), theme=theme)


async def validated(pilot) -> ValidateScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ValidateScreen)
    await wait_for(pilot, lambda: screen.report is not None)
    return screen


@pytest.mark.parametrize("theme", [DEFAULT_THEME, ANSI_THEME])
def test_snapshot_problems_and_line(snap_compare, files, theme: str):
    bad, _ = files

    async def run_before(pilot) -> None:
        await validated(pilot)
        await pilot.press("down", "enter")

    assert snap_compare(make_app(bad, theme), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("theme", [DEFAULT_THEME, ANSI_THEME])
def test_snapshot_valid_file(snap_compare, files, theme: str):
    _, good = files

    async def run_before(pilot) -> None:
        await validated(pilot)

    assert snap_compare(make_app(good, theme), terminal_size=(80, 24), run_before=run_before)


async def test_problems_enter_jumps_to_line_and_escape_returns(files):
    bad, _ = files
    app = make_app(bad)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await validated(pilot)
        table = screen.query_one(DataTable)
        assert table.has_focus and table.row_count == 3
        assert not screen.report.ok
        await pilot.press("down", "down", "enter")
        viewer = screen.query_one(LineViewer)
        await pilot.pause()
        assert screen.has_class("-viewing") and viewer.has_focus
        assert viewer.cursor == 20
        assert viewer.scroll_offset.y <= 20 < viewer.scroll_offset.y + viewer.size.height
        assert "line 21:" in str(screen.query_one("#validate-detail", Static).render())
        await pilot.press("k")
        assert viewer.cursor == 19
        await pilot.press("escape")
        assert not screen.has_class("-viewing") and table.has_focus
        await pilot.press("escape")
        assert app.screen is not screen


async def test_highlighting_a_problem_shows_its_whole_message(files):
    bad, _ = files
    async with make_app(bad).run_test(size=(80, 24)) as pilot:
        screen = await validated(pilot)
        await pilot.press("down")
        shown = str(screen.query_one("#validate-detail", Static).render())
        assert shown.startswith("bad.jsonl:10: ") and "not valid JSON" in shown


async def test_path_key_typing_and_revalidate(files):
    bad, good = files
    async with make_app(None).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        path_input = screen.query_one("#validate-path", Input)
        assert path_input.has_focus
        await pilot.press(*str(good), "enter")
        screen = await validated(pilot)
        assert screen.report.ok and screen.report.lines == 5
        await pilot.press("p")
        assert path_input.has_focus
        path_input.value = str(bad)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.report is not None and not screen.report.ok)
        good.write_text(good.read_text() + "{oops\n")
        screen.path = good
        screen.report = None
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.report is not None)
        assert screen.report.error_count == 1


async def test_missing_file_is_reported(files):
    async with make_app(Path("nope.jsonl")).run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(pilot.app._notifications))
        assert "nope.jsonl: cannot read" in str(next(iter(pilot.app._notifications)).message)


async def test_open_key_picks_a_file(files, tmp_path: Path):
    _, good = files
    async with make_app(None).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        screen.query_one("#validate-path", Input).blur()
        await pilot.press("o")
        picker = pilot.app.screen
        assert isinstance(picker, FilePicker)
        tree = picker.query_one(DirectoryTree)
        await wait_for(pilot, lambda: tree.root.children)
        target = next(node for node in tree.root.children if node.label.plain == good.name)
        tree.move_cursor(target)
        tree.focus()  # the picker starts in its path field
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.screen is screen and screen.report is not None)
        assert screen.path == tmp_path / good.name and screen.report.ok


async def test_picker_escape_cancels(files):
    async with make_app(None).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        await pilot.press("ctrl+o")
        assert isinstance(pilot.app.screen, FilePicker)
        await pilot.press("escape")
        assert pilot.app.screen is screen and screen.report is None
