"""The Gemini Developer API's batch mode (reference §4), with an API key.

- Upload: the user's OpenAI-format file is converted to Gemini lines (`{"key", "request"}`,
  the key being the custom_id) and sent with the resumable upload protocol (§4.4), in
  `upload_chunk_bytes` chunks streamed from disk.
- Small jobs go inline instead (fewer than `INLINE_MAX_REQUESTS` requests and under
  `INLINE_MAX_BYTES` converted): no file to upload or to expire after 48 h, and the answers
  arrive inside the batch. The cap stays far below the 20 MB inline limit because every
  `get` of a finished inline batch carries all its answers (§4.3). The converted requests
  wait in memory between `upload` and `create` (the same provider object, as in
  `JobService.submit`) under an `inline:` file id.
- Create: `models/{model}:batchGenerateContent`; the job's tag goes in the displayName.
  Quota is enforced here (429 RESOURCE_EXHAUSTED, §6 item 20): the batch does not exist,
  so the error says to retry later.
- Results: the responses file (`files/batch-<id>`) is downloaded directly (it cannot be
  `get`, §6 item 18); inline answers are read from the batch as if they were a file
  (`batches/<id>/inlinedResponses`), one JSON line per answer. Either way every line
  carries its key, which `formats.results` reads back as the custom_id.
- There is no CANCELLING state: after `:cancel` a still-running batch is reported as
  `cancelling` until Google says CANCELLED.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from batchtui.core.config import Profile
from batchtui.core.errors import ConfigError, InputFileError, NotFoundError, ProviderError
from batchtui.core.fsutil import atomic_output
from batchtui.core.models import BatchSpec, RemoteBatch, RemoteFile
from batchtui.core.providers.base import (
    TAG_METADATA_KEY,
    BatchProvider,
    CannotDelete,
    ProgressCallback,
)
from batchtui.core.providers.google_common import (
    LOGGER,
    GoogleApiClient,
    file_chunks,
    google_list,
    google_pages,
    iter_jsonl,
    prepared_input,
    readable_batches,
    wrong_answer,
)
from batchtui.core.providers.google_wire import (
    batch_of_inline_results,
    display_name,
    gemini_inline_responses,
    parse_gemini_operation,
)
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.netpolicy import NetworkPolicy
from batchtui.core.providers.openai_wire import WireFormatError
from batchtui.core.remote_output import ByteSource
from batchtui.core.status import JobStatus

API_VERSION = "v1beta"
INLINE_MAX_REQUESTS = 100
INLINE_MAX_BYTES = 1_000_000
# The python SDK's chunk size; after a dropped connection the upload resumes where the
# server says it stopped (X-Goog-Upload-Command: query).
UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024
# The official docs' type first; some accounts' uploads only worked as text/plain (§6 item 19).
UPLOAD_MIME_TYPES = ("application/jsonl", "text/plain")
MAX_PAGE_SIZE = 100
INLINE_PREFIX = "inline:"


def quote_segment(value: str) -> str:
    return quote(value, safe="")


def resource_id(name: str, collection: str) -> str:
    """`batches/abc` or `abc` -> `abc`, percent-encoded for a path."""
    return quote_segment(name.removeprefix(f"{collection}/"))


class _SessionEnded(Exception):
    """The upload session ended (finalized) although the finalize answer never arrived."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(str(error))
        self.error = error


