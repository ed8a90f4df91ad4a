"""update_job and apply_remote: merge rules and the status history they leave."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from batchtui.core.models import BatchError, RemoteBatch, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.registry.merge import COUNTS_ONLY_HISTORY_INTERVAL
from batchtui.core.status import JobStatus

from .conftest import FakeClock, MakeJob


def remote(
    status: JobStatus = JobStatus.IN_PROGRESS,
    *,
    raw_status: str | None = None,
    batch_id: str = "batch_1",
    **fields: object,
) -> RemoteBatch:
    return RemoteBatch.model_validate(
        {"id": batch_id, "status": status, "raw_status": raw_status or status.value, **fields}
    )


def counts(total: int, completed: int, failed: int = 0) -> RequestCounts:
    return RequestCounts(total=total, completed=completed, failed=failed)


# update_job


def test_update_changes_fields_touches_updated_at_and_keeps_the_rest(
    registry: Registry, make_job: MakeJob, clock: FakeClock
) -> None:
    job = registry.add_job(make_job(model="gpt-4o-mini"))
    clock.advance(minutes=3)

    updated = registry.update_job(job.id, last_error="upload failed: timeout", input_lines=12)

    assert updated.last_error == "upload failed: timeout"
    assert updated.input_lines == 12
    assert updated.model == "gpt-4o-mini"
    assert updated.updated_at > job.updated_at
    assert updated.created_at == job.created_at
    assert registry.get_job(job.id) == updated


def test_update_rejects_unknown_and_read_only_fields(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    for bad in ({"colour": "red"}, {"id": "bt-other"}, {"updated_at": datetime.now(UTC)}):
        with pytest.raises(TypeError, match=next(iter(bad))):
            registry.update_job(job.id, **bad)
    assert registry.get_job(job.id) == job


def test_update_validates_values(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    with pytest.raises(ValidationError):
        registry.update_job(job.id, status="done-ish")
    assert registry.get_job(job.id).status is JobStatus.SUBMITTING


def test_update_adds_history_on_status_change_or_note_only(
    registry: Registry, make_job: MakeJob
) -> None:
    job = registry.add_job(make_job())
    registry.update_job(job.id, input_file_id="file-1")
    registry.update_job(job.id, status=JobStatus.NOT_SUBMITTED, note="no batch carries the tag")
    registry.update_job(job.id, output_path=None, note="forgot the downloads")

    history = registry.history(job.id)

    assert [(row.status, row.note) for row in history] == [
        (JobStatus.SUBMITTING, None),
        (JobStatus.NOT_SUBMITTED, "no batch carries the tag"),
        (JobStatus.NOT_SUBMITTED, "forgot the downloads"),
    ]
    assert [row.at for row in history] == sorted(row.at for row in history)


# apply_remote


def test_first_report_adopts_the_batch(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job(input_file_id="file-in"))
    report = remote(
        JobStatus.VALIDATING,
        endpoint="/v1/chat/completions",
        model="gpt-4o-mini",
        completion_window="24h",
        timestamps={"created_at": datetime(2025, 3, 1, 12, 0, 5, tzinfo=UTC)},
        metadata={"batchtui_tag": job.tag},
    )

    updated, changed = registry.apply_remote(job.id, report)

    assert changed
    assert updated.remote_id == "batch_1"
    assert updated.status is JobStatus.VALIDATING
    assert updated.raw_status == "validating"
    assert updated.endpoint == "/v1/chat/completions"
    assert updated.model == "gpt-4o-mini"
    assert updated.input_file_id == "file-in"
    assert updated.metadata["batchtui_tag"] == job.tag
    assert registry.get_job(job.id) == updated
    assert [row.status for row in registry.history(job.id)] == [
        JobStatus.SUBMITTING,
        JobStatus.VALIDATING,
    ]


def test_report_never_erases_what_is_known(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    registry.apply_remote(
        job.id,
        remote(
            JobStatus.COMPLETED,
            model="gpt-4o-mini",
            endpoint="/v1/chat/completions",
            output_file_id="file-out",
            error_file_id="file-err",
            timestamps={
                "in_progress_at": datetime(2025, 3, 1, 13, tzinfo=UTC),
                "completed_at": datetime(2025, 3, 1, 14, tzinfo=UTC),
            },
            errors=[BatchError(code="x", message="one bad line", line=3)],
            usage={"total_tokens": 42},
            metadata={"a": "1"},
        ),
    )

    # A sparse later report, as a list endpoint or a gateway may send ("" = unknown).
    updated, changed = registry.apply_remote(
        job.id,
        remote(
            JobStatus.COMPLETED,
            endpoint="",
            output_file_id="",
            timestamps={
                "completed_at": None,
                "finalizing_at": datetime(2025, 3, 1, 13, 59, tzinfo=UTC),
            },
            metadata={"b": "2"},
        ),
    )

    assert not changed
    assert updated.model == "gpt-4o-mini"
    assert updated.endpoint == "/v1/chat/completions"
    assert updated.output_file_id == "file-out"
    assert updated.error_file_id == "file-err"
    assert set(updated.timestamps) == {"in_progress_at", "completed_at", "finalizing_at"}
    assert updated.timestamps["completed_at"] == datetime(2025, 3, 1, 14, tzinfo=UTC)
    assert updated.errors == [BatchError(code="x", message="one bad line", line=3)]
    assert updated.usage == {"total_tokens": 42}
    assert updated.metadata == {"a": "1", "b": "2"}


def test_stale_non_terminal_report_does_not_reopen_a_finished_job(
    registry: Registry, make_job: MakeJob
) -> None:
    job = registry.add_job(make_job())
    done, _ = registry.apply_remote(
        job.id, remote(JobStatus.COMPLETED, request_counts=counts(10, 10))
    )

    after, changed = registry.apply_remote(
        job.id, remote(JobStatus.IN_PROGRESS, request_counts=counts(10, 4))
    )

    assert not changed
    assert after == done
    assert registry.get_job(job.id).status is JobStatus.COMPLETED


def test_not_submitted_job_adopts_a_late_found_batch(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job(status=JobStatus.NOT_SUBMITTED))
    updated, changed = registry.apply_remote(job.id, remote(JobStatus.IN_PROGRESS))
    assert changed
    assert updated.status is JobStatus.IN_PROGRESS


def test_report_for_another_batch_is_refused(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job(remote_id="batch_1"))
    with pytest.raises(ValueError, match="batch_2"):
        registry.apply_remote(job.id, remote(batch_id="batch_2"))
    assert registry.get_job(job.id) == job


def test_unchanged_report_writes_nothing(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    first, _ = registry.apply_remote(job.id, remote(request_counts=counts(10, 3)))
    version = registry.data_version()

    again, changed = registry.apply_remote(job.id, remote(request_counts=counts(10, 3)))

    assert not changed
    assert again == first
    assert registry.data_version() == version
    assert len(registry.history(job.id)) == 2


def test_raw_status_change_alone_is_history_but_not_a_status_change(
    registry: Registry, make_job: MakeJob
) -> None:
    job = registry.add_job(make_job())
    registry.apply_remote(job.id, remote(JobStatus.PENDING, raw_status="JOB_STATE_QUEUED"))
    updated, changed = registry.apply_remote(
        job.id, remote(JobStatus.PENDING, raw_status="JOB_STATE_PENDING")
    )
    assert not changed
    assert updated.raw_status == "JOB_STATE_PENDING"
    assert [row.raw_status for row in registry.history(job.id)] == [
        None,
        "JOB_STATE_QUEUED",
        "JOB_STATE_PENDING",
    ]


def test_counts_only_changes_are_recorded_at_most_every_interval(
    registry: Registry, make_job: MakeJob, clock: FakeClock
) -> None:
    job = registry.add_job(make_job())
    registry.apply_remote(job.id, remote(request_counts=counts(100, 0)))
    step = COUNTS_ONLY_HISTORY_INTERVAL / 4
    # 12 polls over three intervals, progress at every poll.
    for done in range(1, 13):
        clock.now += step
        updated, changed = registry.apply_remote(job.id, remote(request_counts=counts(100, done)))
        assert not changed
        assert updated.request_counts == counts(100, done)

    history = registry.history(job.id)
    in_progress_rows = [row for row in history if row.status is JobStatus.IN_PROGRESS]
    recorded = [row.request_counts.completed for row in in_progress_rows if row.request_counts]
    assert recorded == [0, 4, 8, 12]

    # A status change is recorded at once, whatever the interval.
    clock.now += step / 10
    registry.apply_remote(job.id, remote(JobStatus.FINALIZING, request_counts=counts(100, 100)))
    last = registry.history(job.id)[-1]
    assert last.status is JobStatus.FINALIZING
    assert last.request_counts == counts(100, 100)
