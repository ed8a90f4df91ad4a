"""The TUI announces a finished job with the same [notify] settings as `watch --notify`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from batchtui.core.status import JobStatus
from helpers.shell import RecordingApp, sample_jobs, settle
from helpers.viewer import wait_for


def write_config(text: str) -> Path:
    path = Path(os.environ["BATCHTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


async def test_a_finished_job_runs_the_notify_command_once(tmp_path: Path) -> None:
    done = tmp_path / "ended.jsonl"
    write_config(
        '[profiles.lab]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        f'[notify]\nbell = true\nexec = "cat >> {done}"\n'
    )
    job = sample_jobs()[0].model_copy(update={"status": JobStatus.COMPLETED})
    app = RecordingApp(poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.config is not None)
        app.finished(job)
        app.finished(job)  # a second report of the same end is not announced again
        await wait_for(pilot, lambda: done.exists() and done.read_text().strip() != "")
        await pilot.pause(0.3)
    [line] = done.read_text().splitlines()
    assert json.loads(line)["id"] == job.id and json.loads(line)["status"] == "completed"
    assert app.bells == 1


async def test_bell_off_in_config_keeps_the_tui_quiet(tmp_path: Path) -> None:
    write_config(
        '[profiles.lab]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        "[notify]\nbell = false\n"
    )
    job = sample_jobs()[0].model_copy(update={"status": JobStatus.FAILED})
    app = RecordingApp(poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.config is not None)
        app.finished(job)
        await pilot.pause(0.2)
    assert app.bells == 0


async def test_a_long_retry_after_wait_is_announced_on_the_status_line() -> None:
    import threading

    from batchtui.core.providers import netpolicy
    from batchtui.tui.widgets.status_line import StatusLine

    write_config('[profiles.lab]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    app = RecordingApp(poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.config is not None)
        await settle(pilot)
        # HTTP calls may run in a worker thread: the notice must reach the loop from there.
        thread = threading.Thread(
            target=netpolicy.announce, args=("waiting 30s before retrying (Retry-After)",)
        )
        thread.start()
        thread.join()
        line = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: "Retry-After" in line.message)
