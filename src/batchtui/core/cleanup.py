"""`clean`: delete what a finished job left behind, remote and local, and say what happened
to each file. Running it again finishes a clean that was interrupted: a file already gone
counts as gone."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from batchtui.core.errors import BatchtuiError
from batchtui.core.models import Job
from batchtui.core.paths import data_dir
from batchtui.core.providers.base import BatchProvider, CannotDelete


@dataclass(frozen=True)
class FileOutcome:
    what: str  # "input", "output", "error", "local"
    name: str  # a provider file id or a local path
    outcome: str  # "deleted", "already gone", "kept: <why>"


@dataclass
class CleanReport:
    job_id: str
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(item.outcome.startswith("failed") for item in self.files)


def local_leftovers(job: Job) -> list[Path]:
    """Files batchtui made for the job: its retry inputs, its group's shard inputs."""
    found = [data_dir() / "retries" / job.id]
    if job.group_id is not None and job.input_path is not None:
        shard_dir = data_dir() / "shards" / job.group_id
        if job.input_path.parent == shard_dir:
            found.append(job.input_path)
    return [path for path in found if path.exists()]


async def clean_job(provider: BatchProvider, job: Job) -> CleanReport:
    """Delete the job's remote input, output and error files, then its local leftovers.

    Never the user's own input file, never the downloaded results.
    """
    if not job.is_terminal:
        raise BatchtuiError(f"job {job.id} is still {job.status}: cancel it or wait for its end")
    report = CleanReport(job.id)
    remote = (
        ("input", job.input_file_id),
        ("output", job.output_file_id),
        ("error", job.error_file_id),
    )
    for what, file_id in remote:
        if not file_id:
            continue
        try:
            deleted = await provider.delete_file(file_id)
            outcome = "deleted" if deleted else "already gone"
        except CannotDelete as refused:
            outcome = f"kept: {refused.message}"
        except BatchtuiError as error:
            outcome = f"failed: {error.message}"
        report.files.append(FileOutcome(what, file_id, outcome))
    for path in local_leftovers(job):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        report.files.append(FileOutcome("local", str(path), "deleted"))
    return report
