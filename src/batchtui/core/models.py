"""Data shared by the registry, the providers, the CLI and the TUI.

Provider implementations turn wire objects into these; nothing above the provider
layer ever sees a raw provider shape except through the `raw` fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from batchtui.core.status import JobStatus

# Provider timestamps the registry keeps, in OpenAI's names (other providers map onto them).
TIMESTAMP_FIELDS = (
    "created_at",
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class RequestCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: int = 0
    completed: int = 0
    failed: int = 0
    # False where the provider reports no counts (Vertex AI behind LiteLLM): unknown until
    # the results are read in full and counted (`result_counts`), never shown as 0/0.
    known: bool = True

    @property
    def done(self) -> int:
        return self.completed + self.failed

    @classmethod
    def unknown(cls) -> RequestCounts:
        return cls(known=False)


class BatchError(BaseModel):
    """A job-level error (OpenAI `errors.data[]`); `line` is 1-based when known."""

    model_config = ConfigDict(frozen=True)

    code: str | None = None
    message: str = ""
    param: str | None = None
    line: int | None = None


class RemoteFile(BaseModel):
    """A file as the provider knows it (OpenAI File object, a gs:// object, a path on a cluster)."""

    id: str
    bytes: int | None = None
    filename: str | None = None
    purpose: str | None = None
    created_at: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class RemoteBatch(BaseModel):
    """A batch as the provider reports it, normalized. `raw` keeps the provider's own object."""

    id: str
    status: JobStatus
    raw_status: str
    endpoint: str | None = None
    model: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    completion_window: str | None = None
    request_counts: RequestCounts = Field(default_factory=RequestCounts)
    # Keys from TIMESTAMP_FIELDS, UTC-aware; absent or None when not set.
    timestamps: dict[str, datetime | None] = Field(default_factory=dict)
    errors: list[BatchError] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    usage: dict[str, Any] | None = None
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)


class BatchSpec(BaseModel):
    """What `create` needs; providers ignore what they have no use for."""

    input_file_id: str
    endpoint: str
    completion_window: str = "24h"
    model: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    name: str | None = None


class ResultFile(BaseModel):
    """One file of results to read for a batch (`output` or `error`)."""

    kind: Literal["output", "error"]
    file_id: str


class StatusChange(BaseModel):
    """One row of a job's status history: a change observed at `at`."""

    job_id: str
    at: datetime
    status: JobStatus
    raw_status: str | None = None
    request_counts: RequestCounts | None = None
    note: str | None = None


class Job(BaseModel):
    """A batch job as the local registry keeps it."""

    id: str  # local id, never all digits (remote ids often are)
    name: str
    profile: str
    kind: str  # provider kind of the profile at submit time
    tag: str  # UUID sent in the batch metadata, to find the batch again
    status: JobStatus = JobStatus.SUBMITTING
    raw_status: str | None = None
    remote_id: str | None = None
    endpoint: str | None = None
    model: str | None = None
    completion_window: str | None = None
    input_path: Path | None = None
    input_sha256: str | None = None
    input_bytes: int | None = None
    input_lines: int | None = None
    # Offline estimate of the input tokens (estimate.py), for enqueued-token headroom.
    estimated_input_tokens: int | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    output_path: Path | None = None
    error_path: Path | None = None
    request_counts: RequestCounts = Field(default_factory=RequestCounts)
    timestamps: dict[str, datetime | None] = Field(default_factory=dict)
    errors: list[BatchError] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    usage: dict[str, Any] | None = None
    # Last local problem (a failed submit, an unreachable provider), shown to the user.
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    # A shard of a job group (a file split to fit the provider's limits): the group's id
    # and the shard's 1-based position in it. None for a job of its own.
    group_id: str | None = None
    shard_index: int | None = None
    # A retry: the job whose failed and unfinished requests this one runs again (always
    # the first job of the family, never another retry). None for an original job.
    parent_id: str | None = None
    # Tokens counted from the downloaded result files (`usage.Usage` fields, and the
    # `files` they were counted from), for providers whose batch object reports none.
    result_usage: dict[str, Any] | None = None
    # Set by `batchtui archive`: hidden from the default job views, kept in the registry.
    archived_at: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


class JobGroup(BaseModel):
    """One input file submitted as several batches (shards, each a `Job` with `group_id`)."""

    id: str  # local id, `bg-` and never all digits
    name: str
    profile: str
    input_path: Path | None = None
    input_sha256: str | None = None
    input_bytes: int | None = None
    input_lines: int | None = None
    estimated_input_tokens: int | None = None
    shard_count: int
    created_at: datetime = Field(default_factory=utc_now)


class ResultRecord(BaseModel):
    """One request's outcome, whatever the provider's line shape."""

    custom_id: str | None
    ok: bool
    status_code: int | None = None
    text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    raw: str = Field(default="", repr=False)  # the line as read, decoded
