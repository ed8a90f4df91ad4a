"""Validation of a large file on several cores, merged into the report one pass gives.

A file of plain chat requests (the large ones nearly always are) is cut at newlines into
regions. The first is checked in this process; each other region by a forked child that
starts where the file's first line leaves a single pass (its endpoint and model known)
and sends back what its lines add: request and byte counts, the estimate's totals and the
custom_ids in line order. A region is merged only when it was clean: no problem, no note
the first region did not make, no custom_id seen before it, the request limit not crossed.
From the first region that is not clean, this process reads the rest itself, line by line
in order, so every problem, message and line number is the one a single pass reports; a
clean file (the usual case) is read once, on as many cores as regions.

Only commands run by a person use it (`validate` on the command line): forking is safe
in a process with one thread, and the TUI validates in a worker thread.
"""

from __future__ import annotations

import marshal
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from batchtui.core.estimate import FileEstimate
from batchtui.core.forked import Forked, answer_of, can_fork, fork_call, stop
from batchtui.core.formats.fast_chat import CHAT_URL
from batchtui.core.formats.limits import Limits
from batchtui.core.formats.validate import (
    BINARY_SNIFF_BYTES,
    CHUNK_BYTES,
    ContextWindowLookup,
    ValidationReport,
    _Validator,
    validate_stream,
)

# Below this a region's work is not worth a process.
MIN_REGION_BYTES = 32 * 1024 * 1024
MAX_WORKERS = 4
# How far past a cut the next newline is looked for; a longer line leaves the file unsplit.
_NEWLINE_SEARCH_BYTES = 4 * 1024 * 1024


def usable_workers(limit: int = MAX_WORKERS) -> int:
    """Processes validation may use here: the cores this process may run on, at most
    `limit`, and 1 where forking is not safe (no fork, or other threads running)."""
    if not can_fork():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(limit, cores))


