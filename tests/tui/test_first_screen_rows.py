"""The first screen shows the job list's first page, read straight from the registry file,
with the job table's own cells; the job list then covers it with the same rows, header and
cursor. When the file cannot be read at once the first screen says it is loading."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static

from batchtui.core.models import Job, JobGroup, RequestCounts
from batchtui.core.paths import config_path, registry_path
from batchtui.core.registry import Registry
from batchtui.core.registry.schema import SCHEMA_VERSION
from batchtui.core.status import JobStatus
from batchtui.tui.app import BatchtuiApp
from batchtui.tui.screens.jobs import JobsScreen
from batchtui.tui.screens.start import StartScreen
from batchtui.tui.widgets.header import AppHeader
from batchtui.tui.widgets.job_table import JobTable
from batchtui.tui.widgets.status_line import StatusLine
from helpers.shell import NOW, FrozenClock

STATUSES = (JobStatus.COMPLETED, JobStatus.IN_PROGRESS, JobStatus.FAILED, JobStatus.CANCELLED)


def jobs(count: int) -> list[Job]:
    return [
        Job(
            id=f"bt-r{n:04d}",
            name=f"rows-{n}" if n % 9 else f"a name too long for its column {n}",
            profile="bench",
            kind="openai",
            tag=f"tag-{n}",
            status=STATUSES[n % len(STATUSES)],
            model="gpt-4o-mini",
            request_counts=RequestCounts(total=200, completed=(n * 7) % 200, failed=n % 3),
            timestamps={"created_at": NOW - timedelta(hours=count - n)},
            created_at=NOW - timedelta(hours=count - n),
            updated_at=NOW - timedelta(hours=count - n),
        )
        for n in range(count)
    ]


@pytest.fixture
def registry_of_jobs() -> Iterator[Path]:
    """60 jobs and a group in the registry the app reads by default, and a config with a
    profile."""
    path = registry_path()
    moment = NOW - timedelta(hours=2, minutes=30)  # the third row
    group = JobGroup(id="bg-split", name="split file", profile="bench", shard_count=2,
                     created_at=moment)  # fmt: skip
    shards = [
        Job(
            id=f"bt-shard{index}",
            name=f"split file shard {index}",
            profile="bench",
            kind="openai",
            tag=f"shard-{index}",
            status=status,
            input_lines=500,
            request_counts=RequestCounts(total=500 if index == 1 else 0, completed=120),
            group_id="bg-split",
            shard_index=index,
            created_at=moment,
            updated_at=moment,
        )
        for index, status in ((1, JobStatus.IN_PROGRESS), (2, JobStatus.PENDING))
    ]
    with Registry(path) as registry:
        registry.add_jobs(jobs(60))
        registry.add_group(group, shards)
    config = config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[profiles.bench]\nkind = "openai"\n')
    yield path


class Host(App[None]):
    """The first screen on its own, laid out by the app's stylesheet."""

    CSS_PATH = Path(BatchtuiApp.CSS_PATH)

    def on_mount(self) -> None:
        self.push_screen(StartScreen(now=FrozenClock()))


class TerminalApp(BatchtuiApp):
    """The app as on a terminal (a test's app is headless): the first screen first, and
    the job list covering it only once the test lets it (`handover`)."""

    def __init__(self) -> None:
        super().__init__(now=FrozenClock(), poll=False)
        self.handover = asyncio.Event()

    def get_default_screen(self) -> Any:
        return StartScreen(ascii_only=self.ascii_only, now=self.now, activity=self.activity_signal)

    async def _leave_the_start_screen(self) -> None:
        await self.handover.wait()
        await super()._leave_the_start_screen()


async def first_rows(pilot: Any) -> StartScreen:
    for _ in range(1000):
        for screen in pilot.app.screen_stack:
            if isinstance(screen, StartScreen) and screen.settled.is_set():
                return screen
        await pilot.pause(0.01)
    raise AssertionError("the first screen never settled")


def rows_of(table: JobTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(row)] for row in range(table.row_count)]


def labels_of(table: JobTable) -> list[str]:
    return [column.label.plain for column in table.columns.values()]


def counts_line(screen: Any) -> str:
    return str(screen.query_one(AppHeader).render()).splitlines()[1]


