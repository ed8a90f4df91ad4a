"""Request counts taken from a job's results, for providers that report none.

Vertex AI behind LiteLLM reports no request counts, so such a job's counts are unknown
(`RequestCounts.known` False) until its result files are read in full for another reason
(download, export, `results` without `--head`): then the records read are counted and kept
in the registry. Nothing is ever fetched just to count.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.models import Job, RequestCounts, ResultRecord

if TYPE_CHECKING:
    from batchtui.core.registry import Registry


class RecordTally:
    """Successes and failures among the records seen so far."""

    def __init__(self) -> None:
        self.completed = 0
        self.failed = 0

    def add(self, record: ResultRecord) -> None:
        if record.ok:
            self.completed += 1
        else:
            self.failed += 1

    @property
    def counts(self) -> RequestCounts:
        return RequestCounts(
            total=self.completed + self.failed, completed=self.completed, failed=self.failed
        )


def count_records(records: Iterable[ResultRecord]) -> RequestCounts:
    tally = RecordTally()
    for record in records:
        tally.add(record)
    return tally.counts


def count_files(paths: Iterable[Path]) -> RequestCounts:
    """The counts of the records in local result files (blank lines are no records)."""
    from batchtui.core.formats.results import read_result_file

    tally = RecordTally()
    for path in paths:
        for record in read_result_file(path):
            tally.add(record)
    return tally.counts


def needs_counting(job: Job) -> bool:
    return not job.request_counts.known and job.status.may_have_results


def keep_counts(registry: Registry, job_id: str, counts: RequestCounts) -> Job | None:
    """Store counts taken from the job's results when its provider reported none; returns
    the updated job, or None when there was nothing to store."""
    job = registry.get_job(job_id)
    if not needs_counting(job) or counts.total <= 0:
        return None
    return registry.update_job(
        job_id, request_counts=counts, note="request counts taken from the result files"
    )


def keep_counts_of_files(registry: Registry, job_id: str, paths: Iterable[Path]) -> Job | None:
    """`keep_counts` of the records in local files, read only when the job needs them."""
    if not needs_counting(registry.get_job(job_id)):
        return None
    return keep_counts(registry, job_id, count_files(paths))
