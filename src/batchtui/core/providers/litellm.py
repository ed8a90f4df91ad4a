"""The LiteLLM proxy (reference §3): OpenAI's routes and Bearer auth.

The provider behind the proxy is the profile's `extra_body.custom_llm_provider`
(`"vertex_ai"`...). It travels in the create body (the whole `extra_body` does) and as the
`custom_llm_provider` query parameter of every other call, where LiteLLM looks for it on
retrieve, list, cancel, upload and file content (§3.1).

Vertex AI batches behind LiteLLM (recognised by their `gs://` file ids; §3.2, §6 items
9-14, 24): file ids are raw `gs://` URIs, quoted once in paths like any id;
`completion_window` is `"24hrs"` and `endpoint` `""` (the registry keeps the known one);
`validating` means queued; `output_file_id` names the input's folder until Vertex has
written results; there are no request counts (count result rows instead); result rows
may be Vertex-native (`request`/`response`/`status`), which the result parser reads.

Finding a job again: Vertex keeps no metadata, and LiteLLM chooses the job name and the
output folder itself, so no tag can travel with the batch. The only thing echoed back is
`input_file_id`, unique to each upload: `create` remembers which tag went with which input
file, and batches on that file are reported with the tag, so `find_by_tag` works after an
ambiguous create in the same process; after a crash, the job service passes the input
file id it recorded after the upload, and `find_by_tag` matches the batch on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from batchtui.core.models import BatchSpec, RemoteBatch
from batchtui.core.providers.base import TAG_METADATA_KEY
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

LLM_PROVIDER_FIELD = "custom_llm_provider"


class LiteLLMProvider(OpenAIProvider):
    kind: ClassVar[str] = "litellm"
    # Managed and model-encoded ids may come back in another encoding (reference §0.3).
    answers_with_the_id_asked: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        llm_provider = self.extra_body.get(LLM_PROVIDER_FIELD)
        if llm_provider:
            params = self.http.client.params.set(LLM_PROVIDER_FIELD, str(llm_provider))
            self.http.client.params = params
        self._tags_by_input_file: dict[str, str] = {}

    async def create(self, spec: BatchSpec) -> RemoteBatch:
        tag = spec.metadata.get(TAG_METADATA_KEY)
        if tag:
            self._tags_by_input_file[spec.input_file_id] = tag
        return await super().create(spec)

    def parse_batch(self, value: Any, call: str) -> RemoteBatch:
        batch = super().parse_batch(value, call)
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
