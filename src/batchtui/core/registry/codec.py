"""Job and StatusChange <-> SQLite rows.

Queryable things are columns; nested things (timestamps, errors, metadata, usage) are
JSON text. Datetimes are stored as fixed-width UTC ISO 8601 strings, so they sort as text.
Rows are decoded through pydantic validation (about as fast as `model_construct` here, and
a damaged row gives an error instead of a half-built Job).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batchtui.core.models import Job, JobGroup, StatusChange

JOB_COLUMNS = (
    "id",
    "name",
    "profile",
    "kind",
    "tag",
    "status",
    "raw_status",
    "remote_id",
    "endpoint",
    "model",
    "completion_window",
    "input_path",
    "input_sha256",
    "input_bytes",
    "input_lines",
    "input_file_id",
    "output_file_id",
    "error_file_id",
    "output_path",
    "error_path",
    "requests_total",
    "requests_completed",
    "requests_failed",
    "timestamps",
    "errors",
    "metadata",
    "usage",
    "last_error",
    "created_at",
    "updated_at",
    "estimated_input_tokens",
    "group_id",
    "shard_index",
    "parent_id",
    "result_usage",
    "archived_at",
    "requests_known",
)

GROUP_COLUMNS = (
    "id",
    "name",
    "profile",
    "input_path",
    "input_sha256",
    "input_bytes",
    "input_lines",
    "estimated_input_tokens",
    "shard_count",
    "created_at",
)

HISTORY_COLUMNS = (
    "job_id",
    "at",
    "status",
    "raw_status",
    "requests_total",
    "requests_completed",
    "requests_failed",
    "note",
)

JobRow = tuple[Any, ...]


def encode_datetime(value: datetime) -> str:
    """UTC, microseconds, fixed width: `2025-01-31T12:00:00.000000+00:00`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"registry datetimes must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def decode_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _encode_path(value: Path | None) -> str | None:
    return None if value is None else str(value)


def _decode_path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def job_to_row(job: Job) -> JobRow:
    """Values in `JOB_COLUMNS` order."""
    counts = job.request_counts
    timestamps = {
        key: None if value is None else encode_datetime(value)
        for key, value in job.timestamps.items()
    }
    return (
        job.id,
        job.name,
        job.profile,
        job.kind,
        job.tag,
        job.status.value,
        job.raw_status,
        job.remote_id,
        job.endpoint,
        job.model,
        job.completion_window,
        _encode_path(job.input_path),
        job.input_sha256,
        job.input_bytes,
        job.input_lines,
        job.input_file_id,
        job.output_file_id,
        job.error_file_id,
        _encode_path(job.output_path),
        _encode_path(job.error_path),
        counts.total,
        counts.completed,
        counts.failed,
        _dumps(timestamps),
        _dumps([error.model_dump() for error in job.errors]),
        _dumps(job.metadata),
        None if job.usage is None else _dumps(job.usage),
        job.last_error,
        encode_datetime(job.created_at),
        encode_datetime(job.updated_at),
        job.estimated_input_tokens,
        job.group_id,
        job.shard_index,
        job.parent_id,
        None if job.result_usage is None else _dumps(job.result_usage),
        None if job.archived_at is None else encode_datetime(job.archived_at),
        1 if counts.known else 0,
    )


def row_to_job(row: JobRow) -> Job:
    """The inverse of `job_to_row`; raises ValueError on a row it cannot read."""
    values = dict(zip(JOB_COLUMNS, row, strict=True))
    values["request_counts"] = {
        "total": values.pop("requests_total"),
        "completed": values.pop("requests_completed"),
        "failed": values.pop("requests_failed"),
        "known": bool(values.pop("requests_known")),
    }
    for column in ("timestamps", "errors", "metadata", "usage", "result_usage"):
        if values[column] is not None:
            values[column] = json.loads(values[column])
    return Job.model_validate(values)


def group_to_row(group: JobGroup) -> JobRow:
    """Values in `GROUP_COLUMNS` order."""
    return (
        group.id,
        group.name,
        group.profile,
        _encode_path(group.input_path),
        group.input_sha256,
        group.input_bytes,
        group.input_lines,
        group.estimated_input_tokens,
        group.shard_count,
        encode_datetime(group.created_at),
    )


def row_to_group(row: JobRow) -> JobGroup:
    """The inverse of `group_to_row`; raises ValueError on a row it cannot read."""
    return JobGroup.model_validate(dict(zip(GROUP_COLUMNS, row, strict=True)))


def history_to_row(change: StatusChange) -> JobRow:
    """Values in `HISTORY_COLUMNS` order; counts are NULL when the change carries none
    (or the provider reports none)."""
    counts = change.request_counts
    if counts is not None and not counts.known:
        counts = None
    return (
        change.job_id,
        encode_datetime(change.at),
        change.status.value,
        change.raw_status,
        None if counts is None else counts.total,
        None if counts is None else counts.completed,
        None if counts is None else counts.failed,
        change.note,
    )


def row_to_history(row: JobRow) -> StatusChange:
    job_id, at, status, raw_status, total, completed, failed, note = row
    counts = None if total is None else {"total": total, "completed": completed, "failed": failed}
    return StatusChange.model_validate(
        {
            "job_id": job_id,
            "at": at,
            "status": status,
            "raw_status": raw_status,
            "request_counts": counts,
            "note": note,
        }
    )
