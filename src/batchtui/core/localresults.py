"""A job's result files on this machine: which the provider reported, which are on disk,
and pages of their records read through the line index saved beside them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.errors import InputFileError
from batchtui.core.models import Job, ResultRecord

if TYPE_CHECKING:
    from batchtui.core.lineindex import LineIndex

RESULT_FILE_NAMES = {"output": "output.jsonl", "error": "errors.jsonl"}
# Parse errors of lines that are no result at all (not a failed request).
NOT_RESULTS = frozenset({"invalid_json", "unknown_shape"})
# Longer lines are reported, not read: a 100 MB answer would not fit a terminal anyway.
MAX_SHOWN_LINE = 8_000_000
_BATCH = 512


def result_file_ids(job: Job) -> list[tuple[str, str]]:
    """(kind, file id) of the job's result files, output first; empty ids count as absent."""
    files = []
    if job.output_file_id:
        files.append(("output", job.output_file_id))
    if job.error_file_id:
        files.append(("error", job.error_file_id))
    return files


def local_path(job: Job, kind: str) -> Path | None:
    """Where the job's `kind` ("output" or "error") file was downloaded, if it was."""
    return job.output_path if kind == "output" else job.error_path


def local_result_paths(job: Job) -> list[Path]:
    """The job's downloaded result files that are on disk, output first."""
    return [path for path in (job.output_path, job.error_path) if path and path.is_file()]


def results_on_disk(job: Job) -> bool:
    """The provider reported result files and every one of them is on disk: read them
    here rather than from the provider."""
    expected = result_file_ids(job)
    if not expected:
        return False
    return all(
        (path := local_path(job, kind)) is not None and path.is_file() for kind, _ in expected
    )


# --- pages of local records ------------------------------------------------------------


def page_of_files(
    paths: list[Path], *, start: int = 0, head: int | None = None, errors_only: bool = False
) -> Iterator[ResultRecord]:
    """Records `start` to `start + head - 1` (0-based) of local results files, read through
    their saved line index (built once, then reopened at once: record N of a GB is one seek
    away); with `errors_only`, of their failed records."""
    from batchtui.core.resultfile import ResultSet, parse_record

    for path in paths:
        _refuse_binary(path)
    results = ResultSet(paths, persist_index=True)
    try:
        if errors_only:
            rows = results.matching_rows(errors_only=True, text="")
            assert rows is not None  # not cancellable
            stop = len(rows) if head is None else start + head
            for row in rows[start:stop]:
                record = parse_record(results.raw(row, cache=False))
                yield _located(record, paths[0], row) if len(paths) == 1 else record
            return
        results.scan()
        base = 0
        remaining = head
        for file in results.files:
            index = file.index
            first = max(start - base, 0)
            base += index.line_count
            if first >= index.line_count:
                continue
            stop = index.line_count
            if remaining is not None:
                stop = min(stop, first + remaining)
                remaining -= stop - first
            for line, raw in _capped_lines(index, first, stop):
                if raw is None:
                    yield _too_long(index, file.path, line)
                elif raw.strip():  # record N is line N+1 of the file, blank or not
                    yield _located(parse_record(raw), file.path, line)
            if remaining == 0:
                return
    except OSError as error:
        raise InputFileError(f"{paths[0]}: cannot read: {error.strerror or error}") from None
    finally:
        results.close()


def tail_of_files(paths: list[Path], count: int) -> list[ResultRecord]:
    """The last `count` records of local results files, read and located as `page_of_files`
    reads every page (blank lines are no records: the window widens past them)."""
    from collections import deque

    from batchtui.core.resultfile import ResultSet

    if count <= 0:
        return []
    for path in paths:
        _refuse_binary(path)
    results = ResultSet(paths, persist_index=True)
    try:
        results.scan()
        total = sum(file.index.line_count for file in results.files)
    except OSError as error:
        raise InputFileError(f"{paths[0]}: cannot read: {error.strerror or error}") from None
    finally:
        results.close()
    margin = count
    while True:
        start = max(total - margin, 0)
        last = deque(page_of_files(paths, start=start), maxlen=count)
        if len(last) == count or start == 0:
            return list(last)
        margin *= 4


def _located(record: ResultRecord, path: Path, line: int) -> ResultRecord:
    """A line that is no result at all says where it is, as every bad input does."""
    if record.ok or record.error_code not in NOT_RESULTS:
        return record
    return record.model_copy(update={"error_message": f"{path}:{line + 1}: {record.error_message}"})


def _capped_lines(index: LineIndex, first: int, stop: int) -> Iterator[tuple[int, bytes | None]]:
    """(line, bytes) from `first` to `stop - 1`, or (line, None) for a line too long to show,
    read a batch of lines at a time and never a long line whole."""
    line = first
    while line < stop:
        if index.size_bound(line) > MAX_SHOWN_LINE:
            yield line, None
            line += 1
            continue
        end = line + 1
        while end < stop and end - line < _BATCH and index.size_bound(end) <= MAX_SHOWN_LINE:
            end += 1
        yield from enumerate(index.read_lines(line, end), line)
        line = end


def _too_long(index: LineIndex, path: Path, line: int) -> ResultRecord:
    from batchtui.core.resultfile import custom_id_of
    from batchtui.core.units import format_bytes

    start, end = index.bounds(line)
    with path.open("rb") as handle:
        handle.seek(start)
        head = handle.read(64 << 10)
    size = end - start
    return ResultRecord(
        custom_id=custom_id_of(head),
        ok=False,
        error_code="line_too_long",
        error_message=(
            f"{path}:{line + 1} is {format_bytes(size)}, too long to print "
            f"(over {format_bytes(MAX_SHOWN_LINE)}); open it in the TUI's result viewer"
        ),
    )


def _refuse_binary(path: Path) -> None:
    """JSONL never holds a NUL byte: a binary file is one clear line, not a record per 'line'."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror or error}") from None
    if b"\x00" in head:
        raise InputFileError(f"{path}: a binary file, not JSONL results")
