"""`batchtui download JOB|GROUP [-o DIR]`: output and error files, checked, each with a
`.sha256` beside it; default `<download_dir>/batchtui-<id>/` (`download_dir` in
[settings], else the current directory); a group's shards each go in `DIR/shard-NN/`.
An interrupted download leaves `DIR/.incoming/NAME.part`, which the next run resumes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import batch_error_text, print_json
from batchtui.cli.progress import TransferProgress
from batchtui.cli.targets import find_job_or_group
from batchtui.core.errors import BatchtuiError
from batchtui.core.models import Job, JobGroup
from batchtui.core.units import format_bytes

if TYPE_CHECKING:
    from batchtui.core.downloads import DownloadReport


def target_dir(context: CommandContext, args: argparse.Namespace, target: Job | JobGroup) -> Path:
    """`-o DIR`, else the target's own folder (a shard's is under its group's)."""
    from batchtui.core.downloads import job_download_dir, make_download_dir, results_dir

    if args.output_dir:
        return make_download_dir(Path(args.output_dir).expanduser())
    config = context.config
    if isinstance(target, Job):
        return results_dir(config.settings, target, config_path=config.path)
    return job_download_dir(config.settings, target.id, config_path=config.path)


def file_starter(
    progress: TransferProgress, *, with_folder: bool = False
) -> Callable[[str, Path], None]:
    from batchtui.core.downloads import part_path

    def on_file_start(kind: str, dest: Path) -> None:
        progress.clear()
        name = f"{dest.parent.name}/{dest.name}" if with_folder else dest.name
        part = part_path(dest)
        resumed = part.stat().st_size if part.is_file() else 0
        progress.label = f"downloading {name}"
        if resumed:
            progress.label = f"resuming {name} from {format_bytes(resumed)}"

    return on_file_start


async def _download(
    context: CommandContext, job: Job, dest_dir: Path
) -> tuple[Job, DownloadReport]:
    progress = TransferProgress("downloading")
    async with context.service() as service:
        await reconcile_leftovers(service, job.profile)
        try:
            report = await service.download_report(
                context.registry.get_job(job.id),
                dest_dir,
                progress=progress,
                on_file_start=file_starter(progress),
            )
        finally:
            progress.clear()
    if report.files:  # read in full just now: count them where the provider did not
        from batchtui.core.result_counts import keep_counts_of_files

        keep_counts_of_files(context.registry, job.id, report.paths)
    return context.registry.get_job(job.id), report


async def _download_group(context: CommandContext, group: JobGroup, dest_dir: Path) -> list[Path]:
    progress = TransferProgress("downloading")
    async with context.service() as service:
        await reconcile_leftovers(service, group.profile)
        try:
            return await service.download_group(
                group, dest_dir, progress=progress, on_file_start=file_starter(progress)
            )
        finally:
            progress.clear()


def _run_group(context: CommandContext, args: argparse.Namespace, group: JobGroup) -> int:
    dest_dir = target_dir(context, args, group)
    paths = run_async(_download_group(context, group, dest_dir))
    if not paths:
        raise BatchtuiError(f"group {group.id} ended without any result file")
    if args.json:
        print_json(
            {
                "group": group.id,
                "files": [{"path": str(path), "bytes": path.stat().st_size} for path in paths],
            }
        )
        return 0
    for path in paths:
        print(f"{path}  {format_bytes(path.stat().st_size)}")
    return 0


def report_lines(report: DownloadReport) -> list[str]:
    """`PATH  SIZE  sha256 HEX[  (resumed at N)]` for each file, in the job's order."""
    fetched = {item.path: item for item in report.files}
    lines = []
    for path in report.paths:
        item = fetched.get(path)
        if item is None:
            lines.append(f"{path}  {format_bytes(path.stat().st_size)}  (already downloaded)")
            continue
        resumed = f"  (resumed at {format_bytes(item.resumed_from)})" if item.resumed_from else ""
        lines.append(f"{path}  {format_bytes(item.size)}  sha256 {item.sha256}{resumed}")
    return lines


def report_json(job_id: str, report: DownloadReport) -> dict[str, object]:
    """`download --json`: every file of the job on disk, with what this run fetched."""
    fetched = {item.path: item for item in report.files}
    files = []
    for path in report.paths:
        item = fetched.get(path)
        files.append(
            {
                "path": str(path),
                "bytes": path.stat().st_size,
                "sha256": item.sha256 if item else None,
                "fetched": item is not None,
                "resumed_from": item.resumed_from if item else 0,
            }
        )
    return {"job": job_id, "files": files, "warnings": list(report.warnings)}


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        target = find_job_or_group(context, args.job)
        if isinstance(target, JobGroup):
            return _run_group(context, args, target)
        job = target
        dest_dir = target_dir(context, args, job)
        job, report = run_async(_download(context, job, dest_dir))
    if not report.paths:
        reason = f": {batch_error_text(job.errors[0])}" if job.errors else ""
        raise BatchtuiError(f"job {job.id} {job.status} without any result file{reason}")
    if args.json:
        print_json(report_json(job.id, report))
        for warning in report.warnings:
            warn(warning)
        return 0
    for line in report_lines(report):
        print(line)
    for warning in report.warnings:
        warn(warning)
    if job.output_file_id is None and job.error_file_id:
        last = report.paths[-1].name
        print(f"note: no request of {job.id} succeeded; every failure is in {last}")
    return 0
