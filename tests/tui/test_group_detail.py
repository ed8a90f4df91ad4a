"""The group detail screen (issue 15 #11, what to build 7): enter on a group row opens it;
it shows the shards, the summed progress, cost and usage, and acts on every shard."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from batchtui.tui.screens.confirm import ConfirmScreen
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.screens.group_detail import GroupDetailScreen
from batchtui.tui.screens.jobs import JobsScreen
from helpers.shell import GROUP_ID, group_app, settle, table_of


def summary_text(app) -> str:
    return str(app.screen.query_one("#group-summary", Static).render())


async def open_group(pilot) -> GroupDetailScreen:
    await settle(pilot)
    table = table_of(pilot.app)
    table.move_cursor(row=table.get_row_index(GROUP_ID))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, GroupDetailScreen) and screen.group_id == GROUP_ID
    return screen


async def test_enter_on_a_group_opens_its_detail_with_summed_progress_and_shards(
    tmp_path: Path,
) -> None:
    app = group_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_group(pilot)
        text = summary_text(app)
        # 40,000 + 10,000 + 0 of 3 x 40,000: summed by core.groups, as the job list does.
        assert "50,000 completed, 0 failed, 120,000 total" in text
        assert "3 of 3: 1 in_progress, 1 validating, 1 completed" in text
        # Usage: the rule of `status GROUP` (no shard reported any: says how to get it).
        assert "usage" in text and "download the results" in text
        shards = screen.query_one("#group-shards", DataTable)
        assert [row.value for row in shards.rows] == ["bt-shard1", "bt-shard2", "bt-shard3"]
        assert str(shards.get_cell("bt-shard2", "progress")).startswith("10000/40000 ")
        assert str(shards.get_cell("bt-shard1", "shard")) == "1/3"


async def test_the_group_keys_act_on_every_shard(tmp_path: Path) -> None:
    app = group_app(tmp_path)
    opened: list[str | None] = []
    app.open_results = lambda job_id=None, path=None: opened.append(job_id)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await open_group(pilot)

        await pilot.press("o")  # the merged results of every shard: the viewer opens a group
        assert opened == [GROUP_ID]

        await pilot.press("ctrl+d")  # cancel asks first, naming the running shards
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "2 running shards" in app.screen.question
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GroupDetailScreen)

        await pilot.press("d")  # download: every shard with results (only shard 1 has)
        await settle(pilot)
        assert any("Downloading 1 shards" in note for note in app.notes)

        await pilot.press("c")  # copy the group's id
        assert any(note.startswith(f"Copied {GROUP_ID}") for note in app.notes)

        await pilot.press("R")  # retry failed: plans the whole group (its provider is down)
        await settle(pilot)
        assert any(note.startswith(f"retry {GROUP_ID}:") for note in app.notes)

        await pilot.press("down", "enter")  # enter on a shard: its job detail
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.job_id == "bt-shard2"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GroupDetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)


async def test_a_group_with_usage_sums_cost_over_its_shards_without_saying_retries(
    tmp_path: Path,
) -> None:
    app = group_app(tmp_path)
    assert app.sync_registry is not None
    for index in (1, 2):
        app.sync_registry.update_job(
            f"bt-shard{index}", usage={"input_tokens": 1_000_000, "output_tokens": 100_000}
        )
    async with app.run_test(size=(80, 24)) as pilot:
        await open_group(pilot)
        await settle(pilot)
        text = summary_text(app).replace("\n" + " " * 19, " ")
        assert "2,000,000 prompt + 200,000 completion" in text
        assert "(3 shards)" in text and "retr" not in text


@pytest.mark.parametrize("ascii_only", [False, True], ids=["unicode", "ascii"])
def test_snapshot_group_detail(snap_compare, tmp_path: Path, ascii_only: bool) -> None:
    app = group_app(
        tmp_path, ascii_only=ascii_only, theme="ansi-dark" if ascii_only else "textual-dark"
    )

    async def run_before(pilot) -> None:
        await open_group(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
