"""The `slurm` provider: `vllm run-batch` in SLURM jobs, files in job folders on the cluster.

"Upload" copies the input into a new job folder under the profile's work dir; "create"
splits it into shards (one SLURM array task each, when `max_lines_per_job` is set) and runs,
writes the sbatch script there and submits it with `sbatch --parsable`. Status comes from one
`squeue` for every job of the profile, then `sacct` (when accounting answers) or `scontrol`
for jobs that have left the queue, then the end record the script writes itself.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from batchtui.core.errors import (
    AmbiguousSubmitError,
    InputFileError,
    NotFoundError,
    ProviderError,
    ProviderUnreachable,
)
from batchtui.core.models import BatchError, BatchSpec, RemoteBatch, RemoteFile, RequestCounts
from batchtui.core.providers.base import TAG_METADATA_KEY, BatchProvider, ProgressCallback
from batchtui.core.providers.slurm import commands, logs, results, script
from batchtui.core.providers.slurm.folder import (
    JobFolder,
    all_folders,
    folder_of,
    link_id,
    started_job_id,
)
from batchtui.core.providers.slurm.queue import (
    SACCT_FIELDS,
    SQUEUE_FORMAT,
    TaskState,
    parse_sacct,
    parse_scontrol,
    parse_squeue,
)
from batchtui.core.providers.slurm.settings import SlurmSettings
from batchtui.core.providers.slurm.shards import write_runs
from batchtui.core.providers.slurm.states import base_state, combine, map_state
from batchtui.core.status import JobStatus

# One squeue answer serves every retrieve of a refresh round (the TUI asks for each job).
SNAPSHOT_SECONDS = 2.0
ENDED_WITHOUT_RECORD = "ENDED_WITHOUT_RECORD"
# How long after a job's end its answers may take to show on the login node's filesystem.
FILES_GRACE = timedelta(seconds=30)
COPY_CHUNK = 8 * 1024 * 1024
_END_FIELDS = {
    JobStatus.COMPLETED: "completed_at",
    JobStatus.FAILED: "failed_at",
    JobStatus.EXPIRED: "expired_at",
    JobStatus.CANCELLED: "cancelled_at",
}


class SlurmProvider(BatchProvider):
    kind: ClassVar[str] = "slurm"

    def __init__(self, *, label: str, settings: SlurmSettings) -> None:
        self.label = label
        self.settings = settings
        self._queue: dict[str, dict[int | None, TaskState]] = {}
        self._queue_at = -1e9
        self._queue_lock = asyncio.Lock()
        self._accounting: bool | None = None

    @classmethod
    def from_profile(cls, profile: Any, *, debug: bool = False) -> SlurmProvider:
        return cls(
            label=f"slurm profile {profile.name!r}",
            settings=SlurmSettings.from_profile(profile),
        )

    @property
    def work_dir(self) -> Path:
        return self.settings.work_dir

    # --- files -----------------------------------------------------------------------

    async def upload(self, path: Path, *, progress: ProgressCallback | None = None) -> RemoteFile:
        folder = await asyncio.to_thread(self._new_folder)
        size = await _copy(path, folder.input, progress)
        return RemoteFile(
            id=str(folder.input),
            bytes=size,
            filename=path.name,
            purpose="batch",
            created_at=datetime.now(UTC),
        )

    def _new_folder(self) -> JobFolder:
        try:
            return JobFolder.new(self.work_dir)
        except OSError as exc:
            raise ProviderError(
                f"{self.label}: cannot create a job folder in work_dir {self.work_dir}: "
                f"{exc.strerror or exc}",
                provider=self.label,
                call="upload",
            ) from None

    async def file_info(self, file_id: str) -> RemoteFile | None:
        path = self._file(file_id)
        return RemoteFile(id=file_id, bytes=path.stat().st_size, filename=path.name)

    async def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:  # type: ignore[override]
        path = self._file(file_id)
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while True:
                chunk = await asyncio.to_thread(handle.readlines, COPY_CHUNK)
                if not chunk:
                    return
                for line in chunk:
                    yield line.rstrip(b"\r\n")
        finally:
            handle.close()

    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        source = self._file(file_id)
        part = dest.with_name(dest.name + ".part")
        await _copy(source, part, progress)
        os.replace(part, dest)
        return dest

    def _file(self, file_id: str) -> Path:
        path = Path(file_id)
        if not path.is_absolute() or not path.is_file():
            raise NotFoundError(
                f"{self.label}: file {file_id} does not exist (was the job folder removed?)",
                provider=self.label,
                call="read file",
            )
        return path

    # --- submit ----------------------------------------------------------------------

    async def create(self, spec: BatchSpec) -> RemoteBatch:
        folder = JobFolder(Path(spec.input_file_id).parent)
        if not folder.input.is_file():
            raise ProviderError(
                f"{self.label}: input {spec.input_file_id} is not in a job folder",
                provider=self.label,
                call="create",
            )
        tag = spec.metadata.get(TAG_METADATA_KEY, "")
        shard_lines = await asyncio.to_thread(
            write_runs,
            folder,
            max_lines_per_job=self.settings.max_lines_per_job,
            lines_per_run=self.settings.lines_per_run,
        )
        tasks = max(1, len(shard_lines))
        text = script.render(self.settings, folder, name=spec.name, tag=tag, tasks=tasks)
        record = {
            "tag": tag,
            "name": spec.name,
            "endpoint": spec.endpoint,
            "model": spec.model or self.settings.served_model_name or self.settings.model,
            "metadata": spec.metadata,
            "shard_lines": shard_lines,
            "input_lines": sum(shard_lines),
            "created_at": int(time.time()),
            "job_id": None,
        }
        await asyncio.to_thread(_prepare_folder, folder, text, record)
        try:
            out = await commands.checked(
                "sbatch", "--parsable", str(folder.script), label=self.label
            )
        except ProviderUnreachable as exc:
            # sbatch may have reached the controller: the tag (its comment) settles it.
            raise AmbiguousSubmitError(str(exc), provider=self.label, call="sbatch") from None
        job_id = out.strip().split(";")[0]
        if not job_id.isdigit():
            raise AmbiguousSubmitError(
                f"{self.label}: sbatch answered {out.strip()[:100]!r}, not a job id",
                provider=self.label,
                call="sbatch",
            )
        await asyncio.to_thread(self._adopt, folder, job_id)
        self._queue_at = -1e9
        return await self.retrieve(job_id)

    def _adopt(self, folder: JobFolder, job_id: str) -> None:
        record = folder.read_record()
        record["job_id"] = job_id
        folder.write_record(record)
        link_id(self.work_dir, job_id, folder)

    async def find_by_tag(
        self, tag: str, *, input_file_id: str | None = None, scan_limit: int = 500
    ) -> RemoteBatch | None:
        """The job whose folder records `tag`, or whose SLURM comment carries it (a crash
        between sbatch and writing its id into the folder)."""
        folders = await asyncio.to_thread(all_folders, self.work_dir)
        for folder in folders[:scan_limit]:
            record = folder.read_record()
            if record.get("tag") != tag:
                continue
            if record.get("job_id"):
                return await self.retrieve(str(record["job_id"]))
            queue = await self._squeue(force=True)
            for job_id, tasks in queue.items():
                if any(t.comment == f"{script.COMMENT_PREFIX}{tag}" for t in tasks.values()):
                    await asyncio.to_thread(self._adopt, folder, job_id)
                    return await self.retrieve(job_id)
            started = await asyncio.to_thread(started_job_id, folder)
            if started is not None:  # it ran, and has left the queue since
                await asyncio.to_thread(self._adopt, folder, started)
                return await self.retrieve(started)
            return None
        return None

    # --- status ----------------------------------------------------------------------

    async def retrieve(self, batch_id: str) -> RemoteBatch:
        return (await self.refresh_many([batch_id]))[batch_id]

    async def refresh_many(
        self,
        batch_ids: Iterable[str],
        *,
        since: datetime | None = None,
        expected: int | None = None,
    ) -> dict[str, RemoteBatch]:
        """Every job's state from one squeue; the ones that left it from sacct or scontrol
        (`since` and `expected` weigh a list against GETs: one squeue beats both)."""
        ids = list(dict.fromkeys(batch_ids))
        folders: dict[str, JobFolder] = {}
        for batch_id in ids:
            folder = await asyncio.to_thread(folder_of, self.work_dir, batch_id)
            if folder is None:
                raise NotFoundError(
                    f"{self.label}: no job folder for SLURM job {batch_id} under {self.work_dir}",
                    provider=self.label,
                    call="retrieve",
                )
            folders[batch_id] = folder
        final = {i: f.read_state() for i, f in folders.items()}
        live_ids = [i for i in ids if not final[i].get("batch")]
        queue = await self._squeue() if live_ids else {}
        gone = [i for i in live_ids if i not in queue]
        ended = await self._ended(gone) if gone else {}
        batches = {}
        for batch_id in ids:
            if final[batch_id].get("batch"):
                batches[batch_id] = RemoteBatch.model_validate(final[batch_id]["batch"])
                continue
            tasks = {**ended.get(batch_id, {}), **queue.get(batch_id, {})}
            batches[batch_id] = await asyncio.to_thread(
                self._describe, batch_id, folders[batch_id], tasks
            )
        return batches

    async def _squeue(self, *, force: bool = False) -> dict[str, dict[int | None, TaskState]]:
        async with self._queue_lock:
            if force or time.monotonic() - self._queue_at > SNAPSHOT_SECONDS:
                out = await commands.checked(
                    "squeue", "-h", "-r", "-a", "--me", "-o", SQUEUE_FORMAT, label=self.label
                )
                self._queue = _by_job(parse_squeue(out))
                self._queue_at = time.monotonic()
            return self._queue

    async def _ended(self, job_ids: list[str]) -> dict[str, dict[int | None, TaskState]]:
        """How jobs that left squeue ended, per sacct (one call) or else scontrol (each)."""
        if self._accounting is not False:
            result = await commands.run_command(
                "sacct", "-P", "-n", "-X", f"--format={SACCT_FIELDS}",
                "-j", ",".join(job_ids), label=self.label,
            )  # fmt: skip
            self._accounting = result.returncode == 0
            if self._accounting:
                return _by_job(parse_sacct(result.stdout))
        found: dict[str, dict[int | None, TaskState]] = {}
        for job_id in job_ids:
            result = await commands.run_command("scontrol", "show", "job", job_id, label=self.label)
            if result.returncode == 0:
                found.update(_by_job(parse_scontrol(result.stdout)))
        return found

    def _describe(
        self, job_id: str, folder: JobFolder, tasks: dict[int | None, TaskState]
    ) -> RemoteBatch:
        record = folder.read_record()
        shard_lines: list[int] = record.get("shard_lines") or [0]
        count = len(shard_lines)
        states: list[JobStatus] = []
        raws: list[str] = []
        errors: list[BatchError] = []
        started: list[datetime] = []
        ended: list[datetime] = []
        for task in range(count):
            state = tasks.get(task if count > 1 else None) or tasks.get(task)
            status, raw, error, end = self._task_status(job_id, folder, task, state, count)
            states.append(status)
            raws.append(raw)
            if error:
                errors.append(error)
            if state and state.started_at:
                started.append(state.started_at)
            if end:
                ended.append(end)
        status = combine(states)
        raw_status = raws[0] if count == 1 else _array_raw(raws)
        answers = results.count_answers(folder, count)
        total = int(record.get("input_lines") or 0)
        terminal = status.is_terminal
        completed = answers.ok
        if not terminal:
            completed += sum(
                logs.current_run_progress(logs.read_tail(folder.log(task)))
                for task, task_status in enumerate(states)
                if task_status is JobStatus.IN_PROGRESS
            )
        if terminal and answers.engine_died:
            status = JobStatus.FAILED
            cause = self._engine_cause(folder, count)
            errors = [BatchError(code="engine_failed", message=f"vLLM's engine failed: {cause}")]
        elif status is JobStatus.COMPLETED and answers.answered < total:
            if ended and datetime.now(UTC) - max(ended) < FILES_GRACE:
                # A shared filesystem may show a node's last writes here a little later.
                status, raw_status = JobStatus.FINALIZING, "COMPLETED (answers not seen yet)"
            else:
                # vLLM answers every line, errors included: fewer answers mean it did not
                # run them (a setup line that ended the script, a run never started).
                status = JobStatus.FAILED
                message = (
                    f"SLURM job {job_id} completed but answered {answers.answered} of {total} "
                    f"requests (see `batchtui logs`)"
                )
                errors = [BatchError(code="unanswered", message=message)]
        terminal = status.is_terminal
        output_id = error_id = None
        if terminal:
            answers = results.write_result_files(folder, count)
            output_id = str(folder.output) if answers.ok else None
            error_id = str(folder.errors) if answers.failed else None
            completed = answers.ok
        timestamps: dict[str, datetime | None] = {
            "created_at": datetime.fromtimestamp(int(record.get("created_at") or 0), UTC)
        }
        if started:
            timestamps["in_progress_at"] = min(started)
        if terminal and status in _END_FIELDS:
            timestamps[_END_FIELDS[status]] = max(ended) if ended else datetime.now(UTC)
        batch = RemoteBatch(
            id=job_id,
            status=status,
            raw_status=raw_status,
            endpoint=record.get("endpoint"),
            model=record.get("model"),
            input_file_id=str(folder.input),
            output_file_id=output_id,
            error_file_id=error_id,
            request_counts=RequestCounts(
                total=total,
                completed=min(completed, total) if total else completed,
                failed=answers.failed,
            ),
            timestamps=timestamps,
            errors=errors,
            metadata={
                **{k: str(v) for k, v in (record.get("metadata") or {}).items()},
                "slurm_job_id": job_id,
                "slurm_job_folder": str(folder.path),
            },
            raw={
                "job_id": job_id,
                "folder": str(folder.path),
                "script": str(folder.script),
                "logs": [str(path) for path in folder.logs()],
                "tasks": raws,
            },
        )
        if terminal:
            folder.write_state({"batch": batch.model_dump(mode="json")})
        return batch

    def _task_status(
        self, job_id: str, folder: JobFolder, task: int, state: TaskState | None, count: int
    ) -> tuple[JobStatus, str, BatchError | None, datetime | None]:
        """One task's status, raw status, error and end time."""
        label = f"SLURM job {job_id}" + (f"_{task}" if count > 1 else "")
        end = folder.end_record(task)
        if state is not None:
            raw = base_state(state.state)
            status = map_state(state.state)
            shown = f"{raw} ({state.reason})" if state.reason and not status.is_terminal else raw
            error = None
            if status in (JobStatus.FAILED, JobStatus.EXPIRED):
                code = state.exit_code if state.exit_code is not None else (end or (None,))[0]
                cause = logs.last_error_line(logs.read_tail(folder.log(task)))
                error = BatchError(
                    code=raw.lower(),
                    message=f"{label} ended {raw}"
                    + (f" (exit code {code})" if code is not None else "")
                    + (f": {cause}" if cause and status is JobStatus.FAILED else ""),
                )
            return status, shown, error, state.ended_at or (end[1] if end else None)
        if end is not None:
            code, ended_at = end
            if code == 0:
                return JobStatus.COMPLETED, "COMPLETED", None, ended_at
            cause = logs.last_error_line(logs.read_tail(folder.log(task)))
            message = f"{label} exited with code {code}" + (f": {cause}" if cause else "")
            return JobStatus.FAILED, "FAILED", BatchError(code="failed", message=message), ended_at
        message = (
            f"{label} ended without a record: it left the queue, SLURM no longer knows it "
            "(no accounting) and the job script wrote no end record (killed, or its node failed)"
        )
        error = BatchError(code="ended_without_record", message=message)
        return JobStatus.FAILED, ENDED_WITHOUT_RECORD, error, None

    def _engine_cause(self, folder: JobFolder, count: int) -> str:
        for task in range(count):
            cause = logs.engine_failure_cause(logs.read_tail(folder.log(task), 1024 * 1024))
            if cause:
                return cause
        return "every request was answered with `EngineCore encountered an issue` (see the log)"

    async def list_batches(self, *, limit: int | None = None) -> AsyncIterator[RemoteBatch]:  # type: ignore[override]
        folders = await asyncio.to_thread(all_folders, self.work_dir)
        ids = [str(f.read_record().get("job_id")) for f in folders]
        ids = [job_id for job_id in ids if job_id.isdigit()][: limit or None]
        if not ids:
            # Nothing to list, but the controller must still answer: this is the access
            # check `profile test` and every submit make.
            await self._squeue(force=True)
            return
        batches = await self.refresh_many(ids)
        for job_id in ids:
            yield batches[job_id]

    async def cancel(self, batch_id: str) -> RemoteBatch:
        await commands.checked("scancel", batch_id, label=self.label)
        self._queue_at = -1e9
        batch = await self.retrieve(batch_id)
        if not batch.status.is_terminal:
            batch = batch.model_copy(update={"status": JobStatus.CANCELLING})
        return batch

    # --- logs ------------------------------------------------------------------------

    async def log_files(self, batch_id: str) -> list[Path]:
        """The job's sbatch script, then its tasks' logs (stdout and stderr together)."""
        folder = await asyncio.to_thread(folder_of, self.work_dir, batch_id)
        if folder is None:
            raise NotFoundError(
                f"{self.label}: no job folder for SLURM job {batch_id}", provider=self.label
            )
        return [folder.script, *folder.logs()]


