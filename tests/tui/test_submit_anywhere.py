"""Submit from the validate screen, the file picker and a job's detail: one flow, which
shows the plan, asks once, and names an earlier submit of the same file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.widgets import Input

from batchtui.core.models import Job
from batchtui.core.registry import Registry
from batchtui.tui.screens.confirm import ConfirmScreen, PromptScreen
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.screens.validate import ValidateScreen
from batchtui.tui.widgets.file_picker import FilePicker
from helpers.shell import RecordingApp, make_app, settle
from helpers.viewer import ViewerApp, input_line, wait_for


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text("".join(json.dumps(input_line(n)) + "\n" for n in range(1, 6)))
    return path


@pytest.fixture
def sim_app(tmp_path: Path, simulator, monkeypatch: pytest.MonkeyPatch) -> RecordingApp:
    monkeypatch.setenv("BATCHTUI_TEST_KEY", "sk-test-submit-anywhere")
    return make_app(tmp_path, jobs=[], base_url=simulator.url)


def registry_jobs(app: RecordingApp) -> list:
    registry = app.sync_registry
    assert isinstance(registry, Registry)
    return registry.list_jobs()


async def jobs_now(app: RecordingApp) -> list:
    return await asyncio.to_thread(registry_jobs, app)


async def confirm_shown(pilot) -> ConfirmScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), timeout=10)
    return pilot.app.screen


async def test_validate_s_asks_with_the_plan_then_detail_submits_again(
    sim_app: RecordingApp, good: Path
) -> None:
    async with sim_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        sim_app.push_screen(ValidateScreen(good))
        await wait_for(pilot, lambda: getattr(sim_app.screen, "report", None) is not None)
        await pilot.press("s")
        # Two profiles and no default: which one is asked, the first offered.
        await wait_for(pilot, lambda: isinstance(sim_app.screen, PromptScreen))
        assert sim_app.screen.query_one(Input).value == "demo"
        await pilot.press("enter")
        confirm = await confirm_shown(pilot)
        assert confirm.question == "Submit good.jsonl to demo?"
        assert "5 requests · model gpt-4o-mini" in confirm.detail
        assert "goes as one batch" in confirm.detail and "tokens in" in confirm.detail
        assert await jobs_now(sim_app) == []  # nothing sent before the answer
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Submitted good.jsonl" in n for n in sim_app.notes), 15)
        (first,) = await jobs_now(sim_app)
        assert first.profile == "demo" and first.input_lines == 5

        await wait_for(pilot, lambda: sim_app.get_job(first.id) is not None, timeout=10)
        sim_app.open_detail(first.id)
        await wait_for(pilot, lambda: isinstance(sim_app.screen, DetailScreen))
        await pilot.press("s")
        again = await confirm_shown(pilot)
        assert again.question == "Submit good.jsonl to demo again?"
        assert f"as {first.id} (" in again.detail and "same sha256" in again.detail
        await pilot.press("n")
        await settle(pilot)
        assert len(await jobs_now(sim_app)) == 1
        await pilot.press("s")
        await confirm_shown(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: len(registry_jobs_cached(sim_app)) == 2, timeout=15)


def registry_jobs_cached(app: RecordingApp) -> list:
    # The app's own snapshot (read off the loop by the monitor), refreshed after a submit.
    return list(app.jobs.values())


async def test_picker_ctrl_t_submits_the_typed_file(sim_app: RecordingApp, good: Path) -> None:
    async with sim_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        sim_app.action_submit_file()
        await wait_for(pilot, lambda: isinstance(sim_app.screen, FilePicker))
        sim_app.screen.query_one("#picker-path", Input).value = str(good)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(sim_app.screen, PromptScreen))
        await pilot.press("enter")
        confirm = await confirm_shown(pilot)
        assert confirm.question == "Submit good.jsonl to demo?"
        await pilot.press("n")
        await settle(pilot)
        assert await jobs_now(sim_app) == []


async def test_validate_s_on_an_invalid_file_refuses_without_asking(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"custom_id": "a", broken\n')
    app = ViewerApp(lambda: ValidateScreen(bad))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.report is not None)
        await pilot.press("s")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("has errors" in str(n.message) for n in app._notifications)


def test_snapshot_submit_question_with_an_earlier_submit(snap_compare, tmp_path: Path):
    """The whole plan and the earlier job fit the dialog at 80x24."""
    from datetime import timedelta

    from batchtui.core.config import Config, Profile
    from batchtui.core.jobs.duplicates import EarlierSubmit
    from batchtui.core.jobs.plan import plan_submit
    from batchtui.core.models import utc_now
    from batchtui.tui.submit_flow import describe_plan

    path = tmp_path / "questions.requests.jsonl"
    path.write_text("".join(json.dumps(input_line(n)) + "\n" for n in range(1, 41)))
    profile = Profile(name="work", kind="openai", api_key="sk-snapshot")
    config = Config(path=tmp_path / "config.toml", exists=True, profiles={"work": profile})
    with Registry(tmp_path / "registry.sqlite3") as registry:
        plan = plan_submit(config, registry, path, "work")
    earlier = EarlierSubmit(
        "bt-7k2m9q", "questions", "work", utc_now() - timedelta(hours=2), "completed"
    )
    plan.earlier = earlier
    plan.path = Path("questions.requests.jsonl")  # the tmp dir's name changes every run
    detail = describe_plan(plan)
    assert "as bt-7k2m9q (questions, completed)" in detail and "40 requests" in detail
    app = ViewerApp(lambda: ConfirmScreen("Submit questions.requests.jsonl to work again?", detail))
    assert snap_compare(app, terminal_size=(80, 24))


async def test_submit_again_of_a_job_whose_input_is_gone_names_the_file(
    sim_app: RecordingApp, tmp_path: Path
) -> None:
    async with sim_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        gone = tmp_path / "gone.jsonl"

        job = Job(
            id="bt-gone01", name="gone", profile="demo", kind="openai", tag="t", input_path=gone
        )
        await asyncio.to_thread(sim_app.sync_registry.add_job, job)
        sim_app.reload_registry(force=True)
        await wait_for(pilot, lambda: sim_app.get_job("bt-gone01") is not None)
        sim_app.open_detail("bt-gone01")
        await wait_for(pilot, lambda: isinstance(sim_app.screen, DetailScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: any(str(gone) in note for note in sim_app.notes), 10)
        assert not isinstance(sim_app.screen, ConfirmScreen)
