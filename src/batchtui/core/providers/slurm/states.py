"""SLURM job states mapped onto batchtui's, and how several array tasks add up to one."""

from __future__ import annotations

from batchtui.core.status import JobStatus

# Base states as squeue, scontrol and sacct print them (`CANCELLED by 0` is cut to its word).
STATE_MAP: dict[str, JobStatus] = {
    "PENDING": JobStatus.PENDING,
    "REQUEUED": JobStatus.PENDING,
    "REQUEUE_HOLD": JobStatus.PENDING,
    "REQUEUE_FED": JobStatus.PENDING,
    "RESV_DEL_HOLD": JobStatus.PENDING,
    "CONFIGURING": JobStatus.PENDING,
    "RUNNING": JobStatus.IN_PROGRESS,
    "SUSPENDED": JobStatus.PAUSED,
    "STOPPED": JobStatus.PAUSED,
    "SIGNALING": JobStatus.IN_PROGRESS,
    "RESIZING": JobStatus.IN_PROGRESS,
    "STAGE_OUT": JobStatus.FINALIZING,
    "COMPLETING": JobStatus.FINALIZING,
    "COMPLETED": JobStatus.COMPLETED,
    "FAILED": JobStatus.FAILED,
    "OUT_OF_MEMORY": JobStatus.FAILED,
    "NODE_FAIL": JobStatus.FAILED,
    "BOOT_FAIL": JobStatus.FAILED,
    "DEADLINE": JobStatus.EXPIRED,
    "TIMEOUT": JobStatus.EXPIRED,
    "PREEMPTED": JobStatus.EXPIRED,
    "CANCELLED": JobStatus.CANCELLED,
    "REVOKED": JobStatus.CANCELLED,
}

# When array tasks disagree, the job as a whole takes the first of these that any task has:
# something still running wins, then the worst ending.
_COMBINE_ORDER = (
    JobStatus.IN_PROGRESS,
    JobStatus.FINALIZING,
    JobStatus.PAUSED,
    JobStatus.PENDING,
    JobStatus.CANCELLING,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.EXPIRED,
    JobStatus.COMPLETED,
)


def base_state(raw: str) -> str:
    """`CANCELLED by 0` → `CANCELLED`; `COMPLETING+` style suffixes dropped."""
    word = raw.strip().split(" ", 1)[0].rstrip("+")
    return word.upper()


def map_state(raw: str) -> JobStatus:
    """batchtui's status for a SLURM state; an unknown state counts as still running."""
    return STATE_MAP.get(base_state(raw), JobStatus.IN_PROGRESS)


def combine(statuses: list[JobStatus]) -> JobStatus:
    """One status for all tasks of an array job."""
    for status in _COMBINE_ORDER:
        if status in statuses:
            return status
    return statuses[0] if statuses else JobStatus.PENDING
