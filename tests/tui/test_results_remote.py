"""The result viewer on a job whose results are still remote: a paged preview, then `d`.

Real HTTP to the project's simulator, through the real JobService and registry.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from batchtui.core.config import Settings
from batchtui.core.downloads import results_dir
from batchtui.core.registry import Registry
from batchtui.core.resultfile import RecordBuffer, ResultSet
from batchtui.core.service import JobService
from batchtui.tui.screens import results as results_module
from batchtui.tui.screens.results import ResultsScreen
from helpers.remote import finished_job, quick_retries, sim_config, viewer
from helpers.viewer import wait_for


async def test_preview_pages_then_download(service, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `d` downloads into ./batchtui-<id>/ as the job list's `d` does
    monkeypatch.setattr(results_module, "PREVIEW_PAGE", 4)
    monkeypatch.setattr(results_module, "PREVIEW_MARGIN", 1)
    prompts = [f"question {n}" for n in range(9)] + ["[sim:error] boom"]
    job = await finished_job(service, tmp_path, prompts)
    assert job.output_path is None
    async with viewer(service, job).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(
            pilot, lambda: isinstance(screen.source, RecordBuffer) and screen.source.count == 4
        )
        await pilot.pause(0.2)
        assert screen.source.count == 4, "stops when the page is full"
        assert not screen.source.complete
        await pilot.press("pagedown")  # the end of the loaded page asks for the next one
        await wait_for(pilot, lambda: screen.source.count == 8)
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: screen.source.complete)
        assert screen.source.count == 10
        records = [screen.source.record(row) for row in range(10)]
        assert sum(not record.ok for record in records) == 1
        # Prompts come from the job's local input file, joined by custom_id.
        await wait_for(pilot, lambda: screen._inputs is not None)
        await pilot.press("g")
        assert "question" in str(screen.detail.query_one("#detail-prompt").render())

        await pilot.press("d")
        await wait_for(
            pilot, lambda: isinstance(screen.source, ResultSet) and screen.source.complete
        )
        assert screen.source.count == 10
        job = await asyncio.to_thread(service.registry.get_job, job.id)
        assert job.output_path is not None
        assert job.output_path.parent == results_dir(Settings(), job).resolve()
        await pilot.press("E")
        await wait_for(pilot, lambda: screen.table.rows is not None)
        assert screen.table.row_count() == 1
        await pilot.press("d")
        assert any("Already downloaded" in str(n.message) for n in pilot.app._notifications)


async def test_downloaded_job_opens_its_files(service, tmp_path: Path):
    job = await finished_job(service, tmp_path, ["a", "b", "[sim:error] c"])
    await service.download(job, tmp_path / "results")
    job = service.registry.get_job(job.id)
    async with viewer(service, job).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        await wait_for(
            pilot, lambda: isinstance(screen.source, ResultSet) and screen.source.complete
        )
        assert screen.source.count == 3
        assert {screen.source.where(row).rsplit("/", 1)[-1] for row in range(3)} == {
            "output.jsonl:1",
            "output.jsonl:2",
            "errors.jsonl:1",
        }


async def test_provider_failure_is_one_line(start_simulator, tmp_path: Path):
    failing = start_simulator(faults="content:500=1")
    with Registry.open_default() as registry:
        async with JobService(
            sim_config(failing.url), registry, provider_factory=quick_retries
        ) as service:
            job = await finished_job(service, tmp_path, ["a"])
            async with viewer(service, job).run_test(size=(80, 24)) as pilot:
                await wait_for(pilot, lambda: bool(pilot.app._notifications), timeout=10)
                message = str(next(iter(pilot.app._notifications)).message)
                assert "500" in message
                assert "\n" not in message and "sk-test-tui" not in message
