"""Google's batch wire objects turned into batchtui models (reference §4.3, §4.6, §5.3, §5.4).

- Gemini Developer API: a batch is a long-running Operation whose `metadata` is the batch
  (`BATCH_STATE_*`, `batchStats` counts as int64 strings, results in `output.responsesFile`
  or inline in `output.inlinedResponses.inlinedResponses`).
- Vertex AI: a `BatchPredictionJob` (`JOB_STATE_*`, `completionStats` once it ended, results
  in every `*.jsonl` under `outputInfo.gcsOutputDirectory`).

Neither has OpenAI's batch metadata, so the job's tag travels in the display name
(`batchtui-<tag> <name>`) and, on Vertex, in the job's labels and its output folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from batchtui.core.models import BatchError, RemoteBatch, RequestCounts
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.openai_wire import (
    WireFormatError,
    file_id_or_none,
    parse_timestamp,
)
from batchtui.core.status import JobStatus

# §4.6. There is no CANCELLING: after `:cancel` the provider reports it locally.
GEMINI_STATE_MAP: dict[str, JobStatus] = {
    "BATCH_STATE_UNSPECIFIED": JobStatus.PENDING,
    "BATCH_STATE_PENDING": JobStatus.PENDING,
    "BATCH_STATE_RUNNING": JobStatus.IN_PROGRESS,
    "BATCH_STATE_SUCCEEDED": JobStatus.COMPLETED,
    "BATCH_STATE_FAILED": JobStatus.FAILED,
    "BATCH_STATE_CANCELLED": JobStatus.CANCELLED,
    "BATCH_STATE_EXPIRED": JobStatus.EXPIRED,
}

# §5.4: PARTIALLY_SUCCEEDED is a completed job with failed rows (`raw_status` keeps it).
VERTEX_STATE_MAP: dict[str, JobStatus] = {
    "JOB_STATE_UNSPECIFIED": JobStatus.PENDING,
    "JOB_STATE_QUEUED": JobStatus.PENDING,
    "JOB_STATE_PENDING": JobStatus.PENDING,
    "JOB_STATE_RUNNING": JobStatus.IN_PROGRESS,
    "JOB_STATE_UPDATING": JobStatus.IN_PROGRESS,
    "JOB_STATE_PAUSED": JobStatus.PAUSED,
    "JOB_STATE_CANCELLING": JobStatus.CANCELLING,
    "JOB_STATE_CANCELLED": JobStatus.CANCELLED,
    "JOB_STATE_SUCCEEDED": JobStatus.COMPLETED,
    "JOB_STATE_PARTIALLY_SUCCEEDED": JobStatus.COMPLETED,
    "JOB_STATE_FAILED": JobStatus.FAILED,
    "JOB_STATE_EXPIRED": JobStatus.EXPIRED,
}

# Where a Google `endTime` goes, by the state the job ended in.
_END_TIMESTAMP = {
    JobStatus.COMPLETED: "completed_at",
    JobStatus.FAILED: "failed_at",
    JobStatus.EXPIRED: "expired_at",
    JobStatus.CANCELLED: "cancelled_at",
}

TAG_PREFIX = "batchtui-"
# `batchtui-<tag>` in display names, `batchtui/<tag>/` in Vertex output folders.
_TAG = re.compile(r"batchtui[-/](?P<tag>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})")
# Vertex AI's limit on a job's displayName; Gemini's is not documented, so the same is used.
MAX_DISPLAY_NAME = 128
# An inline Gemini batch's responses, read like a file: `batches/<id>/inlinedResponses`.
INLINE_RESULTS_SUFFIX = "/inlinedResponses"


def normalize_gemini_state(raw: str | None) -> JobStatus:
    return GEMINI_STATE_MAP.get((raw or "").strip().upper(), JobStatus.PENDING)


def normalize_vertex_state(raw: str | None) -> JobStatus:
    return VERTEX_STATE_MAP.get((raw or "").strip().upper(), JobStatus.PENDING)


def display_name(name: str | None, tag: str | None) -> str:
    """`batchtui-<tag> <name>`, the tag first so that a long name cannot cut it off."""
    parts = [f"{TAG_PREFIX}{tag}" if tag else "", (name or "").strip()]
    text = " ".join(part for part in parts if part) or "batchtui"
    return text[:MAX_DISPLAY_NAME]


def tag_in(text: object) -> str | None:
    """The batchtui tag inside a display name or a Cloud Storage path, if any."""
    match = _TAG.search(text) if isinstance(text, str) else None
    return match.group("tag") if match else None


def short_model_name(model: object) -> str | None:
    """`models/gemini-2.5-flash` and `publishers/google/models/gemini-2.5-flash` -> the name."""
    if not isinstance(model, str) or not model:
        return None
    _head, sep, tail = model.rpartition("models/")
    return tail if sep and tail and "/" not in tail else model


def int64(value: Any) -> int:
    """A Google int64 (sent as a string, may be missing): a non-negative int, 0 when
    unknown (absent, or not a usable number)."""
    from batchtui.core.wire_numbers import wire_count

    return wire_count(value, "count") or 0


def google_error(value: Any) -> BatchError | None:
    """A `google.rpc.Status` (`{"code": 3, "message": ..., "status"?}`) as a job error."""
    if not isinstance(value, Mapping):
        return None
    code = value.get("status") or value.get("code")
    message = value.get("message")
    if not message and code is None:
        return None
    return BatchError(
        code=str(code) if code not in (None, "") else None, message=str(message or "")
    )


def _timestamps(status: JobStatus, *, created: Any, started: Any, ended: Any) -> dict[str, Any]:
    stamps = {"created_at": parse_timestamp(created), "in_progress_at": parse_timestamp(started)}
    end_field = _END_TIMESTAMP.get(status)
    if end_field:
        stamps[end_field] = parse_timestamp(ended)
    return stamps


def _require(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WireFormatError(f"expected a {what} object, got {type(value).__name__}")
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise WireFormatError(f"{what} object has no usable 'name'")
    return value


# --- Gemini Developer API --------------------------------------------------------------


def inline_results_id(batch_name: str) -> str:
    return batch_name + INLINE_RESULTS_SUFFIX


def batch_of_inline_results(file_id: str) -> str | None:
    if file_id.startswith("batches/") and file_id.endswith(INLINE_RESULTS_SUFFIX):
        return file_id.removesuffix(INLINE_RESULTS_SUFFIX)
    return None


def gemini_output(operation: Mapping[str, Any]) -> Mapping[str, Any]:
    """The batch's output: in `metadata.output`, or in `response` once done (§4.3)."""
    metadata = operation.get("metadata")
    output = metadata.get("output") if isinstance(metadata, Mapping) else None
    if isinstance(output, Mapping) and output:
        return output
    response = operation.get("response")
    return response if isinstance(response, Mapping) else {}


