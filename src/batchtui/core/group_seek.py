"""Where record N of a job group lies: which shard, which file of it and which line there,
from the shards' request counts in the registry (so one shard is read, not all before it)."""

from __future__ import annotations

from dataclasses import dataclass

from batchtui.core.models import Job


@dataclass(frozen=True)
class ShardPlace:
    """Record `record` of the group is line `line` of `shard`'s `kind` file."""

    shard: Job
    number: int  # the shard's place in the group (1-based)
    kind: str  # "output" or "error"
    line: int  # 0-based, in that file
    before: int  # records in the shards before it


def shard_records(shard: Job) -> int | None:
    """How many records an ended shard's results hold: one per request that ended
    (completed or failed), as the registry counted them; None when not known (a shard still
    running, or a provider that gives no counts)."""
    counts = shard.request_counts
    if not shard.is_terminal or not counts.known:
        return None
    return counts.completed + counts.failed


def place_record(shards: list[Job], record: int) -> ShardPlace | str | None:
    """The place of group record `record` (0-based) among the sent `shards` in group order;
    None past the last record; or why it cannot be known without reading the shards before
    it.

    A shard's records are its output file's lines, then its error file's (where failures
    are kept apart, the output holds the `completed` ones).
    """
    before = 0
    for number, shard in enumerate(shards, 1):
        count = shard_records(shard)
        if count is None:
            return (
                f"shard {number} (job {shard.id}, {shard.status.value}) has no known record "
                f"count, so where record {record:,} lies is not known without reading the "
                "shards before it"
            )
        if record < before + count:
            line = record - before
            completed = shard.request_counts.completed
            if shard.error_file_id and line >= completed:
                return ShardPlace(shard, number, "error", line - completed, before)
            return ShardPlace(shard, number, "output", line, before)
        before += count
    return None
