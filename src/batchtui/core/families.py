"""A job and its retries read as one set of results, by custom_id.

A *family* is a job and the retry jobs that run its failed and unfinished requests
again (`Job.parent_id` is always the first job, never another retry). Its results are
the merge of every member's files, the latest success winning (`outcomes.py`); a
retry's input is built from the first job's input by custom_id (`retry_input.py`).

A job group is read as its shards' families together: a group is retried one child
job per shard that has failures, so each retry stays within the limits its shard fit
in, and the group's original input still has exactly one row per custom_id.

Reading a family needs its files on disk: members not downloaded yet are downloaded
into their usual folder (`downloads.job_download_dir`) first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from batchtui.core.downloads import results_dir
from batchtui.core.errors import BatchtuiError, InputFileError
from batchtui.core.localresults import local_result_paths, results_on_disk
from batchtui.core.models import Job, JobGroup
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.status import JobStatus

if TYPE_CHECKING:
    from batchtui.core.export import ExportFormat, ExportSummary
    from batchtui.core.lineindex import CancelCheck
    from batchtui.core.outcomes import Outcomes
    from batchtui.core.providers.base import ProgressCallback
    from batchtui.core.registry import Registry
    from batchtui.core.request_index import RequestIndex
    from batchtui.core.resultfile import ResultSet
    from batchtui.core.retry_input import RetryReport
    from batchtui.core.service import FileStartCallback, JobService

# Called with (job about to be downloaded) before its files are fetched.
MemberCallback = Callable[[Job], None]


@dataclass(frozen=True)
class Family:
    root: Job
    members: list[Job]  # the root first, then its retries, oldest first

    @property
    def retries(self) -> list[Job]:
        return self.members[1:]


def family_of(registry: Registry, job: Job) -> Family:
    root = registry.get_job(job.parent_id) if job.parent_id else registry.get_job(job.id)
    return Family(root, [root, *registry.child_jobs(root.id)])


def families_of(registry: Registry, target: Job | JobGroup) -> list[Family]:
    """The families of a job, or of each shard of a group that was sent."""
    if isinstance(target, JobGroup):
        shards = [shard for shard in registry.group_jobs(target.id) if shard.remote_id]
        if not shards:
            raise BatchtuiError(f"group {target.id}: no shard was submitted, so no results")
        return [family_of(registry, shard) for shard in shards]
    return [family_of(registry, target)]


def has_retries(registry: Registry, target: Job | JobGroup) -> bool:
    if isinstance(target, Job) and target.parent_id:
        return True
    return any(family.retries for family in families_of(registry, target))


async def download_members(
    service: JobService,
    jobs: Iterable[Job],
    *,
    progress: ProgressCallback | None = None,
    on_member: MemberCallback | None = None,
    on_file_start: FileStartCallback | None = None,
) -> tuple[list[Job], list[str]]:
    """The members with results, downloaded where needed; and notes on those left out."""
    ready: list[Job] = []
    notes: list[str] = []
    for job in jobs:
        if job.remote_id is None:
            continue  # never sent: it has no results and never will
        if not job.status.may_have_results:
            notes.append(f"job {job.id} is {job.status}: its results are not in yet")
            continue
        if not results_on_disk(job):
            if on_member is not None:
                on_member(job)
            await service.download(
                job,
                results_dir(service.config.settings, job, config_path=service.config.path),
                progress=progress,
                on_file_start=on_file_start,
            )
            job = await asyncio.to_thread(service.registry.get_job, job.id)
        ready.append(job)
    return ready, notes


def open_result_sets(jobs: Iterable[Job]) -> list[ResultSet]:
    from batchtui.core.resultfile import ResultSet

    return [ResultSet(local_result_paths(job), persist_index=True) for job in jobs]


# --- merged results -------------------------------------------------------------------------


@dataclass
class MergedResults:
    """One record per request across families; close it when done."""

    outcomes: Outcomes
    requests: RequestIndex | None  # the original input, when it is on disk
    sets: list[ResultSet]
    members: list[Job]
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        for result_set in self.sets:
            result_set.close()
        if self.requests is not None:
            self.requests.close()

    def __enter__(self) -> MergedResults:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def original_input(target: Job | JobGroup, families: list[Family]) -> Path | None:
    path = target.input_path if isinstance(target, JobGroup) else families[0].root.input_path
    return path if path is not None and path.is_file() else None


def merged_input_available(registry: Registry, target: Job | JobGroup) -> bool:
    """Whether the original input is on disk, so prompts can be joined."""
    return original_input(target, families_of(registry, target)) is not None


async def merged_results(
    service: JobService,
    target: Job | JobGroup,
    *,
    progress: ProgressCallback | None = None,
    on_member: MemberCallback | None = None,
    cancel: CancelCheck | None = None,
) -> MergedResults:
    """Every family member's results merged: one record per custom_id of the original input
    (in its order) when that file is still on disk, else per custom_id seen."""
    from batchtui.core.outcomes import merge_result_sets
    from batchtui.core.request_index import RequestIndex

    families = await asyncio.to_thread(families_of, service.registry, target)
    roots = [family.root for family in families]
    retries = sorted(
        (job for family in families for job in family.retries), key=lambda job: job.created_at
    )
    # Parents before their retries: a later attempt's success replaces an earlier failure.
    members, notes = await download_members(
        service, [*roots, *retries], progress=progress, on_member=on_member
    )
    input_path = original_input(target, families)
    if input_path is None:
        notes.append("the original input is not on disk: one record per custom_id found")
    sets = await asyncio.to_thread(open_result_sets, members)
    requests = None
    try:
        if input_path is not None:
            requests = await asyncio.to_thread(RequestIndex.build, input_path, None, cancel)
        outcomes = await asyncio.to_thread(merge_result_sets, sets, requests, cancel=cancel)
    except BaseException:
        for result_set in sets:
            result_set.close()
        raise
    if outcomes is None:
        raise BatchtuiError("cancelled")
    return MergedResults(outcomes, requests, sets, members, notes)


# --- retry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPlan:
    """What retrying a family would send; `report.path` is None when nothing failed."""

    family: Family
    report: RetryReport
    notes: list[str]

    @property
    def parent(self) -> Job:
        return self.family.root

    @property
    def child_name(self) -> str:
        return f"{self.parent.name} (retry {len(self.family.members)})"


def retry_input_path(root: Job, attempt: int) -> Path:
    from batchtui.core.paths import data_dir

    return data_dir() / "retries" / root.id / f"retry-{attempt}.jsonl"


async def plan_retry(
    service: JobService,
    job: Job,
    *,
    progress: ProgressCallback | None = None,
    on_member: MemberCallback | None = None,
) -> RetryPlan:
    """Download the family's results and write the input of what failed or never ran."""
    from batchtui.core.retry_input import build_retry_input
    from batchtui.core.service import fingerprint

    family = await asyncio.to_thread(family_of, service.registry, job)
    root = family.root
    for member in family.members:
        if member.status is JobStatus.SUBMITTING or not member.is_terminal:
            what = "job" if member is root else "its retry"
            raise BatchtuiError(
                f"{what} {member.id} is {member.status}: retry once it has ended "
                f"(wait with `batchtui watch {member.id}`)"
            )
    if root.input_path is None or not root.input_path.is_file():
        raise InputFileError(
            f"{root.input_path or '(no input recorded)'}: the input of job {root.id} is not "
            "on disk any more, and a retry copies its failed requests from it"
        )
    sha256, _size = await asyncio.to_thread(fingerprint, root.input_path)
    if root.input_sha256 and sha256 != root.input_sha256:
        raise InputFileError(
            f"{root.input_path}: changed since job {root.id} was submitted (sha256 differs): "
            "its requests cannot be matched to the results by custom_id any more"
        )
    members, notes = await download_members(
        service, family.members, progress=progress, on_member=on_member
    )
    sets = await asyncio.to_thread(open_result_sets, members)
    try:
        dest = retry_input_path(root, len(family.members))
        report = await asyncio.to_thread(build_retry_input, root.input_path, sets, dest)
    finally:
        for result_set in sets:
            result_set.close()
    assert report is not None  # not cancellable here
    return RetryPlan(family, report, notes)


