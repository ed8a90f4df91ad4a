"""A batch's status as a pure function of its recorded facts and the current time.

No background thread moves batches along: every read computes where the batch is now, so
nothing races and a restarted simulator carries on where it was. The recorded facts are the
creation time, the timing options in force at creation, the request count, whether validation
failed, and the time a cancel was accepted.

Timeline (P = phase seconds, S = speed in requests per second, N = requests):

    created ── validating (P) ──> in_progress (max(P, N/S)) ──> finalizing (P) ──> completed
                    └─> failed (invalid input file, after P)

Requests run in input order: by time t in `in_progress`, the first floor((t - start) * S)
have finished. A cancel at time c (only accepted before a terminal status) freezes that count,
shows `cancelling` for P, then `cancelled`. If the batch has not reached `finalizing` by
`created + expire_after`, it becomes `expired` then, with the requests finished so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass(frozen=True)
class Timeline:
    """The facts recorded about one batch; `status_at` derives everything else."""

    created_at: float
    phase_seconds: float
    speed: float
    expire_after: float
    total: int
    validation_failed: bool
    cancel_requested_at: float | None = None


@dataclass(frozen=True)
class BatchState:
    status: str
    done: int  # requests (a prefix of the input, in order) that have run
    in_progress_at: float | None = None
    finalizing_at: float | None = None
    completed_at: float | None = None
    failed_at: float | None = None
    expired_at: float | None = None
    cancelling_at: float | None = None
    cancelled_at: float | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def ended_at(self) -> float | None:
        """When the batch reached its terminal status (None while it runs)."""
        for moment in (self.completed_at, self.failed_at, self.expired_at, self.cancelled_at):
            if moment is not None:
                return moment
        return None


def _milestones(timeline: Timeline) -> tuple[float, float, float]:
    """(in_progress start, finalizing start, natural end) for a valid input file."""
    start = timeline.created_at + timeline.phase_seconds
    run_seconds = max(timeline.phase_seconds, timeline.total / timeline.speed)
    finalizing = start + run_seconds
    return start, finalizing, finalizing + timeline.phase_seconds


def done_by(timeline: Timeline, moment: float) -> int:
    """How many requests have run by `moment` if nothing stops the batch."""
    if timeline.validation_failed:
        return 0
    start, finalizing, _ = _milestones(timeline)
    if moment < start:
        return 0
    if moment >= finalizing:
        return timeline.total
    return min(timeline.total, math.floor((moment - start) * timeline.speed))


def _natural_state(timeline: Timeline, now: float) -> BatchState:
    """Where the batch is at `now` when neither a cancel nor expiry interferes."""
    validated_at = timeline.created_at + timeline.phase_seconds
    if timeline.validation_failed:
        if now < validated_at:
            return BatchState("validating", 0)
        return BatchState("failed", 0, failed_at=validated_at)
    start, finalizing, end = _milestones(timeline)
    done = done_by(timeline, now)
    if now < start:
        return BatchState("validating", done)
    if now < finalizing:
        return BatchState("in_progress", done, in_progress_at=start)
    if now < end:
        return BatchState("finalizing", done, in_progress_at=start, finalizing_at=finalizing)
    return BatchState(
        "completed", done, in_progress_at=start, finalizing_at=finalizing, completed_at=end
    )


def expiry_moment(timeline: Timeline) -> float | None:
    """When the batch expires, or None if it reaches finalizing (or fails) before that."""
    expires = timeline.created_at + timeline.expire_after
    if timeline.validation_failed:
        deadline = timeline.created_at + timeline.phase_seconds
    else:
        _, deadline, _ = _milestones(timeline)
    return expires if expires < deadline else None


def status_at(timeline: Timeline, now: float) -> BatchState:
    expires = expiry_moment(timeline)
    cancel = timeline.cancel_requested_at
    if cancel is not None and (expires is None or cancel < expires):
        if now >= cancel:
            frozen = _natural_state(timeline, cancel)
            cancelled_at = cancel + timeline.phase_seconds
            return BatchState(
                "cancelling" if now < cancelled_at else "cancelled",
                frozen.done,
                in_progress_at=frozen.in_progress_at,
                finalizing_at=frozen.finalizing_at,
                cancelling_at=cancel,
                cancelled_at=cancelled_at if now >= cancelled_at else None,
            )
    elif expires is not None and now >= expires:
        frozen = _natural_state(timeline, expires)
        return BatchState(
            "expired", frozen.done, in_progress_at=frozen.in_progress_at, expired_at=expires
        )
    return _natural_state(timeline, now)
