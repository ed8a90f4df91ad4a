"""A job's folder on the cluster filesystem: where each of its files lives, and its record."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

JOBS_DIR = "batchtui-jobs"
# The SLURM job id → folder links, so a status refresh finds a folder without a scan.
IDS_DIR = "by-id"
INPUT_NAME = "input.jsonl"


@dataclass(frozen=True)
class JobFolder:
    path: Path

    @classmethod
    def new(cls, work_dir: Path) -> JobFolder:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = work_dir / JOBS_DIR / f"{stamp}-{secrets.token_hex(3)}"
        path.mkdir(parents=True)
        return cls(path)

    @property
    def input(self) -> Path:
        return self.path / INPUT_NAME

    @property
    def record_path(self) -> Path:
        return self.path / "batch.json"

    @property
    def script(self) -> Path:
        return self.path / "job.sbatch"

    @property
    def state_path(self) -> Path:
        return self.path / "state.json"

    @property
    def output(self) -> Path:
        return self.path / "output.jsonl"

    @property
    def errors(self) -> Path:
        return self.path / "errors.jsonl"

    def shard_dir(self, task: int) -> Path:
        return self.path / f"task-{task}"

    def run_inputs(self, task: int) -> list[Path]:
        return sorted(self.shard_dir(task).glob("in-*.jsonl"))

    def end_record_path(self, task: int) -> Path:
        return self.shard_dir(task) / "end"

    def log(self, task: int) -> Path:
        return self.path / "log" / f"task-{task}.log"

    def logs(self) -> list[Path]:
        return sorted((self.path / "log").glob("task-*.log"), key=_task_number)

    def read_record(self) -> dict[str, Any]:
        return _read_json(self.record_path)

    def write_record(self, record: dict[str, Any]) -> None:
        _write_json(self.record_path, record)

    def read_state(self) -> dict[str, Any]:
        return _read_json(self.state_path)

    def write_state(self, state: dict[str, Any]) -> None:
        _write_json(self.state_path, state)

    def end_record(self, task: int) -> tuple[int, datetime] | None:
        """(exit code, end time) the script wrote when its task ended, if it did."""
        try:
            code, stamp = self.end_record_path(task).read_text().split()[:2]
            return int(code), datetime.fromtimestamp(int(stamp), UTC)
        except (OSError, ValueError):
            return None


def started_job_id(folder: JobFolder) -> str | None:
    """The SLURM job id a task of the job wrote when it started, if one did."""
    for path in sorted(folder.path.glob("task-*/slurm-job-id")):
        try:
            job_id = path.read_text().strip()
        except OSError:
            continue
        if job_id.isdigit():
            return job_id
    return None


def run_output(run_input: Path) -> Path:
    """`in-0003.jsonl` → `out-0003.jsonl`: written whole, renamed into place when a run ends."""
    return run_input.with_name("out-" + run_input.name.removeprefix("in-"))


def run_partial(run_input: Path) -> Path:
    """Where vLLM writes a run's answers until the run has ended well."""
    return run_output(run_input).with_suffix(".part")


def link_id(work_dir: Path, job_id: str, folder: JobFolder) -> None:
    ids = work_dir / JOBS_DIR / IDS_DIR
    ids.mkdir(parents=True, exist_ok=True)
    link = ids / job_id
    temporary = ids / f".{job_id}.{secrets.token_hex(3)}"
    temporary.symlink_to(folder.path)
    os.replace(temporary, link)


def folder_of(work_dir: Path, job_id: str) -> JobFolder | None:
    link = work_dir / JOBS_DIR / IDS_DIR / job_id
    if link.is_dir():
        return JobFolder(link.resolve())
    for folder in all_folders(work_dir):  # a link lost to a crash between sbatch and link
        if str(folder.read_record().get("job_id")) == job_id:
            link_id(work_dir, job_id, folder)
            return folder
    return None


def all_folders(work_dir: Path) -> list[JobFolder]:
    """Every job folder under `work_dir`, newest first."""
    root = work_dir / JOBS_DIR
    if not root.is_dir():
        return []
    folders = [
        JobFolder(path)
        for path in root.iterdir()
        if path.name != IDS_DIR and (path / "batch.json").is_file()
    ]
    return sorted(folders, key=lambda folder: folder.path.name, reverse=True)


def _task_number(path: Path) -> int:
    digits = path.stem.removeprefix("task-")
    return int(digits) if digits.isdigit() else 0


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(3)}")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)
