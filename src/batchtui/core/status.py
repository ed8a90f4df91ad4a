"""Normalized job statuses shared by every provider (reference §0.1 and §5b)."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    # Local-only states: the job is in the registry but no remote batch is known yet.
    SUBMITTING = "submitting"
    NOT_SUBMITTED = "not_submitted"
    # Provider states, normalized.
    PENDING = "pending"
    VALIDATING = "validating"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    FINALIZING = "finalizing"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def may_have_results(self) -> bool:
        """Terminal states whose output and error files are worth reading (§0.1)."""
        return self in RESULT_STATUSES


TERMINAL_STATUSES = frozenset(
    {
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.EXPIRED,
        JobStatus.CANCELLED,
        JobStatus.NOT_SUBMITTED,
    }
)

# Even `failed` may carry an error file; expired and cancelled keep partial results.
RESULT_STATUSES = frozenset(
    {JobStatus.COMPLETED, JobStatus.EXPIRED, JobStatus.CANCELLED, JobStatus.FAILED}
)

OPENAI_STATUS_MAP: dict[str, JobStatus] = {
    "validating": JobStatus.VALIDATING,
    "failed": JobStatus.FAILED,
    "in_progress": JobStatus.IN_PROGRESS,
    "finalizing": JobStatus.FINALIZING,
    "completed": JobStatus.COMPLETED,
    "expired": JobStatus.EXPIRED,
    "cancelling": JobStatus.CANCELLING,
    "cancelled": JobStatus.CANCELLED,
}


def normalize_openai_status(raw: str | None) -> JobStatus:
    """Map an OpenAI-shaped batch status; anything unknown is treated as still pending."""
    if raw is None:
        return JobStatus.PENDING
    return OPENAI_STATUS_MAP.get(raw.strip().lower(), JobStatus.PENDING)
