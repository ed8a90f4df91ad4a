"""Retry as child jobs and the merged outcome of a job and its retries, against the simulator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from batchtui.core.errors import BatchtuiError, InputFileError
from batchtui.core.families import (
    export_results,
    family_of,
    merged_results,
    plan_group_retry,
    plan_retry,
    submit_retry,
)

from .conftest import PROFILE, until_terminal, write_chat_input


async def cancelled_half_way(service, path: Path):
    """A job cancelled while running: some requests done, the rest never ran."""
    job = await service.submit(path, PROFILE)
    while job.request_counts.completed < 3:
        await asyncio.sleep(0.02)
        job = await service.refresh(job)
        assert not job.is_terminal, "ran to the end before it could be cancelled"
    job = await service.cancel(job)
    return await until_terminal(service, job)


async def test_retry_of_a_cancelled_job_completes_the_family(
    start_simulator, make_service, tmp_path, in_tmp
):
    simulator = start_simulator(speed=25.0)
    service = await make_service(simulator)
    path = write_chat_input(tmp_path / "input.jsonl", 40, failing={1})
    parent = await cancelled_half_way(service, path)
    assert parent.status == "cancelled"

    plan = await plan_retry(service, parent)
    report = plan.report
    assert report.requests == 40 and report.failed == 1
    assert report.written == report.failed + report.never_ran == 40 - report.succeeded
    retried = [json.loads(line)["custom_id"] for line in report.path.read_text().splitlines()]
    assert "req-001" in retried and len(retried) == report.written

    child = await submit_retry(service, plan)
    assert child.parent_id == parent.id and child.name == "input.jsonl (retry 1)"
    members = family_of(service.registry, child).members
    assert members == [service.registry.get_job(parent.id), child]
    child = await until_terminal(service, child)

    merged = await merged_results(service, parent)
    with merged:
        records = list(merged.outcomes.records())
    assert [record.custom_id for record in records] == [f"req-{n:03d}" for n in range(40)]
    failed = [record.custom_id for record in records if not record.ok]
    assert failed == ["req-001"]  # everything that never ran succeeded in the retry

    # Retrying again sends only what still failed, as a second child of the first job.
    again = await plan_retry(service, child)
    assert again.parent.id == parent.id and again.report.written == 1
    assert again.report.path.name == "retry-2.jsonl"

    out = tmp_path / "merged.jsonl"
    summary, _ = await export_results(service, parent, out, "jsonl", join_input=True)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary.rows == len(rows) == 40
    assert len({row["custom_id"] for row in rows}) == 40
    assert rows[5]["prompt"] == "user: question 5" and rows[5]["ok"] is True


async def test_retry_refuses_a_running_job_and_a_changed_input(
    start_simulator, make_service, tmp_path, in_tmp
):
    simulator = start_simulator(speed=5.0)
    service = await make_service(simulator)
    path = write_chat_input(tmp_path / "input.jsonl", 10)
    job = await service.submit(path, PROFILE)
    with pytest.raises(BatchtuiError, match=rf"job {job.id} is .*retry once it has ended"):
        await plan_retry(service, job)
    job = await until_terminal(service, await service.cancel(job))
    path.write_text(path.read_text().replace("question", "changed"))
    with pytest.raises(InputFileError, match=r"changed since job .* was submitted"):
        await plan_retry(service, job)


async def test_a_group_is_retried_one_child_per_shard_with_failures(
    simulator, make_service, tmp_path, in_tmp, monkeypatch
):
    from batchtui.core.formats import limits as limits_module
    from batchtui.core.formats.limits import Limits

    # 10 requests a batch (9 with the margin): 20 requests make 3 shards of 7, 7 and 6.
    small = Limits(name="Small", max_requests=10, max_file_bytes=1_000_000, max_line_bytes=10_000)
    monkeypatch.setattr(limits_module, "OPENAI_LIMITS", small)
    service = await make_service(simulator)
    path = write_chat_input(tmp_path / "input.jsonl", 20, failing={15})
    submission = await service.submit_group(service.plan_submit(path, PROFILE))
    for shard in submission.shards:
        await until_terminal(service, shard)
    plans = await plan_group_retry(service, submission.group)
    assert [p.report.written for p in plans] == [0, 0, 1]
    child = await submit_retry(service, plans[2])
    assert child.parent_id == submission.shards[2].id
    await until_terminal(service, child)
    out = tmp_path / "group.csv"
    summary, notes = await export_results(service, submission.group, out, "csv")
    assert summary.rows == 20 and summary.failed == 1 and notes == []
    assert (tmp_path / f"batchtui-{submission.group.id}" / "shard-03" / "output.jsonl").is_file()