@pytest.mark.parametrize("width", [80, 160])
async def test_the_first_screens_rows_are_the_job_lists(registry_of_jobs: Path, width: int) -> None:
    async with Host().run_test(size=(width, 24)) as pilot:
        start = await first_rows(pilot)
        assert start.table.display and start.table.row_count == 61
        shown = rows_of(start.table), labels_of(start.table), counts_line(start)
    app = BatchtuiApp(now=FrozenClock(), poll=False)
    async with app.run_test(size=(width, 24)) as pilot:
        for _ in range(1000):
            if isinstance(app.screen, JobsScreen) and app.screen.table.row_count:
                break
            await pilot.pause(0.01)
        listed = app.screen.query_one(JobTable)
        rows = rows_of(listed)
        if "Cost" in labels_of(listed):
            # Wide enough for the cost: priced with the config's prices, it fills in when
            # the job list covers the first screen.
            assert {row[-1] for row in shown[0]} == {""}
            rows = [[*row[:-1], ""] for row in rows]
        assert (rows, labels_of(listed), counts_line(app.screen)) == shown
    assert shown[0][0][1:3] == ["rows-59", "bt-r0059"]  # newest first, id beside the name
    assert shown[0][2][1:4] == ["▸ split file", "bg-split", "▶ in_progress"]  # folded group


def test_first_screen_with_jobs_80x24(snap_compare, registry_of_jobs: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await first_rows(pilot)
        await pilot.press("j", "j")

    assert snap_compare(Host(), terminal_size=(80, 24), run_before=run_before)


def lock(path: Path) -> sqlite3.Connection:
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    return writer


@pytest.mark.parametrize("case", ["missing", "locked", "newer schema"])
async def test_an_unreadable_registry_shows_the_loading_frame(
    registry_of_jobs: Path, case: str
) -> None:
    writer = None
    if case == "missing":
        registry_of_jobs.unlink()
    elif case == "newer schema":
        with sqlite3.connect(registry_of_jobs) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    else:
        writer = lock(registry_of_jobs)
    try:
        async with Host().run_test(size=(80, 24)) as pilot:
            start = await first_rows(pilot)
            assert not start.table.display and start.page is None
            hint = start.query_one("#empty-hint", Static)
            assert hint.display and "Reading the job registry" in str(hint.render())
            assert "loading" in str(start.query_one(AppHeader).render())
            await pilot.press("q")
        assert pilot.app.return_code == 0
    finally:
        if writer is not None:
            writer.close()
    assert case != "missing" or not registry_of_jobs.exists()


async def test_the_job_list_takes_over_with_the_same_cursor_and_scroll(
    registry_of_jobs: Path,
) -> None:
    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        start = await first_rows(pilot)
        assert app.screen is start and start.table.has_focus
        await pilot.press(*["j"] * 25, "k")
        selected, row = start.selected_job_id, start.table.cursor_row
        scrolled = start.table.scroll_offset
        assert row == 24 and selected == "bt-r0036" and scrolled.y > 0
        header = counts_line(start)
        app.activity_signal.publish("what the app said meanwhile")
        await pilot.pause()
        assert start.query_one(StatusLine).message == "what the app said meanwhile"
        app.handover.set()
        for _ in range(1000):
            if isinstance(app.screen, JobsScreen):
                break
            await pilot.pause(0.01)
        jobs_screen = app.screen
        assert isinstance(jobs_screen, JobsScreen)
        await pilot.pause()
        table = jobs_screen.table
        assert table.selected_job_id == selected and table.cursor_row == row
        assert table.scroll_offset == scrolled
        assert counts_line(jobs_screen) == header
        assert jobs_screen.query_one(StatusLine).message == "what the app said meanwhile"
        assert rows_of(table)[:61] == rows_of(start.table)
        await pilot.press("j")
        assert table.selected_job_id == "bt-r0035"  # the job list's keys from here on


@pytest.mark.parametrize(
    ("moves", "opened", "row"),
    [(0, "DetailScreen", "bt-r0059"), (2, "GroupDetailScreen", "bg-split")],
)
async def test_enter_on_the_first_screen_opens_the_row_once_the_job_list_is_in(
    registry_of_jobs: Path, moves: int, opened: str, row: str
) -> None:
    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        start = await first_rows(pilot)
        await pilot.press(*["j"] * moves, "enter")
        assert app.screen is start  # nothing to open yet: the job list is not loaded
        app.handover.set()
        for _ in range(1000):
            if type(app.screen).__name__ == opened:
                break
            await pilot.pause(0.01)
        assert type(app.screen).__name__ == opened
        shown = getattr(app.screen, "job_id", None) or getattr(app.screen, "group_id", None)
        assert shown == row
        assert isinstance(app.screen_stack[-2], JobsScreen)
