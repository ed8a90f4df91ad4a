"""Pilot tests of every key of the job list, and of its in-place auto-refresh."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.widgets import Input

from batchtui.core.models import Job, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.tui.screens.confirm import ConfirmScreen, PromptScreen
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.screens.jobs import JobsScreen
from batchtui.tui.widgets.header import AppHeader
from batchtui.tui.widgets.job_table import JobTable
from helpers.shell import NOW, make_app, other_update, sample_jobs, settle

NEWEST_FIRST = ["bt-test04", "bt-test02", "bt-test01", "bt-test03", "bt-test06", "bt-test05"]


def table_of(app: object) -> JobTable:
    return app.screen.query_one(JobTable)  # type: ignore[attr-defined]


def header_text(app: object) -> str:
    return str(app.screen.query_one(AppHeader).render())  # type: ignore[attr-defined]


async def test_rows_are_jobs_newest_first_and_vim_keys_move(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert table.job_ids() == NEWEST_FIRST
        assert table.has_focus
        await pilot.press("j", "j")
        assert table.selected_job_id == "bt-test01"
        await pilot.press("k")
        assert table.selected_job_id == "bt-test02"
        await pilot.press("G")
        assert table.selected_job_id == "bt-test05"
        await pilot.press("g")
        assert table.selected_job_id == "bt-test04"
        await pilot.press("down", "up", "down")
        assert table.selected_job_id == "bt-test02"
        assert "1 ▶ in_progress" in header_text(app)


async def test_enter_opens_the_detail_and_escape_comes_back(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.job_id == "bt-test02"
        await pilot.press("escape")
        assert isinstance(app.screen, JobsScreen)
        assert table_of(app).selected_job_id == "bt-test02"


async def test_o_opens_results_of_a_finished_job_only(tmp_path: Path) -> None:
    results = pytest.importorskip("batchtui.tui.screens.results")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "o")  # bt-test02 is still running
        assert isinstance(app.screen, JobsScreen)
        assert any("no results yet" in note for note in app.notes)
        await pilot.press("j", "o")  # bt-test01 completed
        assert isinstance(app.screen, results.ResultsScreen)


async def test_c_copies_the_job_id_and_says_so(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "c")
        assert app.clipboard == "bt-test01"
        assert any("bt-test01" in note for note in app.notes)


async def test_filter_narrows_the_list_and_escape_clears_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"status:failed")
        assert table_of(app).job_ids() == ["bt-test03"]
        assert "(1 of 6)" in header_text(app)
        await pilot.press("enter")  # keeps the filter, back to the table
        assert table_of(app).has_focus
        assert table_of(app).job_ids() == ["bt-test03"]
        await pilot.press("escape")
        assert table_of(app).job_ids() == NEWEST_FIRST
        assert "of 6" not in header_text(app)


async def test_typing_q_in_the_filter_does_not_quit_and_no_match_says_so(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "q", "q", "q")
        assert app.is_running
        hint = app.screen.query_one("#empty-hint")
        assert hint.display and "No job matches" in str(hint.render())
        assert not table_of(app).display


async def test_sort_keys_reorder_invert_and_show_an_arrow(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        await pilot.press("S")
        assert table.job_ids()[0] == "bt-test02"  # in_progress first
        assert table.job_ids()[-1] == "bt-test01"  # completed last
        assert str(table.columns["status"].label) == "Status ▼"  # type: ignore[index]
        await pilot.press("S")
        assert table.job_ids()[0] == "bt-test01"
        assert str(table.columns["status"].label) == "Status ▲"  # type: ignore[index]
        await pilot.press("N")
        assert table.job_ids()[:2] == ["bt-test03", "bt-test01"]  # bad-input, chat-eval
        assert str(table.columns["status"].label) == "Status"  # type: ignore[index]
        await pilot.press("A")
        assert table.job_ids() == NEWEST_FIRST
        await pilot.press("A")
        assert table.job_ids() == NEWEST_FIRST[::-1]


async def test_changes_from_another_process_update_rows_in_place(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        await pilot.press("j", "j")  # on bt-test01
        kept_row = table.rows["bt-test05"]  # type: ignore[index]
        newcomer = sample_jobs()[0].model_copy(
            update={
                "id": "bt-new001",
                "name": "from-cli",
                "created_at": NOW,
                "status": JobStatus.PENDING,
            }
        )

        def other_process() -> None:  # e.g. the CLI on another login node
            with Registry(tmp_path / "registry.sqlite3") as other:
                other.update_job(
                    "bt-test02", request_counts=RequestCounts(total=5000, completed=4000)
                )
                other.add_job(newcomer)

        await asyncio.to_thread(other_process)
        app.reload_registry()
        await settle(pilot)
        assert table.job_ids()[0] == "bt-new001"
        assert table.selected_job_id == "bt-test01"  # the cursor followed its job
        assert table.rows["bt-test05"] is kept_row  # type: ignore[index]  # not rebuilt
        progress = table.get_cell("bt-test02", "progress")
        assert progress.plain.startswith("4000/5000 ")


async def test_a_job_reaching_a_final_state_toasts_and_rings_once(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await asyncio.to_thread(
            other_update,
            tmp_path / "registry.sqlite3",
            "bt-test02",
            status=JobStatus.COMPLETED,
            raw_status="completed",
        )
        app.reload_registry()
        await settle(pilot)
        app.reload_registry(force=True)
        await settle(pilot)
        finished = [note for note in app.notes if "summaries-large" in note]
        assert finished == ["summaries-large (bt-test02): ✔ completed"]
        assert app.bells == 1


async def test_an_empty_registry_shows_a_hint_not_an_empty_grid(tmp_path: Path) -> None:
    app = make_app(tmp_path, jobs=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        hint = app.screen.query_one("#empty-hint")
        assert hint.display and "No jobs yet" in str(hint.render())
        assert not table_of(app).display
        await pilot.press("enter", "o", "c", "ctrl+d", "d")  # nothing selected: nothing happens
        assert isinstance(app.screen, JobsScreen)


async def test_ctrl_d_asks_first_and_no_keeps_the_job(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, JobsScreen)
        await pilot.press("ctrl+d", "escape")
        assert isinstance(app.screen, JobsScreen)
        assert app.get_job("bt-test02").status == JobStatus.IN_PROGRESS
        await pilot.press("j", "ctrl+d")  # bt-test01 is completed: nothing to cancel
        assert isinstance(app.screen, JobsScreen)
        assert any("already completed" in note for note in app.notes)


async def test_n_opens_the_composer(tmp_path: Path) -> None:
    compose = pytest.importorskip("batchtui.tui.screens.compose")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, compose.ComposeScreen)


async def test_v_asks_for_a_path_then_opens_the_validator(tmp_path: Path) -> None:
    validate = pytest.importorskip("batchtui.tui.screens.validate")
    requests = tmp_path / "requests.jsonl"
    requests.write_text('{"custom_id": "a"}\n')
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, JobsScreen)
        await pilot.press("v")
        app.screen.query_one("#answer", Input).value = str(requests)  # typing it is slow
        await pilot.press("enter")
        assert isinstance(app.screen, validate.ValidateScreen)


async def test_q_quits(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_value == 0


def _running_job(tmp_path: Path) -> Path:
    requests = tmp_path / "chat.jsonl"
    lines = [
        json.dumps(
            {
                "custom_id": f"r{n}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "gpt-4o-mini",
                    "messages": [{"role": "user", "content": f"hi {n}"}],
                },
            }
        )
        for n in range(40)
    ]
    requests.write_text("\n".join(lines) + "\n")
    return requests


async def test_r_cancel_and_download_against_the_simulator(
    tmp_path: Path, start_simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHTUI_TEST_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)
    # Phases long enough that a loaded machine cannot finish the batch before the cancel.
    simulator = start_simulator(phase_seconds=1.5, speed=20)
    app = make_app(tmp_path, jobs=[], base_url=simulator.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.service is not None
        job: Job = await app.service.submit(_running_job(tmp_path), "demo", name="sim-chat")
        await pilot.press("r")  # re-read the registry now and poll
        await settle(pilot)
        assert table_of(app).job_ids() == [job.id]
        await pilot.press("ctrl+d", "y")
        for _ in range(100):  # the cancel runs in a worker
            await settle(pilot)
            if app.get_job(job.id).status in (JobStatus.CANCELLING, JobStatus.CANCELLED):
                break
            await pilot.pause(0.05)
        assert app.get_job(job.id).status in (JobStatus.CANCELLING, JobStatus.CANCELLED)
        assert any(f"Cancel requested for {job.id}" in note for note in app.notes)
        for _ in range(50):  # the simulator finishes cancelling after a phase
            await pilot.press("r")
            await settle(pilot)
            if app.get_job(job.id).status == JobStatus.CANCELLED:
                break
            await pilot.pause(0.1)
        assert app.get_job(job.id).status == JobStatus.CANCELLED
        await pilot.press("d")
        await settle(pilot)
        assert any(note.startswith(f"Downloaded {job.id}") for note in app.notes), app.notes
        assert (tmp_path / f"batchtui-{job.id}").is_dir()


async def test_an_unreachable_provider_is_a_toast_and_polling_backs_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHTUI_TEST_KEY", "sk-test")
    running = [job for job in sample_jobs() if job.id == "bt-test02"]
    app = make_app(tmp_path, jobs=running, poll=True)  # 127.0.0.1:9 refuses connections
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(100):
            if app.notes:
                break
            await pilot.pause(0.05)
        assert app.is_running
        assert len(app.notes) == 1 and "sk-test" not in app.notes[0]
        # First failure: the profile interval.
        assert app.monitor.schedule.next_wait("bt-test02") == 30.0
        status_line = str(app.screen.query_one("#status-line").render())
        assert "retrying in 30s" in status_line
