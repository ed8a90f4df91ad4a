"""The result viewer over local files: snapshots, every key, and a big file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from batchtui.core import lineindex
from batchtui.tui.widgets.record_view import RecordDetail, RecordTable
from helpers.viewer import (
    ANSI_THEME,
    DEFAULT_THEME,
    detail_text,
    input_line,
    make_app,
    ready,
    result_line,
    screen_of,
    wait_for,
    write_jsonl,
)

ERROR_NUMBERS = [n for n in range(1, 61) if n % 7 == 3]


@pytest.mark.parametrize("theme", [DEFAULT_THEME, ANSI_THEME])
def test_snapshot_results_with_prompt(snap_compare, in_tmp, theme: str):
    output, inputs = in_tmp

    async def run_before(pilot) -> None:
        await ready(pilot, prompts=True)
        await pilot.press("j", "j")  # record 3 failed: the error and its prompt

    assert snap_compare(
        make_app(output, inputs, theme), terminal_size=(80, 24), run_before=run_before
    )


@pytest.mark.parametrize("theme", [DEFAULT_THEME, ANSI_THEME])
def test_snapshot_errors_only_raw_json(snap_compare, in_tmp, theme: str):
    output, _ = in_tmp

    async def run_before(pilot) -> None:
        screen = await ready(pilot)
        await pilot.press("E")
        await wait_for(pilot, lambda: screen.table.rows is not None)
        await pilot.press("J")

    assert snap_compare(
        make_app(output, theme=theme), terminal_size=(80, 24), run_before=run_before
    )


async def test_movement_keys(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        table = screen.table
        assert table.has_focus and table.row_count() == 60
        await pilot.press("j", "down")
        assert table.cursor == 2
        await pilot.press("k")
        assert table.cursor == 1
        await pilot.press("up", "up")
        assert table.cursor == 0
        await pilot.press("pagedown")
        page = table.cursor
        assert page >= 3
        await pilot.press("pageup")
        assert table.cursor == 0
        await pilot.press("G")
        assert table.cursor == 59
        assert "req-00060" in detail_text(screen)
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("end")
        assert table.cursor == 59
        await pilot.press("home")
        assert table.cursor == 0


async def test_errors_only_and_filter(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        table = screen.table
        await pilot.press("E")
        await wait_for(pilot, lambda: table.rows is not None)
        assert [table.source_row(r) + 1 for r in range(table.row_count())] == ERROR_NUMBERS
        assert "errors only" in str(screen.query_one("#results-status", Static).render())
        await pilot.press("E")
        await wait_for(pilot, lambda: table.rows is None)
        assert table.row_count() == 60

        await pilot.press("ampersand")
        search = screen.query_one("#filter-input", Input)
        assert search.has_focus
        await pilot.press(*"CITY 36", "enter")
        await wait_for(pilot, lambda: table.rows is not None)
        assert table.row_count() == 1 and table.current_source_row() == 11
        assert "city 36" in detail_text(screen)
        assert table.has_focus

        # Both filters together: nothing fails and mentions city 36.
        await pilot.press("E")
        await wait_for(pilot, lambda: table.rows is not None and table.row_count() == 0)
        await pilot.press("E", "ampersand")
        await pilot.press("ctrl+a", "ctrl+k", "enter")  # an empty search clears the filter
        await wait_for(pilot, lambda: table.rows is None)
        assert table.row_count() == 60


async def test_search_escape_closes_the_prompt_then_leaves(in_tmp):
    output, _ = in_tmp
    app = make_app(output)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("slash")
        assert screen.query_one("#search-input", Input).has_class("-open")
        await pilot.press("escape")
        assert not screen.query_one("#search-input", Input).has_class("-open")
        assert app.screen is screen and screen.table.has_focus
        await pilot.press("escape")
        assert app.screen is not screen


async def test_go_to_record(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("colon", *"42", "enter")
        assert screen.table.current_source_row() == 41
        await pilot.press("ctrl+g", *"7", "enter")
        assert screen.table.current_source_row() == 6
        await pilot.press("ctrl+g", *"999", "enter")
        await pilot.pause()
        assert screen.table.current_source_row() == 6
        assert any("60 records" in str(n.message) for n in pilot.app._notifications)
        await pilot.press("E")
        await wait_for(pilot, lambda: screen.table.rows is not None)
        await pilot.press("colon", *"5", "enter")
        assert any("hidden by the filter" in str(n.message) for n in pilot.app._notifications)


async def test_markdown_json_and_prompt(in_tmp):
    output, inputs = in_tmp
    async with make_app(output, inputs).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot, prompts=True)
        detail = screen.query_one(RecordDetail)
        assert "What is the capital of country 1?" in detail_text(screen)
        assert "**capital**" in detail_text(screen)
        await pilot.press("m")
        assert detail.mode == "markdown"
        markdown = detail.query_one("#detail-markdown")
        assert markdown.display
        await pilot.press("m")
        assert detail.mode == "text" and not detail.query("#detail-markdown")
        await pilot.press("J")
        assert detail.mode == "json"
        assert '"request_id": "req_1"' in detail_text(screen)
        await pilot.press("J")
        assert detail.mode == "text"


async def test_download_key_on_a_local_file_says_so(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("d")
        assert any("local file" in str(n.message) for n in pilot.app._notifications)


async def test_provider_text_is_inert(tmp_path: Path):
    line = result_line(1)
    content = "[bold red]not markup[/] \x1b[31mred\x1b[0m \x07bell"
    line["response"]["body"]["choices"][0]["message"]["content"] = content
    line["custom_id"] = "[link=x]id[/link]"
    path = write_jsonl(tmp_path / "evil.jsonl", [line])
    async with make_app(path).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        shown = detail_text(screen)
        assert "[bold red]not markup[/]" in shown
        assert "[link=x]id[/link]" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        row = screen.table.render_line(0).text
        assert "[link=x]id[/link]"[:15] in row and "\x1b" not in row


async def test_missing_file_is_reported(tmp_path: Path):
    async with make_app(tmp_path / "gone.jsonl").run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(pilot.app._notifications))
        message = str(next(iter(pilot.app._notifications)).message)
        assert "gone.jsonl: cannot open" in message


async def test_big_file_is_usable_before_the_index_completes(tmp_path: Path, monkeypatch):
    # About 50 MB of results; the scan is held after its first windows so the test can
    # look at the screen while the index is incomplete, whatever the machine's speed.
    template = (
        b'{"id":"batch_req_%d","custom_id":"big-%08d","response":{"status_code":200,'
        b'"body":{"choices":[{"message":{"content":"' + b"word " * 60 + b'"},'
        b'"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":60}}},'
        b'"error":null}\n'
    )
    count = 50_000_000 // len(template)
    path = tmp_path / "big.jsonl"
    with path.open("wb") as handle:
        for start in range(0, count, 10_000):
            handle.write(
                b"".join(template % (n, n) for n in range(start, min(count, start + 10_000)))
            )
    hold = threading.Event()
    windows = 0
    real_index_window = lineindex.index_window

    def held_index_window(*args):
        nonlocal windows
        windows += 1
        if windows > 3:
            hold.wait(10)
        return real_index_window(*args)

    monkeypatch.setattr(lineindex, "index_window", held_index_window)
    async with make_app(path).run_test(size=(80, 24)) as pilot:
        screen = screen_of(pilot.app)
        await wait_for(pilot, lambda: screen.source is not None and screen.source.count > 100)
        assert not screen.source.complete
        assert screen.query_one("#results-progress").has_class("-running")
        await pilot.press("j", "pagedown")
        assert screen.table.cursor > 1
        assert "big-000000" in detail_text(screen)
        await pilot.press("G")  # follows the end while the index grows
        hold.set()
        await wait_for(pilot, lambda: screen.source.complete, timeout=30)
        await wait_for(pilot, lambda: screen.table.cursor == count - 1)
        assert f"big-{count - 1:08d}" in detail_text(screen)
        assert not screen.query_one("#results-progress").has_class("-running")


def test_input_line_matches_result_ids():
    assert input_line(5)["custom_id"] == result_line(5)["custom_id"]


def test_table_header_fits_80_columns():
    assert len(RecordTable.header_text(80).plain) <= 80