def gemini_inline_responses(operation: Mapping[str, Any]) -> list[Any] | None:
    """The inline responses list (`inlinedResponses.inlinedResponses`), None if not inline."""
    inlined = gemini_output(operation).get("inlinedResponses")
    if isinstance(inlined, Mapping):
        items = inlined.get("inlinedResponses")
        return items if isinstance(items, list) else []
    return inlined if isinstance(inlined, list) else None


def parse_gemini_operation(value: Any) -> RemoteBatch:
    """A Gemini batch Operation (create, get, and each list item) as a `RemoteBatch`."""
    operation = _require(value, "batch operation")
    name = operation["name"]
    batch = operation.get("metadata")
    batch = batch if isinstance(batch, Mapping) else {}
    raw_state = batch.get("state")
    if raw_state is not None and not isinstance(raw_state, str):
        raise WireFormatError(f"batch {name}: 'state' is {type(raw_state).__name__}")
    status = normalize_gemini_state(raw_state)
    output = gemini_output(operation)
    output_file = file_id_or_none(output.get("responsesFile"))
    if output_file is None and gemini_inline_responses(operation) is not None:
        output_file = inline_results_id(name)
    stats = batch.get("batchStats")
    stats = stats if isinstance(stats, Mapping) else {}
    input_config = batch.get("inputConfig")
    input_file = (
        file_id_or_none(input_config.get("fileName")) if isinstance(input_config, Mapping) else None
    )
    error = google_error(operation.get("error"))
    tag = tag_in(batch.get("displayName"))
    return RemoteBatch(
        id=name,
        status=status,
        raw_status=raw_state or "",
        model=short_model_name(batch.get("model")),
        input_file_id=input_file,
        output_file_id=output_file,
        request_counts=RequestCounts(
            total=int64(stats.get("requestCount")),
            completed=int64(stats.get("successfulRequestCount")),
            failed=int64(stats.get("failedRequestCount")),
        ),
        timestamps=_timestamps(
            status,
            created=batch.get("createTime"),
            started=batch.get("startTime"),
            ended=batch.get("endTime"),
        ),
        errors=[error] if error else [],
        metadata={TAG_METADATA_KEY: tag} if tag else {},
        raw=dict(operation),
    )


