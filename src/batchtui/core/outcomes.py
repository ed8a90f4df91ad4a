"""The final outcome of each request over a job and its retries, by custom_id.

Result sets are given parent first, then each retry. For each custom_id the latest
success wins; without any success, the latest failure. One pass reads every result
line, parsing only those that are not certainly successes (`surely_ok`), and keeps
where each winner is (set, row), never the records themselves, so memory does not
grow with the size of the results:

- joined to the input (`RequestIndex`): 9 bytes per input line, in arrays;
- without the input: a dict entry per custom_id (about 150 bytes each).
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from batchtui.core.lineindex import PROGRESS_INTERVAL, CancelCheck
from batchtui.core.models import ResultRecord
from batchtui.core.request_index import RequestIndex
from batchtui.core.resultfile import custom_id_of, parse_record, surely_ok

# Failures meaning the request never ran: the batch ran out of time or was cancelled.
NOT_RUN_CODES = frozenset({"batch_expired", "batch_cancelled"})
NO_RESULT_CODE = "no_result"
NO_RESULT_MESSAGE = "no result: the request never ran, or its result was not returned"

# Outcome of one request, by increasing precedence of a later attempt over it.
NONE, NOT_RUN, FAILED, OK = 0, 1, 2, 3

_ROW_BITS = 40  # a winner is (set << 40) | row: up to a trillion rows a set

# Called with (result lines read, None) now and then.
OutcomeProgress = Callable[[int, int | None], None]


class ResultRows(Protocol):
    """What the merge reads: a `ResultSet` (local files) or a `RecordBuffer`."""

    def iter_raw(self, cancel: CancelCheck | None = None) -> Iterable[tuple[int, bytes]]: ...

    def raw(self, row: int, *, cache: bool = True) -> bytes: ...


@dataclass
class OutcomeCounts:
    succeeded: int = 0
    failed: int = 0
    not_run: int = 0  # expired or cancelled before running, or no result at all
    # Result lines whose custom_id is missing, or not in the input when joined.
    unmatched: int = 0
    results_read: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.not_run


def classify(raw: bytes) -> tuple[str | None, int, ResultRecord | None]:
    """(custom_id, outcome, the record when it had to be parsed) of a result line."""
    if surely_ok(raw):
        return custom_id_of(raw), OK, None
    record = parse_record(raw)
    if record.ok:
        return record.custom_id, OK, record
    outcome = NOT_RUN if record.error_code in NOT_RUN_CODES else FAILED
    return record.custom_id, outcome, record


def _wins(new: int, old: int) -> bool:
    """A later attempt replaces an earlier one unless the earlier one succeeded."""
    return new == OK or old != OK


class Outcomes:
    """Winners of a merge; `records()` then streams one record per request."""

    def __init__(self, sets: Sequence[ResultRows], requests: RequestIndex | None) -> None:
        if len(sets) >= 1 << (63 - _ROW_BITS):
            raise ValueError(f"too many result sets to merge: {len(sets)}")
        self.sets = list(sets)
        self.requests = requests
        self.counts = OutcomeCounts()
        if requests is not None:
            lines = requests.lines.line_count
            self._winner = array("q", [-1]) * lines
            self._outcome = bytearray(lines)
        else:
            self._by_id: dict[str, tuple[int, int]] = {}

    def read(
        self, cancel: CancelCheck | None = None, progress: OutcomeProgress | None = None
    ) -> bool:
        """Read every result line once; False when cancelled."""
        last_report = 0.0
        for number, rows in enumerate(self.sets):
            for row, raw in rows.iter_raw(cancel):
                if not raw.strip():
                    continue
                self.counts.results_read += 1
                if self.counts.results_read % 1024 == 0:
                    if cancel is not None and cancel():
                        return False
                    now = time.monotonic()
                    if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                        last_report = now
                        progress(self.counts.results_read, None)
                custom_id, outcome, _ = classify(raw)
                self._note(custom_id, outcome, (number << _ROW_BITS) | row)
            if cancel is not None and cancel():
                return False
        self._count_outcomes()
        return True

    def _note(self, custom_id: str | None, outcome: int, where: int) -> None:
        if custom_id is None:
            self.counts.unmatched += 1
            return
        if self.requests is None:
            old = self._by_id.get(custom_id)
            if old is None or _wins(outcome, old[1]):
                self._by_id[custom_id] = (where, outcome)
            return
        line = self.requests.line_of(custom_id)
        if line is None:
            self.counts.unmatched += 1
            return
        if self._winner[line] == -1 or _wins(outcome, self._outcome[line]):
            self._winner[line] = where
            self._outcome[line] = outcome

    def _count_outcomes(self) -> None:
        counts = self.counts
        if self.requests is not None:
            counts.succeeded = counts.failed = counts.not_run = 0
            for line, _ in self.request_ids():
                outcome = self._outcome[line]
                if outcome == OK:
                    counts.succeeded += 1
                elif outcome == FAILED:
                    counts.failed += 1
                else:
                    counts.not_run += 1
            return
        outcomes = [outcome for _, outcome in self._by_id.values()]
        counts.succeeded = outcomes.count(OK)
        counts.failed = outcomes.count(FAILED)
        counts.not_run = outcomes.count(NOT_RUN)

    def request_ids(self) -> Iterable[tuple[int, str]]:
        """(input line, custom_id) of each request of the input, first of duplicates only."""
        assert self.requests is not None
        requests = self.requests
        for line, raw in requests.lines.iter_lines():
            custom_id = custom_id_of(raw)
            if custom_id is not None and requests.is_first(custom_id, line):
                yield line, custom_id

    def outcome_of_line(self, line: int) -> int:
        return self._outcome[line]

    def records(self) -> Iterable[ResultRecord]:
        """One record per request: the input's, in its order, when joined (requests
        without a result get a `no_result` failure); otherwise each custom_id seen, in
        the order first seen."""
        if self.requests is None:
            for custom_id, (where, _) in self._by_id.items():
                yield self._record_at(where, custom_id)
            return
        for line, custom_id in self.request_ids():
            where = self._winner[line]
            if where == -1:
                yield no_result(custom_id)
            else:
                yield self._record_at(where, custom_id)

    def placements(self) -> Iterable[tuple[int, int]]:
        """(input line or -1, winner or -1) of each record `records()` gives, in its order:
        what a viewer keeps to read any one of them again with `record_of`."""
        if self.requests is None:
            for where, _ in self._by_id.values():
                yield -1, where
            return
        for line, _custom_id in self.request_ids():
            yield line, self._winner[line]

    def record_of(self, line: int, where: int) -> ResultRecord:
        """The record of one placement, as `records()` gives it."""
        if where != -1:
            return self._record_at(where, None)
        assert self.requests is not None  # only joined requests can lack a winner
        return no_result(custom_id_of(self.requests.lines.read_line(line)) or "")

    def raw_of(self, where: int) -> bytes:
        """The winning result line at `where`."""
        return self.sets[where >> _ROW_BITS].raw(where & ((1 << _ROW_BITS) - 1), cache=False)

    @staticmethod
    def set_of(where: int) -> tuple[int, int]:
        """(result set, row in it) of a winner."""
        return where >> _ROW_BITS, where & ((1 << _ROW_BITS) - 1)

    def _record_at(self, where: int, custom_id: str | None) -> ResultRecord:
        raw = self.raw_of(where)
        record = parse_record(raw)
        if record.custom_id is None:
            record = record.model_copy(update={"custom_id": custom_id or custom_id_of(raw)})
        return record


def no_result(custom_id: str) -> ResultRecord:
    return ResultRecord(
        custom_id=custom_id, ok=False, error_code=NO_RESULT_CODE, error_message=NO_RESULT_MESSAGE
    )


def merge_result_sets(
    parent_first: Sequence[ResultRows],
    requests: RequestIndex | None = None,
    *,
    cancel: CancelCheck | None = None,
    progress: OutcomeProgress | None = None,
) -> Outcomes | None:
    """Merge a job's results with its retries' (parent first); None when cancelled.

    Iterate `.records()` for exactly one record per request (per custom_id of the
    input when `requests` is given); `.counts` says how many succeeded, failed, never ran.
    """
    outcomes = Outcomes(parent_first, requests)
    if not outcomes.read(cancel, progress):
        return None
    return outcomes
