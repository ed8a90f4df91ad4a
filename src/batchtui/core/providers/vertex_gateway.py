"""What a Vertex AI batch looks like behind an OpenAI-shaped gateway (Portkey, LiteLLM).

Both gateways hand out Cloud Storage URIs as file ids (Portkey percent-encodes them,
LiteLLM does not), both report Vertex's queued states as `validating` although Vertex has
no validation phase, and both report a *folder* where OpenAI has an output file until the
job has written its results (reference §2.3, §3.2, §5b).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from batchtui.core.models import RemoteBatch
from batchtui.core.status import JobStatus

_GS_SCHEME = "gs://"


def cloud_storage_uri(file_id: str | None) -> str | None:
    """The `gs://` URI a gateway file id stands for, decoded if the gateway encoded it."""
    if not file_id:
        return None
    for candidate in (file_id, unquote(file_id)):
        if candidate[: len(_GS_SCHEME)].lower() == _GS_SCHEME:
            return candidate
    return None


def is_vertex_batch(batch: RemoteBatch) -> bool:
    """A batch whose files live in Cloud Storage: Vertex AI behind the gateway."""
    return any(
        cloud_storage_uri(file_id)
        for file_id in (batch.input_file_id, batch.output_file_id, batch.error_file_id)
    )


def is_vertex_batch_object(value: Any) -> bool:
    """The same test on a raw batch object (an item of a list page)."""
    if not isinstance(value, dict):
        return False
    return any(
        isinstance(value.get(field), str) and cloud_storage_uri(value[field])
        for field in ("input_file_id", "output_file_id", "error_file_id")
    )


def vertex_status(status: JobStatus) -> JobStatus:
    """Vertex has no validation: the gateways' `validating` is queued or pending (§3.4)."""
    return JobStatus.PENDING if status is JobStatus.VALIDATING else status


def is_results_file(file_id: str | None, *, folder: str | None) -> bool:
    """A Cloud Storage id naming a written results file rather than the output folder.

    Until Vertex has written its results the gateways report the output prefix (a folder,
    with or without a trailing slash) where OpenAI has the output file id; `folder` is
    that prefix when it is known.
    """
    uri = cloud_storage_uri(file_id)
    if uri is None or uri.endswith("/"):
        return False
    folder_uri = cloud_storage_uri(folder)
    return folder_uri is None or uri != folder_uri.rstrip("/")


def folder_of(uri: str) -> str:
    """`gs://bucket/a/b.jsonl` -> `gs://bucket/a/`; a bucket-level object gives `gs://bucket/`."""
    head, _, _name = uri.rpartition("/")
    return head + "/" if len(head) > len(_GS_SCHEME) else uri.rstrip("/") + "/"
