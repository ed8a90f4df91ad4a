"""Has this very file (same sha256) gone to this profile lately? The earlier job, named.

Only jobs and groups of the same size are candidates, so the file is hashed only when one
exists: a fresh file costs a stat and a registry read, not a second pass over its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from batchtui.core.models import Job, utc_now
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.core.terminal_text import inert


@dataclass(frozen=True)
class EarlierSubmit:
    """The job (or group) the same file went to the same profile as."""

    id: str
    name: str
    profile: str
    created_at: datetime
    status: str  # a job's status; "group" for a job group

    @property
    def is_group(self) -> bool:
        return self.status == "group"

    def describe(self, path: Path, now: datetime | None = None) -> str:
        from batchtui.core.durations import format_duration

        ago = format_duration(max(((now or utc_now()) - self.created_at).total_seconds(), 1))
        name = inert(self.name, single_line=True)
        return (
            f"{path}: the same file (same sha256) went to {self.profile} {ago} ago "
            f"as {self.id} ({name}, {self.status})"
        )


def find_earlier_submit(
    registry: Registry,
    path: Path,
    profile: str,
    window_seconds: float | None,
    *,
    now: datetime | None = None,
) -> EarlierSubmit | None:
    """The newest job or group of `profile` created within the window whose input has
    `path`'s sha256; None when there is none or the window is off (None)."""
    from batchtui.core.jobs.submit import fingerprint

    if window_seconds is None:
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None  # validation names the unreadable file
    since = (now or utc_now()) - timedelta(seconds=window_seconds)
    candidates = [
        *_recent_jobs(registry, profile, since, size),
        *_recent_groups(registry, profile, since, size),
    ]
    if not candidates:
        return None
    sha256, _ = fingerprint(path)
    matching = [earlier for earlier, digest in candidates if digest == sha256]
    return max(matching, key=lambda earlier: earlier.created_at, default=None)


def _recent_jobs(
    registry: Registry, profile: str, since: datetime, size: int
) -> list[tuple[EarlierSubmit, str | None]]:
    found = []
    for job in registry.list_jobs(profile=profile):
        if job.created_at < since:
            break  # newest first
        if _went(job) and job.group_id is None and job.input_bytes == size:
            found.append((_of_job(job), job.input_sha256))
    return found


def _recent_groups(
    registry: Registry, profile: str, since: datetime, size: int
) -> list[tuple[EarlierSubmit, str | None]]:
    found = []
    for group in registry.list_groups(profile=profile):
        if group.created_at < since:
            break
        if group.input_bytes == size:
            earlier = EarlierSubmit(group.id, group.name, group.profile, group.created_at, "group")
            found.append((earlier, group.input_sha256))
    return found


def _went(job: Job) -> bool:
    """Recorded jobs that reached the provider (a `not_submitted` one never did)."""
    return job.status != JobStatus.NOT_SUBMITTED


def _of_job(job: Job) -> EarlierSubmit:
    return EarlierSubmit(job.id, job.name, job.profile, job.created_at, job.status.value)