class GeminiProvider(BatchProvider):
    kind: ClassVar[str] = "gemini"
    page_size: int = MAX_PAGE_SIZE  # items per list call (tests page with fewer)
    upload_chunk_bytes: int = UPLOAD_CHUNK_BYTES

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        api_key: str,
        model: str | None = None,
        timeout: float = 60.0,
        debug: bool = False,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.label = label
        self.default_model = model
        root = base_url.rstrip("/").removesuffix(f"/{API_VERSION}")
        self.http = GoogleApiClient(
            label=label,
            base_url=root,
            headers={"x-goog-api-key": api_key},
            secrets=[api_key],
            timeout=timeout,
            debug=debug,
            retry=retry,
        )
        # Converted requests of small jobs, from `upload` until `create` sends them inline.
        self._inline_inputs: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def from_profile(
        cls, profile: Profile, *, debug: bool = False, retry: RetryPolicy | None = None
    ) -> GeminiProvider:
        api_key = profile.resolve_api_key()
        assert api_key is not None  # required=True raises instead
        return cls(
            label=f"{profile.kind} profile {profile.name!r}",
            base_url=profile.effective_base_url,
            api_key=api_key,
            model=profile.model,
            timeout=profile.timeout,
            debug=debug,
            retry=retry or NetworkPolicy.from_profile(profile),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    def _parse(self, value: Any, call: str) -> RemoteBatch:
        try:
            return parse_gemini_operation(value)
        except WireFormatError as exc:
            raise wrong_answer(self.http, call, str(exc)) from None

    # --- upload ------------------------------------------------------------------------

    async def upload(self, path: Path, *, progress: ProgressCallback | None = None) -> RemoteFile:
        async with prepared_input(path, "gemini", provider_name="Gemini") as prepared:
            if prepared.lines < INLINE_MAX_REQUESTS and prepared.bytes < INLINE_MAX_BYTES:
                return self._keep_inline(path, prepared.path, prepared.bytes, progress)
            for mime_type in UPLOAD_MIME_TYPES:
                answer = await self._upload_again_if_lost(
                    prepared.path, path.name, mime_type, prepared.bytes, progress
                )
                if isinstance(answer.get("file"), dict):
                    return self._remote_file(answer["file"], path.name)
            raise wrong_answer(
                self.http,
                "upload file",
                "the finished upload has no 'file' (tried MIME types "
                f"{', '.join(UPLOAD_MIME_TYPES)})",
            )

    def _keep_inline(
        self, source: Path, converted: Path, size: int, progress: ProgressCallback | None
    ) -> RemoteFile:
        requests = []
        with converted.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                line = json.loads(raw)
                key, request = line.get("key"), line.get("request")
                if not isinstance(key, str) or not isinstance(request, dict):
                    raise InputFileError(f"{source}:{number}: a Gemini line needs key and request")
                requests.append({"request": request, "metadata": {"key": key}})
        file_id = f"{INLINE_PREFIX}{uuid.uuid4()}"
        self._inline_inputs[file_id] = requests
        if progress:
            progress(size, size)
        return RemoteFile(id=file_id, bytes=size, filename=source.name, purpose="batch")

    async def _upload_again_if_lost(
        self,
        path: Path,
        name: str,
        mime_type: str,
        size: int,
        progress: ProgressCallback | None,
    ) -> dict[str, Any]:
        """A resumable upload, started over when the answer to finalize was lost (the file
        it made is left to expire: its name never arrived), as often as calls are retried."""
        for _attempt in range(1, self.http.retry.attempts):
            try:
                return await self._resumable_upload(path, name, mime_type, size, progress)
            except _SessionEnded:
                LOGGER.info("%s: the finished upload's answer was lost; again", self.label)
        try:
            return await self._resumable_upload(path, name, mime_type, size, progress)
        except _SessionEnded as ended:
            raise ended.error from None

    async def _resumable_upload(
        self,
        path: Path,
        name: str,
        mime_type: str,
        size: int,
        progress: ProgressCallback | None,
    ) -> dict[str, Any]:
        call = f"upload file (POST /upload/{API_VERSION}/files)"
        start = await self.http.send_raw(
            "POST",
            f"/upload/{API_VERSION}/files",
            call=call,
            headers={
                "Content-Type": "application/json",
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": str(size),
                "X-Goog-Upload-Header-Content-Type": mime_type,
            },
            content=json.dumps({"file": {"displayName": name}}).encode(),
        )
        session = self._session_url(start.headers.get("X-Goog-Upload-URL"), call)
        offset, failures = 0, 0
        while True:
            length = min(self.upload_chunk_bytes, size - offset)
            last = offset + length >= size
            try:
                answer = await self.http.send_raw(
                    "POST",
                    session,
                    call=call,
                    headers={
                        "Content-Length": str(length),
                        "X-Goog-Upload-Offset": str(offset),
                        "X-Goog-Upload-Command": "upload, finalize" if last else "upload",
                    },
                    content=file_chunks(
                        path,
                        start=offset,
                        length=length,
                        progress=progress,
                        progress_base=offset,
                        total=size,
                    ),
                    retry=False,
                )
            except ProviderError as exc:
                # Resume where the server stopped receiving (part of the chunk may be there).
                failures += 1
                if not exc.retryable or failures >= self.http.retry.attempts:
                    raise
                await asyncio.sleep(self._backoff(failures))
                try:
                    offset = await self._bytes_received(session, call)
                except NotFoundError:
                    if last:  # finalized, but the answer naming the file was lost
                        raise _SessionEnded(exc) from None
                    raise
                LOGGER.info("%s: resuming the upload at byte %d after: %s", self.label, offset, exc)
                continue
            failures = 0
            offset += length
            if last:
                value = self.http.decode_json(answer, call)
                if not isinstance(value, dict):
                    raise wrong_answer(self.http, call, "the finished upload is not an object")
                return value

    def _backoff(self, failures: int) -> float:
        policy = self.http.retry
        return min(policy.initial_wait * 2 ** (failures - 1), policy.max_wait)

    async def _bytes_received(self, session: str, call: str) -> int:
        answer = await self.http.send_raw(
            "POST", session, call=call, headers={"X-Goog-Upload-Command": "query"}
        )
        received = answer.headers.get("X-Goog-Upload-Size-Received", "")
        if not received.isdigit():
            raise wrong_answer(self.http, call, "no X-Goog-Upload-Size-Received in the answer")
        return int(received)

    def _session_url(self, url: str | None, call: str) -> str:
        if not url:
            raise wrong_answer(self.http, call, "no X-Goog-Upload-URL header in the answer")
        session, base = httpx.URL(url), httpx.URL(self.http.base_url)
        # The API key goes with every request on this client: only to the same server.
        if (session.scheme, session.host, session.port) != (base.scheme, base.host, base.port):
            raise wrong_answer(
                self.http, call, f"the upload URL points to another server ({session.host})"
            )
        return url

    def _remote_file(self, value: dict[str, Any], filename: str) -> RemoteFile:
        name = value.get("name")
        if not isinstance(name, str) or not name:
            raise wrong_answer(self.http, "upload file", "the uploaded file has no 'name'")
        size = value.get("sizeBytes")
        return RemoteFile(
            id=name,
            bytes=int(size) if isinstance(size, str | int) and str(size).isdigit() else None,
            filename=filename,
            purpose="batch",
            raw=dict(value),
        )

    # --- batches -------------------------------------------------------------------------

    def _model(self, spec: BatchSpec) -> str:
        model = spec.model or self.default_model
        if not model:
            raise ConfigError(
                f"{self.label}: no model: the request lines name none; set the profile's model"
            )
        return model.removeprefix("models/")

    def create_body(self, spec: BatchSpec) -> dict[str, Any]:
        batch: dict[str, Any] = {
            "displayName": display_name(spec.name, spec.metadata.get(TAG_METADATA_KEY))
        }
        if spec.input_file_id.startswith(INLINE_PREFIX):
            requests = self._inline_inputs.get(spec.input_file_id)
            if requests is None:
                raise InputFileError(
                    f"{self.label}: inline input {spec.input_file_id} is gone (it lives only in "
                    "the process that read it): submit the file again"
                )
            batch["inputConfig"] = {"requests": {"requests": requests}}
        else:
            batch["inputConfig"] = {"fileName": spec.input_file_id}
        return {"batch": batch}

    async def create(self, spec: BatchSpec) -> RemoteBatch:
        model = self._model(spec)
        route = f"/{API_VERSION}/models/{quote_segment(model)}:batchGenerateContent"
        call = f"create batch (POST {route})"
        body = self.create_body(spec)
        try:
            answer = await self.http.submit_json(route, json_body=body, call=call)
        except ProviderError as exc:
            if exc.status_code == 429:
                raise type(exc)(
                    f"{exc.message} (quota is checked when a batch is created: none was "
                    "created; submit again later)",
                    provider=exc.provider,
                    call=exc.call,
                    status_code=exc.status_code,
                    code=exc.code,
                    retryable=exc.retryable,
                    retry_after=exc.retry_after,
                ) from None
            raise
        try:
            batch = self._parse(answer, call)
        except ProviderError as exc:
            raise self.http.ambiguous(exc) from None
        self._inline_inputs.pop(spec.input_file_id, None)
        return batch

    async def retrieve(self, batch_id: str) -> RemoteBatch:
        route = f"/{API_VERSION}/batches/{resource_id(batch_id, 'batches')}"
        answer = await self.http.request_json("GET", route, idempotent=True)
        return self._parse(answer, f"GET {route}")

    async def list_batches(self, *, limit: int | None = None) -> AsyncIterator[RemoteBatch]:
        route = f"/{API_VERSION}/batches"
        call = f"GET {route}"
        async for operation in google_list(
            self.http, route, "operations", limit=limit, page_size=self.page_size, call=call
        ):
            yield self._parse(operation, call)

    @property
    def list_page_size(self) -> int | None:  # type: ignore[override]
        """`refresh_many` lists the batches `page_size` at a time."""
        return self.page_size

    async def list_pages(
        self, *, since: datetime | None = None
    ) -> AsyncIterator[list[RemoteBatch]]:
        # The batches list takes no filter: the caller stops reading at `since`.
        route = f"/{API_VERSION}/batches"
        call = f"GET {route}"
        pages = google_pages(
            self.http, route, "operations", limit=None, page_size=self.page_size, call=call
        )
        async with aclosing(pages):
            async for operations in pages:
                yield readable_batches(operations, self._parse, call, self.unreadable_batches)

    async def cancel(self, batch_id: str) -> RemoteBatch:
        route = f"/{API_VERSION}/batches/{resource_id(batch_id, 'batches')}:cancel"
        await self.http.request_json("POST", route, idempotent=True, json_body={})
        batch = await self.retrieve(batch_id)
        if not batch.status.is_terminal:
            batch = batch.model_copy(update={"status": JobStatus.CANCELLING})
        return batch

    async def delete(self, batch_id: str) -> None:
        """Delete the batch resource (not its responses file)."""
        route = f"/{API_VERSION}/batches/{resource_id(batch_id, 'batches')}"
        await self.http.request_json("DELETE", route, idempotent=True)

    async def delete_file(self, file_id: str) -> bool:
        """Uploaded inputs and file results; inline inputs and results live in the batch."""
        if file_id.startswith(INLINE_PREFIX) or batch_of_inline_results(file_id):
            raise CannotDelete(f"{self.label}: inline requests and answers live in the batch")
        route = f"/{API_VERSION}/files/{resource_id(file_id, 'files')}"
        try:
            await self.http.request_json("DELETE", route, idempotent=True, call=f"DELETE {route}")
        except NotFoundError:
            return False
        return True

    # --- results -------------------------------------------------------------------------

    def _download_route(self, file_id: str) -> str:
        return f"/download/{API_VERSION}/files/{resource_id(file_id, 'files')}:download?alt=media"

    async def _inline_lines(self, batch_id: str) -> AsyncIterator[bytes]:
        route = f"/{API_VERSION}/batches/{resource_id(batch_id, 'batches')}"
        call = f"GET {route}"
        answer = await self.http.request_json("GET", route, idempotent=True, call=call)
        responses = gemini_inline_responses(answer) if isinstance(answer, dict) else None
        if responses is None:
            raise wrong_answer(self.http, call, "the batch has no inline responses")
        for line in iter_jsonl(responses):
            yield line

    async def byte_source(self, file_id: str) -> ByteSource | None:
        if batch_of_inline_results(file_id) is not None:
            return None  # the answers are inside the batch object
        from batchtui.core.providers.ranged import HttpByteSource

        route = self._download_route(file_id)
        return HttpByteSource(self.http, route, label=f"{self.label}: GET {route}")

    def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:
        batch_id = batch_of_inline_results(file_id)
        if batch_id is not None:
            return self._inline_lines(batch_id)
        return self.http.iter_lines(self._download_route(file_id))

    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        batch_id = batch_of_inline_results(file_id)
        if batch_id is None:
            return await self.http.download(self._download_route(file_id), dest, progress=progress)
        written = 0
        with atomic_output(dest) as handle:
            async with contextlib.aclosing(self._inline_lines(batch_id)) as lines:
                async for line in lines:
                    handle.write(line + b"\n")
                    written += len(line) + 1
                    if progress:
                        progress(written, None)
        if progress:
            progress(written, written)
        return dest
