"""The result viewer on a job with retries: one record per request, merged by the function
`batchtui results JOB` prints with, its files on disk or downloaded first; the title says so."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from batchtui.core.jobs.monitor import JobsSnapshot
from batchtui.core.merged_source import MergedSource
from batchtui.core.models import Job, JobGroup
from batchtui.core.registry import Registry
from batchtui.core.resultfile import ResultSet
from batchtui.core.service import JobService
from batchtui.tui.screens.results import ResultsScreen, open_group_results
from helpers.families import answer_line, family_jobs, offline_service, write_results
from helpers.remote import PROFILE
from helpers.viewer import ViewerApp, detail_text, wait_for


@pytest.fixture
async def offline(tmp_path: Path) -> AsyncIterator[JobService]:
    with Registry.open_default() as registry:
        async with offline_service(registry, Path(os.environ["BATCHTUI_CONFIG"])) as service:
            yield service


def title(screen: ResultsScreen) -> str:
    return str(screen.query_one("#results-title").render())


def status(screen: ResultsScreen) -> str:
    return str(screen.query_one("#results-status").render())


def viewer_of(service: JobService, **options: object) -> ViewerApp:
    return ViewerApp(
        lambda: ResultsScreen(**options),  # type: ignore[arg-type]
        service=service,
        registry=service.registry,
    )


async def merged_screen(pilot) -> ResultsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ResultsScreen)
    await wait_for(pilot, lambda: isinstance(screen.source, MergedSource), timeout=15)
    return screen


async def test_a_job_with_retries_shows_the_latest_answer_per_request(
    offline: JobService, tmp_path: Path
) -> None:
    job, retry1, retry2 = family_jobs(tmp_path / "family")
    for member in (job, retry1, retry2):
        offline.registry.add_job(member, note="submitted")
    async with viewer_of(offline, job=job).run_test(size=(100, 30)) as pilot:
        screen = await merged_screen(pilot)
        assert "6 records · merged with 2 retries" in title(screen)
        assert screen.source.count == 6
        await wait_for(pilot, lambda: screen._inputs is not None)
        await pilot.press("j")  # req-2: failed in the job, answered by retry one
        assert "A2 from retry one" in detail_text(screen)
        assert "ask req-2" in detail_text(screen)  # its prompt, from the job's input
        assert f"(retry {retry1.id})" in screen.detail._where
        await pilot.press("j")
        assert "A3 from retry two" in detail_text(screen)

        await pilot.press("E")  # errors only: req-5, which never got a result
        await wait_for(pilot, lambda: screen.table.row_count() == 1)
        assert "req-5" in detail_text(screen) and "no result" in detail_text(screen)
        await pilot.press("E")
        await wait_for(pilot, lambda: screen.table.row_count() == 6)

        await pilot.press("slash", *"from retry", "enter")
        await wait_for(pilot, lambda: screen.matches is not None)
        assert list(screen.matches) == [1, 2, 5]
        await pilot.press("G")
        assert "A6 from retry one" in detail_text(screen)

        await pilot.press("d")
        await pilot.pause()
        notes = [str(note.message) for note in pilot.app._notifications]
        assert any("Already downloaded" in note for note in notes)


async def test_the_retry_itself_opens_on_its_whole_family(offline: JobService, tmp_path) -> None:
    family = family_jobs(tmp_path / "family")
    for member in family:
        offline.registry.add_job(member, note="submitted")
    # Opened from the retry, whose own input holds only what it re-ran: the first job's
    # input gives every prompt.
    retry = family[1]
    async with viewer_of(offline, job=retry).run_test(size=(100, 30)) as pilot:
        screen = await merged_screen(pilot)
        assert screen.source.count == 6 and "merged with 2 retries" in title(screen)
        assert screen.input_path == family[0].input_path
        await wait_for(pilot, lambda: screen._inputs is not None)
        assert "ask req-1" in detail_text(screen)


async def test_a_job_without_retries_reads_its_own_file(offline: JobService, tmp_path) -> None:
    job = family_jobs(tmp_path / "family")[0]
    offline.registry.add_job(job, note="submitted")
    async with viewer_of(offline, job=job).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(
            pilot, lambda: isinstance(screen.source, ResultSet) and screen.source.complete
        )
        assert screen.source.count == 5  # the job's five lines, nothing merged
        assert "merged" not in title(screen)


async def test_a_group_with_a_retried_shard_is_merged(offline: JobService, tmp_path) -> None:
    first, retry1, retry2 = family_jobs(tmp_path / "family")
    group = JobGroup(id="bg-fam", name="fam", profile=PROFILE, shard_count=2)
    shard1 = first.model_copy(update={"group_id": group.id, "shard_index": 1})
    output = write_results(
        tmp_path / "shard2" / "output.jsonl",
        [answer_line("req-7", "A7 from shard two"), answer_line("req-8", "A8 from shard two")],
    )
    shard2 = first.model_copy(
        update={
            "id": "bt-fam9",
            "tag": "00000000-0000-0000-0003-000000000009",
            "remote_id": "batch_fam9",
            "output_path": output,
            "group_id": group.id,
            "shard_index": 2,
        }
    )
    offline.registry.add_group(group, [shard1, shard2])
    for retry in (retry1, retry2):
        offline.registry.add_job(retry, note="submitted")
    snapshot = JobsSnapshot(jobs={}, groups={group.id: group}, loading=False)
    app = ViewerApp(lambda: ResultsScreen(path=output), service=offline, registry=offline.registry)
    async with app.run_test(size=(100, 30)) as pilot:
        open_group_results(app, snapshot, group.id)
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.group)
        screen = await merged_screen(pilot)
        # No input for the group on disk: one record per custom_id seen, said in the status.
        ids = [screen.source.record(row).custom_id for row in range(screen.source.count)]
        assert ids == ["req-1", "req-2", "req-3", "req-4", "req-6", "req-7", "req-8"]
        assert all(screen.source.record(row).ok for row in range(screen.source.count))
        assert "merged with 2 retries" in title(screen)
        assert "original input is not on disk" in status(screen)


# --- not downloaded yet: the members are downloaded, then merged -------------------------------


def request(custom_id: str, prompt: str) -> str:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
    return json.dumps(
        {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
    )


async def run_to_end(service: JobService, path: Path, parent_id: str | None = None) -> Job:
    job = await service.submit(path, PROFILE, parent_id=parent_id)
    deadline = asyncio.get_running_loop().time() + 15
    while not job.is_terminal:
        assert asyncio.get_running_loop().time() < deadline, f"stuck in {job.status}"
        await asyncio.sleep(0.05)
        job = await service.refresh(job)
    return job


async def test_a_family_not_downloaded_is_downloaded_then_merged(
    service: JobService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # downloads land in ./batchtui-<id>/
    first = tmp_path / "input.jsonl"
    first.write_text(request("req-0", "[sim:error] boom") + "\n" + request("req-1", "hi") + "\n")
    job = await run_to_end(service, first)
    again = tmp_path / "retry-1.jsonl"
    again.write_text(request("req-0", "boom, once more") + "\n")
    retry = await run_to_end(service, again, parent_id=job.id)
    assert job.output_path is None and retry.output_path is None
    async with viewer_of(service, job=job).run_test(size=(100, 30)) as pilot:
        screen = await merged_screen(pilot)
        records = [screen.source.record(row) for row in range(screen.source.count)]
        assert [(record.custom_id, record.ok) for record in records] == [
            ("req-0", True),
            ("req-1", True),
        ]
        assert "merged with 1 retry" in title(screen)
    for member in (job, retry):
        downloaded = await asyncio.to_thread(service.registry.get_job, member.id)
        assert downloaded.output_path is not None and downloaded.output_path.is_file()
