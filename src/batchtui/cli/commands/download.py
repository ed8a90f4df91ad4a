"""`batchtui download JOB|GROUP [-o DIR]`: output and error files, default `./batchtui-<id>/`;
a group's shards each go in `DIR/shard-NN/`."""

from __future__ import annotations

import argparse
from pathlib import Path

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async
from batchtui.cli.output import batch_error_text
from batchtui.cli.progress import TransferProgress, human_bytes
from batchtui.cli.targets import find_job_or_group
from batchtui.core.errors import BatchtuiError
from batchtui.core.models import Job, JobGroup


async def _download(context: CommandContext, job: Job, dest_dir: Path) -> tuple[Job, list[Path]]:
    progress = TransferProgress("downloading")

    def on_file_start(kind: str, dest: Path) -> None:
        progress.clear()
        progress.label = f"downloading {dest.name}"

    async with context.service() as service:
        await reconcile_leftovers(service, job.profile)
        try:
            paths = await service.download(
                context.registry.get_job(job.id),
                dest_dir,
                progress=progress,
                on_file_start=on_file_start,
            )
        finally:
            progress.clear()
    return context.registry.get_job(job.id), paths


async def _download_group(context: CommandContext, group: JobGroup, dest_dir: Path) -> list[Path]:
    progress = TransferProgress("downloading")

    def on_file_start(kind: str, dest: Path) -> None:
        progress.clear()
        progress.label = f"downloading {dest.parent.name}/{dest.name}"

    async with context.service() as service:
        await reconcile_leftovers(service, group.profile)
        try:
            return await service.download_group(
                group, dest_dir, progress=progress, on_file_start=on_file_start
            )
        finally:
            progress.clear()


def _run_group(context: CommandContext, args: argparse.Namespace, group: JobGroup) -> int:
    dest_dir = Path(args.output_dir) if args.output_dir else Path(f"batchtui-{group.id}")
    paths = run_async(_download_group(context, group, dest_dir))
    if not paths:
        raise BatchtuiError(f"group {group.id} ended without any result file")
    for path in paths:
        print(f"{path}  {human_bytes(path.stat().st_size)}")
    return 0


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        target = find_job_or_group(context, args.job)
        if isinstance(target, JobGroup):
            return _run_group(context, args, target)
        job = target
        dest_dir = Path(args.output_dir) if args.output_dir else Path(f"batchtui-{job.id}")
        job, paths = run_async(_download(context, job, dest_dir))
    if not paths:
        reason = f": {batch_error_text(job.errors[0])}" if job.errors else ""
        raise BatchtuiError(f"job {job.id} {job.status} without any result file{reason}")
    for path in paths:
        print(f"{path}  {human_bytes(path.stat().st_size)}")
    if job.output_file_id is None and job.error_file_id:
        print(f"note: no request of {job.id} succeeded; every failure is in {paths[-1].name}")
    return 0
