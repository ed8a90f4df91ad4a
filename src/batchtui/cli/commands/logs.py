"""`batchtui logs JOB [--lines N] [--follow] [--json]`: a cluster job's sbatch script and the
tail of its log (stdout and stderr together), as kept in its job folder."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import print_json
from batchtui.core.errors import BatchtuiError
from batchtui.core.models import Job, JobGroup
from batchtui.core.terminal_text import inert

FOLLOW_SECONDS = 2.0


def _folder(job: Job) -> Path:
    from batchtui.core.providers.slurm.logs import job_folder_of

    folder = job_folder_of(job.metadata)
    if folder is None:
        raise BatchtuiError(
            f"job {job.id} ({job.kind}) keeps no logs here: only slurm jobs have a job folder"
        )
    return folder


def _logs(folder: Path) -> list[Path]:
    from batchtui.core.providers.slurm.folder import JobFolder

    return JobFolder(folder).logs()


async def _refreshed(context: CommandContext, job: Job) -> Job:
    async with context.service() as service:
        return await service.refresh(job)


def run(args: argparse.Namespace) -> int:
    from batchtui.cli.targets import find_job_or_group
    from batchtui.core.providers.slurm.folder import JobFolder
    from batchtui.core.providers.slurm.logs import tail_lines

    with CommandContext(args) as context:
        target = find_job_or_group(context, args.job)
        if isinstance(target, JobGroup):
            raise BatchtuiError(f"{target.id} is a job group: ask for the logs of one shard")
        job = target
        folder = _folder(job)
        script = JobFolder(folder).script
        if args.json:
            print_json(
                {
                    "job": job.id,
                    "remote_id": job.remote_id,
                    "folder": str(folder),
                    "script": str(script),
                    "logs": [
                        {"path": str(path), "tail": tail_lines(path, args.lines)}
                        for path in _logs(folder)
                    ],
                }
            )
            return 0
        print(f"sbatch script: {inert(str(script), single_line=True)}")
        logs = _logs(folder)
        if not logs:
            print("no log yet (the job has not started)")
        for path in logs:
            print(f"==> {inert(str(path), single_line=True)} <==")
            for line in tail_lines(path, args.lines):
                print(inert(line, single_line=True))
        if args.follow:
            _follow(context, job, folder)
    return 0


def _follow(context: CommandContext, job: Job, folder: Path) -> None:
    """Print what the logs gain until the job ends (then once more, for its last lines)."""
    sizes = {path: path.stat().st_size for path in _logs(folder)}
    while True:
        ended = job.is_terminal
        for path in _logs(folder):
            start = sizes.get(path, 0)
            size = path.stat().st_size
            if size > start:
                with path.open("rb") as handle:
                    handle.seek(start)
                    text = handle.read(size - start).decode("utf-8", errors="replace")
                for line in text.replace("\r", "\n").splitlines():
                    if line.strip():
                        print(inert(line, single_line=True), flush=True)
                sizes[path] = size
        if ended:
            return
        time.sleep(FOLLOW_SECONDS)
        job = run_async(_refreshed(context, job))
