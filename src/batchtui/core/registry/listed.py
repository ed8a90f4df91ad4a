"""What the first screen shows of the registry's first page: light named tuples that the
job list's cells render as they render a `Job`, sent from the process that reads them
(`read_ahead`), so this module imports nothing but the status enum."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from batchtui.core.status import JobStatus

__all__ = ["FirstPage", "ListedCounts", "ListedJob"]


# Named tuples, not dataclasses: the first screen waits for this module, and a named tuple
# costs a tenth of a frozen dataclass to define.
class ListedCounts(NamedTuple):
    total: int = 0
    completed: int = 0
    failed: int = 0
    known: bool = True

    @property
    def done(self) -> int:
        return self.completed + self.failed


class ListedJob(NamedTuple):
    """What a job list row shows of a job, read without pydantic (see `codec.row_to_job`)."""

    id: str
    name: str
    profile: str
    model: str | None
    status: JobStatus
    request_counts: ListedCounts
    timestamps: Mapping[str, datetime | None]
    created_at: datetime
    updated_at: datetime
    last_error: str | None = None
    input_lines: int | None = None  # a shard's lines count before the provider counts

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


class FirstPage(NamedTuple):
    """The default view's first rows (newest first, archived hidden) and its status counts."""

    rows: tuple[ListedJob, ...]
    counts: dict[JobStatus, int]
    groups: frozenset[str] = frozenset()  # the rows standing for a group (its shards summed)

    @property
    def total(self) -> int:
        return sum(self.counts.values())
