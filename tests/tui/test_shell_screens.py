"""Pilot tests of the detail, help and welcome screens and of the app's start-up."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea

from batchtui.core.config import load_config
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.demo import DemoRun
from batchtui.tui.app import BatchtuiApp
from batchtui.tui.screens.confirm import ConfirmScreen
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.screens.help import HelpScreen
from batchtui.tui.screens.jobs import JobsScreen
from batchtui.tui.screens.welcome import WelcomeScreen
from batchtui.tui.widgets.fields import VALUE_COLUMN
from helpers.shell import FrozenClock, RecordingApp, make_app, other_update, settle


def detail_text(app: BatchtuiApp) -> str:
    return str(app.screen.query_one("#detail-text", Static).render())


async def open_detail(pilot: object, moves: int) -> None:
    await settle(pilot)
    await pilot.press(*(["j"] * moves), "enter")  # type: ignore[attr-defined]
    await settle(pilot)


async def test_detail_shows_errors_with_line_numbers_ids_and_timeline(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 60)) as pilot:
        await open_detail(pilot, 3)  # bt-test03, failed validation
        text = detail_text(app)
        assert "✖ failed" in text
        assert "line 3" in text and "[invalid_json_line] line is not JSON" in text
        assert "line 17" in text and "duplicate_custom_id" in text
        assert "batch_0003" in text and "bt-test03" in text
        assert "2026-11-22 07:00:00Z  ✖ failed" in text  # the timeline row of add_job


async def test_detail_updates_live_and_keys_act_on_its_job(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 60)) as pilot:
        await open_detail(pilot, 1)  # bt-test02, running
        assert "1200 completed, 34 failed, 5000 total" in detail_text(app)
        await asyncio.to_thread(
            other_update,
            tmp_path / "registry.sqlite3",
            "bt-test02",
            status=JobStatus.FINALIZING,
            note="all requests done",
        )
        app.reload_registry()
        await settle(pilot)
        text = detail_text(app)
        assert "◕ finalizing" in text and "all requests done" in text  # the new history row
        await pilot.press("c")
        assert app.clipboard == "bt-test02"
        await pilot.press("o")  # not finished: refused with a toast
        assert any("no results yet" in note for note in app.notes)
        await pilot.press("d")
        assert any("nothing to download yet" in note for note in app.notes)
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.press("r")  # asks the provider (unreachable here): the screen stays
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, JobsScreen)


async def test_help_lists_every_screens_keys_and_closes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause()
        text = "\n".join(
            "".join(segment.text for segment in part.render_line(y))
            for part in app.screen.query(Static)
            for y in range(part.size.height)
        )
        for expected in ("Job list", "Job detail", "Sort by status", "Cancel job", "Copy id", "^d"):
            assert expected in text
        # The group detail's keys, and what the progress column's numbers mean.
        for expected in ("Group detail", "Cancel all", "Reading progress and ETA", "95/100 ✖5"):
            assert expected in text
        await pilot.press("j", "k", "question_mark")
        assert isinstance(app.screen, JobsScreen)
        await pilot.press("question_mark", "escape")
        assert isinstance(app.screen, JobsScreen)


async def test_command_palette_offers_the_main_actions(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in (
            "Refresh jobs",
            "Compose a batch",
            "Validate a file",
            "All keys",
            "Add a profile",
        ):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"all keys")
        await pilot.pause(0.5)  # the palette searches asynchronously
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_welcome_form_saves_a_profile(tmp_path: Path) -> None:
    app = make_app(tmp_path, jobs=[], profiles=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("ctrl+s")
        assert "name: required" in str(app.screen.query_one("#form-status", Static).render())
        app.screen.query_one("#name", Input).value = "gateway"
        app.screen.query_one("#base-url", Input).value = "https://gw.example/v1"
        app.screen.query_one("#api-key-env", Input).value = "GW_KEY"
        app.screen.query_one("#headers", TextArea).text = "x-portkey-provider=vertex-ai"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)
        saved = load_config(tmp_path / "config.toml").profile("gateway")
        assert saved.base_url == "https://gw.example/v1" and saved.api_key_env == "GW_KEY"
        assert saved.headers == {"x-portkey-provider": "vertex-ai"}
        assert app.config is not None and "gateway" in app.config.profiles


async def test_welcome_tests_the_connection_with_the_list_call(
    tmp_path: Path, simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIM_KEY", "sk-sim")
    app = make_app(tmp_path, jobs=[], profiles=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#name", Input).value = "sim"
        app.screen.query_one("#base-url", Input).value = simulator.url
        app.screen.query_one("#api-key-env", Input).value = "SIM_KEY"
        await pilot.press("ctrl+t")
        await settle(pilot)
        status = str(app.screen.query_one("#form-status", Static).render())
        assert status.startswith("OK:") and simulator.url in status
        app.screen.query_one("#api-key-env", Input).value = "UNSET_KEY_VARIABLE"
        await pilot.press("ctrl+t")
        await settle(pilot)
        status = str(app.screen.query_one("#form-status", Static).render())
        assert status.startswith("Failed:") and "UNSET_KEY_VARIABLE" in status
        await pilot.press("escape")
        assert isinstance(app.screen, JobsScreen)


async def test_welcome_starts_the_demo_with_temporary_files(tmp_path: Path) -> None:
    real_config = os.environ["BATCHTUI_CONFIG"]
    # As on a real first run: config and registry read from BATCHTUI_CONFIG/_DATA_DIR.
    app = RecordingApp(now=FrozenClock(), poll=False, demo_factory=DemoRun)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, WelcomeScreen)
            await pilot.click("#demo")
            await settle(pilot)
            assert isinstance(app.screen, JobsScreen)
            assert app.demo is not None and app.config is not None
            assert "demo" in app.config.profiles
            assert os.environ["BATCHTUI_CONFIG"] != real_config
            assert "SIMULATED" in str(app.screen.query_one("#header").render())
            for _ in range(50):  # submitting the samples, then re-reading the registry
                if len(app.jobs) == 3:
                    break
                await settle(pilot)
            assert {job.name for job in app.jobs.values()} >= {"demo-chat", "demo-some-errors"}
    finally:
        demo_root = app.demo.root if app.demo is not None else None  # type: ignore[attr-defined]
        if app.demo is not None:
            app.demo.close()
    assert demo_root is not None
    assert os.environ["BATCHTUI_CONFIG"] == real_config
    assert not demo_root.exists()
    assert not Path(real_config).exists()  # the user's config was never written


def test_debug_log_goes_to_the_state_dir_and_first_paint_exit(tmp_path: Path) -> None:
    env = dict(os.environ, BATCHTUI_EXIT_AFTER_FIRST_PAINT="1", TERM="xterm-256color")
    code = (
        "from batchtui.tui.app import BatchtuiApp, run_app\n"
        "raise SystemExit(run_app(BatchtuiApp(debug=True), debug=True))\n"
    )
    # Headless: no terminal in the test; the app still paints once, then exits.
    env["TEXTUAL_DRIVER"] = "textual.drivers.headless_driver:HeadlessDriver"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == b"" and b"debug log started" not in done.stderr
    log_file = Path(env["BATCHTUI_STATE_DIR"]) / "tui-debug.log"
    assert "debug log started" in log_file.read_text()


async def test_theme_from_config_and_unknown_theme_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BATCHTUI_THEME", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    app = make_app(tmp_path)
    app._theme_given = False  # as when run from the command line
    assert app.config is not None
    app.config.settings.theme = "ansi-dark"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "ansi-dark"
    monkeypatch.setenv("BATCHTUI_THEME", "no-such-theme")
    app = BatchtuiApp(config=app.config, registry=Registry(tmp_path / "other.sqlite3"), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark" and app.is_running


async def test_detail_of_a_cluster_job_shows_its_script_and_log_tail(tmp_path: Path) -> None:
    from helpers.shell import sample_jobs

    folder = tmp_path / "batchtui-jobs" / "20261206-101500-abc123"
    (folder / "log").mkdir(parents=True)
    (folder / "job.sbatch").write_text("#!/bin/bash\n#SBATCH --gres=gpu:1\n")
    lines = [f"Running batch {n}/20" for n in range(1, 13)]
    (folder / "log" / "task-0.log").write_text("\n".join(lines) + "\n")
    jobs = sample_jobs()
    jobs[0] = jobs[0].model_copy(
        update={"kind": "slurm", "metadata": {"slurm_job_folder": str(folder)}}
    )
    app = make_app(tmp_path, jobs=jobs)
    async with app.run_test(size=(100, 80)) as pilot:
        await settle(pilot)
        app.open_detail(jobs[0].id)
        await settle(pilot)
        for _ in range(50):
            if "Cluster job" in detail_text(app):
                break
            await pilot.pause(0.05)
        text = detail_text(app)
        # A path longer than the line continues under the value column.
        unwrapped = text.replace("\n" + " " * VALUE_COLUMN, "")
        assert "Cluster job" in text and str(folder / "job.sbatch") in unwrapped
        assert "Running batch 12/20" in text and "Running batch 5/20" in text
        assert "Running batch 4/20" not in text  # only the tail
