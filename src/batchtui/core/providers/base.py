"""The interface every batch backend implements.

It speaks of files and batches, not of HTTP: an on-cluster backend (vLLM run-batch
under SLURM, files on a shared filesystem) or a client-side runner implements the
same methods without a URL in sight.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from batchtui.core.errors import BatchtuiError, ProviderError, ProviderUnreachable
from batchtui.core.models import BatchSpec, RemoteBatch, RemoteFile, ResultFile
from batchtui.core.providers.listrefresh import find_in_pages, listing_pays

if TYPE_CHECKING:
    from batchtui.core.remote_output import ByteSource

# Called with (bytes done, bytes expected or None when unknown).
ProgressCallback = Callable[[int, int | None], None]

# GETs `refresh_many` has in flight at once for the batches no list page showed.
PARALLEL_RETRIEVES = 8

# Metadata key carrying the job's UUID tag, so a batch can be found again after a crash.
TAG_METADATA_KEY = "batchtui_tag"


class CannotDelete(BatchtuiError):
    """The backend offers no way to delete this file."""


class BatchProvider(ABC):
    """One profile's connection to a batch backend. Use as an async context manager."""

    kind: ClassVar[str]

    async def __aenter__(self) -> BatchProvider:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abstractmethod
    async def upload(self, path: Path, *, progress: ProgressCallback | None = None) -> RemoteFile:
        """Send a local input file to where the backend reads it (streamed, never held whole)."""

    @abstractmethod
    async def create(self, spec: BatchSpec) -> RemoteBatch:
        """Start a batch. Never retried blindly: the caller reconciles by tag."""

    @abstractmethod
    async def retrieve(self, batch_id: str) -> RemoteBatch: ...

    async def refresh_many(
        self,
        batch_ids: Iterable[str],
        *,
        since: datetime | None = None,
        expected: int | None = None,
    ) -> Mapping[str, RemoteBatch | ProviderError]:
        """Several batches at once, by id, each answered with the batch or the error that
        asking for it met (one batch gone must not hide the others).

        A kind with `list_page_size` lists its batches (newest first) when that takes
        fewer requests than one `retrieve` each: `since` is when the oldest of them was
        created and `expected` how many batches are at least that new (the caller's own
        count); see `listrefresh`. The rest are asked for one by one. A backend that
        answers for all in one call (SLURM's squeue) overrides this.
        """
        ids = list(dict.fromkeys(batch_ids))
        answers: dict[str, RemoteBatch | ProviderError] = {}
        if listing_pays(len(ids), expected, self.list_page_size):
            try:
                pages = self.list_pages(since=since)
                found = await find_in_pages(pages, ids, since=since)
                answers.update(found)
            except ProviderError as error:
                if isinstance(error, ProviderUnreachable) or error.retryable:
                    raise  # the service is down: asking for each would fail the same way
                # A list this backend refuses: the batches are still there to ask for.
        # The rest one GET each, a few at a time (as the TUI's per-job polls ran).
        slots = asyncio.Semaphore(PARALLEL_RETRIEVES)

        async def ask(batch_id: str) -> tuple[str, RemoteBatch | ProviderError]:
            async with slots:
                try:
                    return batch_id, await self.retrieve(batch_id)
                except ProviderError as error:
                    return batch_id, error

        missing = [batch_id for batch_id in ids if batch_id not in answers]
        answers.update(await asyncio.gather(*(ask(batch_id) for batch_id in missing)))
        return answers

    # Batches per page when `refresh_many` lists them; None: this kind cannot page through
    # its batches (a gateway that drops the page token), so it asks for each one.
    list_page_size: ClassVar[int | None] = None

    def list_pages(self, *, since: datetime | None = None) -> AsyncIterator[list[RemoteBatch]]:
        """Pages of `list_page_size` batches, newest first, for `refresh_many`: from the
        newest back to `since` where the backend can filter on creation time (else the
        caller stops reading); unreadable batches are left out, a page cap and a repeated
        cursor end the list as in `list_batches`."""
        raise NotImplementedError(f"{self.kind}: no paged batch list")

    @abstractmethod
    def list_batches(self, *, limit: int | None = None) -> AsyncIterator[RemoteBatch]:
        """Newest first, following pagination until `limit` batches or the end."""

    @abstractmethod
    async def cancel(self, batch_id: str) -> RemoteBatch: ...

    @property
    def unreadable_batches(self) -> list[str]:
        """One line for each listed batch `list_batches` skipped because it was unreadable."""
        return self.__dict__.setdefault("_unreadable_batches", [])

    async def find_by_tag(
        self, tag: str, *, input_file_id: str | None = None, scan_limit: int = 500
    ) -> RemoteBatch | None:
        """The batch a submit created, searching the newest `scan_limit` batches.

        It carries `tag` in its metadata or, for backends where no tag travels with a
        batch (LiteLLM in front of Vertex), it was created on `input_file_id`: each upload
        has its own id, so a batch on it can only come from this job's submit.
        """
        async for batch in self.list_batches(limit=scan_limit):
            if batch.metadata.get(TAG_METADATA_KEY) == tag:
                return batch
            if input_file_id and batch.input_file_id == input_file_id:
                return batch
        return None

    async def delete_file(self, file_id: str) -> bool:
        """Delete an input or result file where the backend allows it.

        True when deleted, False when it was already gone; `CannotDelete` when this kind
        has no way to delete files (the caller says so per file).
        """
        raise CannotDelete(f"{self.kind}: this provider kind cannot delete files")

    def result_files(self, batch: RemoteBatch) -> list[ResultFile]:
        """The files holding this batch's results, output first."""
        files = []
        if batch.output_file_id:
            files.append(ResultFile(kind="output", file_id=batch.output_file_id))
        if batch.error_file_id:
            files.append(ResultFile(kind="error", file_id=batch.error_file_id))
        return files

    async def file_info(self, file_id: str) -> RemoteFile | None:
        """The file as the backend describes it (its size in `bytes`), where it has such a
        description; None where it has not (a results route, a folder of shards)."""
        return None

    async def byte_source(self, file_id: str) -> ByteSource | None:
        """Ranged reads of a result file (to seek in it without downloading), where the
        backend serves one file at a route; None where not (inline answers, folders of
        shards, local files)."""
        return None

    @abstractmethod
    def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:
        """Lines of a remote file as they arrive (without the newline); stopping early is cheap."""

    @abstractmethod
    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        """Write the file to `dest` through `dest.part`, renamed only when whole.

        A `.part` left by an interrupted download is resumed where the backend allows.
        """
