"""Keeping the registry small and tidy: which jobs `forget`, `archive` and unarchive act on.

Nothing here touches a provider: forgetting a job drops the local record only, so a job
still running is never forgotten or archived by a rule (it would be lost from view while
it still costs money).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from batchtui.core.errors import UsageError
from batchtui.core.models import Job
from batchtui.core.status import TERMINAL_STATUSES, JobStatus

if TYPE_CHECKING:
    from batchtui.core.registry.store import Registry


def older_than(
    jobs: Iterable[Job],
    *,
    seconds: float,
    now: datetime,
    statuses: set[JobStatus] | None = None,
) -> list[Job]:
    """Ended jobs created more than `seconds` ago, in `statuses` (default: any ended one)."""
    allowed = (statuses or set(TERMINAL_STATUSES)) & TERMINAL_STATUSES
    cutoff = now - timedelta(seconds=seconds)
    return [job for job in jobs if job.status in allowed and job.created_at < cutoff]


def refuse_running(jobs: Iterable[Job], verb: str) -> None:
    running = [job.id for job in jobs if not job.is_terminal]
    if running:
        raise UsageError(
            f"cannot {verb} {', '.join(running[:5])}: still running "
            f"(cancel first with `batchtui cancel JOB`, or wait for it to end)"
        )


def archive_jobs(registry: Registry, jobs: Iterable[Job], *, when: datetime | None) -> list[str]:
    """Mark `jobs` archived at `when` (None: unarchive them); returns their ids."""
    done = []
    for job in jobs:
        registry.update_job(job.id, archived_at=when)
        done.append(job.id)
    return done


def archive_verb(jobs: Iterable[Job]) -> str:
    """What archiving these jobs means: "unarchive" when every one is archived already
    (the TUI's one key does both), else "archive"."""
    jobs = list(jobs)
    return "unarchive" if jobs and all(job.archived_at for job in jobs) else "archive"


def rows_to_jobs(registry: Registry, row_ids: Iterable[str]) -> list[Job]:
    """The jobs a list's rows stand for: a job row its job, a group row every shard (rows
    forgotten meanwhile are left out)."""
    from batchtui.core.errors import JobNotFound
    from batchtui.core.registry.ids import GROUP_ID_PREFIX

    jobs: dict[str, Job] = {}
    for row_id in row_ids:
        if row_id.startswith(GROUP_ID_PREFIX):
            jobs.update((shard.id, shard) for shard in registry.group_jobs(row_id))
            continue
        try:
            jobs[row_id] = registry.get_job(row_id)
        except JobNotFound:
            continue
    return list(jobs.values())