def _by_job(tasks: list[TaskState]) -> dict[str, dict[int | None, TaskState]]:
    jobs: dict[str, dict[int | None, TaskState]] = {}
    for task in tasks:
        jobs.setdefault(task.job_id, {})[task.task] = task
    return jobs


def _array_raw(raws: list[str]) -> str:
    """`RUNNING 1, COMPLETED 2` for an array's tasks."""
    counts: dict[str, int] = {}
    for raw in raws:
        word = raw.split(" ", 1)[0]
        counts[word] = counts.get(word, 0) + 1
    return ", ".join(f"{word} {count}" for word, count in counts.items())


def _prepare_folder(folder: JobFolder, text: str, record: dict[str, Any]) -> None:
    (folder.path / "log").mkdir(exist_ok=True)
    folder.script.write_text(text)
    folder.script.chmod(0o755)
    folder.write_record(record)


async def _copy(source: Path, dest: Path, progress: ProgressCallback | None) -> int:
    """Copy in chunks off the event loop; progress is reported on it (callers touch the
    registry and the terminal from there)."""
    try:
        reader = await asyncio.to_thread(source.open, "rb")
    except OSError as exc:
        raise InputFileError(f"{source}: cannot read: {exc.strerror or exc}") from None
    with reader:
        total = os.fstat(reader.fileno()).st_size
        writer = await asyncio.to_thread(dest.open, "wb")
        with writer:
            done = 0
            if progress:
                progress(0, total)
            while chunk := await asyncio.to_thread(_copy_chunk, reader, writer):
                done += chunk
                if progress:
                    progress(done, total)
    return done


def _copy_chunk(reader: BinaryIO, writer: BinaryIO) -> int:
    chunk = reader.read(COPY_CHUNK)
    writer.write(chunk)
    return len(chunk)
