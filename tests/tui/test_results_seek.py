"""`:N` and `G` in the result viewer on an output not downloaded: read with Range around
the place asked for, numbered "≈" (said in the status line), never waiting for the pages
before it. Real HTTP to the project's simulator, through the real JobService."""

from __future__ import annotations

import asyncio
from pathlib import Path

from batchtui.core.models import Job
from batchtui.core.registry import Registry
from batchtui.core.remote_scan import unfinished_bytes
from batchtui.core.resultfile import ResultSet, WindowBuffer
from batchtui.core.service import JobService
from batchtui.tui.screens.results import ResultsScreen
from helpers.remote import finished_job, quick_retries, sim_config, viewer
from helpers.viewer import ViewerApp, wait_for
from results.relay import Relay

RECORDS = 1500  # about 700 KB: a jump to 1,200 lies past the lines sampled first


def status_text(screen: ResultsScreen) -> str:
    return str(screen.query_one("#results-status").render())


def row_number(screen: ResultsScreen) -> int:
    record = screen.detail.record
    assert record is not None and record.custom_id is not None
    return int(record.custom_id.removeprefix("req-"))


def approximate_viewer(service: JobService, job: Job) -> ViewerApp:
    """The viewer without its background index scan: numbers stay ≈ until a download."""

    def make() -> ResultsScreen:
        screen = ResultsScreen(job=job)
        screen.index_remote = False
        return screen

    return ViewerApp(make, service=service, registry=service.registry)


async def test_goto_and_last_page_on_a_remote_output(service, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # `d` downloads into ./batchtui-<id>/
    job = await finished_job(service, tmp_path, [f"question {n}" for n in range(RECORDS)])
    assert job.output_path is None
    async with approximate_viewer(service, job).run_test(size=(100, 30)) as pilot:
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


async def test_the_background_index_turns_approximate_numbers_exact(
    simulator, tmp_path: Path
) -> None:
    relay = Relay(int(simulator.url.split(":")[2].split("/")[0]))
    try:
        with Registry.open_default() as registry:
            async with JobService(
                sim_config(relay.url), registry, provider_factory=quick_retries
            ) as opened:
                job = await finished_job(opened, tmp_path, [f"q {n}" for n in range(RECORDS)])
                relay.rate = 200_000  # bytes a second: the scan takes a few seconds
                await check_closing_stops_the_scan(opened, job, relay)
                await check_index_switch(opened, job)
                relay.rate = None
                await check_saved_index(opened, job)
    finally:
        relay.close()


async def check_closing_stops_the_scan(service: JobService, job: Job, relay: Relay) -> None:
    """Leaving the viewer mid-scan stops the stream; what was indexed is kept to resume."""
    async with viewer(service, job).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.source is not None and screen.source.count, 20)
        await pilot.press("colon")
        await pilot.press(*"1200", "enter")
        await wait_for(pilot, lambda: screen._seeker is not None, 20)
        key = screen._seeker.key
        assert key is not None
        await wait_for(pilot, lambda: unfinished_bytes(key) > 0, 30)  # a window indexed
        assert not screen._seeker.indexed
    reached = unfinished_bytes(key)
    assert reached > 0
    before = last = relay.to_client
    for _ in range(30):  # until nothing moves for 0.2 s (a running scan moves 40 KB in that)
        await asyncio.sleep(0.2)
        if relay.to_client == last:
            break
        last = relay.to_client
    assert relay.to_client - before < 128 * 1024  # a chunk or two already under way, no more
    assert unfinished_bytes(key) == reached


async def check_index_switch(service: JobService, job: Job) -> None:
    """`:1200` shows ≈ numbers and the scan's progress, then exact numbers in place."""
    async with viewer(service, job).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.source is not None and screen.source.count, 20)
        await pilot.press("colon")
        await pilot.press(*"1200", "enter")
        await wait_for(pilot, lambda: isinstance(screen.source, WindowBuffer), 20)
        window = screen.source
        assert isinstance(window, WindowBuffer) and not window.exact
        await wait_for(pilot, lambda: "indexing" in status_text(screen), 20)
        assert "≈" in status_text(screen)
        assert "≈" in str(screen.query_one("#results-title").render())

        await wait_for(pilot, lambda: window.exact, 30)
        assert screen.source is window  # renumbered in place, the cursor where it was
        await wait_for(pilot, lambda: "indexing" not in status_text(screen))
        assert "≈" not in status_text(screen)
        assert "≈" not in str(screen.query_one("#results-title").render())
        assert f"{RECORDS:,} records" in str(screen.query_one("#results-title").render())
        row = screen.table.current_source_row()
        assert row is not None
        assert window.number(row) == str(row_number(screen) + 1)  # req-N is record N + 1
        assert "≈" not in screen.table.row_text(screen.table.cursor, 80).plain
        await wait_for(pilot, lambda: "≈" not in screen.detail._where)

        await pilot.press("colon")
        await pilot.press(*"1400", "enter")  # now exact at once
        await wait_for(pilot, lambda: screen.source is not window)
        await wait_for(pilot, lambda: row_number(screen) == 1399)
        assert isinstance(screen.source, WindowBuffer) and screen.source.exact


async def check_saved_index(service: JobService, job: Job) -> None:
    """A second open takes the saved index: the first jump is exact, no scan runs."""
    async with viewer(service, job).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.source is not None and screen.source.count)
        await pilot.press("colon")
        await pilot.press(*"1300", "enter")
        await wait_for(pilot, lambda: isinstance(screen.source, WindowBuffer))
        assert screen.source.exact
        await wait_for(pilot, lambda: row_number(screen) == 1299)
        assert "≈" not in status_text(screen) and "indexing" not in status_text(screen)


async def test_a_scan_that_fails_keeps_the_approximate_numbers_and_says_why(
    simulator, tmp_path: Path
) -> None:
    relay = Relay(int(simulator.url.split(":")[2].split("/")[0]))
    try:
        with Registry.open_default() as registry:
            async with JobService(
                sim_config(relay.url), registry, provider_factory=quick_retries
            ) as opened:
                job = await finished_job(opened, tmp_path, [f"q {n}" for n in range(RECORDS)])
                relay.rate = 100_000
                async with viewer(opened, job).run_test(size=(100, 30)) as pilot:
                    screen = pilot.app.screen
                    assert isinstance(screen, ResultsScreen)
                    await wait_for(pilot, lambda: screen.source is not None, 20)
                    await wait_for(pilot, lambda: screen.source.count > 0, 20)
                    await pilot.press("colon")
                    await pilot.press(*"1200", "enter")
                    await wait_for(pilot, lambda: screen._seeker is not None, 30)
                    key = screen._seeker.key
                    await wait_for(pilot, lambda: unfinished_bytes(key) > 0, 30)  # streaming
                    assert "indexing" in status_text(screen)
                    window = screen.source
                    relay.close()  # the network goes away mid-scan
                    await wait_for(pilot, lambda: "indexing stopped" in status_text(screen), 30)
                    status = status_text(screen)
                    assert len(status.splitlines()) == 1 and "≈" in status
                    assert isinstance(window, WindowBuffer) and not window.exact
                    assert screen.source is window and screen._seeker is not None
                    assert not screen._seeker.indexed
    finally:
        relay.close()
