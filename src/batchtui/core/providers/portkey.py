"""The Portkey AI gateway (reference §2): OpenAI's routes, Portkey's headers.

The profile's `headers` choose what is behind the gateway: `x-portkey-provider` (or a
config / virtual key) always, and for Vertex AI the bucket, model and object name headers
(`x-portkey-vertex-storage-bucket-name`, `x-portkey-provider-model`,
`x-portkey-provider-file-name`). The key goes in `x-portkey-api-key`. A fixed
`x-portkey-provider-file-name` makes every upload overwrite one object, perhaps while a
queued job still has to read it: leave it unset and Portkey names each `<uuid>.jsonl`.

Results are read through Portkey's own `GET /batches/{id}/output`, so a batch's output
file id is reported as that route, a route rather than a file (with no size to announce). For
OpenAI behind Portkey (§2.2) the route serves the output file only, and the real output file
id rides along (`batches/<id>/output?file_id=<output file id>`): the open-source gateway
builds the route's upstream URL from api.openai.com whatever `x-portkey-custom-host` says, so
when the route answers 5xx it is asked once only and the file is read through
`/files/{output file id}/content`, which follows the custom host. The error file keeps its
own id and is read through `/files/{id}/content`; a batch without output answers its
`errors` object on the route as JSON, raised as an error, never read as result lines.

Behind Portkey, Vertex AI batches (recognised by their `gs://` file ids) differ (§2.3, §6
items 21-22): `validating` means queued; `error_file_id` is the output folder, not a file
(dropped here: failed rows are inside the output); cancel answers `{}`; listing cannot go
past the first page; and OpenAI metadata is lost. So that a job can still be found by its
tag after a crash, create points Vertex's output at `<input folder>/batchtui-<tag>/`, and
the tag is read back from the folder Portkey reports. Limit: only the first page of
`GET /batches` (the newest `page_size` jobs, if Vertex lists newest first) is searched.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlencode

from batchtui.core.config import Profile
from batchtui.core.errors import ConfigError, ProviderError
from batchtui.core.models import BatchSpec, RemoteBatch, RemoteFile
from batchtui.core.providers.base import TAG_METADATA_KEY, ProgressCallback
from batchtui.core.providers.http import RetryPolicy, one_line
from batchtui.core.providers.openai import OpenAIProvider, quote_id
from batchtui.core.providers.openai_wire import ListPage, parse_batch_errors
from batchtui.core.providers.vertex_gateway import (
    cloud_storage_uri,
    folder_of,
    is_results_file,
    is_vertex_batch,
    is_vertex_batch_object,
    vertex_status,
)
from batchtui.core.remote_output import ByteSource

# Any one of these tells Portkey which provider to forward to.
PROVIDER_HEADERS = ("x-portkey-provider", "x-portkey-config", "x-portkey-virtual-key")
PROVIDER_MODEL_HEADER = "x-portkey-provider-model"
# Vertex AI's limit on a job's displayName.
MAX_JOB_NAME = 128

_OUTPUT_ROUTE_ID = re.compile(r"batches/(?P<id>[^/?]+)/output(?:\?(?P<query>.*))?")
_TAG_FOLDER = re.compile(r"/batchtui-(?P<tag>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})/")
# Enough of the first line of an /output answer to recognise an errors object.
_PEEK_BYTES = 64 * 1024
# Keys of a result row in any shape the /output route may pass on.
_ROW_KEYS = frozenset({"custom_id", "request", "key", "response"})


def output_route_id(batch_id: str, output_file_id: str | None = None) -> str:
    """The id under which a batch's output (read through Portkey's route) is reported,
    carrying the real output file id where the batch has one (OpenAI behind Portkey)."""
    route = f"batches/{batch_id}/output"
    if output_file_id is None:
        return route
    return f"{route}?{urlencode({'file_id': output_file_id}, quote_via=quote)}"


def batch_of_output_route(file_id: str) -> str | None:
    match = _OUTPUT_ROUTE_ID.fullmatch(file_id)
    return match.group("id") if match else None


def output_file_of_route(file_id: str) -> str | None:
    """The real output file id an output route id carries, if any."""
    match = _OUTPUT_ROUTE_ID.fullmatch(file_id)
    if match is None or not match.group("query"):
        return None
    found = parse_qs(match.group("query")).get("file_id")
    return found[0] if found else None


def _is_server_error(error: ProviderError) -> bool:
    return error.status_code is not None and error.status_code >= 500


def tag_in_output_folder(file_id: str | None) -> str | None:
    """The batchtui tag in an output folder chosen at create (`.../batchtui-<tag>/...`)."""
    uri = cloud_storage_uri(file_id)
    match = _TAG_FOLDER.search(uri) if uri else None
    return match.group("tag") if match else None


def is_encoded_storage_id(file_id: str) -> bool:
    """Portkey's form of a Cloud Storage id: the `gs://` URI percent-encoded, fit for a path."""
    return "/" not in file_id and cloud_storage_uri(file_id) is not None


