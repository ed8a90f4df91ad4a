"""The job list's one archive key: archive, or unarchive when every job is archived."""

from __future__ import annotations

from datetime import UTC, datetime

from batchtui.core.housekeeping import archive_verb
from batchtui.core.models import Job
from batchtui.core.status import JobStatus

WHEN = datetime(2026, 11, 22, tzinfo=UTC)


def job(number: int, *, archived: bool) -> Job:
    return Job(
        id=f"bt-a{number}",
        name=f"job {number}",
        profile="demo",
        kind="openai",
        tag=f"tag-{number}",
        status=JobStatus.COMPLETED,
        archived_at=WHEN if archived else None,
    )


def test_every_job_archived_means_unarchive() -> None:
    assert archive_verb([job(1, archived=True), job(2, archived=True)]) == "unarchive"


def test_any_job_not_archived_means_archive() -> None:
    assert archive_verb([job(1, archived=True), job(2, archived=False)]) == "archive"
    assert archive_verb([job(1, archived=False)]) == "archive"


def test_no_job_means_archive() -> None:
    assert archive_verb([]) == "archive"
    assert archive_verb(iter([job(1, archived=True)])) == "unarchive"  # any iterable
