"""A job group read as one job: status, summed progress and times from its shards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from batchtui.core.groups import group_as_job, group_counts, group_status, split_by_group
from batchtui.core.models import Job, JobGroup, RequestCounts
from batchtui.core.status import JobStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def shard(index: int, status: JobStatus, **fields: object) -> Job:
    return Job(
        id=f"bt-shard{index}",
        name=f"big [{index}/3]",
        profile="p",
        kind="openai",
        tag=f"t{index}",
        status=status,
        group_id="bg-group1",
        shard_index=index,
        input_lines=100,
        **fields,
    )


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((JobStatus.COMPLETED, JobStatus.IN_PROGRESS, JobStatus.SUBMITTING), JobStatus.IN_PROGRESS),
        ((JobStatus.COMPLETED, JobStatus.VALIDATING, JobStatus.SUBMITTING), JobStatus.VALIDATING),
        ((JobStatus.COMPLETED,) * 3, JobStatus.COMPLETED),
        (
            (JobStatus.COMPLETED, JobStatus.NOT_SUBMITTED, JobStatus.NOT_SUBMITTED),
            JobStatus.NOT_SUBMITTED,
        ),
        ((JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.COMPLETED), JobStatus.FAILED),
        ((JobStatus.CANCELLED, JobStatus.COMPLETED, JobStatus.COMPLETED), JobStatus.CANCELLED),
    ],
)
def test_group_status(statuses: tuple[JobStatus, ...], expected: JobStatus) -> None:
    shards = [shard(n, status) for n, status in enumerate(statuses, start=1)]
    assert group_status(shards) is expected


def test_counts_sum_and_uncounted_shards_count_their_lines() -> None:
    shards = [
        shard(
            1, JobStatus.COMPLETED, request_counts=RequestCounts(total=100, completed=98, failed=2)
        ),
        shard(2, JobStatus.IN_PROGRESS, request_counts=RequestCounts(total=100, completed=40)),
        shard(3, JobStatus.SUBMITTING),
    ]
    assert group_counts(shards) == RequestCounts(total=300, completed=138, failed=2)


def test_group_as_job_spans_its_shards() -> None:
    group = JobGroup(id="bg-group1", name="big.jsonl", profile="p", shard_count=2, created_at=T0)
    shards = [
        shard(
            1,
            JobStatus.COMPLETED,
            model="gpt-4o-mini",
            timestamps={
                "created_at": T0,
                "in_progress_at": T0 + timedelta(minutes=1),
                "completed_at": T0 + timedelta(minutes=5),
            },
        ),
        shard(
            2,
            JobStatus.CANCELLED,
            last_error="cancelled by user",
            timestamps={
                "created_at": T0 + timedelta(minutes=2),
                "cancelled_at": T0 + timedelta(minutes=9),
            },
        ),
    ]
    row = group_as_job(group, shards)
    assert (row.id, row.name, row.status, row.model) == (
        "bg-group1",
        "big.jsonl",
        JobStatus.CANCELLED,
        "gpt-4o-mini",
    )
    assert row.timestamps["created_at"] == T0
    assert row.timestamps["cancelled_at"] == T0 + timedelta(minutes=9)
    assert row.last_error == "cancelled by user"
    assert row.request_counts.total == 200


def test_split_by_group_keeps_order_and_sorts_shards() -> None:
    alone = Job(id="bt-alone1", name="a", profile="p", kind="openai", tag="x")
    jobs = [shard(2, JobStatus.PENDING), alone, shard(1, JobStatus.PENDING)]
    singles, grouped = split_by_group(jobs)
    assert singles == [alone]
    assert [job.shard_index for job in grouped["bg-group1"]] == [1, 2]
