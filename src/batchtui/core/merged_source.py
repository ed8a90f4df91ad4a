"""A job's (or group's) results merged with its retries', as rows a viewer pages through.

The merge itself is `families.merged_results` (the one `batchtui results JOB` prints):
this only keeps where each of its records is (16 bytes a request), so any row can be
read again, filtered and searched without holding the records in memory.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

from batchtui.core.models import ResultRecord
from batchtui.core.resultfile import line_matches, parse_record, text_needles

if TYPE_CHECKING:
    from batchtui.core.families import MergedResults
    from batchtui.core.lineindex import CancelCheck, ScanProgress

# How often building the rows or filtering them looks for a cancel request, in rows.
_CHECK_EVERY = 4096


class MergedSource:
    """One row per request of a family (or of a group's families): the latest success,
    else the latest failure, else "no result". Close it to close the files it reads."""

    # Every row is known once built: nothing arrives later.
    grows_by_itself = False

    def __init__(self, merged: MergedResults, lines: array, winners: array) -> None:
        self.merged = merged
        self._lines = lines  # the request's input line, or -1 (not joined to the input)
        self._winners = winners  # where the winning result line is, or -1 (none)

    @classmethod
    def build(cls, merged: MergedResults, cancel: CancelCheck | None = None) -> MergedSource | None:
        """The rows of a merge, in `records()` order; None when cancelled."""
        lines, winners = array("q"), array("q")
        for count, (line, where) in enumerate(merged.outcomes.placements()):
            if count % _CHECK_EVERY == 0 and cancel is not None and cancel():
                return None
            lines.append(line)
            winners.append(where)
        return cls(merged, lines, winners)

    @property
    def retries(self) -> int:
        """How many retry jobs' results are in the merge."""
        return sum(1 for job in self.merged.members if job.parent_id)

    @property
    def count(self) -> int:
        return len(self._winners)

    @property
    def complete(self) -> bool:
        return True

    def record(self, row: int) -> ResultRecord:
        return self.merged.outcomes.record_of(self._lines[row], self._winners[row])

    def raw(self, row: int, *, cache: bool = True) -> bytes:
        """The winning result line; empty for a request without any result."""
        where = self._winners[row]
        return b"" if where == -1 else self.merged.outcomes.raw_of(where)

    def where(self, row: int) -> str:
        where = self._winners[row]
        if where == -1:
            return "no result in the job or any of its retries"
        number, member_row = self.merged.outcomes.set_of(where)
        job = self.merged.members[number]
        who = f"retry {job.id}" if job.parent_id else f"job {job.id}"
        return f"{self.merged.sets[number].where(member_row)} ({who})"

    def matching_rows(
        self,
        *,
        errors_only: bool,
        text: str,
        progress: ScanProgress | None = None,
        cancel: CancelCheck | None = None,
    ) -> array | None:
        """Rows passing the filters, in order; None when cancelled."""
        needles = text_needles(text) if text else ()
        rows = array("q")
        total = self.count
        for row in range(total):
            if row % _CHECK_EVERY == 0:
                if cancel is not None and cancel():
                    return None
                if progress is not None:
                    progress(row, total)
            raw = self.raw(row)
            if raw:
                matched = line_matches(raw, needles, errors_only, lambda raw=raw: parse_record(raw))
            else:
                record = self.record(row)
                said = f"{record.custom_id}\n{record.error_message}".encode()
                matched = line_matches(said, needles, errors_only, lambda record=record: record)
            if matched:
                rows.append(row)
        if progress is not None:
            progress(total, total)
        return rows

    def close(self) -> None:
        self.merged.close()
