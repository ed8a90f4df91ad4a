"""An input file of the requests to run again: those that failed or never ran.

Requests are copied byte for byte from the original input (line endings included),
in its order, picked by custom_id against the results of the job and of any earlier
retries (`outcomes`): a request is retried unless one of its attempts succeeded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from batchtui.core.errors import BatchtuiError
from batchtui.core.lineindex import CancelCheck
from batchtui.core.outcomes import OK, OutcomeProgress, Outcomes, ResultRows, merge_result_sets
from batchtui.core.request_index import RequestIndex


@dataclass(frozen=True)
class RetryReport:
    path: Path | None  # None when nothing needed retrying (no file is written)
    requests: int  # distinct custom_ids in the original input
    succeeded: int
    failed: int
    never_ran: int  # no result at all, or expired/cancelled before running
    written: int  # requests in the new input (failed + never_ran)
    duplicates: int  # input lines repeating an earlier custom_id (not retried twice)
    unmatched_results: int  # result lines with no custom_id, or one not in the input

    def describe(self) -> str:
        where = f" into {self.path}" if self.path is not None else ""
        return (
            f"{self.written:,} of {self.requests:,} requests to retry{where}: "
            f"{self.failed:,} failed, {self.never_ran:,} never ran, "
            f"{self.succeeded:,} succeeded"
        )


def build_retry_input(
    input_path: Path | RequestIndex,
    parent_first: Sequence[ResultRows],
    out_path: Path,
    *,
    cancel: CancelCheck | None = None,
    progress: OutcomeProgress | None = None,
) -> RetryReport | None:
    """Write the requests of `input_path` without a successful result to `out_path`
    (atomically); None when cancelled. Nothing is written when every request succeeded.
    """
    requests = (
        input_path if isinstance(input_path, RequestIndex) else RequestIndex.build(input_path)
    )
    if requests is None:
        return None
    if len(requests) == 0:
        raise BatchtuiError(f"{requests.path}: no request with a custom_id to retry")
    if out_path.resolve() == requests.path.resolve():
        raise BatchtuiError(f"{out_path}: the retry input would overwrite the original input")
    outcomes = merge_result_sets(parent_first, requests, cancel=cancel, progress=progress)
    if outcomes is None:
        return None
    counts = outcomes.counts
    written = 0
    if counts.failed + counts.not_run:
        try:
            written = _write_retries(requests, outcomes, out_path, cancel)
        except _Cancelled:
            return None
    return RetryReport(
        path=out_path if written else None,
        requests=counts.total,
        succeeded=counts.succeeded,
        failed=counts.failed,
        never_ran=counts.not_run,
        written=written,
        duplicates=requests.duplicates,
        unmatched_results=counts.unmatched,
    )


def _write_retries(
    requests: RequestIndex, outcomes: Outcomes, out_path: Path, cancel: CancelCheck | None
) -> int:
    from batchtui.core.output_file import output_file

    written = 0
    with output_file(out_path, make_folder=True) as handle:
        ended = True
        for line, raw in requests.lines.iter_lines(keep_ends=True):
            if outcomes.outcome_of_line(line) == OK or not _is_request(requests, line, raw):
                continue
            if not ended:
                handle.write(b"\n")  # the input's last line had none
            handle.write(raw)
            ended = raw.endswith(b"\n")
            written += 1
            if cancel is not None and written % 1024 == 0 and cancel():
                raise _Cancelled
    return written


class _Cancelled(Exception):
    """Unwinds the atomic write (the partial file is removed)."""


def _is_request(requests: RequestIndex, line: int, raw: bytes) -> bool:
    from batchtui.core.resultfile import custom_id_of

    custom_id = custom_id_of(raw)
    return custom_id is not None and requests.is_first(custom_id, line)
