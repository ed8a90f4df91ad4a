"""A job as JSON: the object `--json` prints and notification commands read on stdin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.core.models import Job, RequestCounts

__all__ = ["counts_json", "iso_utc", "job_summary"]


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def counts_json(counts: RequestCounts) -> dict[str, int | None]:
    """The three counts; null each where they are unknown (never a made-up 0)."""
    if not counts.known:
        return {"total": None, "completed": None, "failed": None}
    return {"total": counts.total, "completed": counts.completed, "failed": counts.failed}


def job_summary(job: Job) -> dict[str, Any]:
    """The object `jobs --json`, `status --json` and `submit --json` print for a job."""
    return {
        "id": job.id,
        "remote_id": job.remote_id,
        "name": job.name,
        "profile": job.profile,
        "kind": job.kind,
        "status": str(job.status),
        "raw_status": job.raw_status,
        "request_counts": counts_json(job.request_counts),
        "created_at": iso_utc(job.created_at),
        "updated_at": iso_utc(job.updated_at),
        "endpoint": job.endpoint,
        "model": job.model,
        "completion_window": job.completion_window,
        "input_path": str(job.input_path) if job.input_path else None,
        "input_file_id": job.input_file_id,
        "output_file_id": job.output_file_id,
        "error_file_id": job.error_file_id,
        "output_path": str(job.output_path) if job.output_path else None,
        "error_path": str(job.error_path) if job.error_path else None,
        "remote_timestamps": {
            key: iso_utc(value) for key, value in job.timestamps.items() if value is not None
        },
        "metadata": dict(job.metadata),
        "last_error": job.last_error,
        "estimated_input_tokens": job.estimated_input_tokens,
        "group_id": job.group_id,
        "shard_index": job.shard_index,
        "parent_id": job.parent_id,
    }
