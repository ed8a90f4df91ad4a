"""Job and StatusChange <-> SQLite rows.

Queryable things are columns; nested things (timestamps, errors, metadata, usage) are
JSON text. Datetimes are stored as fixed-width UTC ISO 8601 strings, so they sort as text.
Rows are decoded through pydantic validation (about as fast as `model_construct` here, and
a damaged row gives an error instead of a half-built Job).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from batchtui.core.models import BatchError, Job, JobGroup, StatusChange

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

# Casefolded copies of the text the job list filters and sorts by in SQL, where lower()
# folds ASCII only: written with every row (`job_row_stored`), never read into a model.
JOB_FOLDED = {
    "name": "name_fold",
    "profile": "profile_fold",
    "model": "model_fold",
    "remote_id": "remote_id_fold",
}
GROUP_FOLDED = {"name": "name_fold", "profile": "profile_fold"}
JOB_STORED_COLUMNS = JOB_COLUMNS + tuple(JOB_FOLDED.values())
GROUP_STORED_COLUMNS = GROUP_COLUMNS + tuple(GROUP_FOLDED.values())

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

# --- storage caps: a provider's answer must not grow the registry without bound -----------

CUT_MARK = "…"
DEFAULT_STRING_LIMIT = 4 * 1024
DEFAULT_OBJECT_LIMIT = 256 * 1024
TRUNCATED_KEY = "batchtui_truncated"
# Job fields holding text a provider or a file may have sent.
_TEXT_FIELDS = (
    "name",
    "tag",
    "raw_status",
    "remote_id",
    "endpoint",
    "model",
    "completion_window",
    "input_file_id",
    "output_file_id",
    "error_file_id",
    "last_error",
)


@dataclass(frozen=True)
class StorageLimits:
    """The most the registry keeps of one provider string (characters) and of one provider
    object (errors, metadata, usage: bytes of JSON). Settings `stored_string_limit` and
    `stored_object_limit`."""

    string: int = DEFAULT_STRING_LIMIT
    object: int = DEFAULT_OBJECT_LIMIT


def cap_text(value: str | None, limit: int) -> str | None:
    """`value` cut to `limit` characters, the cut marked with `…`."""
    if value is None or len(value) <= limit:
        return value
    return value[: max(limit - 1, 0)] + CUT_MARK


def cap_job(job: Job, limits: StorageLimits) -> Job:
    """`job` with every provider string and object within `limits` (the same job when
    nothing is over: the common case costs a few length checks)."""
    update: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(job, name)
        if value is not None and len(value) > limits.string:
            update[name] = cap_text(value, limits.string)
    errors = _capped_errors(job.errors, limits)
    if errors is not None:
        update["errors"] = errors
    metadata = _capped_metadata(job.metadata, limits)
    if metadata is not None:
        update["metadata"] = metadata
    for name in ("usage", "result_usage"):
        value = getattr(job, name)
        if value is not None and len(_dumps(value)) > limits.object:
            update[name] = {TRUNCATED_KEY: f"{name} over {limits.object:,} bytes, not kept"}
    return job.model_copy(update=update) if update else job


def _capped_errors(errors: list[BatchError], limits: StorageLimits) -> list[BatchError] | None:
    def long(text: str | None) -> bool:
        return text is not None and len(text) > limits.string

    if not errors:
        return None
    has_long = any(long(e.code) or long(e.message) or long(e.param) for e in errors)
    if not has_long and len(_dumps([e.model_dump() for e in errors])) <= limits.object:
        return None
    kept: list[BatchError] = []
    size = 0
    for error in errors:
        capped = error.model_copy(
            update={
                "code": cap_text(error.code, limits.string),
                "message": cap_text(error.message, limits.string) or "",
                "param": cap_text(error.param, limits.string),
            }
        )
        size += len(_dumps(capped.model_dump()))
        if size > limits.object:
            left = len(errors) - len(kept)
            kept.append(BatchError(code=TRUNCATED_KEY, message=f"{left:,} more errors not kept"))
            break
        kept.append(capped)
    return kept


def _capped_metadata(metadata: dict[str, str], limits: StorageLimits) -> dict[str, str] | None:
    if not metadata:
        return None
    short = all(len(k) <= limits.string and len(v) <= limits.string for k, v in metadata.items())
    if short and len(_dumps(metadata)) <= limits.object:
        return None
    kept: dict[str, str] = {}
    size = 0
    for key, value in metadata.items():
        short_key = cap_text(key, limits.string) or ""
        short_value = cap_text(value, limits.string) or ""
        size += len(_dumps({short_key: short_value}))
        if size > limits.object:
            left = len(metadata) - len(kept)
            kept[TRUNCATED_KEY] = f"{left:,} more entries not kept"
            break
        kept[short_key] = short_value
    return kept


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


def folded(text: str | None) -> str | None:
    """`text` as the job list compares it: casefolded (`ß` is `ss`, `É` is `é`)."""
    return None if text is None else text.casefold()


def job_row_stored(job: Job) -> JobRow:
    """Values in `JOB_STORED_COLUMNS` order: the row and its folded copies."""
    return job_to_row(job) + tuple(folded(getattr(job, field)) for field in JOB_FOLDED)


def group_row_stored(group: JobGroup) -> JobRow:
    """Values in `GROUP_STORED_COLUMNS` order."""
    return group_to_row(group) + tuple(folded(getattr(group, field)) for field in GROUP_FOLDED)


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
