"""The LiteLLM proxy (reference §3): OpenAI's routes and Bearer auth.

The provider behind the proxy is the profile's `extra_body.custom_llm_provider`
(`"vertex_ai"`...). It travels in the create body (the whole `extra_body` does) and as the
`custom_llm_provider` query parameter of every other call, where LiteLLM looks for it on
retrieve, list, cancel, upload and file content (§3.1).

Vertex AI batches behind LiteLLM (recognised by their `gs://` file ids; §3.2, §6 items
9-14, 24): file ids are raw `gs://` URIs, quoted once in paths like any id;
`completion_window` is `"24h"` (`"24hrs"` before 1.108) and `endpoint` `""` (the registry
keeps the known one); `validating` means queued; `output_file_id` is null (older proxies:
the input's folder) until Vertex has written results; there are no request counts (they
are unknown until the result rows are counted); result rows may be Vertex-native
(`request`/`response`/`status`), which the result parser reads.

Finding a job again: Vertex keeps no metadata, and LiteLLM chooses the job name and the
output folder itself, so no tag can travel with the batch. The only thing echoed back is
`input_file_id`, unique to each upload: `create` remembers which tag went with which input
file, and batches on that file are reported with the tag, so `find_by_tag` works after an
ambiguous create in the same process; after a crash, the job service passes the input
file id it recorded after the upload, and `find_by_tag` matches the batch on it.

Results of Vertex AI batches: LiteLLM (1.108) refuses `GET /files/gs://.../content` unless
it has a database to map raw Cloud Storage ids to its managed ids, so the prediction
files are read straight from Cloud Storage with the profile's Google credentials
(`credentials`, optionally `bucket` and `storage_url`), through the `vertex` kind's
Cloud Storage client: every `*.jsonl` in the output's folder, as Vertex may shard it.
A profile without credentials still asks the proxy (older proxies serve the content);
when the proxy refuses, one line says what to configure. Ids that are not `gs://` URIs
(LiteLLM's managed or model-encoded file ids) are read through the proxy like OpenAI's.
Vertex batches report no request counts: they are unknown until the results are read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from batchtui.core.config import Profile
from batchtui.core.errors import ConfigError, ProviderError
from batchtui.core.models import BatchSpec, RemoteBatch, RemoteFile, RequestCounts
from batchtui.core.providers.base import TAG_METADATA_KEY, ProgressCallback
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.providers.openai_wire import ListPage
from batchtui.core.providers.vertex_gateway import (
    cloud_storage_uri,
    folder_of,
    is_results_file,
    is_vertex_batch,
    is_vertex_batch_object,
    vertex_status,
)
from batchtui.core.remote_output import ByteSource

if TYPE_CHECKING:
    from batchtui.core.providers.vertex import VertexProvider

LLM_PROVIDER_FIELD = "custom_llm_provider"
# What LiteLLM's own ids decode to: model-encoded (`litellm:<provider id>;model,<name>`) and
# managed ones (`litellm_proxy:<mime>;unified_id,...`), base64url after an optional prefix.
_LITELLM_ID_PREFIXES = (b"litellm:", b"litellm_proxy")


def is_litellm_encoded(file_id: str) -> bool:
    """An id LiteLLM made (model-encoded or managed) rather than the provider's own."""
    body = file_id.removeprefix("file-")
    try:
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, binascii.Error):
        return False
    return decoded.startswith(_LITELLM_ID_PREFIXES)


@dataclass(frozen=True)
class CloudStorageAccess:
    """What reading Vertex AI results from Cloud Storage takes (the profile's settings)."""

    credentials_file: Path
    bucket: str | None = None
    storage_url: str | None = None


