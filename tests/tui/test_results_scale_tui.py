"""`R` retries a finished job as a child (asks first, shows the report), `x` exports,
the detail shows usage and cost, downloads show bytes and rate: against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Label, Static

from batchtui.core.models import Job
from batchtui.core.status import JobStatus
from batchtui.tui.screens.confirm import ConfirmScreen
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.shell import Transfer
from batchtui.tui.widgets.progress import WorkProgress
from helpers.shell import make_app, settle


def chat_requests(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "chat.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "custom_id": f"r{n:02d}",
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "gpt-4o-mini",
                        "messages": [{"role": "user", "content": f"hi {n}"}],
                    },
                }
            )
            + "\n"
            for n in range(count)
        )
    )
    return path


async def wait_status(pilot, app, job_id: str, statuses: set[JobStatus]) -> Job:
    for _ in range(100):
        app.actions.refresh_job(job_id)
        await settle(pilot)
        job = app.get_job(job_id)
        if job is not None and job.status in statuses:
            return job
        await pilot.pause(0.1)
    raise AssertionError(f"{job_id} never reached {statuses}")


async def test_retry_export_and_usage_of_a_cancelled_job(
    tmp_path: Path, start_simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCHTUI_TEST_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)
    # Slow enough (2 requests a second) that a loaded machine cannot finish the batch
    # before the cancel, which comes once some answers exist.
    simulator = start_simulator(phase_seconds=0.1, speed=2)
    app = make_app(tmp_path, jobs=[], base_url=simulator.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.service is not None
        job = await app.service.submit(chat_requests(tmp_path, 30), "demo", name="chat")
        for _ in range(200):
            await pilot.press("r")
            await settle(pilot)
            current = app.get_job(job.id)
            if current is not None and current.request_counts.completed:
                break
            await pilot.pause(0.1)
        await pilot.press("ctrl+d", "y")
        await settle(pilot)
        job = await wait_status(pilot, app, job.id, {JobStatus.CANCELLED, JobStatus.COMPLETED})
        assert job.status == JobStatus.CANCELLED

        await pilot.press("R")  # downloads the results, then asks with the report
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "requests to retry" in app.screen.detail and job.id in app.screen.detail
        await pilot.press("y")
        await settle(pilot)
        [note] = [note for note in app.notes if "resubmitted as" in note]
        child_id = note.split("resubmitted as ")[1]
        assert (tmp_path / f"batchtui-{job.id}" / "output.jsonl").is_file()
        await pilot.press("r")
        await settle(pilot)
        child = app.get_job(child_id)
        assert child is not None and child.parent_id == job.id
        await wait_status(pilot, app, child_id, {JobStatus.COMPLETED})

        app.open_detail(job.id)
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = str(app.screen.query_one("#detail-text", Static).render())
        assert "Retries" in text and child_id in text
        assert "Usage and cost" in text and "at batch prices" in text

        await pilot.press("x")
        await settle(pilot)
        export = tmp_path / f"batchtui-{job.id}" / "export.csv"
        rows = export.read_text().splitlines()
        assert len(rows) == 31 and rows[0].endswith(",prompt")
        assert any(str(export) in note for note in app.notes)


async def test_a_download_shows_bytes_and_rate(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#transfer", WorkProgress)
        assert not bar.running
        app.transfer_signal.publish(
            Transfer("downloading bt-test01", 3 << 20, 8 << 20, 1.5 * (1 << 20))
        )
        await pilot.pause()
        assert bar.running
        label = str(bar.query_one(Label).render())
        assert label == "downloading bt-test01  3.1 MB of 8.4 MB at 1.6 MB/s"
        app.transfer_signal.publish(Transfer("downloading bt-test01", 0, None, None, True))
        await pilot.pause()
        assert not bar.running
