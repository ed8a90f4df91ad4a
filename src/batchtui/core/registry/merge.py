"""How a provider's report (`RemoteBatch`) merges into a job, and when that makes history.

Merge rules:
- A report never erases what the job already knows: a missing/None/empty-string file id,
  model, endpoint or window keeps the known value (some gateways send `""` for unknown).
- Timestamps and metadata merge key by key, the report winning; errors and usage are
  replaced only by a non-empty report.
- Status, raw status and request counts are taken as reported, except that a job in a
  provider terminal state (completed, failed, expired, cancelled) ignores a report of a
  non-terminal state: list endpoints can lag behind a retrieve. The local-only states
  (submitting, not_submitted) take any report, so a late-found batch is adopted.

History rules (one row per observed change, without flooding):
- A change of status or raw status always adds a row (with the counts at that moment).
- A change of request counts alone adds a row only when the job's last history row is at
  least `COUNTS_ONLY_HISTORY_INTERVAL` old: enough points for a progress rate / ETA,
  at most 288 rows for a 24-hour batch however often it is polled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from batchtui.core.models import Job, RemoteBatch, RequestCounts
from batchtui.core.status import JobStatus

COUNTS_ONLY_HISTORY_INTERVAL = timedelta(minutes=5)

LOCAL_ONLY_STATUSES = frozenset({JobStatus.SUBMITTING, JobStatus.NOT_SUBMITTED})


def is_stale_report(job: Job, batch: RemoteBatch) -> bool:
    """A report that would move a finished job back to running."""
    return (
        job.status.is_terminal
        and job.status not in LOCAL_ONLY_STATUSES
        and not batch.status.is_terminal
    )


def _known(reported: str | None, current: str | None) -> str | None:
    return reported if reported else current


def merge_remote(job: Job, batch: RemoteBatch) -> Job:
    """The job updated with what `batch` reports (`updated_at` untouched)."""
    if job.remote_id is not None and job.remote_id != batch.id:
        raise ValueError(f"job {job.id} tracks remote batch {job.remote_id}, not {batch.id}")
    if is_stale_report(job, batch):
        return job
    timestamps = dict(job.timestamps)
    timestamps.update({key: value for key, value in batch.timestamps.items() if value is not None})
    return job.model_copy(
        update={
            "remote_id": batch.id,
            "status": batch.status,
            "raw_status": batch.raw_status,
            "endpoint": _known(batch.endpoint, job.endpoint),
            "model": _known(batch.model, job.model),
            "completion_window": _known(batch.completion_window, job.completion_window),
            "input_file_id": _known(batch.input_file_id, job.input_file_id),
            "output_file_id": _known(batch.output_file_id, job.output_file_id),
            "error_file_id": _known(batch.error_file_id, job.error_file_id),
            "request_counts": _counts(job.request_counts, batch.request_counts),
            "timestamps": timestamps,
            "errors": list(batch.errors) if batch.errors else job.errors,
            "metadata": {**job.metadata, **batch.metadata},
            "usage": batch.usage if batch.usage is not None else job.usage,
        }
    )


def status_changed(old: Job, new: Job) -> bool:
    return old.status != new.status or old.raw_status != new.raw_status


def needs_history_row(old: Job, new: Job, *, last_row_at: datetime | None, now: datetime) -> bool:
    if status_changed(old, new):
        return True
    if old.request_counts == new.request_counts:
        return False
    return last_row_at is None or now - last_row_at >= COUNTS_ONLY_HISTORY_INTERVAL


def _counts(kept: RequestCounts, reported: RequestCounts) -> RequestCounts:
    """The provider's counts; where it reports none, those counted from the results."""
    if not reported.known and kept.known and kept.total > 0:
        return kept
    return reported
