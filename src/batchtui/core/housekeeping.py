"""Keeping the registry small and tidy: which jobs `forget` and `archive` act on.

Nothing here touches a provider: forgetting a job drops the local record only, so a job
still running is never forgotten or archived by a rule (it would be lost from view while
it still costs money).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from batchtui.core.errors import UsageError
from batchtui.core.models import Job
from batchtui.core.status import TERMINAL_STATUSES, JobStatus


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