async def submit_retry(
    service: JobService, plan: RetryPlan, *, progress: ProgressCallback | None = None
) -> Job:
    """Submit the plan's input as a child job of the family's first job."""
    parent = plan.parent
    if plan.report.path is None:
        raise BatchtuiError(f"job {parent.id}: every request succeeded, nothing to retry")
    return await service.submit(
        plan.report.path,
        parent.profile,
        name=plan.child_name,
        window=parent.completion_window or "24h",
        metadata={k: v for k, v in parent.metadata.items() if k != TAG_METADATA_KEY},
        progress=progress,
        parent_id=parent.id,
    )


async def plan_group_retry(
    service: JobService,
    group: JobGroup,
    *,
    progress: ProgressCallback | None = None,
    on_member: MemberCallback | None = None,
) -> list[RetryPlan]:
    """One plan per shard that was sent (those with nothing to retry have no input)."""
    families = await asyncio.to_thread(families_of, service.registry, group)
    return [
        await plan_retry(service, family.root, progress=progress, on_member=on_member)
        for family in families
    ]


# --- export ---------------------------------------------------------------------------------


async def export_results(
    service: JobService,
    target: Job | JobGroup,
    out: Path | BinaryIO,
    format: ExportFormat,
    *,
    join_input: bool = False,
    progress: ProgressCallback | None = None,
    on_member: MemberCallback | None = None,
) -> tuple[ExportSummary, list[str]]:
    """One row per request of the job (with its retries) or group, streamed to `out`."""
    from batchtui.core.export import export_records

    merged = await merged_results(service, target, progress=progress, on_member=on_member)
    with merged:
        if join_input and merged.requests is None:
            raise InputFileError(
                "--join-input: the original input is not on disk any more, so no prompts"
            )
        index = merged.requests if join_input else None
        summary = await asyncio.to_thread(
            export_records, merged.outcomes.records(), out, format, index
        )
    return summary, merged.notes
