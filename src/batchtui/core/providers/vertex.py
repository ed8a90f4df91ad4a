"""Vertex AI batch prediction with Gemini models (reference §5), through Cloud Storage.

- Auth: OAuth2 tokens from google-auth (`google_auth.GoogleCredentials`: a service-account
  or authorized-user file, else application default credentials), refreshed in a thread.
- Upload: the user's OpenAI-format file is converted to Vertex lines (`{"request"}` with the
  custom_id in `request.labels` and a top-level `requestId`, `formats.convert`) and sent to
  `gs://<bucket>/[<prefix>/]batchtui/<upload uuid>/input.jsonl` (JSON API media upload).
  The base interface gives `upload` no job tag, hence a fresh UUID for the input's folder.
- Create: `batchPredictionJobs` on `publishers/google/models/<model>`, output to
  `gs://<bucket>/[<prefix>/]batchtui/<tag>/output/`; the tag is also in the job's labels
  and displayName, so `find_by_tag` finds the job after a crash. `requestId` is listed in
  `instanceConfig.excludedFields` (as Portkey does): kept beside the output row, not sent
  to the model.
- Results: `outputInfo.gcsOutputDirectory` (never built from createTime, §6 item 16) is the
  job's output file id, with a trailing `/`: reading it lists the folder and reads **every**
  `*.jsonl` in it, in name order. Rows carry no custom_id of their own; `formats.results`
  reads it back from `requestId` or the labels.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from batchtui.core.config import Profile
from batchtui.core.errors import ConfigError, NotFoundError, ProviderError, UsageError
from batchtui.core.fsutil import atomic_output
from batchtui.core.models import BatchSpec, RemoteBatch, RemoteFile
from batchtui.core.providers.base import TAG_METADATA_KEY, BatchProvider, ProgressCallback
from batchtui.core.providers.google_auth import GoogleCredentials, GoogleTokenAuth
from batchtui.core.providers.google_common import (
    GoogleApiClient,
    file_chunks,
    google_list,
    google_pages,
    prepared_input,
    readable_batches,
    wrong_answer,
)
from batchtui.core.providers.google_wire import display_name, parse_vertex_job
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.kinds import DEFAULT_VERTEX_LOCATION
from batchtui.core.providers.listrefresh import CREATED_AT_SLACK
from batchtui.core.providers.netpolicy import NetworkPolicy
from batchtui.core.providers.openai_wire import WireFormatError
from batchtui.core.remote_output import ByteSource
from batchtui.core.status import JobStatus

API_VERSION = "v1"
DEFAULT_STORAGE_URL = "https://storage.googleapis.com"
MAX_PAGE_SIZE = 100
_GS = "gs://"


@dataclass(frozen=True)
class StorageObject:
    bucket: str
    name: str  # object name; ends with `/` for a folder

    @classmethod
    def parse(cls, uri: str) -> StorageObject:
        if not uri.startswith(_GS) or "/" not in uri[len(_GS) :]:
            raise UsageError(f"{uri!r} is not a gs://bucket/object URI")
        bucket, _, name = uri[len(_GS) :].partition("/")
        return cls(bucket, name)

    @property
    def uri(self) -> str:
        return f"{_GS}{self.bucket}/{self.name}"

    @property
    def is_folder(self) -> bool:
        return self.name == "" or self.name.endswith("/")

    @property
    def media_route(self) -> str:
        return (
            f"/storage/v1/b/{quote(self.bucket, safe='')}/o/{quote(self.name, safe='')}?alt=media"
        )


def parse_bucket(value: str) -> tuple[str, str]:
    """`bucket`, `bucket/prefix` or `gs://bucket/prefix/` -> (bucket, `prefix/` or ``)."""
    bucket, _, prefix = value.strip().removeprefix(_GS).strip("/").partition("/")
    return bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""


class VertexProvider(BatchProvider):
    kind: ClassVar[str] = "vertex"
    page_size: int = MAX_PAGE_SIZE  # items per list call (tests page with fewer)

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        storage_url: str,
        credentials: GoogleCredentials,
        project: str | None,
        location: str,
        bucket: str | None,
        model: str | None = None,
        timeout: float = 60.0,
        debug: bool = False,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.label = label
        self.credentials = credentials
        self.configured_project = project
        self.location = location
        self.bucket = bucket
        self.default_model = model
        auth = GoogleTokenAuth(credentials)
        self.api = GoogleApiClient(
            label=label,
            base_url=base_url,
            headers={},
            secrets=[],
            timeout=timeout,
            debug=debug,
            retry=retry,
        )
        self.storage = GoogleApiClient(
            label=label,
            base_url=storage_url,
            headers={},
            secrets=[],
            timeout=timeout,
            debug=debug,
            retry=retry,
        )
        self.api.client.auth = auth
        self.storage.client.auth = auth

    @classmethod
    def from_profile(
        cls, profile: Profile, *, debug: bool = False, retry: RetryPolicy | None = None
    ) -> VertexProvider:
        label = f"{profile.kind} profile {profile.name!r}"
        credentials_file = Path(profile.credentials).expanduser() if profile.credentials else None
        return cls(
            label=label,
            base_url=profile.effective_base_url,
            storage_url=profile.storage_url or DEFAULT_STORAGE_URL,
            credentials=GoogleCredentials(
                label=label, credentials_file=credentials_file, timeout=profile.timeout
            ),
            project=profile.project,
            location=profile.location or DEFAULT_VERTEX_LOCATION,
            bucket=profile.bucket,
            model=profile.model,
            timeout=profile.timeout,
            debug=debug,
            retry=retry or NetworkPolicy.from_profile(profile),
        )

    async def aclose(self) -> None:
        await self.api.aclose()
        await self.storage.aclose()

    # --- settings that are needed only by some calls ------------------------------------

    async def project(self) -> str:
        if self.configured_project:
            return self.configured_project
        await self.credentials.load()
        if not self.credentials.project:
            raise ConfigError(
                f"{self.label}: no Google Cloud project: the credentials name none; "
                "set project (profile add --project ID)"
            )
        return self.credentials.project

    def _bucket(self) -> tuple[str, str]:
        if not self.bucket or not parse_bucket(self.bucket)[0]:
            raise ConfigError(
                f"{self.label}: kind vertex needs a Cloud Storage bucket for inputs and "
                "results: set bucket (profile add --bucket NAME)"
            )
        return parse_bucket(self.bucket)

    async def _jobs_route(self) -> str:
        project = quote(await self.project(), safe="")
        location = quote(self.location, safe="")
        return f"/{API_VERSION}/projects/{project}/locations/{location}/batchPredictionJobs"

    async def _job_route(self, batch_id: str) -> str:
        if batch_id.startswith("projects/"):  # the full resource name, as ids are kept
            return f"/{API_VERSION}/" + "/".join(
                quote(part, safe="") for part in batch_id.split("/")
            )
        return f"{await self._jobs_route()}/{quote(batch_id, safe='')}"

    def _parse(self, value: Any, call: str) -> RemoteBatch:
        try:
            return parse_vertex_job(value)
        except WireFormatError as exc:
            raise wrong_answer(self.api, call, str(exc)) from None

    # --- upload --------------------------------------------------------------------------

    async def upload(self, path: Path, *, progress: ProgressCallback | None = None) -> RemoteFile:
        bucket, prefix = self._bucket()
        target = StorageObject(bucket, f"{prefix}batchtui/{uuid.uuid4()}/input.jsonl")
        call = f"upload {target.uri}"
        async with prepared_input(path, "vertex", provider_name="Vertex AI") as prepared:
            try:
                answer = await self.storage.send_raw(
                    "POST",
                    f"/upload/storage/v1/b/{quote(bucket, safe='')}/o",
                    call=call,
                    params={"uploadType": "media", "name": target.name},
                    headers={
                        "Content-Type": "application/jsonl",
                        "Content-Length": str(prepared.bytes),
                    },
                    content=file_chunks(prepared.path, progress=progress, total=prepared.bytes),
                )
            except NotFoundError as exc:
                raise NotFoundError(
                    f"{exc.message} (is the profile's bucket {bucket!r} right?)",
                    provider=exc.provider,
                    call=exc.call,
                    status_code=exc.status_code,
                    code=exc.code,
                ) from None
        value = self.storage.decode_json(answer, call)
        return RemoteFile(
            id=target.uri,
            bytes=prepared.bytes,
            filename=path.name,
            purpose="batch",
            raw=value if isinstance(value, dict) else {},
        )

    # --- batches ---------------------------------------------------------------------------

    def _model(self, spec: BatchSpec) -> str:
        model = spec.model or self.default_model
        if not model:
            raise ConfigError(
                f"{self.label}: no model: the request lines name none; set the profile's model"
            )
        # A full resource name (another publisher, a tuned model) is sent as it is.
        return model if "/" in model else f"publishers/google/models/{model}"

    def create_body(self, spec: BatchSpec) -> dict[str, Any]:
        if not spec.input_file_id.startswith(_GS):
            raise UsageError(
                f"{self.label}: input {spec.input_file_id!r} is not a gs:// object: "
                "upload it with this profile first"
            )
        bucket, prefix = self._bucket()
        tag = spec.metadata.get(TAG_METADATA_KEY)
        output = StorageObject(bucket, f"{prefix}batchtui/{tag or uuid.uuid4()}/output/")
        body: dict[str, Any] = {
            "displayName": display_name(spec.name, tag),
            "model": self._model(spec),
            "inputConfig": {
                "instancesFormat": "jsonl",
                "gcsSource": {"uris": [spec.input_file_id]},
            },
            "outputConfig": {
                "predictionsFormat": "jsonl",
                "gcsDestination": {"outputUriPrefix": output.uri},
            },
            "instanceConfig": {"excludedFields": ["requestId"]},
        }
        if tag:
            body["labels"] = {TAG_METADATA_KEY: tag}
        return body

    async def create(self, spec: BatchSpec) -> RemoteBatch:
        route = await self._jobs_route()
        call = f"create batch (POST {route})"
        answer = await self.api.submit_json(route, json_body=self.create_body(spec), call=call)
        try:
            return self._parse(answer, call)
        except ProviderError as exc:
            raise self.api.ambiguous(exc) from None

    async def retrieve(self, batch_id: str) -> RemoteBatch:
        route = await self._job_route(batch_id)
        answer = await self.api.request_json("GET", route, idempotent=True)
        return self._parse(answer, f"GET {route}")

    async def list_batches(self, *, limit: int | None = None) -> AsyncIterator[RemoteBatch]:
        route = await self._jobs_route()
        call = f"GET {route}"
        async for job in google_list(
            self.api, route, "batchPredictionJobs", limit=limit, page_size=self.page_size, call=call
        ):
            yield self._parse(job, call)

    @property
    def list_page_size(self) -> int | None:  # type: ignore[override]
        """`refresh_many` lists the jobs `page_size` at a time."""
        return self.page_size

    async def list_pages(
        self, *, since: datetime | None = None
    ) -> AsyncIterator[list[RemoteBatch]]:
        route = await self._jobs_route()
        call = f"GET {route}"
        params = {}
        if since is not None:
            # Only jobs as new as the oldest one asked about, whatever order Vertex lists in.
            start = since - CREATED_AT_SLACK
            params["filter"] = f'create_time>="{start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"'
        pages = google_pages(
            self.api,
            route,
            "batchPredictionJobs",
            limit=None,
            page_size=self.page_size,
            call=call,
            params=params,
        )
        async with aclosing(pages):
            async for jobs in pages:
                yield readable_batches(jobs, self._parse, call, self.unreadable_batches)

    async def cancel(self, batch_id: str) -> RemoteBatch:
        route = f"{await self._job_route(batch_id)}:cancel"
        await self.api.request_json("POST", route, idempotent=True, json_body={})
        batch = await self.retrieve(batch_id)
        if not batch.status.is_terminal and batch.status is not JobStatus.CANCELLING:
            batch = batch.model_copy(update={"status": JobStatus.CANCELLING})
        return batch

    async def delete(self, batch_id: str) -> None:
        """Delete the job (Vertex may refuse a running one: cancel it first)."""
        await self.api.request_json("DELETE", await self._job_route(batch_id), idempotent=True)

    async def delete_file(self, file_id: str) -> bool:
        """An input object, or every object of a result folder, in Cloud Storage."""
        target = StorageObject.parse(file_id)
        objects = (
            [entry for entry, _size in await self.list_objects(target)]
            if target.is_folder
            else [target]
        )
        deleted = False
        for item in objects:
            route = f"/storage/v1/b/{quote(item.bucket, safe='')}/o/{quote(item.name, safe='')}"
            try:
                await self.storage.send_raw("DELETE", route, call=f"DELETE {item.uri}")
                deleted = True
            except NotFoundError:
                continue
        return deleted

    # --- results -------------------------------------------------------------------------

    async def list_objects(self, folder: StorageObject) -> list[tuple[StorageObject, int]]:
        """Every object under a folder, with its size, in name order."""
        route = f"/storage/v1/b/{quote(folder.bucket, safe='')}/o"
        call = f"list {folder.uri}"
        found: list[tuple[StorageObject, int]] = []
        token: str | None = None
        while True:
            params = {"prefix": folder.name, **({"pageToken": token} if token else {})}
            answer = await self.storage.request_json(
                "GET", route, idempotent=True, params=params, call=call
            )
            items = answer.get("items") or [] if isinstance(answer, dict) else None
            if not isinstance(items, list):
                raise wrong_answer(self.storage, call, "the object list has no 'items' array")
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    size = str(item.get("size") or "0")
                    found.append(
                        (
                            StorageObject(folder.bucket, item["name"]),
                            int(size) if size.isdigit() else 0,
                        )
                    )
            next_token = answer.get("nextPageToken")
            if not items or not isinstance(next_token, str) or next_token in ("", token):
                break
            token = next_token
        return sorted(found, key=lambda entry: entry[0].name)

    async def result_objects(self, file_id: str) -> list[tuple[StorageObject, int | None]]:
        """The objects a result id stands for, with their sizes when listed: every `*.jsonl`
        in a folder, or the one object."""
        target = StorageObject.parse(file_id)
        if not target.is_folder:
            return [(target, None)]
        objects: list[tuple[StorageObject, int | None]] = [
            entry for entry in await self.list_objects(target) if entry[0].name.endswith(".jsonl")
        ]
        if not objects:
            raise NotFoundError(
                f"{self.label}: list {target.uri}: no result files (*.jsonl) in the output folder",
                provider=self.label,
                call=f"list {target.uri}",
            )
        return objects

    async def _folder_lines(self, file_id: str) -> AsyncIterator[bytes]:
        for target, _size in await self.result_objects(file_id):
            async with contextlib.aclosing(
                self.storage.iter_lines(target.media_route, call=f"GET {target.uri}")
            ) as lines:
                async for line in lines:
                    yield line

    def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:
        return self._folder_lines(file_id)

    async def byte_source(self, file_id: str) -> ByteSource | None:
        from batchtui.core.providers.ranged import ConcatenatedByteSource, HttpByteSource

        objects = await self.result_objects(file_id)
        sources = [
            (
                HttpByteSource(
                    self.storage, target.media_route, label=f"{self.label}: {target.uri}"
                ),
                size,
            )
            for target, size in objects
        ]
        if len(sources) == 1:
            return sources[0][0]
        sized = [(source, size) for source, size in sources if size is not None]
        if len(sized) != len(sources):
            return None  # shards of unknown size: no byte offset can be placed
        return ConcatenatedByteSource(sized, label=f"{self.label}: {file_id}")

    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        objects = await self.result_objects(file_id)
        if len(objects) == 1:  # one file: resumable through `dest.part`
            target = objects[0][0]
            return await self.storage.download(
                target.media_route, dest, progress=progress, call=f"GET {target.uri}"
            )
        # Several shards are concatenated into one file (started over if interrupted).
        sizes = [size for _target, size in objects]
        total = None if None in sizes else sum(size or 0 for size in sizes)
        written = 0
        with atomic_output(dest) as handle:
            for target, _size in objects:
                position, last = 0, b"\n"
                chunks = self.storage.iter_chunks(target.media_route, call=f"GET {target.uri}")
                async with contextlib.aclosing(chunks) as stream:
                    async for chunk in stream:
                        # After a resume the server may start over: skip what was written.
                        data = chunk.data[max(position - chunk.offset, 0) :]
                        if not data:
                            continue
                        handle.write(data)
                        position += len(data)
                        written += len(data)
                        last = data[-1:]
                        if progress:
                            progress(written, total)
                if last != b"\n":  # keep the next shard's first line on a line of its own
                    handle.write(b"\n")
        return dest
