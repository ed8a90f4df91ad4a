"""A job group in the job list: one row with summed progress, expanding to its shards."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchtui.core.models import RequestCounts
from batchtui.core.status import JobStatus
from batchtui.tui.screens.confirm import ConfirmScreen
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.screens.jobs import JobsScreen
from helpers.shell import (
    GROUP_ID,
    group_app,
    name_cell,
    sample_jobs,
    settle,
    table_of,
)


async def test_a_group_is_one_row_that_expands_to_its_shards(tmp_path: Path) -> None:
    app = group_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = table_of(app)
        ids = table.job_ids()
        assert GROUP_ID in ids and not any(row.startswith("bt-shard") for row in ids)
        assert len(ids) == len(sample_jobs()) + 1
        assert name_cell(table, GROUP_ID) == "▸ reviews"
        assert table.get_cell(GROUP_ID, "progress").plain.startswith("50000/120000 ")
        assert "in_progress" in table.get_cell(GROUP_ID, "status").plain

        table.move_cursor(row=table.get_row_index(GROUP_ID))
        await pilot.press("right")
        await settle(pilot)
        ids = table.job_ids()
        position = ids.index(GROUP_ID)
        assert ids[position : position + 4] == [GROUP_ID, "bt-shard1", "bt-shard2", "bt-shard3"]
        assert name_cell(table, GROUP_ID) == "▾ reviews"
        assert name_cell(table, "bt-shard3") == " └ shard 3/3"
        assert table.get_cell("bt-shard2", "progress").plain.startswith("10000/40000 ")

        await pilot.press("down", "down")  # on shard 2: enter opens its detail
        assert table.selected_job_id == "bt-shard2"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.job_id == "bt-shard2"
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("left")  # from a shard: folds its group, cursor on the group
        await settle(pilot)
        assert "bt-shard1" not in table.job_ids()
        assert table.selected_job_id == GROUP_ID
        await pilot.press("right")
        await settle(pilot)
        assert "bt-shard1" in table.job_ids()
        await pilot.press("left")
        await settle(pilot)
        assert "bt-shard1" not in table.job_ids()
        # space marks the group (as in k9s) and no longer folds or expands it
        await pilot.press("space")
        await settle(pilot)
        assert "bt-shard1" not in table.job_ids()
        assert table.get_cell(GROUP_ID, "mark").plain == "●"
        assert list(app.screen.marked) == [GROUP_ID]


async def test_group_rows_update_in_place_when_a_shard_moves(tmp_path: Path) -> None:
    app = group_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = table_of(app)
        table.move_cursor(row=table.get_row_index(GROUP_ID))
        assert app.registry is not None
        await app.registry.update_job(
            "bt-shard3",
            status=JobStatus.IN_PROGRESS,
            request_counts=RequestCounts(total=40_000, completed=5_000),
        )
        app.reload_registry(force=True)
        await settle(pilot)
        assert table.get_cell(GROUP_ID, "progress").plain.startswith("55000/120000 ")
        assert table.selected_job_id == GROUP_ID


async def test_right_on_a_group_expands_and_keys_act_on_every_shard(tmp_path: Path) -> None:
    app = group_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = table_of(app)
        table.move_cursor(row=table.get_row_index(GROUP_ID))
        await pilot.press("right")  # enter opens the group's detail (test_group_detail)
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen) and "bt-shard1" in table.job_ids()

        table.move_cursor(row=table.get_row_index(GROUP_ID))
        await pilot.press("o")
        await settle(pilot)
        # `o` opens a group's results once every submitted shard may have some.
        assert "bg-group1: shard 2 (bt-shard2) is in_progress: no results yet" in app.notes
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "2 running shards" in app.screen.question
        await pilot.press("escape")


async def test_the_filter_keeps_a_group_whose_shard_matches(tmp_path: Path) -> None:
    app = group_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"id:bt-shard2", "enter")
        await settle(pilot)
        assert table_of(app).job_ids() == [GROUP_ID]


@pytest.mark.parametrize("ascii_only", [False, True], ids=["unicode", "ascii"])
def test_snapshot_expanded_group(snap_compare, tmp_path: Path, ascii_only: bool) -> None:
    app = group_app(
        tmp_path, ascii_only=ascii_only, theme="ansi-dark" if ascii_only else "textual-dark"
    )

    async def run_before(pilot) -> None:
        await settle(pilot)
        table = table_of(pilot.app)
        table.move_cursor(row=table.get_row_index(GROUP_ID))
        await pilot.press("right")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
