"""The same file to the same profile within the window is found and named; others are not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from batchtui.core.jobs.duplicates import find_earlier_submit
from batchtui.core.jobs.submit import fingerprint
from batchtui.core.models import Job, JobGroup, utc_now
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

WEEK = 7 * 86400.0


def _record(
    registry: Registry,
    path: Path,
    *,
    profile: str = "p",
    days_ago: float = 1,
    status: JobStatus = JobStatus.COMPLETED,
) -> Job:
    sha256, size = fingerprint(path)
    job = Job(
        id=registry.new_job_id(),
        name="earlier",
        profile=profile,
        kind="openai",
        tag="t",
        status=status,
        input_sha256=sha256,
        input_bytes=size,
        created_at=utc_now() - timedelta(days=days_ago),
    )
    return registry.add_job(job)


def test_same_file_same_profile_within_the_window_names_the_job(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"a": 1}\n')
    with Registry.open_default() as registry:
        job = _record(registry, path)
        earlier = find_earlier_submit(registry, path, "p", WEEK)
        assert earlier is not None and earlier.id == job.id
        message = earlier.describe(path)
        assert job.id in message and "same sha256" in message and "went to p 1d ago" in message


def test_other_profile_other_bytes_old_off_and_not_submitted_are_not_duplicates(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"a": 1}\n')
    other = tmp_path / "other.jsonl"
    other.write_text('{"a": 2}\n')  # same size, other bytes
    with Registry.open_default() as registry:
        _record(registry, path, profile="q")
        _record(registry, path, days_ago=8)
        _record(registry, path, status=JobStatus.NOT_SUBMITTED)
        _record(registry, other)
        assert find_earlier_submit(registry, path, "p", WEEK) is None
        assert find_earlier_submit(registry, path, "p", None) is None
        assert find_earlier_submit(registry, path, "q", WEEK) is not None
        assert find_earlier_submit(registry, path, "p", 9 * 86400.0) is not None


def test_a_job_group_of_the_same_file_counts(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text('{"a": 1}\n' * 3)
    sha256, size = fingerprint(path)
    with Registry.open_default() as registry:
        group = JobGroup(
            id=registry.new_group_id(),
            name="big",
            profile="p",
            input_sha256=sha256,
            input_bytes=size,
            shard_count=0,
        )
        registry.add_group(group, [])
        earlier = find_earlier_submit(registry, path, "p", WEEK)
        assert earlier is not None and earlier.id == group.id and earlier.status == "group"
