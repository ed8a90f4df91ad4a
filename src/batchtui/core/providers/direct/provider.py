"""`DirectProvider`: the BatchProvider of the direct kind, its batches being job folders.

`upload` copies the input into a new job folder, `create` writes what to run and starts
the detached runner, `retrieve` reads the runner's progress (and restarts a runner whose
heartbeat has stopped, holding the job's poll lease so one process does it), `cancel`
stops the runner and keeps its answers, and the result files are read from the folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from batchtui.core.errors import BatchtuiError, InputFileError, NotFoundError
from batchtui.core.models import (
    BatchError,
    BatchSpec,
    RemoteBatch,
    RemoteFile,
    RequestCounts,
)
from batchtui.core.providers.base import BatchProvider, CannotDelete, ProgressCallback
from batchtui.core.providers.direct.folder import (
    HEARTBEAT_SECONDS,
    STALE_HEARTBEATS,
    TERMINAL,
    JobFolder,
    file_id,
    jobs_root,
    new_batch_id,
)
from batchtui.core.providers.direct.launch import start_runner, stop_runner
from batchtui.core.providers.direct.settings import DirectSettings
from batchtui.core.status import JobStatus

_COPY_CHUNK = 1 << 20
_STATUSES = {
    "in_progress": JobStatus.IN_PROGRESS,
    "completed": JobStatus.COMPLETED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
}
# How long cancel waits for the runner to stop before recording the cancel itself.
CANCEL_WAIT = (STALE_HEARTBEATS + 1) * HEARTBEAT_SECONDS


class DirectProvider(BatchProvider):
    kind: ClassVar[str] = "direct"

    def __init__(
        self,
        *,
        profile_name: str,
        settings: DirectSettings,
        api_key: str | None,
        headers: dict[str, str],
        root: Path | None = None,
    ) -> None:
        self.profile_name = profile_name
        self.settings = settings
        self._secrets = {"api_key": api_key, "headers": dict(headers)}
        self.root = root or jobs_root()
        self.label = f"direct profile {profile_name!r}"
        from batchtui.core.leases import new_lease_holder

        self.lease_holder = new_lease_holder()

    @classmethod
    def from_profile(cls, profile: Any, *, debug: bool = False) -> DirectProvider:
        return cls(
            profile_name=profile.name,
            settings=DirectSettings.from_profile(profile),
            # Local servers (vLLM, Ollama) often need no key: none set is fine.
            api_key=profile.resolve_api_key(required=bool(profile.api_key_env)),
            headers=dict(profile.headers),
        )

    def folder(self, batch_id: str) -> JobFolder:
        return JobFolder(self.root, batch_id)

    # --- upload and create --------------------------------------------------------------

    async def upload(self, path: Path, *, progress: ProgressCallback | None = None) -> RemoteFile:
        return await asyncio.to_thread(self._copy_input, path, progress)

    def _copy_input(self, path: Path, progress: ProgressCallback | None) -> RemoteFile:
        from batchtui.core.paths import ensure_private_dir

        folder = self.folder(new_batch_id())
        ensure_private_dir(folder.path)
        target = folder.file("input")
        part = target.with_name(target.name + ".part")
        size = lines = 0
        last = b"\n"
        try:
            total = path.stat().st_size
            with path.open("rb") as source, part.open("wb") as copy:
                while chunk := source.read(_COPY_CHUNK):
                    copy.write(chunk)
                    size += len(chunk)
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                    if progress is not None:
                        progress(size, total)
                if last != b"\n":
                    copy.write(b"\n")
                    lines += 1
                copy.flush()
                os.fsync(copy.fileno())
        except OSError as error:
            shutil.rmtree(folder.path, ignore_errors=True)
            raise InputFileError(
                f"{path}: cannot copy the input: {error.strerror or error}"
            ) from None
        os.replace(part, target)
        return RemoteFile(
            id=file_id(folder.batch_id, "input"),
            bytes=size,
            filename=path.name,
            purpose="batch",
            created_at=datetime.now(UTC),
            raw={"lines": lines},
        )

    async def create(self, spec: BatchSpec) -> RemoteBatch:
        folder, name = JobFolder.for_file(self.root, spec.input_file_id)
        if name != "input.jsonl" or not folder.file("input").is_file():
            raise NotFoundError(f"{self.label}: no uploaded input {spec.input_file_id!r}")
        if not folder.exists:  # a second create on the same upload is the same batch
            await asyncio.to_thread(self._start, folder, spec)
        return await self.retrieve(folder.batch_id)

    def _start(self, folder: JobFolder, spec: BatchSpec) -> None:
        total = sum(1 for line in folder.file("input").open("rb") if line.strip())
        now = int(time.time())
        folder.write_spec(
            {
                "id": folder.batch_id,
                "profile": self.profile_name,
                "endpoint": spec.endpoint,
                "model": spec.model,
                "completion_window": spec.completion_window,
                "metadata": spec.metadata,
                "created_at": now,
                "total": total,
                "settings": self.settings.to_json(),
            }
        )
        folder.write_state({"status": "in_progress", "timestamps": {"in_progress_at": now}})
        start_runner(folder, self._secrets)

    # --- reading ------------------------------------------------------------------------

    async def retrieve(self, batch_id: str) -> RemoteBatch:
        folder = self.folder(batch_id)
        batch = await asyncio.to_thread(self._describe, folder)
        if batch.status is JobStatus.IN_PROGRESS and await asyncio.to_thread(self._is_dead, folder):
            await self.restart(batch_id)
        return batch

    def _is_dead(self, folder: JobFolder) -> bool:
        return folder.is_stale() and not folder.runner_alive()

    def _describe(self, folder: JobFolder) -> RemoteBatch:
        spec = folder.read_spec()
        state = folder.read_state()
        raw_status = str(state.get("status", "in_progress"))
        status = _STATUSES.get(raw_status, JobStatus.IN_PROGRESS)
        if raw_status in TERMINAL and "completed" in state:
            completed, failed = int(state["completed"]), int(state["failed"])
        else:
            beat = folder.read_heartbeat()
            completed, failed = (
                (beat.completed, beat.failed) if beat is not None else folder.count_answers()
            )
        timestamps = {"created_at": spec.get("created_at"), **(state.get("timestamps") or {})}
        # A result file with no answer in it is no result file (a batch API names none).
        has = {"output": completed > 0, "error": failed > 0}
        return RemoteBatch(
            id=folder.batch_id,
            status=status,
            raw_status=raw_status,
            endpoint=spec.get("endpoint"),
            model=spec.get("model"),
            input_file_id=file_id(folder.batch_id, "input"),
            output_file_id=file_id(folder.batch_id, "output") if has["output"] else None,
            error_file_id=file_id(folder.batch_id, "error") if has["error"] else None,
            completion_window=spec.get("completion_window"),
            request_counts=RequestCounts(
                total=int(spec.get("total") or 0), completed=completed, failed=failed
            ),
            timestamps={
                key: datetime.fromtimestamp(value, UTC)
                for key, value in timestamps.items()
                if isinstance(value, int | float)
            },
            errors=[
                BatchError(code=error.get("code"), message=str(error.get("message", "")))
                for error in state.get("errors") or []
            ],
            metadata={str(k): str(v) for k, v in (spec.get("metadata") or {}).items()},
            raw={"state": state, "profile": spec.get("profile")},
        )

    async def list_batches(self, *, limit: int | None = None) -> AsyncIterator[RemoteBatch]:
        folders = await asyncio.to_thread(self._own_folders)
        for count, folder in enumerate(folders):
            if limit is not None and count >= limit:
                return
            yield await asyncio.to_thread(self._describe, folder)

    def _own_folders(self) -> list[JobFolder]:
        """This profile's job folders, newest first."""
        found: list[tuple[float, JobFolder]] = []
        if not self.root.is_dir():
            return []
        for entry in self.root.iterdir():
            try:
                folder = self.folder(entry.name)
                spec = folder.read_spec()
            except BatchtuiError:
                continue
            if spec.get("profile") == self.profile_name:
                found.append((float(spec.get("created_at") or 0), folder))
        return [folder for _, folder in sorted(found, key=lambda item: item[0], reverse=True)]

    # --- runner control -----------------------------------------------------------------

    async def restart(self, batch_id: str, *, explicit: bool = False) -> bool:
        """Start a runner for a job whose runner has died; whether one was started.

        Taken under the job's poll lease (a process already holding it, such as a TUI
        polling the job, counts), so of several processes on several login nodes only
        one restarts it; the runner's lock makes a second start harmless anyway.
        `explicit` (`batchtui resume`) restarts without waiting for the heartbeat to age.
        The new runner sends with the profile's settings as they are now.
        """
        folder = self.folder(batch_id)
        state = await asyncio.to_thread(folder.read_state)
        if state.get("status") != "in_progress" or folder.cancel_requested:
            return False
        if await asyncio.to_thread(folder.runner_alive):
            return False
        if not explicit and not await asyncio.to_thread(folder.is_stale):
            return False
        if not await asyncio.to_thread(self._take_lease, batch_id):
            return False
        await asyncio.to_thread(self._start_again, folder)
        return True

    def _start_again(self, folder: JobFolder) -> None:
        # The profile as it is now: the server may have moved (a new SLURM job, a new port).
        spec = folder.read_spec()
        if spec.get("settings") != self.settings.to_json():
            folder.write_spec({**spec, "settings": self.settings.to_json()})
        # A sign of life until the runner's first heartbeat: no second restart meanwhile.
        folder.write_state(folder.read_state())
        start_runner(folder, self._secrets)

    async def resume(self, batch_id: str) -> bool:
        """`batchtui resume`: start a runner now for a job whose runner is not running; a
        job that failed (its server answered nothing for give_up_after) runs again, sending
        only its unanswered lines. Whether a runner was started."""
        folder = self.folder(batch_id)
        state = await asyncio.to_thread(folder.read_state)
        if state.get("status") == "failed" and not folder.cancel_requested:
            reopened = {key: value for key, value in state.items() if key != "errors"}
            reopened["status"] = "in_progress"
            await asyncio.to_thread(folder.write_state, reopened)
        return await self.restart(batch_id, explicit=True)

    def _take_lease(self, batch_id: str) -> bool:
        from batchtui.core.errors import JobNotFound
        from batchtui.core.leases import lease_seconds
        from batchtui.core.registry import Registry

        with Registry.open_default() as registry:
            try:
                job = registry.find_job(batch_id)
            except JobNotFound:
                return True  # not tracked here: only the runner's lock guards it
            holder = registry.poll_lease_holder(job.id)
            this_process = f"{socket.gethostname()}:{os.getpid()}:"
            if holder is not None and holder.startswith(this_process):
                return True
            seconds = lease_seconds(STALE_HEARTBEATS * HEARTBEAT_SECONDS)
            return registry.acquire_poll_lease(job.id, self.lease_holder, seconds)

    async def cancel(self, batch_id: str) -> RemoteBatch:
        folder = self.folder(batch_id)
        await asyncio.to_thread(self._cancel, folder)
        return await self.retrieve(batch_id)

    def _cancel(self, folder: JobFolder) -> None:
        folder.read_spec()  # NotFoundError for an unknown batch
        if folder.read_state().get("status") in TERMINAL:
            return
        folder.request_cancel()
        stop_runner(folder, wait=CANCEL_WAIT)
        with folder.locked(wait=0) as held:
            state = folder.read_state()
            if state.get("status") in TERMINAL:
                return  # the runner recorded it, or finished first
            if not held:
                return  # a runner on another machine records it at its next heartbeat
            completed, failed = folder.count_answers()
            timestamps = {**(state.get("timestamps") or {}), "cancelled_at": int(time.time())}
            folder.write_state(
                {
                    **state,
                    "status": "cancelled",
                    "completed": completed,
                    "failed": failed,
                    "timestamps": timestamps,
                }
            )

    # --- result files -------------------------------------------------------------------

    def _local(self, remote_id: str) -> Path:
        folder, name = JobFolder.for_file(self.root, remote_id)
        path = folder.path / name
        if not path.is_file():
            raise NotFoundError(f"{self.label}: no file {remote_id!r} in {folder.path}")
        return path

    async def delete_file(self, file_id: str) -> bool:
        """Remove one of a job folder's files (spec and state stay, so the job still reads);
        refused while a runner works on the job."""
        folder, name = JobFolder.for_file(self.root, file_id)
        if await asyncio.to_thread(folder.runner_alive):
            raise CannotDelete(f"{self.label}: a runner is still working on {folder.batch_id}")
        try:
            await asyncio.to_thread((folder.path / name).unlink)
        except FileNotFoundError:
            return False
        return True

    async def file_info(self, file_id: str) -> RemoteFile | None:
        path = self._local(file_id)
        return RemoteFile(id=file_id, bytes=path.stat().st_size, filename=path.name)

    async def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:
        path = self._local(file_id)
        with path.open("rb") as handle:
            for line in handle:
                if line.endswith(b"\n"):  # a torn last line is not an answer yet
                    yield line.rstrip(b"\r\n")

    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        source = self._local(file_id)

        def copy() -> Path:
            part = dest.with_name(dest.name + ".part")
            dest.parent.mkdir(parents=True, exist_ok=True)
            total = source.stat().st_size
            done = 0
            with source.open("rb") as reader, part.open("wb") as writer:
                while chunk := reader.read(_COPY_CHUNK):
                    writer.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
                writer.flush()
                os.fsync(writer.fileno())
            os.replace(part, dest)
            return dest

        return await asyncio.to_thread(copy)
