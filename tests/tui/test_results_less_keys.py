"""The result viewer's less-like keys: / search, n/N, copy (OSC 52), e, half pages, groups."""

from __future__ import annotations

import base64
import re
import tempfile
from pathlib import Path

import pytest
from rich.segment import Segment

from batchtui.core.models import Job, JobGroup
from batchtui.core.resultfile import RecordBuffer, ResultSet
from batchtui.core.status import JobStatus
from batchtui.tui.screens.results import ResultsScreen
from batchtui.tui.widgets.record_view import MATCH_STYLE, RecordDetail
from helpers.remote import finished_job
from helpers.viewer import (
    ViewerApp,
    detail_text,
    make_app,
    ready,
    result_line,
    wait_for,
    write_jsonl,
)


def status(screen: ResultsScreen) -> str:
    return str(screen.query_one("#results-status").render())


def matched_cells(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.style is not None and s.style.reverse)


async def search(pilot, screen: ResultsScreen, text: str) -> None:
    await pilot.press("slash", *text, "enter")
    await wait_for(pilot, lambda: screen.matches is not None or screen.search is None)


async def test_search_jumps_counts_and_wraps(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        table = screen.table
        # "city 3" is in answers 1 (city 3), 10-13 (city 30..39), 100+ none: 1 to 60 -> n*3
        expected = [n - 1 for n in range(1, 61) if n % 7 != 3 and "city 3" in f"city {n * 3}."]
        await pilot.press("j", "j")  # from record 3 on
        await search(pilot, screen, "city 3")
        assert list(screen.matches) == expected
        assert table.current_source_row() == expected[1]
        assert f"match 2 of {len(expected)}" in status(screen)
        await pilot.press("n")
        assert table.current_source_row() == expected[2]
        await pilot.press("N", "N")
        assert table.current_source_row() == expected[0]
        await pilot.press("N")  # before the first: wraps to the last
        assert table.current_source_row() == expected[-1]
        assert "wrapped" in status(screen)
        assert f"match {len(expected)} of {len(expected)}" in status(screen)
        await pilot.press("n")
        assert table.current_source_row() == expected[0]


async def test_search_from_past_the_last_match_wraps_to_the_first(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("G")
        await search(pilot, screen, "city 3")
        assert screen.table.current_source_row() == 0
        assert "match 1 of 4" in status(screen) and "wrapped" in status(screen)


async def test_search_finds_text_only_in_the_prompt(in_tmp):
    output, inputs = in_tmp
    async with make_app(output, inputs).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot, prompts=True)
        # Only the prompt of record 12 asks about "country 12?" (its answer has no '?').
        await search(pilot, screen, r"country 12\?")
        assert list(screen.matches) == [11]
        assert screen.table.current_source_row() == 11
        prompt = screen.query_one(RecordDetail).query_one("#detail-prompt").render()
        assert "country 12?" in matched_text(prompt)


def matched_text(text) -> str:
    return "".join(
        text.plain[span.start : span.end]
        for span in text.spans
        if getattr(span.style, "reverse", False) == MATCH_STYLE.reverse
    )


async def test_highlight_in_the_row_and_the_answer(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(100, 24)) as pilot:
        screen = await ready(pilot)
        await search(pilot, screen, "Capital")  # capital letter: exact case, no match
        assert list(screen.matches) == []
        assert "pattern not found: Capital" in status(screen)
        await search(pilot, screen, "capital")
        row = screen.table.cursor - screen.table.scroll_offset.y
        assert matched_cells(list(screen.table.render_line(row))) == "capital"
        body = screen.query_one(RecordDetail).query_one("#detail-body").render()
        assert matched_text(body) == "capital"


async def test_invalid_regex_is_one_line_and_nothing_breaks(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("slash", *"city (3", "enter")
        await pilot.pause()
        assert screen.search is None and screen.matches is None
        messages = [str(n.message) for n in pilot.app._notifications]
        assert any("invalid regular expression 'city (3'" in m for m in messages)
        assert all("\n" not in m for m in messages)
        await pilot.press("n")  # no search to repeat: said, not crashed
        await search(pilot, screen, r"city 6\.")
        assert screen.matches is not None and len(screen.matches) > 0


async def test_escape_cancels_a_running_search(tmp_path: Path):
    # A regex that backtracks a lot on every answer: the search runs for many seconds
    # unless cancelled, whatever the machine's speed.
    lines = []
    for n in range(1, 401):
        line = result_line(1)
        line["custom_id"] = f"req-{n:05d}"
        line["response"]["body"]["choices"][0]["message"]["content"] = "x" * 20
        lines.append(line)
    path = write_jsonl(tmp_path / "slow.jsonl", lines)
    async with make_app(path).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("slash", *"(x+x+)+y", "enter")
        await wait_for(pilot, lambda: screen.progress.has_class("-running"))
        assert screen.matches is None
        await pilot.press("escape")
        await pilot.pause()
        assert screen.search is None and "cancelled" in status(screen)
        assert pilot.app.screen is screen  # escape stopped the search, not the viewer
        assert not screen.progress.has_class("-running")
        # The worker thread itself stops at its next check, long before the search's end.
        await wait_for(
            pilot,
            lambda: not any(w.is_running for w in screen.workers if w.group == "results-search"),
            timeout=15,
        )
        assert screen.matches is None


async def test_copy_writes_osc52_wrapped_for_tmux(in_tmp, monkeypatch):
    output, _ = in_tmp
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,99,0")
    monkeypatch.delenv("STY", raising=False)
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("j")
        await pilot.press("y")
        answer = result_line(2)["response"]["body"]["choices"][0]["message"]["content"]
        payload = base64.b64encode(answer.encode()).decode()
        bare = f"\x1b]52;c;{payload}\x07"
        wrapped = f"\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\"
        assert screen.last_clipboard_write == bare + wrapped
        assert pilot.app.clipboard == answer  # the app's own paste has it too
        assert "copied the answer of req-00002" in status(screen)
        await pilot.press("j", "c")  # record 3 failed: `c` copies its error
        payload = re.match(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", screen.last_clipboard_write)
        assert payload is not None
        assert base64.b64decode(payload[1]).decode() == (
            "HTTP 400: invalid_value: Invalid value for 'max_tokens' in request 3."
        )


async def test_e_without_a_terminal_to_hand_over_says_so(in_tmp, tmp_path):
    output, _ = in_tmp
    before = set(Path(tempfile.gettempdir()).glob("batchtui-req-*"))
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert "cannot be handed to a pager" in status(screen)
        assert pilot.app.screen is screen
    # The temporary record file is removed whatever happened.
    assert set(Path(tempfile.gettempdir()).glob("batchtui-req-*")) == before


async def test_half_pages_and_ends(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        table = screen.table
        half = table.scrollable_content_region.height // 2
        assert half >= 2
        await pilot.press("ctrl+d")
        assert table.cursor == half
        await pilot.press("ctrl+d")
        assert table.cursor == 2 * half and table.scroll_offset.y >= half
        await pilot.press("ctrl+u")
        assert table.cursor == half
        await pilot.press("G")
        assert table.cursor == 59
        await pilot.press("ctrl+d")  # past the end: stays on the last
        assert table.cursor == 59
        await pilot.press("g")
        assert table.cursor == 0 and table.scroll_offset.y == 0
        await pilot.press("ctrl+u")
        assert table.cursor == 0
        # The detail pane has the same keys once focused.
        detail = screen.query_one(RecordDetail)
        detail.focus()
        await pilot.press("G")
        assert detail.scroll_y == detail.max_scroll_y
        await pilot.press("g")
        assert detail.scroll_y == 0


def test_snapshot_highlighted_match(snap_compare, in_tmp):
    output, inputs = in_tmp

    async def run_before(pilot) -> None:
        screen = await ready(pilot, prompts=True)
        await search(pilot, screen, "country 1[24]")

    assert snap_compare(make_app(output, inputs), terminal_size=(80, 24), run_before=run_before)


# --- a group's results, every shard as one list -------------------------------------------------


def shard_job(tmp_path: Path, index: int, numbers: range) -> Job:
    output = write_jsonl(tmp_path / f"shard{index}.jsonl", [result_line(n) for n in numbers])
    return Job(
        id=f"bt-shard{index}",
        name=f"reviews [{index}/2]",
        profile="demo",
        kind="openai",
        tag=f"00000000-0000-0000-0001-{index:012d}",
        status=JobStatus.COMPLETED,
        remote_id=f"batch_s{index}",
        output_file_id=f"file-out{index}",
        output_path=output,
        group_id="bg-reviews",
        shard_index=index,
    )


async def test_a_group_reads_every_shard_as_one_list(tmp_path: Path):
    group = JobGroup(id="bg-reviews", name="reviews", profile="demo", shard_count=2)
    # Given out of order: shards are read in shard order.
    shards = [shard_job(tmp_path, 2, range(11, 21)), shard_job(tmp_path, 1, range(1, 11))]
    app = ViewerApp(lambda: ResultsScreen(group=group, shards=shards))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert isinstance(screen.source, ResultSet) and screen.source.count == 20
        assert "bg-reviews, 2 shards" in str(screen.query_one("#results-title").render())
        await search(pilot, screen, "request 17")
        assert list(screen.matches) == [16]  # record 17 failed, in shard 2
        await pilot.press("G")
        assert "req-00020" in detail_text(screen)


@pytest.mark.usefixtures("simulator")
async def test_a_group_not_downloaded_streams_every_shard(service, tmp_path: Path):
    first = await finished_job(service, tmp_path, ["one", "two"])
    second = await finished_job(service, tmp_path, ["three"])
    group = JobGroup(id="bg-remote", name="remote", profile=first.profile, shard_count=2)
    shards = [
        job.model_copy(
            update={
                "id": f"bt-remote{index}",
                "tag": f"00000000-0000-0000-0002-{index:012d}",
                "group_id": group.id,
                "shard_index": index,
            }
        )
        for index, job in enumerate([first, second], start=1)
    ]
    service.registry.add_group(group, shards)
    app = ViewerApp(
        lambda: ResultsScreen(group=group, shards=shards),
        service=service,
        registry=service.registry,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(
            pilot, lambda: isinstance(screen.source, RecordBuffer) and screen.source.complete
        )
        ids = [screen.source.record(row).custom_id for row in range(screen.source.count)]
        assert ids == ["req-0", "req-1", "req-0"]  # shard 1's records, then shard 2's


@pytest.mark.usefixtures("simulator")
async def test_a_remote_preview_search_says_it_covers_what_is_loaded(
    service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    from batchtui.tui.screens import results as results_module

    monkeypatch.setattr(results_module, "PREVIEW_PAGE", 4)
    monkeypatch.setattr(results_module, "PREVIEW_MARGIN", 1)
    job = await finished_job(service, tmp_path, [f"question {n}" for n in range(9)])
    app = ViewerApp(lambda: ResultsScreen(job=job), service=service, registry=service.registry)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(
            pilot, lambda: isinstance(screen.source, RecordBuffer) and screen.source.count == 4
        )
        await wait_for(pilot, lambda: screen._inputs is not None)
        await search(pilot, screen, "question 2$")  # in the prompt of req-2
        assert list(screen.matches) == [2]
        assert "match 1 of 1" in status(screen) and "loaded so far" in status(screen)
        await search(pilot, screen, "question 7$")  # not loaded yet
        assert "pattern not found" in status(screen) and "d to download" in status(screen)
