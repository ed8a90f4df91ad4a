"""The OpenAI Batch API (reference §1), and any server that speaks it.

Gateway providers (Portkey, LiteLLM) subclass this: they change `auth_headers`,
`normalize_status`, the routes or `create_body`, and keep the rest.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import aclosing
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar
from urllib.parse import quote

from batchtui.core.config import Profile, secret_header_values
from batchtui.core.errors import InputFileError, NotFoundError, ProviderError
from batchtui.core.models import BatchSpec, RemoteBatch, RemoteFile
from batchtui.core.providers.base import BatchProvider, ProgressCallback
from batchtui.core.providers.http import ApiClient, RetryPolicy
from batchtui.core.providers.netpolicy import NetworkPolicy, announce, list_cut_short
from batchtui.core.providers.openai_wire import (
    WireFormatError,
    parse_batch,
    parse_file,
    parse_list_page,
)
from batchtui.core.remote_output import ByteSource
from batchtui.core.status import JobStatus, normalize_openai_status

# The largest page GET /batches serves.
MAX_PAGE_SIZE = 100


def quote_id(value: str) -> str:
    """An id as one URL path segment: gateway ids may hold `/` or `gs://` (reference §0.3)."""
    return quote(value, safe="")


class OpenAIProvider(BatchProvider):
    kind: ClassVar[str] = "openai"
    files_route: ClassVar[str] = "/files"
    batches_route: ClassVar[str] = "/batches"
    upload_content_type: ClassVar[str] = "application/jsonl"
    # Batches asked for per GET /batches page (a gateway may serve fewer).
    page_size: int = MAX_PAGE_SIZE
    # GET /batches/{id} answers with that id (else: another batch, a provider error).
    answers_with_the_id_asked: ClassVar[bool] = True

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        api_key: str | None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float = 60.0,
        debug: bool = False,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.label = label
        self.extra_body = dict(extra_body or {})
        # Profile headers come last: a gateway profile may replace the auth header.
        all_headers = {**self.auth_headers(api_key), **(headers or {})}
        self.http = ApiClient(
            label=label,
            base_url=base_url,
            headers=all_headers,
            secrets=[api_key, *secret_header_values(all_headers)],
            timeout=timeout,
            debug=debug,
            retry=retry,
        )

    @classmethod
    def from_profile(
        cls, profile: Profile, *, debug: bool = False, retry: RetryPolicy | None = None
    ) -> OpenAIProvider:
        return cls(**cls.profile_arguments(profile, debug=debug, retry=retry))

    @staticmethod
    def profile_arguments(
        profile: Profile, *, debug: bool, retry: RetryPolicy | None
    ) -> dict[str, Any]:
        """What every OpenAI-style provider takes from its profile (gateways add theirs)."""
        return {
            "label": f"{profile.kind} profile {profile.name!r}",
            "base_url": profile.effective_base_url,
            "api_key": profile.resolve_api_key(),
            "headers": profile.headers,
            "extra_body": profile.extra_body,
            "timeout": profile.timeout,
            "debug": debug,
            "retry": retry or NetworkPolicy.from_profile(profile),
        }

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def normalize_status(self, raw: str | None) -> JobStatus:
        return normalize_openai_status(raw)

    async def aclose(self) -> None:
        await self.http.aclose()

    # --- parsing, with the call named in any error ------------------------------------

    def _parse(self, parser: Callable[[Any], Any], value: Any, call: str) -> Any:
        try:
            return parser(value)
        except WireFormatError as exc:
            raise self.http.error(ProviderError, call, f"unexpected answer: {exc}") from None

    def parse_batch(self, value: Any, call: str) -> RemoteBatch:
        return self._parse(
            lambda obj: parse_batch(obj, normalize_status=self.normalize_status), value, call
        )

    # --- files -----------------------------------------------------------------------

    async def upload(self, path: Path, *, progress: ProgressCallback | None = None) -> RemoteFile:
        call = f"POST {self.files_route}"
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
        with handle:
            reader = ProgressReader(handle, progress)
            # Resent after a failure (httpx rewinds the file): at worst a lost answer leaves
            # an unused file behind; only create makes a batch, and create is never resent
            # blindly.
            answer = await self.http.request_json(
                "POST",
                self.files_route,
                idempotent=True,
                files={"file": (path.name, reader, self.upload_content_type)},
                data={"purpose": "batch"},
                call=call,
            )
        return self._parse(parse_file, answer, call)

    async def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:
        # The announced size bounds the stream: a body that never ends stops past it.
        size = await self.announced_size(file_id)
        async with aclosing(self.http.iter_lines(self._content_route(file_id), size=size)) as lines:
            async for line in lines:
                yield line

    async def byte_source(self, file_id: str) -> ByteSource | None:
        from batchtui.core.providers.ranged import HttpByteSource

        route = self._content_route(file_id)
        return HttpByteSource(self.http, route, label=f"{self.label}: GET {route}")

    async def announced_size(self, file_id: str) -> int | None:
        """The file's size from its file object; None when the provider cannot tell."""
        try:
            info = await self.file_info(file_id)
        except ProviderError:
            return None  # a gateway without the files route: lengths are still checked
        return info.bytes if info is not None else None

    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        return await self.http.download(self._content_route(file_id), dest, progress=progress)

    def _content_route(self, file_id: str) -> str:
        return f"{self.files_route}/{quote_id(file_id)}/content"

    async def file_info(self, file_id: str) -> RemoteFile | None:
        route = self._content_route(file_id).removesuffix("/content")
        call = f"GET {route}"
        answer = await self.http.request_json("GET", route, idempotent=True, call=call)
        return self._parse(parse_file, answer, call)

    async def delete_file(self, file_id: str) -> bool:
        route = self._content_route(file_id).removesuffix("/content")
        try:
            await self.http.request_json("DELETE", route, idempotent=True, call=f"DELETE {route}")
        except NotFoundError:
            return False
        return True

    # --- batches ---------------------------------------------------------------------

    def create_body(self, spec: BatchSpec) -> dict[str, Any]:
        """The POST /batches body: the profile's `extra_body`, then the batch's own fields."""
        metadata = {**(self.extra_body.get("metadata") or {}), **spec.metadata}
        body = {
            **self.extra_body,
            "input_file_id": spec.input_file_id,
            "endpoint": spec.endpoint,
            "completion_window": spec.completion_window,
        }
        if metadata:
            body["metadata"] = metadata
        return body

    async def create(self, spec: BatchSpec) -> RemoteBatch:
        call = f"POST {self.batches_route}"
        answer = await self.http.submit_json(
            self.batches_route, json_body=self.create_body(spec), call=call
        )
        try:
            return self.parse_batch(answer, call)
        except ProviderError as exc:
            # A 2xx we cannot read may still mean the batch exists.
            raise self.http.ambiguous(exc) from None

    async def retrieve(self, batch_id: str) -> RemoteBatch:
        route = f"{self.batches_route}/{quote_id(batch_id)}"
        answer = await self.http.request_json("GET", route, idempotent=True)
        return self.same_batch(batch_id, self.parse_batch(answer, f"GET {route}"), f"GET {route}")

    async def cancel(self, batch_id: str) -> RemoteBatch:
        # Cancelling twice is harmless, so a lost answer is worth asking again.
        route = f"{self.batches_route}/{quote_id(batch_id)}/cancel"
        answer = await self.http.request_json("POST", route, idempotent=True)
        call = f"POST {route}"
        return self.same_batch(batch_id, self.parse_batch(answer, call), call)

    def same_batch(self, batch_id: str, batch: RemoteBatch, call: str) -> RemoteBatch:
        """`batch`, unless it is another batch than the one asked for (a provider error).

        A gateway may wrap the backend's id in its own or unwrap it: one id inside the
        other is the same batch. Kinds whose ids come back in another form altogether set
        `answers_with_the_id_asked` to False.
        """
        if not self.answers_with_the_id_asked:
            return batch
        if batch.id == batch_id or batch.id in batch_id or batch_id in batch.id:
            return batch
        raise self.http.error(
            ProviderError, call, f"the answer is for batch {batch.id!r}, not {batch_id!r}"
        )

    async def list_batches(self, *, limit: int | None = None) -> AsyncIterator[RemoteBatch]:
        """Newest first, page by page; a cursor seen before, or more pages than the
        profile's `max_list_pages`, ends the list with a notice."""
        remaining = limit
        async with aclosing(self._pages(limit)) as pages:
            async for page in pages:
                for batch in page:
                    yield batch
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            return

    @property
    def list_page_size(self) -> int | None:  # type: ignore[override]
        """`refresh_many` lists GET /batches pages of `page_size` batches."""
        return self.page_size

    def list_pages(self, *, since: datetime | None = None) -> AsyncIterator[list[RemoteBatch]]:
        # GET /batches has no filter on creation time: the caller stops reading at `since`.
        return self._pages(None)

    async def _pages(self, limit: int | None) -> AsyncIterator[list[RemoteBatch]]:
        """GET /batches page by page (at most `limit` batches asked for in all); an
        unreadable batch is noted in `unreadable_batches` and left out of its page."""
        call = f"GET {self.batches_route}"
        after: str | None = None
        seen: set[str] = set()
        remaining = limit
        pages = 0
        while remaining is None or remaining > 0:
            params: dict[str, Any] = {"limit": min(remaining or self.page_size, self.page_size)}
            if after:
                params["after"] = after
            answer = await self.http.request_json(
                "GET", self.batches_route, idempotent=True, params=params, call=call
            )
            pages += 1
            page = self._parse(parse_list_page, answer, call)
            batches = []
            for item in page.items:
                try:
                    batches.append(self.parse_batch(item, call))
                except ProviderError as exc:
                    # One unreadable batch must not hide the others from a scan.
                    self.unreadable_batches.append(exc.message)
            yield batches
            if remaining is not None:
                remaining -= len(page.items)
            if not page.has_more or not page.items or page.next_after is None:
                return
            if page.next_after in seen or page.next_after == after:
                reason = "the server sent a cursor again"
                announce(list_cut_short(self.label, call, pages, reason))
                return
            if pages >= self.http.policy.max_list_pages:
                announce(list_cut_short(self.label, call, pages, "max_list_pages"))
                return
            seen.add(page.next_after)
            after = page.next_after


class ProgressReader:
    """A binary file that reports how much of it has been read, for upload progress.

    httpx's multipart encoder streams from it in 64 KiB reads and sizes it with `fileno()`.
    """

    def __init__(self, handle: BinaryIO, progress: ProgressCallback | None) -> None:
        self._handle = handle
        self._progress = progress
        self._total = os.fstat(handle.fileno()).st_size
        self._done = 0

    def fileno(self) -> int:
        return self._handle.fileno()

    def tell(self) -> int:
        return self._handle.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._handle.seek(offset, whence)
        self._done = position
        return position

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._done += len(chunk)
        if self._progress and (chunk or self._done == 0):
            self._progress(self._done, self._total)
        return chunk
