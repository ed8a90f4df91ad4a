"""A job group seen as one job: its status, summed progress and times, from its shards.

The CLI's `jobs` and the TUI's job list show a group as one row; `group_as_job` gives that
row a `Job` so every renderer of jobs (status glyph, progress bar, ETA) works unchanged.
The rules read only what a shard row holds, so the TUI's first screen (no pydantic yet)
sums its rows' shards with them too; the models are imported where a `Job` is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from batchtui.core.jobview import ENDED_WORST_FIRST, STATUS_RANK
from batchtui.core.status import JobStatus

if TYPE_CHECKING:
    from batchtui.core.models import Job, JobGroup, RequestCounts

_END_TIMESTAMPS = ("completed_at", "failed_at", "expired_at", "cancelled_at")


def group_status(shards: Sequence[Job]) -> JobStatus:
    """The most active status of a running shard; once all have ended, the worst end."""
    if not shards:
        return JobStatus.NOT_SUBMITTED
    running = [shard.status for shard in shards if not shard.is_terminal]
    if running:
        return min(running, key=lambda status: STATUS_RANK[status])
    ended = {shard.status for shard in shards}
    return next(status for status in ENDED_WORST_FIRST if status in ended)


def summed_counts(shards: Iterable[Job]) -> tuple[int, int, int]:
    """(total, completed, failed) over the shards; a shard the provider has not counted yet
    counts its lines."""
    total = completed = failed = 0
    for shard in shards:
        counts = shard.request_counts
        total += max(counts.total, shard.input_lines or 0)
        completed += counts.completed
        failed += counts.failed
    return total, completed, failed


def group_counts(shards: Iterable[Job]) -> RequestCounts:
    """Summed request counts (`summed_counts`)."""
    from batchtui.core.models import RequestCounts

    total, completed, failed = summed_counts(shards)
    return RequestCounts(total=total, completed=completed, failed=failed)


def _earliest(values: Iterable[datetime | None]) -> datetime | None:
    known = [value for value in values if value is not None]
    return min(known) if known else None


def _latest(values: Iterable[datetime | None]) -> datetime | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None


def group_timestamps(status: JobStatus, shards: Sequence[Job]) -> dict[str, datetime]:
    """The group's times: its first shard's creation and start, and once it has ended,
    its last shard's end of each kind."""
    timestamps: dict[str, datetime | None] = {
        "created_at": _earliest(s.timestamps.get("created_at") for s in shards),
        "in_progress_at": _earliest(s.timestamps.get("in_progress_at") for s in shards),
    }
    if status.is_terminal:
        for key in _END_TIMESTAMPS:
            timestamps[key] = _latest(s.timestamps.get(key) for s in shards)
    return {key: value for key, value in timestamps.items() if value is not None}


def group_problem(shards: Sequence[Job]) -> str | None:
    """The first shard's problem, if any has one."""
    return next((shard.last_error for shard in shards if shard.last_error), None)


def group_updated_at(created_at: datetime, shards: Sequence[Job]) -> datetime:
    return _latest(shard.updated_at for shard in shards) or created_at


def group_as_job(group: JobGroup, shards: Sequence[Job]) -> Job:
    """A read-only `Job` standing for the whole group (keyed by the group's id)."""
    from batchtui.core.models import Job

    first = shards[0] if shards else None
    status = group_status(shards)
    return Job(
        id=group.id,
        name=group.name,
        profile=group.profile,
        kind=first.kind if first else "",
        tag="",
        status=status,
        endpoint=first.endpoint if first else None,
        model=first.model if first else None,
        input_path=group.input_path,
        input_sha256=group.input_sha256,
        input_bytes=group.input_bytes,
        input_lines=group.input_lines,
        estimated_input_tokens=group.estimated_input_tokens,
        request_counts=group_counts(shards),
        timestamps=group_timestamps(status, shards),
        last_error=group_problem(shards),
        created_at=group.created_at,
        updated_at=group_updated_at(group.created_at, shards),
    )


def split_by_group(jobs: Iterable[Job]) -> tuple[list[Job], dict[str, list[Job]]]:
    """(jobs of their own, shards by group id in shard order), keeping `jobs`' order."""
    alone: list[Job] = []
    grouped: dict[str, list[Job]] = {}
    for job in jobs:
        if job.group_id is None:
            alone.append(job)
        else:
            grouped.setdefault(job.group_id, []).append(job)
    for shards in grouped.values():
        shards.sort(key=lambda shard: shard.shard_index or 0)
    return alone, grouped
