"""CONTRACT STUB: the registry helper replaces the bodies; keep the signatures."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from batchtui.core.models import Job, RemoteBatch, StatusChange
from batchtui.core.status import JobStatus


class Registry:
    """SQLite registry safe for several processes on several NFS clients.

    Rollback journal (no WAL), busy timeout, one short BEGIN IMMEDIATE transaction
    per write; read-modify-write happens inside that transaction so concurrent
    writers lose nothing.
    """

    def __init__(self, path: Path) -> None:
        raise NotImplementedError

    @classmethod
    def open_default(cls) -> Registry:
        """The registry at `paths.registry_path()` (BATCHTUI_DATA_DIR overrides)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def new_job_id(self) -> str:
        """A fresh local id, short, never all digits (e.g. `bt-4kq9x2`)."""
        raise NotImplementedError

    def add_job(self, job: Job, *, note: str | None = None) -> Job:
        """Insert a job and its first history row."""
        raise NotImplementedError

    def get_job(self, job_id: str) -> Job:
        """By exact local id; raises JobNotFound."""
        raise NotImplementedError

    def find_job(self, ref: str) -> Job:
        """By local id, remote batch id, or a unique prefix of a local id.

        Raises JobNotFound (exit 2) naming `ref`, or UsageError when ambiguous.
        """
        raise NotImplementedError

    def list_jobs(
        self,
        *,
        profile: str | None = None,
        statuses: Iterable[JobStatus] | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        """Newest first."""
        raise NotImplementedError

    def update_job(self, job_id: str, *, note: str | None = None, **fields: object) -> Job:
        """Change fields of a job atomically; a status change adds a history row."""
        raise NotImplementedError

    def apply_remote(self, job_id: str, batch: RemoteBatch) -> tuple[Job, bool]:
        """Merge what the provider reported; returns the job and whether its status changed."""
        raise NotImplementedError

    def history(self, job_id: str) -> list[StatusChange]:
        """Oldest first."""
        raise NotImplementedError

    def data_version(self) -> int:
        """Changes whenever any process commits a change: a cheap 'anything new?' check."""
        raise NotImplementedError