def region_starts(
    stream: BinaryIO, size: int, workers: int, min_region: int = MIN_REGION_BYTES
) -> list[int]:
    """Byte offsets where regions start: 0, then each cut just after a newline; [0] when
    the file is too small to split or no cut is found near where one is wanted."""
    count = min(workers, size // max(1, min_region))
    starts = [0]
    for index in range(1, count):
        cut = _line_start_after(stream, index * size // count)
        if cut is not None and starts[-1] < cut < size:
            starts.append(cut)
    return starts


def _line_start_after(stream: BinaryIO, offset: int) -> int | None:
    """The offset just past the first newline at or after `offset`; None when none is near."""
    stream.seek(offset)
    data = stream.read(_NEWLINE_SEARCH_BYTES)
    end = data.find(b"\n")
    return None if end < 0 else offset + end + 1


class Region:
    """A read-only window `[start, stop)` of a binary file."""

    def __init__(self, stream: BinaryIO, start: int, stop: int) -> None:
        self._stream = stream
        self._left = stop - start
        stream.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        wanted = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(wanted)
        self._left -= len(data)
        return data


@dataclass(frozen=True, slots=True)
class RegionResult:
    """What a clean region adds to the report (its lines are all requests, in order)."""

    bytes: int
    custom_ids: list[str]
    notes: list[str]
    # FileEstimate's sums, and the largest input with its line within the region (1-based).
    input_tokens: int = 0
    max_output_tokens: int = 0
    uncapped_requests: int = 0
    rough_parts: int = 0
    largest_input_tokens: int = 0
    largest_input_index: int = 0

    def to_bytes(self) -> bytes:
        return marshal.dumps(
            (
                self.bytes,
                self.custom_ids,
                self.notes,
                self.input_tokens,
                self.max_output_tokens,
                self.uncapped_requests,
                self.rough_parts,
                self.largest_input_tokens,
                self.largest_input_index,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> RegionResult | None:
        try:
            fields = marshal.loads(data)
            return cls(*fields)
        except (EOFError, ValueError, TypeError):
            return None


@dataclass(frozen=True, slots=True)
class _Settings:
    limits: Limits
    max_problems: int
    estimate: bool
    context_window: ContextWindowLookup | None

    def validator(self) -> _Validator:
        return _Validator(
            self.limits,
            self.max_problems,
            self.estimate,
            context_window=self.context_window,
        )


@dataclass(frozen=True, slots=True)
class _Child:
    work: Forked
    stop: int


def validate_in_regions(
    path: Path,
    stream: BinaryIO,
    size: int,
    *,
    workers: int,
    limits: Limits,
    max_problems: int,
    estimate: bool,
    context_window: ContextWindowLookup | None,
    min_region: int = MIN_REGION_BYTES,
) -> ValidationReport:
    """`validate_stream` of the whole of `stream` (the open file at `path`), the same
    report, on up to `workers` processes."""
    settings = _Settings(limits, max_problems, estimate, context_window)
    model = _chat_model(stream, settings)
    starts = region_starts(stream, size, workers, min_region) if model is not None else [0]
    stream.seek(0)
    if model is None or len(starts) < 2:
        return validate_stream(
            stream,
            total_bytes=size,
            limits=limits,
            max_problems=max_problems,
            estimate=estimate,
            context_window=context_window,
        )
    stops = [*starts[1:], size]
    children: list[_Child] = []
    try:
        for start, stop in zip(starts[1:], stops[1:], strict=True):
            child = _fork_region(path, start, stop, model, settings)
            if child is None:
                break
            children.append(child)
        validator = settings.validator()
        last_line = validator.run(Region(stream, 0, stops[0]), None, None, None, CHUNK_BYTES)
        # Where this process reads on from, in order, when a region is not merged (or no
        # child could be made for it): every problem is then the one a single pass reports.
        read_on = stops[0]
        while children:
            child = children.pop(0)
            result = _collect(child)
            if result is None or not _mergeable(validator, result):
                stop_children(children)
                children = []
                break
            _merge(validator, result, last_line)
            last_line += len(result.custom_ids)
            read_on = child.stop
        if read_on < size:
            validator.run(
                Region(stream, read_on, size), None, None, None, CHUNK_BYTES, after_line=last_line
            )
        return validator.finish()
    finally:
        stop_children(children)


def _chat_model(stream: BinaryIO, settings: _Settings) -> str | None:
    """The model of a file whose first line is a valid plain chat request (so the lines
    after it take the fast path); None for any other file."""
    stream.seek(0)
    head = stream.read(_NEWLINE_SEARCH_BYTES)
    end = head.find(b"\n")
    if end < 0 or b"\x00" in head[:BINARY_SNIFF_BYTES]:
        return None
    probe = settings.validator()
    probe._check_line(head[:end], 1)
    if probe.counts or probe.crlf_lines or not chat_file(probe.endpoint, probe.model):
        return None
    return probe.model


def _fork_region(
    path: Path, start: int, stop: int, model: str, settings: _Settings
) -> _Child | None:
    """A child process that checks `[start, stop)` of `path` and sends back its
    `RegionResult` (nothing when the region is not clean); None when none can be made."""

    def produce() -> bytes | None:
        result = _check_region(path, start, stop, model, settings)
        return None if result is None else result.to_bytes()

    work = fork_call(produce)
    return None if work is None else _Child(work, stop)


def _check_region(
    path: Path, start: int, stop: int, model: str, settings: _Settings
) -> RegionResult | None:
    """What `[start, stop)` adds after a first line that set the chat url and `model`;
    None when it is not clean."""
    validator = settings.validator()
    validator.endpoint, validator.endpoint_line = CHAT_URL, 1
    validator.model, validator.model_line = model, 1
    # Its own file: a forked child shares the parent's file offset.
    with open(path, "rb") as stream:
        # Numbered from 2, so no line is taken for the file's first.
        last_line = validator.run(
            Region(stream, start, stop), None, None, None, CHUNK_BYTES, after_line=1
        )
    lines = last_line - 1
    if validator.counts or validator.crlf_lines or validator.embedding_inputs:
        return None
    if validator.requests != lines or len(validator.seen_ids) != lines:
        return None
    totals = validator.estimator.totals if validator.estimator is not None else None
    if totals is None:
        return RegionResult(validator.report.bytes, list(validator.seen_ids), [])
    return RegionResult(
        validator.report.bytes,
        list(validator.seen_ids),
        list(validator.report.notes),
        totals.input_tokens,
        totals.max_output_tokens,
        totals.uncapped_requests,
        totals.rough_parts,
        totals.largest_input_tokens,
        (totals.largest_input_line or 1) - 1,
    )


def _collect(child: _Child) -> RegionResult | None:
    """The child's result, once it has finished."""
    data = answer_of(child.work)
    return None if data is None else RegionResult.from_bytes(data)


def stop_children(children: list[_Child]) -> None:
    stop([child.work for child in children])


def _mergeable(validator: _Validator, result: RegionResult) -> bool:
    """Whether a clean region's lines, after `validator`'s, are what a single pass finds."""
    max_requests = validator.limits.max_requests
    return (
        set(result.notes) <= set(validator.report.notes)
        and validator.seen_ids.keys().isdisjoint(result.custom_ids)
        and (max_requests is None or validator.requests + len(result.custom_ids) <= max_requests)
    )


def _merge(validator: _Validator, result: RegionResult, last_line: int) -> None:
    count = len(result.custom_ids)
    lines = range(last_line + 1, last_line + 1 + count)
    validator.seen_ids.update(zip(result.custom_ids, lines, strict=True))
    validator.requests += count
    validator.report.bytes += result.bytes
    if validator.estimator is not None:
        merge_estimate(validator.estimator.totals, result, last_line + 1)


def merge_estimate(totals: FileEstimate, result: RegionResult, first_line: int) -> None:
    """Add a clean region's estimate to `totals`; its lines start at `first_line`."""
    totals.requests += len(result.custom_ids)
    totals.input_tokens += result.input_tokens
    totals.max_output_tokens += result.max_output_tokens
    totals.uncapped_requests += result.uncapped_requests
    totals.rough_parts += result.rough_parts
    # Strictly larger: the first of equal largest inputs is the one a single pass names.
    if result.largest_input_tokens > totals.largest_input_tokens:
        totals.largest_input_tokens = result.largest_input_tokens
        totals.largest_input_line = first_line + result.largest_input_index - 1


def chat_file(endpoint: str | None, model: str | None) -> bool:
    """Whether a file whose first line set `endpoint` and `model` can be split."""
    return endpoint == CHAT_URL and model is not None
