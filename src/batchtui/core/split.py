"""Split a batch input file that is over a provider's limits into shards that are within them.

The file has been validated as a whole first, so every line is one request and custom_ids
are unique across the file, hence across the shards. Splitting streams: lines are copied
as they are (never re-encoded), a shard is closed before the next one opens, and each
shard is written through a temporary file renamed into place when whole. Each shard stays
under every cap with a safety margin (`SAFETY_MARGIN`), and the requests are spread evenly,
so 120,000 requests against OpenAI's 50,000 become three shards of 40,000, not 50+50+20.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from batchtui.core.errors import InputFileError
from batchtui.core.formats.endpoints import ENDPOINTS
from batchtui.core.formats.limits import Limits
from batchtui.core.formats.validate import Problem, ValidationReport
from batchtui.core.fsutil import atomic_output

# Each shard keeps this share of every cap: limits read as "200 MB" may be counted in
# MiB or with multipart overhead, and a shard refused after upload costs a round trip.
SAFETY_MARGIN = 0.95
# Problems that mean "too big for one batch", not "wrong": splitting resolves them.
SPLITTABLE_CODES = frozenset({"too_many_tasks", "file_too_large", "too_many_embedding_inputs"})

# Called with (bytes read so far, file size).
SplitProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ShardCaps:
    """What one shard may hold; None means no cap."""

    requests: int | None
    bytes: int | None
    embedding_inputs: int | None

    @classmethod
    def from_limits(cls, limits: Limits, margin: float = SAFETY_MARGIN) -> ShardCaps:
        def capped(value: int | None) -> int | None:
            return None if value is None else max(1, math.floor(value * margin))

        return cls(
            capped(limits.max_requests),
            capped(limits.max_file_bytes),
            capped(limits.max_embedding_inputs),
        )


@dataclass(frozen=True, slots=True)
class SplitPlan:
    """How a validated file will be split: about `shard_count` shards of `per_shard` requests."""

    shard_count: int
    per_shard: int
    caps: ShardCaps
    endpoint: str | None

    def describe(self, limits: Limits) -> str:
        return (
            f"{self.shard_count} shards of about {self.per_shard:,} requests "
            f"(each within {limits.name}'s limits, {round((1 - SAFETY_MARGIN) * 100)}% margin)"
        )


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    path: Path
    requests: int
    bytes: int
    first_line: int  # line of the source file the shard starts at


def splittable_problems(report: ValidationReport) -> list[Problem]:
    return [p for p in report.errors if p.code in SPLITTABLE_CODES]


def blocking_problems(report: ValidationReport) -> list[Problem]:
    """Errors that splitting does not cure (bad lines, duplicate ids...)."""
    return [p for p in report.errors if p.code not in SPLITTABLE_CODES]


def needs_split(report: ValidationReport) -> bool:
    # `too_many_tasks` etc. are counted even past the kept-problems cap.
    return any(report.counts_by_code.get(code) for code in SPLITTABLE_CODES)


def plan_split(report: ValidationReport, limits: Limits) -> SplitPlan:
    """The shard count that fits every cap of `limits` (one when the file fits as it is)."""
    caps = ShardCaps.from_limits(limits)
    count = 1
    for amount, cap in (
        (report.lines, caps.requests),
        (report.bytes, caps.bytes),
        (report.embedding_inputs, caps.embedding_inputs),
    ):
        if cap is not None and amount > 0:
            count = max(count, math.ceil(amount / cap))
    per_shard = math.ceil(report.lines / count) if report.lines else 0
    return SplitPlan(count, per_shard, caps, report.endpoint)


def shard_name(source: Path, index: int, count: int) -> str:
    width = max(2, len(str(count)))
    return f"{source.stem}.shard-{index:0{width}d}-of-{count:0{width}d}.jsonl"


def write_shards(
    source: Path,
    dest_dir: Path,
    plan: SplitPlan,
    *,
    progress: SplitProgress | None = None,
) -> list[Shard]:
    """Write the shards of `source` into `dest_dir` (created); all of them, or none.

    A shard closes when it holds `plan.per_shard` requests, or when the next line would
    pass a byte or embedding-input cap; so a file of very uneven lines may give one shard
    more than planned. Shards are named after `plan.shard_count` and renamed at the end
    when the count changed.
    """
    count_inputs = None
    spec = ENDPOINTS.get(plan.endpoint) if plan.endpoint else None
    if plan.caps.embedding_inputs is not None and spec is not None:
        count_inputs = spec.count_inputs
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        total = source.stat().st_size
        with source.open("rb") as reader:
            shards = list(_write(reader, source, dest_dir, plan, count_inputs, total, progress))
        return _renamed_for_count(source, shards)
    except OSError as error:
        shutil.rmtree(dest_dir, ignore_errors=True)
        raise InputFileError(
            f"splitting {source} into {dest_dir}: {error.strerror or error}"
        ) from None
    except BaseException:
        shutil.rmtree(dest_dir, ignore_errors=True)
        raise


def _write(
    reader: IO[bytes],
    source: Path,
    dest_dir: Path,
    plan: SplitPlan,
    count_inputs: Callable[[dict], int] | None,
    total: int,
    progress: SplitProgress | None,
) -> Iterator[Shard]:
    caps = plan.caps
    lines = _request_lines(reader)
    pending = next(lines, None)
    index = 0
    read = 0
    while pending is not None:
        index += 1
        path = dest_dir / shard_name(source, index, plan.shard_count)
        requests = size = inputs = 0
        first_line = pending[0]
        with atomic_output(path, mode=0o600) as out:
            while pending is not None:
                line_no, data = pending
                line_inputs = _inputs(data, count_inputs, source, line_no)
                if requests and (
                    requests >= plan.per_shard
                    or (caps.bytes is not None and size + len(data) > caps.bytes)
                    or (
                        caps.embedding_inputs is not None
                        and inputs + line_inputs > caps.embedding_inputs
                    )
                ):
                    break
                out.write(data)
                requests += 1
                size += len(data)
                inputs += line_inputs
                read += len(data)
                pending = next(lines, None)
                if progress is not None and requests % 1000 == 0:
                    progress(min(read, total), total)
        yield Shard(index, path, requests, size, first_line)
    if progress is not None:
        progress(total, total)


def _request_lines(reader: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, the line ending in exactly one `\\n`) for every line."""
    for line_no, raw in enumerate(reader, start=1):
        yield line_no, raw if raw.endswith(b"\n") else raw + b"\n"


def _inputs(
    data: bytes, count_inputs: Callable[[dict], int] | None, source: Path, line_no: int
) -> int:
    if count_inputs is None:
        return 0
    try:
        request = json.loads(data)
    except ValueError as error:  # validated before: only a file changed since fails here
        raise InputFileError(
            f"{source}:{line_no}: not valid JSON while splitting ({error})"
        ) from None
    body = request.get("body") if type(request) is dict else None
    return count_inputs(body) if type(body) is dict else 0


def _renamed_for_count(source: Path, shards: list[Shard]) -> list[Shard]:
    """Names say `-of-N` with the real N (it differs from the plan only for uneven lines)."""
    renamed = []
    for shard in shards:
        path = shard.path.with_name(shard_name(source, shard.index, len(shards)))
        if path != shard.path:
            shard.path.replace(path)
        renamed.append(Shard(shard.index, path, shard.requests, shard.bytes, shard.first_line))
    return renamed
