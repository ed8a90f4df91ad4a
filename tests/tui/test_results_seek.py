"""`:N` and `G` in the result viewer on an output not downloaded: read with Range around
the place asked for, numbered "≈" (said in the status line), never waiting for the pages
before it. Real HTTP to the project's simulator, through the real JobService."""

from __future__ import annotations

from pathlib import Path

from batchtui.core.resultfile import ResultSet, WindowBuffer
from batchtui.tui.screens.results import ResultsScreen
from helpers.remote import finished_job, quick_retries, sim_config, viewer
from helpers.viewer import wait_for

RECORDS = 1500  # about 700 KB: a jump to 1,200 lies past the lines sampled first


def status_text(screen: ResultsScreen) -> str:
    return str(screen.query_one("#results-status").render())


def row_number(screen: ResultsScreen) -> int:
    record = screen.detail.record
    assert record is not None and record.custom_id is not None
    return int(record.custom_id.removeprefix("req-"))


async def test_goto_and_last_page_on_a_remote_output(service, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # `d` downloads into ./batchtui-<id>/
    job = await finished_job(service, tmp_path, [f"question {n}" for n in range(RECORDS)])
    assert job.output_path is None
    async with viewer(service, job).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.source is not None and screen.source.count >= 100)
        assert not screen.source.complete

        await pilot.press("colon")
        await pilot.press(*"1200", "enter")
        await wait_for(pilot, lambda: isinstance(screen.source, WindowBuffer))
        window = screen.source
        assert not window.exact
        assert "≈" in status_text(screen) and "byte offset" in status_text(screen)
        shown = row_number(screen)  # the record under the cursor: near 450, not exact
        assert abs(shown - 1199) <= 60
        numbers = screen.table.row_text(screen.table.cursor, 80).plain
        assert numbers.lstrip().startswith("≈")
        assert screen._preview is not None and screen._preview.count < 1200  # not streamed to

        await pilot.press("G")
        await wait_for(pilot, lambda: screen.source is not window)
        assert isinstance(screen.source, WindowBuffer) and screen.source.complete
        await wait_for(pilot, lambda: row_number(screen) == RECORDS - 1)

        await pilot.press("colon")
        await pilot.press("3", "enter")  # back to the pages read from the start: exact
        await wait_for(pilot, lambda: screen.source is screen._preview)
        assert row_number(screen) == 2

        # Downloading makes the numbers exact, on the record that was shown.
        await pilot.press("colon")
        await pilot.press(*"900", "enter")
        await wait_for(pilot, lambda: isinstance(screen.source, WindowBuffer))
        await pilot.press("down", "down")
        shown = row_number(screen)
        await pilot.press("d")
        await wait_for(
            pilot, lambda: isinstance(screen.source, ResultSet) and screen.source.complete
        )
        await wait_for(pilot, lambda: "the record shown is number" in status_text(screen))
        assert row_number(screen) == shown
        assert screen.table.current_source_row() == shown  # req-N is record N + 1
        assert "≈" not in screen.detail._where


async def test_goto_without_range_streams_to_the_record_and_says_so(
    start_simulator, tmp_path: Path
) -> None:
    from batchtui.core.registry import Registry
    from batchtui.core.service import JobService

    simulator = start_simulator(no_range=True)  # a gateway that sends whole files
    with Registry.open_default() as registry:
        async with JobService(
            sim_config(simulator.url), registry, provider_factory=quick_retries
        ) as opened:
            job = await finished_job(opened, tmp_path, [f"q {n}" for n in range(250)])
            async with viewer(opened, job).run_test(size=(100, 30)) as pilot:
                screen = pilot.app.screen
                await wait_for(pilot, lambda: screen.source is not None and screen.source.count)
                await pilot.press("colon")
                await pilot.press(*"230", "enter")
                await wait_for(pilot, lambda: screen.source.count >= 230)
                await wait_for(pilot, lambda: screen.detail.record is not None)
                await wait_for(pilot, lambda: row_number(screen) == 229)  # exact: streamed
                assert not isinstance(screen.source, WindowBuffer)
                assert "streaming from the start" in status_text(screen)
