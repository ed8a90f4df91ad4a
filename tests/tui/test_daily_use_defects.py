"""Defects a new user trips over in the first hour, each asserted as the property itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.segment import Segment
from textual.containers import VerticalScroll
from textual.widgets import DirectoryTree, Input, Static

from batchtui.core.config import load_config
from batchtui.core.downloads import job_download_dir
from batchtui.tui.screens.compose import ComposeScreen
from batchtui.tui.screens.help import KEYS_WIDTH, HelpScreen
from batchtui.tui.screens.results import ResultsScreen
from batchtui.tui.screens.validate import ValidateScreen
from batchtui.tui.widgets.file_picker import FilePicker
from batchtui.tui.widgets.job_table import JobTable
from batchtui.tui.widgets.record_view import RecordTable
from batchtui.tui.widgets.status_line import StatusLine
from helpers.shell import make_app, settle
from helpers.viewer import ViewerApp, result_line, wait_for, write_jsonl

DEFAULT = RichColor.default()


def unreadable(segments: list[Segment]) -> list[str]:
    """Text drawn on a background with the terminal's default foreground, or in the
    background's own colour: on a light-on-dark terminal either can vanish."""
    found = []
    for segment in segments:
        style = segment.style
        if style is None or not segment.text.strip() or style.bgcolor in (None, DEFAULT):
            continue
        if style.color in (None, DEFAULT) or style.color == style.bgcolor:
            found.append(f"{segment.text.strip()!r}: {style}")
    return found


# --- 2, 3: readable at 16 colours ---------------------------------------------------------


async def test_the_selected_result_row_is_readable_at_16_colours(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "out.jsonl", [result_line(n) for n in range(1, 12)])
    app = ViewerApp(lambda: ResultsScreen(path=results), theme="ansi-dark")
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(RecordTable)
        await wait_for(pilot, lambda: table.row_count() > 3)
        table.focus()
        await pilot.pause()
        row = table.cursor - table.scroll_offset.y
        segments = list(table.render_line(row))
        assert any(s.style and s.style.bgcolor not in (None, DEFAULT) for s in segments)
        assert unreadable(segments) == []


async def test_the_job_list_name_column_is_readable_at_16_colours(tmp_path: Path) -> None:
    app = make_app(tmp_path, theme="ansi-dark")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(JobTable)
        for y in range(1, 5):  # header, then rows (the cursor's own row included)
            assert unreadable(list(table.render_line(y))) == [], y


# --- 7: status messages end -----------------------------------------------------------------


async def test_a_status_message_clears_after_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(StatusLine, "SHOW_SECONDS", 0.3)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.activity_signal.publish("exported bt-test01 to export.csv")
        await pilot.pause()
        line = app.screen.query_one(StatusLine)
        assert line.message == "exported bt-test01 to export.csv"
        await wait_for(pilot, lambda: line.message == "", timeout=5)
        assert str(line.render()).strip() == ""


# --- 8: the validate screen names its real key; the picker takes a typed path ---------------


async def test_validate_names_the_key_that_picks_a_file_and_the_picker_takes_a_path(
    tmp_path: Path, inputs_file: Path
) -> None:
    app = ViewerApp(lambda: ValidateScreen())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        summary = str(app.screen.query_one("#validate-summary", Static).render())
        assert "ctrl+o" in summary
        await pilot.press("o")  # the path field has focus: "o" is typed, not a key
        assert app.screen.query_one("#validate-path", Input).value == "o"
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, FilePicker))
        assert isinstance(app.focused, Input)
        box = app.focused
        box.value = ""
        await pilot.press(*str(inputs_file), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ValidateScreen))
        assert app.screen.path == inputs_file
        tree_root = app.screen  # the tree never got the enter that would fold it
        assert not tree_root.query(DirectoryTree)


# --- 9: empty optional numbers stay plain ---------------------------------------------------


async def test_empty_optional_number_fields_show_no_error_frame(tmp_path: Path) -> None:
    dataset = tmp_path / "questions.csv"
    dataset.write_text("question\nwhy?\n")
    app = ViewerApp(lambda: ComposeScreen(dataset))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        for field_id in ("compose-max-tokens", "compose-temperature"):
            app.screen.query_one(f"#{field_id}", Input).focus()
            await pilot.press("tab")
            await pilot.pause()
            field = app.screen.query_one(f"#{field_id}", Input)
            assert field.value == ""
            assert not field.has_class("-invalid"), field_id
            assert field.styles.border_top[0] in ("", "none"), field.styles.border_top