class LiteLLMProvider(OpenAIProvider):
    kind: ClassVar[str] = "litellm"
    # Managed and model-encoded ids may come back in another encoding (reference §0.3).
    answers_with_the_id_asked: ClassVar[bool] = False

    def __init__(self, *, cloud_storage: CloudStorageAccess | None = None, **options: Any) -> None:
        super().__init__(**options)
        llm_provider = self.extra_body.get(LLM_PROVIDER_FIELD)
        if llm_provider:
            params = self.http.client.params.set(LLM_PROVIDER_FIELD, str(llm_provider))
            self.http.client.params = params
        self._tags_by_input_file: dict[str, str] = {}
        self.cloud_storage = cloud_storage
        self._storage_reader: VertexProvider | None = None
        self._options = options

    @classmethod
    def from_profile(
        cls, profile: Profile, *, debug: bool = False, retry: RetryPolicy | None = None
    ) -> LiteLLMProvider:
        access = None
        if profile.credentials:
            access = CloudStorageAccess(
                Path(profile.credentials).expanduser(), profile.bucket, profile.storage_url
            )
        return cls(**cls.profile_arguments(profile, debug=debug, retry=retry), cloud_storage=access)

    async def aclose(self) -> None:
        await super().aclose()
        if self._storage_reader is not None:
            await self._storage_reader.aclose()

    async def create(self, spec: BatchSpec) -> RemoteBatch:
        tag = spec.metadata.get(TAG_METADATA_KEY)
        if tag:
            self._tags_by_input_file[spec.input_file_id] = tag
        return await super().create(spec)

    def parse_batch(self, value: Any, call: str) -> RemoteBatch:
        batch = super().parse_batch(value, call)
        if not isinstance(value, dict) or not isinstance(value.get("request_counts"), dict):
            # Vertex behind LiteLLM (managed or model-encoded ids too) counts nothing.
            batch = batch.model_copy(update={"request_counts": RequestCounts.unknown()})
        if not is_vertex_batch(batch):
            return batch
        input_uri = cloud_storage_uri(batch.input_file_id)
        # Vertex writes under the input file's folder, which is reported until it has.
        folder = folder_of(input_uri) if input_uri else None
        has_output = batch.status.may_have_results and is_results_file(
            batch.output_file_id, folder=folder
        )
        metadata = dict(batch.metadata)
        tag = self._tags_by_input_file.get(batch.input_file_id or "")
        if tag:
            metadata.setdefault(TAG_METADATA_KEY, tag)
        return batch.model_copy(
            update={
                "status": vertex_status(batch.status),
                "output_file_id": batch.output_file_id if has_output else None,
                "error_file_id": None,
                "metadata": metadata,
            }
        )

    # --- results of Vertex AI batches: Cloud Storage ----------------------------------

    def _storage(self, uri: str) -> VertexProvider:
        """The `vertex` kind's Cloud Storage client, signed in with the profile's
        credentials; a one-line ConfigError when the profile has none."""
        access = self.cloud_storage
        if access is None:
            raise ConfigError(
                f"{self.label}: the LiteLLM proxy does not serve Vertex AI results "
                f"({uri}) without its database: give the profile the Google credentials "
                "to read them from Cloud Storage (profile add NAME --kind litellm "
                "--credentials FILE --bucket BUCKET --replace ...)"
            )
        bucket = access.bucket.removeprefix("gs://").split("/", 1)[0] if access.bucket else None
        if bucket and not uri.startswith(f"gs://{bucket}/"):
            raise ConfigError(
                f"{self.label}: {uri} is outside the profile's bucket {bucket!r}: "
                "results are read only from the configured bucket (set bucket)"
            )
        if self._storage_reader is None:
            from batchtui.core.providers import DEFAULT_VERTEX_LOCATION
            from batchtui.core.providers.google_auth import GoogleCredentials
            from batchtui.core.providers.vertex import DEFAULT_STORAGE_URL, VertexProvider

            timeout = self._options.get("timeout", 60.0)
            self._storage_reader = VertexProvider(
                label=self.label,
                base_url=DEFAULT_STORAGE_URL,  # no Vertex AI call is made: storage only
                storage_url=access.storage_url or DEFAULT_STORAGE_URL,
                credentials=GoogleCredentials(
                    label=self.label, credentials_file=access.credentials_file, timeout=timeout
                ),
                project=None,
                location=DEFAULT_VERTEX_LOCATION,
                bucket=access.bucket,
                timeout=timeout,
                debug=self._options.get("debug", False),
                retry=self._options.get("retry"),
            )
        return self._storage_reader

    def iter_lines(self, file_id: str) -> AsyncIterator[bytes]:
        uri = cloud_storage_uri(file_id)
        if uri is None:
            return super().iter_lines(file_id)
        if self.cloud_storage is not None:
            return self._storage(uri).iter_lines(folder_of(uri))
        return self._proxy_lines(file_id, uri)

    async def byte_source(self, file_id: str) -> ByteSource | None:
        uri = cloud_storage_uri(file_id)
        if uri is None:
            return await super().byte_source(file_id)
        if self.cloud_storage is not None:
            return await self._storage(uri).byte_source(folder_of(uri))
        return None  # content the proxy reads from Cloud Storage and may convert

    async def _proxy_lines(self, file_id: str, uri: str) -> AsyncIterator[bytes]:
        try:
            async for line in super().iter_lines(file_id):
                yield line
        except ProviderError as error:
            if error.status_code == 400:
                self._storage(uri)  # raises: what to configure
            raise

    async def download(
        self, file_id: str, dest: Path, *, progress: ProgressCallback | None = None
    ) -> Path:
        uri = cloud_storage_uri(file_id)
        if uri is None:
            return await super().download(file_id, dest, progress=progress)
        if self.cloud_storage is not None:
            return await self._storage(uri).download(folder_of(uri), dest, progress=progress)
        try:
            return await super().download(file_id, dest, progress=progress)
        except ProviderError as error:
            if error.status_code == 400:
                self._storage(uri)
            raise

    async def file_info(self, file_id: str) -> RemoteFile | None:
        if cloud_storage_uri(file_id) is not None or is_litellm_encoded(file_id):
            # A folder of shards read from Cloud Storage, or content LiteLLM converts on the
            # way out (Vertex rows to OpenAI ones): the file object's size is not the
            # content's, so there is no one size to check against.
            return None
        return await super().file_info(file_id)

    def _parse(self, parser: Callable[[Any], Any], value: Any, call: str) -> Any:
        parsed = super()._parse(parser, value, call)
        if not isinstance(parsed, ListPage) or not isinstance(value, dict):
            return parsed
        token = value.get("next_page_token")
        if isinstance(token, str) and token:
            # Vertex pages by token; LiteLLM passes `after` on as the page token.
            return ListPage(items=parsed.items, has_more=True, next_after=token)
        if any(is_vertex_batch_object(item) for item in parsed.items):
            # A job id is no page token: without one there is no next page to ask for.
            return ListPage(items=parsed.items, has_more=False, next_after=None)
        return parsed
