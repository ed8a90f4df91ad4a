"""Parsing what squeue, scontrol and sacct print, from their delimited formats (not --json).

Each parser takes the command's text and returns `TaskState`s, one per job or array task;
lines it cannot read are skipped, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# `squeue -h -r -o SQUEUE_FORMAT`: base job id, array index (N/A for a plain job), state,
# reason, submit time. The comment goes last: it is free text and may hold the separator.
SQUEUE_FORMAT = "%F|%K|%T|%r|%V|%S|%k"
# `sacct -P -n -X --format=SACCT_FIELDS` (-X: the allocation, not its steps).
SACCT_FIELDS = "JobID,State,ExitCode,Reason,Submit,Start,End"

_ARRAY_ID = re.compile(r"^(\d+)(?:_(\d+))?$")
_SCONTROL_KEY = re.compile(r"^([A-Za-z][\w:/]*)=(.*)$")


@dataclass(frozen=True)
class TaskState:
    """One SLURM job, or one task of an array job (`task` is its index)."""

    job_id: str
    task: int | None
    state: str
    reason: str | None = None
    exit_code: int | None = None
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    comment: str | None = None
    source: str = "squeue"


def parse_time(value: str | None) -> datetime | None:
    """SLURM's local `2026-12-06T00:28:11` (or `Unknown`, `N/A`, `None`) as UTC-aware."""
    if not value or not value[:1].isdigit():
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


def _reason(value: str | None) -> str | None:
    return None if value in (None, "", "None", "(null)") else value


def _task(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def parse_squeue(text: str) -> list[TaskState]:
    tasks = []
    for line in text.splitlines():
        parts = line.split("|", 6)
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        tasks.append(
            TaskState(
                job_id=parts[0],
                task=_task(parts[1]),
                state=parts[2],
                reason=_reason(parts[3]),
                submitted_at=parse_time(parts[4]) if len(parts) > 4 else None,
                started_at=parse_time(parts[5]) if len(parts) > 5 else None,
                comment=_reason(parts[6]) if len(parts) > 6 else None,
            )
        )
    return tasks


def _exit_code(value: str | None) -> int | None:
    """`0:0` (exit code : signal) → the exit code, or 128+signal when a signal ended it."""
    if not value or ":" not in value:
        return None
    code, _, signal = value.partition(":")
    if not code.isdigit() or not signal.isdigit():
        return None
    return 128 + int(signal) if int(signal) else int(code)


def scontrol_records(text: str) -> list[dict[str, str]]:
    """`scontrol show job` blocks as dicts (values may hold spaces: they run to the next key)."""
    records: list[dict[str, str]] = []
    for block in re.split(r"\n\s*\n", text):
        record: dict[str, str] = {}
        last: str | None = None
        for token in block.split():
            match = _SCONTROL_KEY.match(token)
            if match:
                last = match.group(1)
                record[last] = match.group(2)
            elif last is not None:
                record[last] += " " + token
        if "JobId" in record:
            records.append(record)
    return records


def parse_scontrol(text: str) -> list[TaskState]:
    tasks = []
    for record in scontrol_records(text):
        job_id = record.get("ArrayJobId") or record["JobId"]
        tasks.append(
            TaskState(
                job_id=job_id,
                task=_task(record.get("ArrayTaskId", "")),
                state=record.get("JobState", "UNKNOWN"),
                reason=_reason(record.get("Reason")),
                exit_code=_exit_code(record.get("ExitCode")),
                submitted_at=parse_time(record.get("SubmitTime")),
                started_at=parse_time(record.get("StartTime")),
                ended_at=parse_time(record.get("EndTime")),
                comment=_reason(record.get("Comment")),
                source="scontrol",
            )
        )
    return tasks


def parse_sacct(text: str) -> list[TaskState]:
    tasks = []
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) < 7:
            continue
        match = _ARRAY_ID.match(parts[0])
        if not match:  # steps (`123.batch`) and pending array ranges (`123_[1-3]`)
            continue
        tasks.append(
            TaskState(
                job_id=match.group(1),
                task=int(match.group(2)) if match.group(2) else None,
                state=parts[1],
                reason=_reason(parts[3]),
                exit_code=_exit_code(parts[2]),
                submitted_at=parse_time(parts[4]),
                started_at=parse_time(parts[5]),
                ended_at=parse_time(parts[6]),
                source="sacct",
            )
        )
    return tasks
