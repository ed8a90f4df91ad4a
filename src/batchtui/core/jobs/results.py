"""A job's results: downloaded whole and checked into a folder, or read record by record
from the downloaded files (streamed from the provider when not downloaded)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.errors import BatchtuiError, InputFileError, ProviderError, RegistryError
from batchtui.core.jobs.context import JobContext
from batchtui.core.jobs.hooks import NO_HOOKS
from batchtui.core.jobs.refresh import refresh
from batchtui.core.localresults import (
    RESULT_FILE_NAMES,
    local_path,
    result_file_ids,
    results_on_disk,
)
from batchtui.core.models import Job, ResultRecord
from batchtui.core.providers.base import ProgressCallback
from batchtui.core.status import JobStatus

if TYPE_CHECKING:
    from batchtui.core.downloads import DownloadReport
    from batchtui.core.remote_output import RemoteOutput

# Called with (kind, destination) before each result file is downloaded.
FileStartCallback = Callable[[str, Path], None]


async def download(
    ctx: JobContext,
    job: Job,
    dest_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    on_file_start: FileStartCallback | None = None,
) -> list[Path]:
    """Output and error files into `dest_dir` (see `download_report`); their paths.

    An empty list means the batch ended without any result file (e.g. it failed
    validation); `job.errors` says why.
    """
    report = await download_report(
        ctx, job, dest_dir, progress=progress, on_file_start=on_file_start
    )
    return report.paths


async def download_report(
    ctx: JobContext,
    job: Job,
    dest_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    on_file_start: FileStartCallback | None = None,
) -> DownloadReport:
    """The files `provider.result_files` names, each fetched whole and checked (its size
    against the provider's file object, a `.sha256` beside it, a `.part` resumed), then
    the job's request counts against the lines; records the paths on the job.
    """
    from batchtui.core.downloads import (
        DownloadReport,
        NotRecordedError,
        counts_warning,
        fetch_file,
        whole_on_disk,
    )

    job = await refreshed_with_results(ctx, job)
    provider = await ctx.provider(job.profile)
    assert job.remote_id is not None  # may_have_results: the batch was created
    try:
        batch = await provider.retrieve(job.remote_id)
    except ProviderError as error:
        await ctx.in_thread(ctx.registry.update_job, job.id, last_error=f"download: {error}")
        raise
    job, _changed = await ctx.in_thread(ctx.registry.apply_remote, job.id, batch)
    report = DownloadReport()
    written: dict[str, Path] = {}
    for result_file in provider.result_files(batch):
        kind = result_file.kind
        dest = dest_dir / RESULT_FILE_NAMES[kind]
        recorded = local_path(job, kind)
        known = recorded is not None and recorded.resolve() == dest.resolve() and dest.is_file()
        # Not recorded (the registry could not be written last time): the disk tells.
        if known or (recorded is None and await whole_on_disk(provider, result_file.file_id, dest)):
            written[kind] = dest  # whole files are only ever renamed into place
            report.kept.append(dest)
            continue
        if on_file_start is not None:
            on_file_start(kind, dest)
        fetched = await fetch_file(
            provider, kind, result_file.file_id, dest, progress=_watched(ctx, progress)
        )
        written[kind] = fetched.path
        report.files.append(fetched)
    report.paths = list(written.values())
    if written:
        try:
            job = await ctx.in_thread(
                ctx.registry.update_job,
                job.id,
                output_path=_absolute(written.get("output")) or job.output_path,
                error_path=_absolute(written.get("error")) or job.error_path,
            )
        except RegistryError as error:
            raise NotRecordedError(report.paths, dest_dir, error) from error
    if job.status is JobStatus.COMPLETED and report.files and not report.kept:
        warning = counts_warning(job.id, job.request_counts.total, report.files)
        if warning:
            report.warnings.append(warning)
    return report


async def refreshed_with_results(ctx: JobContext, job: Job) -> Job:
    """The job refreshed, refused unless its batch has reached a state with results."""
    job = await refresh(ctx, job)
    if not job.status.may_have_results:
        raise BatchtuiError(
            f"job {job.id} is {job.status}: no results yet (wait with `batchtui watch {job.id}`)"
        )
    return job


async def iter_results(
    ctx: JobContext, job: Job, *, errors_only: bool = False
) -> AsyncIterator[ResultRecord]:
    """Records from the downloaded files, or streamed from the provider when not downloaded.

    The output file comes first, then the error file; with `errors_only` the error
    file comes first and successful records are skipped.
    """
    from batchtui.core.formats.results import parse_result_line

    if not results_on_disk(job):
        job = await refreshed_with_results(ctx, job)
    sources = result_file_ids(job)
    if errors_only:
        sources.sort(key=lambda source: source[0] != "error")
    for kind, file_id in sources:
        local = local_path(job, kind)
        if local is not None and local.is_file():
            lines: AsyncIterator[bytes] = _local_lines(local)
        else:
            provider = await ctx.provider(job.profile)
            lines = provider.iter_lines(file_id)
        async for line in lines:
            if not line.strip():
                continue
            record = parse_result_line(line)
            if errors_only and record.ok:
                continue
            yield record


async def remote_output(ctx: JobContext, job: Job, kind: str = "output") -> RemoteOutput:
    """The job's `kind` result file, read in parts where it lies (no download).

    Raises `RangeNotHonoured` where the provider cannot read a part of it (inline answers,
    a folder of shards): callers stream from the start instead and say so.
    """
    from batchtui.core.remote_output import RangeNotHonoured, RemoteOutput

    job = await refreshed_with_results(ctx, job)
    file_id = dict(result_file_ids(job)).get(kind)
    if file_id is None:
        raise BatchtuiError(f"job {job.id} has no {kind} file")
    provider = await ctx.provider(job.profile)
    source = await provider.byte_source(file_id)
    if source is None:
        raise RangeNotHonoured(
            f"profile {job.profile!r}: this provider's {kind} cannot be read in parts "
            "(inline answers, shards of unknown size): streaming from the start instead"
        )
    return RemoteOutput(source, key=f"{job.profile}:{file_id}")


def _watched(ctx: JobContext, progress: ProgressCallback | None) -> ProgressCallback | None:
    """`progress`, also telling the hooks (when a test gave some) how far a download got."""
    if ctx.hooks is NO_HOOKS:
        return progress
    hooks = ctx.hooks

    def on_progress(done: int, total: int | None) -> None:
        if progress is not None:
            progress(done, total)
        hooks.downloading(done, total)

    return on_progress


async def _local_lines(path: Path) -> AsyncIterator[bytes]:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror or error}") from None
    with handle:
        for line in handle:
            yield line.rstrip(b"\r\n")


def _absolute(path: Path | None) -> Path | None:
    return path.resolve() if path is not None else None
