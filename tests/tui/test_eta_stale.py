"""Issue 15 #13 in the TUI: a job whose polls fail shows `?` for its ETA in the list and
`? stale` in its detail, not an estimate that grows; a key variable that is not set is
said once, as a fix naming the variable and the profile, not "retrying in 30s"."""

from __future__ import annotations

from pathlib import Path

from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.widgets.job_table import JobTable
from batchtui.tui.widgets.status_line import StatusLine
from helpers.shell import make_app, settle

RUNNING = "bt-test02"  # summaries-large: 1234 of 5000, profile prod


async def test_failed_polls_turn_the_eta_into_a_question_mark(tmp_path: Path) -> None:
    # The profiles' key variable (BATCHTUI_TEST_KEY) is not set: every poll fails.
    app = make_app(tmp_path, poll=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(100):
            if app.snapshot.polls.get(RUNNING) is not None:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        assert app.snapshot.polls[RUNNING].failures >= 1
        table = app.screen.query_one(JobTable)
        for _ in range(100):  # the list redraws elapsed and ETA every 5 s
            if table.get_cell(RUNNING, "eta").plain == "?":
                break
            await pilot.pause(0.1)
        assert table.get_cell(RUNNING, "eta").plain == "?"

        message = app.screen.query_one(StatusLine).message
        assert "BATCHTUI_TEST_KEY" in message and "'prod'" in message
        assert "retrying" not in message

        app.open_detail(RUNNING)
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = str(app.screen.query_one("#detail-text").render())
        eta_line = next(line for line in text.splitlines() if line.strip().startswith("eta"))
        assert "? stale" in eta_line and "no answer yet" in eta_line