# --- 10: the demo keeps its files to itself -------------------------------------------------


def test_demo_downloads_and_exports_go_inside_the_thrown_away_folder() -> None:
    from batchtui.demo import DemoRun

    demo = DemoRun()
    try:
        demo.start()
        config = load_config(Path(os.environ["BATCHTUI_CONFIG"]))
        folder = job_download_dir(config.settings, "bt-x", config_path=config.path)
        assert folder.resolve().is_relative_to(demo.root.resolve())
        assert not folder.resolve().is_relative_to(Path.cwd().resolve())
    finally:
        demo.close()


# --- 17: help moves with g/G, wraps under its column, palette without duplicates ------------


async def test_help_moves_with_g_and_G_and_wraps_descriptions_in_their_column(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        body = app.screen.query_one(VerticalScroll)
        await pilot.pause()
        assert body.max_scroll_y > 0
        await pilot.press("G")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("g")
        await pilot.pause()
        assert body.scroll_y == 0
        # Each drawn line of a section starts with its keys (column 0 of the section) or
        # continues a description in the description column, never back at column 0-2.
        continued = 0
        for section in app.screen.query(".help-rows"):
            for y in range(section.size.height):
                text = "".join(segment.text for segment in section.render_line(y))
                body = text.lstrip()
                if not body:
                    continue
                indent = len(text) - len(body)
                if indent > 2:
                    assert indent >= KEYS_WIDTH, repr(text)
                    continued += 1
        assert continued, "no description is long enough to wrap at 60 columns"


async def test_the_palette_lists_all_keys_once(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "All keys" in titles
        assert "Keys" not in titles and "Maximize" not in titles


# --- 18: ctrl+c says how to quit this app; ctrl+z suspends ----------------------------------


async def test_ctrl_c_names_q_and_ctrl_z_is_bound_to_suspend(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running
        said = app.notes[-1]
        assert "q to quit" in said and "ctrl+q" not in said
        bound = app.screen.active_bindings["ctrl+z"].binding
        assert bound.action == "suspend_process"


# --- 12: a profile filter matches the profile, an impossible status says so ----------------


async def test_profile_filter_is_exact_and_a_bogus_status_lists_the_valid_ones(
    tmp_path: Path,
) -> None:
    from helpers.shell import sample_jobs

    jobs = sample_jobs()
    jobs[0] = jobs[0].model_copy(update={"profile": "demo-gateway"})
    app = make_app(tmp_path, jobs=jobs)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(JobTable)
        await pilot.press("slash", *"profile:demo", "enter")
        await pilot.pause()
        shown = set(table.job_ids())
        assert shown == {job.id for job in jobs if job.profile == "demo"}
        await pilot.press("escape", "slash", *"status:bogus")
        await pilot.pause()
        said = app.screen.query_one(StatusLine).message
        assert "status:bogus" in said and "in_progress" in said and "completed" in said


# --- 1: elapsed of an ended job does not move when the job is written later ----------------


async def test_elapsed_of_an_ended_job_stays_when_a_download_touches_it(tmp_path: Path) -> None:
    import asyncio

    from batchtui.core.status import JobStatus
    from helpers.shell import NOW, ago, other_update, sample_jobs

    job = sample_jobs()[0].model_copy(
        update={
            "status": JobStatus.COMPLETED,
            # A provider that gives no end time (Vertex through a gateway).
            "timestamps": {"created_at": ago(minutes=30), "in_progress_at": ago(minutes=29)},
            "created_at": ago(minutes=30),
        }
    )
    app = make_app(tmp_path, jobs=[job])
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(JobTable)
        before = table.get_cell(job.id, "elapsed").plain
        # A download records its paths later: the registry's clock has moved on by then.
        await asyncio.to_thread(
            other_update, tmp_path / "registry.sqlite3", job.id, output_path=tmp_path / "o.jsonl"
        )
        app.reload_registry(force=True)
        await settle(pilot)
        assert app.get_job(job.id).updated_at > NOW  # the write did touch it
        assert table.get_cell(job.id, "elapsed").plain == before == "1m"
