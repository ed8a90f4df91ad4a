"""The job list as a window over registry pages: it reads a page, not every job; moving
past the window, marks and the actions on marked rows, the archived filter, the columns."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Config
from batchtui.core.jobs.listing import DEFAULT_PAGE_ROWS
from batchtui.core.models import Job, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.tui.screens.columns import ColumnsScreen
from batchtui.tui.screens.confirm import ConfirmScreen
from batchtui.tui.screens.help import help_sections
from batchtui.tui.screens.jobs import JobsScreen
from batchtui.tui.widgets.header import AppHeader
from batchtui.tui.widgets.job_table import JobTable, columns_for_width
from helpers.shell import NOW, RecordingApp, make_app, sample_jobs, settle

MANY = 1_500


def many_jobs(count: int = MANY) -> list[Job]:
    """`count` finished jobs, `job-0` the oldest, one a minute."""
    return [
        Job(
            id=f"bt-m{n:05d}",
            name=f"job-{n}",
            profile="demo",
            kind="openai",
            tag=f"tag-{n}",
            status=JobStatus.COMPLETED,
            request_counts=RequestCounts(total=10, completed=10),
            created_at=NOW - timedelta(minutes=count - n),
            updated_at=NOW,
        )
        for n in range(count)
    ]


def big_app(tmp_path: Path, **options: Any) -> RecordingApp:
    app = make_app(tmp_path, jobs=[], **options)
    assert app.sync_registry is not None
    app.sync_registry.add_jobs(many_jobs())
    return app


def table_of(app: Any) -> JobTable:
    return app.screen.query_one(JobTable)


def header_text(app: Any) -> str:
    return str(app.screen.query_one(AppHeader).render())


class CountingCursor:
    def __init__(self, cursor: sqlite3.Cursor, counter: RowCounter) -> None:
        self._cursor = cursor
        self._counter = counter

    def fetchall(self) -> list[Any]:
        rows = self._cursor.fetchall()
        self._counter.rows += len(rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        for row in self._cursor:
            self._counter.rows += 1
            yield row

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class RowCounter:
    """Wraps the registry's SQLite connection: every row any query hands back is counted."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self.rows = 0
        self.statements: list[str] = []

    def execute(self, sql: str, *params: Any) -> CountingCursor:
        self.statements.append(sql)
        return CountingCursor(self._connection.execute(sql, *params), self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


async def test_the_list_reads_a_page_not_the_registry(tmp_path: Path) -> None:
    app = big_app(tmp_path)
    registry: Registry = app.sync_registry  # type: ignore[assignment]
    counter = RowCounter(registry._db._conn)
    registry._db._conn = counter  # type: ignore[assignment]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert table.job_ids()[0] == f"bt-m{MANY - 1:05d}"
        assert table.row_count == DEFAULT_PAGE_ROWS
        assert f"of {MANY}" not in header_text(app) and f"{MANY} ✔ completed" in header_text(app)
        first_read = counter.rows
        # The page's keys, its rows and a few counts: a small multiple of a page, never the
        # registry's 1,500 jobs.
        assert first_read <= 3 * DEFAULT_PAGE_ROWS
        assert any("LIMIT" in statement for statement in counter.statements)

        # Another process changes one job: the refresh reads the change and the page.
        counter.rows = 0
        await app.registry.update_job(  # type: ignore[union-attr]
            f"bt-m{MANY - 2:05d}", request_counts=RequestCounts(total=10, completed=4)
        )
        app.reload_registry()
        await settle(pilot)
        assert table.get_cell(f"bt-m{MANY - 2:05d}", "progress").plain.startswith("4/10 ")
        assert counter.rows <= 3 * DEFAULT_PAGE_ROWS


async def test_moving_past_the_window_reads_the_next_page(tmp_path: Path) -> None:
    app = big_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        await pilot.press("G")
        await settle(pilot)
        assert table.selected_job_id == "bt-m00000"  # the oldest job, far past the window
        assert table.row_count <= DEFAULT_PAGE_ROWS
        await pilot.press("g")
        await settle(pilot)
        assert table.selected_job_id == f"bt-m{MANY - 1:05d}"
        for _ in range(12):  # page by page past the first window's end
            await pilot.press("pagedown")
            await settle(pilot)
        selected = table.selected_job_id
        assert selected is not None
        assert int(selected[4:]) < MANY - DEFAULT_PAGE_ROWS  # beyond the first page
        assert isinstance(app.screen, JobsScreen)
        assert app.screen.window_offset > 0
        await pilot.press("j")
        assert int(table.selected_job_id[4:]) == int(selected[4:]) - 1  # type: ignore[index]
        # Sorting starts again from the top of the list.
        await pilot.press("N")
        await settle(pilot)
        assert app.screen.window_offset == 0


async def test_marks_and_archive_then_the_archived_filter(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        table.move_cursor(row=table.get_row_index("bt-test01"))
        await pilot.press("space", "j", "space")  # chat-eval and bad-input
        await settle(pilot)
        assert list(screen.marked) == ["bt-test01", "bt-test03"]
        assert table.get_cell("bt-test01", "mark").plain == "●"
        assert table.get_cell("bt-test04", "mark").plain == " "
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Archive 2 jobs?"
        await pilot.press("y")
        await settle(pilot)
        ids = table.job_ids()
        assert "bt-test01" not in ids and "bt-test03" not in ids
        assert not screen.marked
        archived = await app.registry.get_job("bt-test01")  # type: ignore[union-attr]
        assert archived.archived_at is not None

        await pilot.press("a")
        await settle(pilot)
        assert {"bt-test01", "bt-test03"} <= set(table.job_ids())
        assert "archived shown" in header_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert "archived shown" not in header_text(app)
        await pilot.press("slash", *"archived:yes", "enter")
        await settle(pilot)
        assert sorted(table.job_ids()) == ["bt-test01", "bt-test03"]
        assert "archived only" in header_text(app)


async def test_archive_key_unarchives_rows_that_are_all_archived(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert app.sync_registry is not None
    for job_id in ("bt-test01", "bt-test03"):
        app.sync_registry.update_job(job_id, archived_at=NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        assert "bt-test01" not in table.job_ids()
        await pilot.press("a")
        await settle(pilot)
        # A mix of archived and not: `H` archives the one that is not, and only it.
        table.move_cursor(row=table.get_row_index("bt-test01"))
        await pilot.press("space")
        table.move_cursor(row=table.get_row_index("bt-test05"))
        await pilot.press("space")
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Archive 1 jobs?"
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)
        assert (await app.registry.get_job("bt-test05")).archived_at is None  # type: ignore[union-attr]

        # Marked rows all archived: the same key asks to unarchive them.
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.marked
        for job_id in ("bt-test01", "bt-test03"):
            table.move_cursor(row=table.get_row_index(job_id))
            await pilot.press("space")
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Unarchive 2 jobs?"
        await pilot.press("y")
        await settle(pilot)
        for job_id in ("bt-test01", "bt-test03"):
            assert (await app.registry.get_job(job_id)).archived_at is None  # type: ignore[union-attr]
        assert any("Unarchived 2 jobs" in note for note in app.notes)
        # Shown in the default list again once `a` hides archived jobs.
        await pilot.press("a")
        await settle(pilot)
        assert {"bt-test01", "bt-test03"} <= set(table.job_ids())
        # The help says the key does both.
        keys = dict(dict(help_sections(app))["Job list"])
        assert keys["H"].startswith("Archive/unarchive: ")
        assert "on archived rows, show them again" in keys["H"]


async def test_forget_and_clean_ask_first_and_refuse_running_jobs(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        table.move_cursor(row=table.get_row_index("bt-test02"))  # in progress
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)
        assert any("cannot forget bt-test02: still running" in note for note in app.notes)

        table.move_cursor(row=table.get_row_index("bt-test05"))
        await pilot.press("space")
        table.move_cursor(row=table.get_row_index("bt-test06"))
        await pilot.press("space", "F")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Forget 2 jobs?"
        await pilot.press("n")
        await settle(pilot)
        assert "bt-test05" in table.job_ids()
        await pilot.press("F", "y")
        await settle(pilot)
        assert "bt-test05" not in table.job_ids() and "bt-test06" not in table.job_ids()
        left = {job.id for job in await app.registry.list_jobs()}  # type: ignore[union-attr]
        assert left.isdisjoint({"bt-test05", "bt-test06"}) and "bt-test01" in left

        table.move_cursor(row=table.get_row_index("bt-test01"))
        await pilot.press("X")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Clean 1 jobs?"
        await pilot.press("n")


async def test_cancel_and_download_act_on_every_marked_row(tmp_path: Path) -> None:
    jobs = sample_jobs()
    running = jobs[1].model_copy(update={"id": "bt-test07", "tag": "t7", "name": "second"})
    app = make_app(tmp_path, jobs=[*jobs, running])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        for job_id in ("bt-test02", "bt-test07", "bt-test01"):
            table.move_cursor(row=table.get_row_index(job_id))
            await pilot.press("space")
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == "Cancel 2 running jobs?"  # the completed one is left
        assert "bt-test02" in app.screen.detail and "bt-test07" in app.screen.detail
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("escape")  # no filter: escape clears the marks
        assert not app.screen.marked  # type: ignore[attr-defined]


def test_columns_are_chosen_by_width_id_and_status_always() -> None:
    assert columns_for_width(80) == ["mark", "name", "id", "status", "progress"]
    assert columns_for_width(40) == ["mark", "id", "status"]
    wide = columns_for_width(200)
    assert wide[1:] == [
        "name", "id", "status", "progress", "eta", "elapsed", "created", "profile", "model",
        "cost",
    ]  # fmt: skip
    assert columns_for_width(80, {"model", "profile"}) == [
        "mark",
        "id",
        "status",
        "profile",
        "model",
    ]


async def test_the_column_chooser_toggles_columns_for_the_session(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = table_of(app)
        assert "progress" in table.shown_columns and "elapsed" not in table.shown_columns
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ColumnsScreen)
        await pilot.press("down", "space")  # from name past id and status (always) to progress
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)
        assert "progress" not in table.shown_columns
        assert "elapsed" in table.shown_columns  # the room went to the next column
        assert table.get_cell("bt-test02", "status").plain.endswith("in_progress")


async def test_ui_columns_in_the_config_choose_the_columns(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    config: Config = app.monitor.config  # type: ignore[assignment]
    config.ui.columns = ["name", "model"]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert table_of(app).shown_columns == ["mark", "name", "id", "status", "model"]


@pytest.mark.parametrize("ascii_only", [False, True], ids=["unicode", "ascii"])
def test_snapshot_marked_rows_with_archived_shown(
    snap_compare, tmp_path: Path, ascii_only: bool
) -> None:
    app = make_app(tmp_path, ascii_only=ascii_only)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("space", "j", "j", "space", "a")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_column_chooser(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path)

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("down", "space")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