def errors_instead_of_rows(first_line: bytes) -> str | None:
    """Why an /output answer holds no results, when it is the batch's errors object.

    Without an output file Portkey answers 200 with the batch's `errors` as one JSON
    object (§2.2, §6 item 23), not JSONL.
    """
    try:
        value = json.loads(first_line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or _ROW_KEYS & value.keys():
        return None
    error = value.get("error")
    if isinstance(error, dict) and error.get("message"):
        found = [str(error["message"])]
    else:
        errors = parse_batch_errors(value.get("errors", value))
        found = [f"{e.code}: {e.message}" if e.code else e.message for e in errors[:3]]
    if any(found):
        return "the batch has no output; the gateway sent its errors instead: " + "; ".join(found)
    text = one_line(first_line.decode("utf-8", "replace"), 200)
    return f"the batch has no output; the gateway sent JSON instead of result lines: {text}"


class PortkeyProvider(OpenAIProvider):
    kind: ClassVar[str] = "portkey"
    # Portkey cannot page past the first list page (it drops Vertex's page token): running
    # jobs are refreshed with one GET each.
    list_page_size: ClassVar[int | None] = None  # type: ignore[assignment]

    @classmethod
    def from_profile(
        cls, profile: Profile, *, debug: bool = False, retry: RetryPolicy | None = None
    ) -> OpenAIProvider:
        names = {name.lower() for name in profile.headers}
        if not names.intersection(PROVIDER_HEADERS):
            raise ConfigError(
                f"profile {profile.name!r}: kind portkey needs a provider: set "
                f'headers = {{ "x-portkey-provider" = "@vertexai" }} (your Model Catalog slug)'
                f" in [profiles.{profile.name}]"
            )
        if profile.model and PROVIDER_MODEL_HEADER not in names:
            # Vertex uploads are transformed for this model; the profile's default will do.
            headers = {**profile.headers, PROVIDER_MODEL_HEADER: profile.model}
            profile = profile.model_copy(update={"headers": headers})
        return super().from_profile(profile, debug=debug, retry=retry)

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"x-portkey-api-key": api_key} if api_key else {}

    # --- create ----------------------------------------------------------------------

    def create_body(self, spec: BatchSpec) -> dict[str, Any]:
        body = super().create_body(spec)
        input_uri = cloud_storage_uri(spec.input_file_id)
        if input_uri is None:  # not Vertex: Portkey passes the body on as it is
            return body
        model = (
            spec.model or body.get("model") or self.http.client.headers.get(PROVIDER_MODEL_HEADER)
        )
        if model:
            body["model"] = model
        tag = spec.metadata.get(TAG_METADATA_KEY)
        if tag:
            # Vertex keeps no metadata; the output folder is echoed in every batch object.
            prefix = str(body.get("output_data_config") or folder_of(input_uri))
            body["output_data_config"] = f"{prefix.rstrip('/')}/batchtui-{tag}/"
        name = spec.name or (f"batchtui-{tag}" if tag else None)
        if name and "job_name" not in body:
            body["job_name"] = name[:MAX_JOB_NAME]
        return body

    # --- batch objects ---------------------------------------------------------------

    def parse_batch(self, value: Any, call: str) -> RemoteBatch:
        batch = super().parse_batch(value, call)
        if is_vertex_batch(batch):
            return self._vertex_view(batch)
        if batch.output_file_id and batch.status.may_have_results:
            route = output_route_id(batch.id, batch.output_file_id)
            return batch.model_copy(update={"output_file_id": route})
        return batch

    def _vertex_view(self, batch: RemoteBatch) -> RemoteBatch:
        # Portkey reports Vertex's output prefix as `error_file_id`, and as the output
        # file id too until Vertex has written the results.
        folder = batch.error_file_id
        has_output = batch.status.may_have_results and is_results_file(
            batch.output_file_id, folder=folder
        )
        metadata = dict(batch.metadata)
        tag = tag_in_output_folder(folder) or tag_in_output_folder(batch.output_file_id)
        if tag:
            metadata.setdefault(TAG_METADATA_KEY, tag)
        return batch.model_copy(
            update={
                "status": vertex_status(batch.status),
                "output_file_id": output_route_id(batch.id) if has_output else None,
                "error_file_id": None,
                "metadata": metadata,
            }
        )

    def _parse(self, parser: Callable[[Any], Any], value: Any, call: str) -> Any:
        parsed = super()._parse(parser, value, call)
        if isinstance(parsed, ListPage) and any(
            is_vertex_batch_object(item) for item in parsed.items
        ):
            # Portkey drops Vertex's nextPageToken and would send `after` as a page token.
            return ListPage(items=parsed.items, has_more=False, next_after=None)
        return parsed

    async def cancel(self, batch_id: str) -> RemoteBatch:
        route = f"{self.batches_route}/{quote_id(batch_id)}/cancel"
        answer = await self.http.request_json("POST", route, idempotent=True)
        if isinstance(answer, dict) and "id" in answer and "status" in answer:
            return self.parse_batch(answer, f"POST {route}")
        # Vertex's own answer to :cancel is passed on (`{}`): ask for the batch instead.
        return await self.retrieve(batch_id)

    # --- results ---------------------------------------------------------------------

    def _content_route(self, file_id: str) -> str:
        # A Vertex file id is already encodeURIComponent(gs://...) and Portkey decodes the
        # path segment once: quoting it again would name another object.
        segment = file_id if is_encoded_storage_id(file_id) else quote_id(file_id)
        return f"{self.files_route}/{segment}/content"

    def _output_route(self, batch_id: str) -> str:
        return f"{self.batches_route}/{quote_id(batch_id)}/output"

    async def file_info(self, file_id: str) -> RemoteFile | None:
        if batch_of_output_route(file_id) is not None:
            return None  # a route, not a file: asking `GET /files/{it}` is only a 404
        return await super().file_info(file_id)

    @staticmethod
    def _retry_route(file_id: str) -> bool:
        """Whether to retry (and resume) the output route: not where the real output file can
        be read instead (a 5xx or a dropped answer goes there); yes where the route is the
        only way (Vertex behind Portkey; ids stored before the file id rode along)."""
        return output_file_of_route(file_id) is None

    async def _fallback_file(self, file_id: str, batch_id: str, error: ProviderError) -> str:
        """The output file to read after the route failed, or the route's error."""
        output_file_id = output_file_of_route(file_id)
        if output_file_id is not None:
            if _is_server_error(error) or error.retryable:
                return output_file_id
            raise error
        if not _is_server_error(error):
            raise error
        # An id stored before the real one rode along: the batch still names its file.
        batch = await self.retrieve(batch_id)
        output_file_id = output_file_of_route(batch.output_file_id or "")
        if output_file_id is None:  # Vertex behind Portkey: the route is the only way
            raise error
        return output_file_id

    async def byte_source(self, file_id: str) -> ByteSource | None:
        if batch_of_output_route(file_id) is not None:
            return None  # a route with fallbacks of its own, read as a stream
        return await super().byte_source(file_id)

    def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:
        batch_id = batch_of_output_route(file_id)
        if batch_id is None:
            return super().iter_lines(file_id)
        return self._output_lines(file_id, batch_id)

    async def _output_lines(self, file_id: str, batch_id: str) -> AsyncIterator[bytes]:
        route = self._output_route(batch_id)
        call = f"GET {route}"
        delivered = 0
        checked = False
        fallback: str | None = None
        retry = self._retry_route(file_id)
        async with aclosing(self.http.iter_lines(route, call=call, retry=retry)) as lines:
            try:
                async for line in lines:
                    if not checked and line.strip():
                        checked = True
                        problem = errors_instead_of_rows(line)
                        if problem:
                            break
                    yield line
                    delivered += 1
                else:
                    problem = None
            except ProviderError as error:
                fallback = await self._fallback_file(file_id, batch_id, error)
                problem = None
        if problem:
            raise self.http.error(ProviderError, call, problem)
        if fallback is not None:
            # The route streams the output file itself: the lines already given are its first.
            async with aclosing(super().iter_lines(fallback)) as lines:
                async for line in lines:
                    if delivered:
                        delivered -= 1
                        continue
                    yield line

    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        batch_id = batch_of_output_route(file_id)
        if batch_id is None:
            return await super().download(file_id, dest, progress=progress)
        route = self._output_route(batch_id)
        call = f"GET {route}"
        try:
            retry = self._retry_route(file_id)
            path = await self.http.download(route, dest, progress=progress, call=call, retry=retry)
        except ProviderError as error:
            fallback = await self._fallback_file(file_id, batch_id, error)
            return await super().download(fallback, dest, progress=progress)
        with path.open("rb") as handle:
            first = handle.readline(_PEEK_BYTES)
        problem = errors_instead_of_rows(first)
        if problem:
            path.unlink(missing_ok=True)
            raise self.http.error(ProviderError, call, problem)
        return path