# --- Vertex AI ----------------------------------------------------------------------------


def parse_vertex_job(value: Any) -> RemoteBatch:
    """A `BatchPredictionJob` as a `RemoteBatch`; the output folder (with a trailing `/`)
    stands for every predictions file in it."""
    job = _require(value, "batchPredictionJob")
    name = job["name"]
    raw_state = job.get("state")
    if raw_state is not None and not isinstance(raw_state, str):
        raise WireFormatError(f"job {name}: 'state' is {type(raw_state).__name__}")
    status = normalize_vertex_state(raw_state)
    output_info = job.get("outputInfo")
    directory = (
        file_id_or_none(output_info.get("gcsOutputDirectory"))
        if isinstance(output_info, Mapping)
        else None
    )
    stats = job.get("completionStats")
    stats = stats if isinstance(stats, Mapping) else {}
    succeeded, failed = int64(stats.get("successfulCount")), int64(stats.get("failedCount"))
    labels = job.get("labels")
    metadata = (
        {str(key): str(item) for key, item in labels.items() if item is not None}
        if isinstance(labels, Mapping)
        else {}
    )
    tag = metadata.get(TAG_METADATA_KEY) or tag_in(job.get("displayName"))
    tag = tag or tag_in(_output_prefix(job))
    if tag:
        metadata[TAG_METADATA_KEY] = tag
    error = google_error(job.get("error"))
    return RemoteBatch(
        id=name,
        status=status,
        raw_status=raw_state or "",
        model=short_model_name(job.get("model")),
        input_file_id=_input_uri(job),
        output_file_id=directory.rstrip("/") + "/" if directory else None,
        request_counts=RequestCounts(
            total=succeeded + failed + int64(stats.get("incompleteCount")),
            completed=succeeded,
            failed=failed,
        ),
        timestamps=_timestamps(
            status,
            created=job.get("createTime"),
            started=job.get("startTime"),
            ended=job.get("endTime"),
        ),
        errors=[error] if error else [],
        metadata=metadata,
        raw=dict(job),
    )


def _input_uri(job: Mapping[str, Any]) -> str | None:
    config = job.get("inputConfig")
    source = config.get("gcsSource") if isinstance(config, Mapping) else None
    uris = source.get("uris") if isinstance(source, Mapping) else None
    if isinstance(uris, str):  # Portkey sends a bare string, and Vertex takes it (§5.3)
        return file_id_or_none(uris)
    return file_id_or_none(uris[0]) if isinstance(uris, list) and uris else None


def _output_prefix(job: Mapping[str, Any]) -> str | None:
    config = job.get("outputConfig")
    destination = config.get("gcsDestination") if isinstance(config, Mapping) else None
    prefix = destination.get("outputUriPrefix") if isinstance(destination, Mapping) else None
    return prefix if isinstance(prefix, str) else None
