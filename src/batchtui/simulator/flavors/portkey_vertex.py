"""Portkey's gateway in front of Vertex AI (providers.md §2.1, §2.3, §6 items 21-23).

Built from Portkey's open-source gateway (src/providers/google-vertex-ai/*) as the reference
describes it, plus what the NYU gateway's docs show (/work/shared/seeds/000):

- Every call needs `x-portkey-provider` (or `x-portkey-config`): 400 otherwise. With
  `--api-key`, the key goes in `x-portkey-api-key` or (newer hosted docs) `Authorization:
  Bearer`; a missing or wrong key is a 401 (hosted gateway's wording unverified).
- Upload (`POST /v1/files`) needs `x-portkey-vertex-storage-bucket-name` and
  `x-portkey-provider-model`. Each OpenAI line becomes `{"request": <Gemini request>,
  "requestId": <custom_id>}`; lines that are not JSON or have no chat `body` are dropped
  silently. The object is `gs://<bucket>/<x-portkey-provider-file-name or <uuid>.jsonl>`; the
  answer has `create_at` (sic) in ms, `bytes` = the request's Content-Length, and an id that is
  the encodeURIComponent of the gs:// URI.
- `GET /v1/files` is a 500 ("listFiles is not supported"); `GET /v1/files/{id}` is Portkey's
  HEAD-based object (`createdAt`/`updatedAt` in ms); `/content` is the raw object.
- Batches are Portkey's conversion of the Vertex job (GoogleToOpenAIBatch): numeric id,
  `completion_window: null`, times in ms (`completed_at` only for SUCCEEDED, `failed_at` for
  FAILED and EXPIRED), `request_counts.completed/failed` as strings and absent until Vertex has
  stats, `output_file_id` the encoded predictions file (the encoded output prefix before the
  job has output), `error_file_id` the encoded output prefix (not an error file), `errors.data`
  the raw Google `{code: int, message}`. `model` is included as the NYU gateway shows it.
- `POST /v1/batches/{id}/cancel` answers Vertex's `{}`. `GET /v1/batches` sends `after` to
  Vertex as a page token: a job id is not one, so any page after the first is an error.
- `GET /v1/batches/{id}/output` converts predictions.jsonl (getOpenAIBatchRow): `custom_id`
  from the row's echoed `requestId`; a failed row has `error` = JSON.parse(status) or the raw
  string, and `response: {request_id, body: false}` without `status_code`; a successful row has
  `error: ""` (JSON.parse("") throws, so the empty status string is kept) and an unmapped
  `finish_reason` ("STOP"). Without output yet the handler throws: a text/plain 500.
- Errors of Vertex itself (unknown job, model not found...) are relayed unchanged.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors.gemini_requests import KeyStyle, NotAChatBody, chat_to_gemini
from batchtui.simulator.flavors.portkey_gateway import failure, portkey_refusal
from batchtui.simulator.flavors.vertex_common import (
    encode_uri_component,
    jsonl_bytes,
    parse_json_line,
    read_openai_upload,
    vertex,
)
from batchtui.simulator.flavors.vertex_engine import VertexEngine, VertexError, epoch_ms
from batchtui.simulator.http_types import (
    Answer,
    FileAnswer,
    Handler,
    IncomingRequest,
    JsonAnswer,
    RawAnswer,
    Route,
)
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.responder import short_hash
from batchtui.simulator.store import Store

PROVIDER = "vertex-ai"
DEFAULT_PAGE_SIZE = 20
CHAT_ENDPOINT = "/v1/chat/completions"
ID = r"(?P<id>[^/]+)"
STATUS_OF_STATE = {
    "JOB_STATE_CANCELLING": "cancelling",
    "JOB_STATE_CANCELLED": "cancelled",
    "JOB_STATE_EXPIRED": "expired",
    "JOB_STATE_FAILED": "failed",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "completed",
    "JOB_STATE_SUCCEEDED": "completed",
    "JOB_STATE_RUNNING": "in_progress",
    "JOB_STATE_UPDATING": "in_progress",
}  # anything else (QUEUED, PENDING, PAUSED, UNSPECIFIED, unknown): validating
GCS_NO_SUCH_KEY = (
    b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code>"
    b"<Message>The specified key does not exist.</Message></Error>"
)


def portkey_status(state: str) -> str:
    return STATUS_OF_STATE.get(state, "validating")


def _google_handler_error(status: int, error: str) -> JsonAnswer:
    """Portkey's GoogleResponseHandler shape for its own Vertex-side refusals."""
    return JsonAnswer(
        status, {"success": False, "error": error, "param": None, "provider": PROVIDER}
    )


def _thrown(message: str) -> RawAnswer:
    """What Portkey's retry handler makes of an Error thrown by a request handler."""
    text = f"Message: {message} Cause: NA Name: Error"
    return RawAnswer(500, "text/plain;charset=UTF-8", text.encode())


def _relay(error: VertexError) -> JsonAnswer:
    return JsonAnswer(error.status, error.google_body())


def _split_gs(file_id: str) -> str:
    """The gs:// URI of a file id as it came in the path (Portkey decodes it once)."""
    return unquote(file_id)


def _time_keys(state: str, stamp: str | None) -> dict[str, int | None]:
    """Portkey's getTimeKey: which *_at a Vertex end/update time fills, in ms."""
    key = {
        "JOB_STATE_FAILED": "failed_at",
        "JOB_STATE_EXPIRED": "failed_at",
        "JOB_STATE_SUCCEEDED": "completed_at",
        "JOB_STATE_CANCELLED": "cancelled_at",
    }.get(state)
    if key is None:
        return {}
    return {key: epoch_ms(stamp) if stamp else None}


def batch_object(job: dict[str, Any]) -> dict[str, Any]:
    """GoogleToOpenAIBatch, field by field (plus the hosted gateway's `model`)."""
    stats = job.get("completionStats") or {}
    prefix = job["outputConfig"]["gcsDestination"]["outputUriPrefix"]
    embeddings = "embedding" in job["model"]
    suffix = "000000000000.jsonl" if embeddings else "predictions.jsonl"
    output_info = job.get("outputInfo")
    output = f"{output_info['gcsOutputDirectory']}/{suffix}" if output_info else prefix
    counts: dict[str, Any] = {"total": sum(int(value) for value in stats.values())}
    if "successfulCount" in stats:
        counts["completed"] = stats["successfulCount"]
    if "failedCount" in stats:
        counts["failed"] = stats["failedCount"]
    batch: dict[str, Any] = {
        "id": job["name"].rsplit("/", 1)[-1],
        "object": "batch",
        "endpoint": "/v1/embeddings" if embeddings else CHAT_ENDPOINT,
        "input_file_id": encode_uri_component(job["inputConfig"]["gcsSource"]["uris"][0]),
        "completion_window": None,
        "status": portkey_status(job["state"]),
        "output_file_id": encode_uri_component(output),
        "error_file_id": encode_uri_component(prefix),
        "created_at": epoch_ms(job["createTime"]),
        **_time_keys(job["state"], job.get("endTime")),
        "in_progress_at": epoch_ms(job["startTime"]) if "startTime" in job else None,
        **_time_keys(job["state"], job.get("updateTime")),
        "request_counts": counts,
        "model": job["model"],
    }
    if "error" in job:
        batch["errors"] = {"object": "list", "data": [job["error"]]}
    return batch


def output_row(row: dict[str, Any], batch_id: str) -> dict[str, Any]:
    """getOpenAIBatchRow: one Vertex prediction row as Portkey's /output streams it."""
    response = row.get("response") or {}
    response_id = response.get("responseId")
    row_id = f"batch-{batch_id}-" + (f"-{response_id}" if response_id else "")
    status = row.get("status")
    try:
        error = json.loads(status) if isinstance(status, str) else status
    except json.JSONDecodeError:
        error = status
    instance = row.get("instance") if isinstance(row.get("instance"), dict) else {}
    out_response: dict[str, Any] = {} if error else {"status_code": 200}
    out_response["request_id"] = row_id
    out_response["body"] = False if error else _chat_completion(response, row_id)
    converted = {
        "id": row_id,
        "custom_id": row.get("requestId") or instance.get("requestId") or response_id,
        "response": out_response,
    }
    if error is not None:  # JSON.stringify drops an undefined error
        converted["error"] = error
    return converted


def _chat_completion(response: dict[str, Any], row_id: str) -> dict[str, Any]:
    """GoogleChatCompleteResponseTransform with strictOpenAiCompliance off, as /output calls it."""
    usage = response.get("usageMetadata") or {}
    choices = []
    for index, candidate in enumerate(response.get("candidates") or []):
        texts = [
            p["text"] for p in (candidate.get("content") or {}).get("parts") or [] if p.get("text")
        ]
        message: dict[str, Any] = {"role": "assistant"}
        if texts:
            message["content"] = "".join(texts)
            message["content_blocks"] = [{"type": "text", "text": text} for text in texts]
        choices.append(
            {
                "message": message,
                "index": index,
                "finish_reason": candidate.get("finishReason") or "stop",
            }
        )
    created = response.get("createTime")
    return {
        "id": "portkey-" + short_hash(row_id, length=32),
        "object": "chat.completion",
        "created": epoch_ms(created) // 1000 if created else 0,
        "model": response.get("modelVersion"),
        "provider": PROVIDER,
        "choices": choices,
        "usage": {
            "prompt_tokens": usage.get("promptTokenCount", 0),
            "completion_tokens": usage.get("candidatesTokenCount", 0),
            "total_tokens": usage.get("totalTokenCount", 0),
            "completion_tokens_details": {
                "reasoning_tokens": usage.get("thoughtsTokenCount", 0),
                "audio_tokens": 0,
            },
            "prompt_tokens_details": {
                "cached_tokens": usage.get("cachedContentTokenCount", 0),
                "audio_tokens": 0,
            },
        },
    }


# -- handlers --------------------------------------------------------------------------------


def upload_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    jobs = vertex(engine)
    bucket = request.header("x-portkey-vertex-storage-bucket-name")
    model = request.header("x-portkey-provider-model")
    if not bucket or not model:
        return _google_handler_error(
            400,
            "Invalid request, please provide `x-portkey-provider-model` and "
            "`x-portkey-vertex-storage-bucket-name` in the request headers",
        )
    endpoint = request.header("x-portkey-provider-batch-endpoint") or CHAT_ENDPOINT
    if endpoint != CHAT_ENDPOINT:
        return failure(400, f"Endpoint {endpoint} is not supported by the simulator's Vertex")
    upload = read_openai_upload(jobs, request)
    purpose = upload.fields.get("purpose", "")
    if not purpose:
        return JsonAnswer(400, {"message": "Purpose is not set", "success": False})
    file_name = request.header("x-portkey-provider-file-name")
    uri = f"gs://{bucket}/{file_name or f'{uuid.uuid4()}.jsonl'}"
    items = [_to_instance(raw) for raw in upload.lines] if purpose == "batch" else []
    if purpose == "batch":
        chunks = jsonl_bytes([item for item in items if item is not None])
    else:
        chunks = iter(upload.lines)
    jobs.put_object(uri, chunks, purpose=purpose)
    answer: dict[str, Any] = {
        "id": encode_uri_component(uri),
        "object": "file",
        "create_at": int(jobs.clock() * 1000),
        "purpose": purpose,
        "bytes": int(request.header("Content-Length") or 0),
        "status": "processed",
    }
    if file_name:  # the header's value; JSON.stringify drops it when undefined
        answer = {"filename": file_name, **answer}
    return JsonAnswer(200, answer)


def _to_instance(raw: bytes) -> dict[str, Any] | None:
    """One OpenAI batch line as Portkey's Vertex line, or None (Portkey drops it silently)."""
    line = parse_json_line(raw)
    if not isinstance(line, dict) or not isinstance(line.get("body"), dict):
        return None
    try:
        request = chat_to_gemini(line["body"], KeyStyle.CAMEL)
    except NotAChatBody:
        return None
    return {"request": request, "requestId": line.get("custom_id")}


def list_files(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return JsonAnswer(
        500,
        {
            "message": "listFiles is not supported by Google Vertex AI",
            "status": "failure",
            "provider": PROVIDER,
        },
    )


def get_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    jobs = vertex(engine)
    uri = _split_gs(match.group("id"))
    record = jobs.find_object(uri)
    if record is None:
        return _thrown("File not found")
    modified = int(record["created_at"] * 1000)
    return JsonAnswer(
        200,
        {
            "bytes": record["bytes"],
            "updatedAt": modified,
            "createdAt": int(jobs.clock() * 1000),  # from the HEAD answer's Date header
            "id": match.group("id"),
            "filename": uri.rsplit("/", 1)[-1],
            "purpose": None,
            "status": "processed",
        },
    )


def file_content(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    try:
        # The gateway asks Cloud Storage with its own headers: a client's Range stays behind.
        path = vertex(engine).object_path(_split_gs(match.group("id")))
        return FileAnswer(path, honour_range=False)
    except VertexError:
        return RawAnswer(404, "application/xml; charset=UTF-8", GCS_NO_SUCH_KEY)


def create_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    body = request.json_body()
    if not isinstance(body, dict):
        return failure(400, "The request body must be a JSON object.")
    for required in ("input_file_id", "model"):
        if not isinstance(body.get(required), str) or not body[required]:
            return failure(400, f"Missing required parameter: {required}")
    input_uri = unquote(body["input_file_id"])
    prefix = unquote(body.get("output_data_config") or "") or input_uri.rsplit("/", 1)[0] + "/"
    try:
        job = vertex(engine).create_job(
            input_uri=input_uri,
            model=body["model"],
            output_prefix=prefix,
            display_name=str(body.get("job_name") or uuid.uuid4()),
            instance_config={
                "excludedFields": ["requestId"],
                "includedFields": [],
                "instanceType": "object",
            },
        )
    except VertexError as error:
        return _relay(error)
    return JsonAnswer(200, batch_object(job))


def list_batches(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    limit = request.query.get("limit")
    size = int(limit) if limit and limit.isdigit() and int(limit) > 0 else DEFAULT_PAGE_SIZE
    try:
        page = vertex(engine).list_jobs(size, request.query.get("after"))
    except VertexError as error:
        message = f"Invalid response received from {PROVIDER}: " + json.dumps(
            error.google_body(), separators=(",", ":")
        )
        body = {"error": {"message": message, "type": None, "param": None, "code": None}}
        return JsonAnswer(error.status, {**body, "provider": PROVIDER})
    objects = [batch_object(job) for job in page.jobs]
    answer: dict[str, Any] = {"data": objects, "object": "list"}
    if objects:  # first_id/last_id are undefined (dropped) on an empty page
        answer["first_id"] = objects[0]["id"]
        answer["last_id"] = objects[-1]["id"]
    answer["has_more"] = page.next_page_token is not None  # the token itself is not returned
    return JsonAnswer(200, answer)


def get_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    try:
        return JsonAnswer(200, batch_object(vertex(engine).get_job(match.group("id"))))
    except VertexError as error:
        return _relay(error)


def cancel_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    try:
        vertex(engine).cancel_job(match.group("id"))
    except VertexError as error:
        return _relay(error)
    return JsonAnswer(200, {})


def batch_output(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    jobs = vertex(engine)
    batch_id = match.group("id")
    try:
        job = jobs.get_job(batch_id)
    except VertexError as error:
        return _thrown(json.dumps(error.google_body()))
    output_dir = (job.get("outputInfo") or {}).get("gcsOutputDirectory")
    if not output_dir:
        return _thrown("Failed to retrieve batch details")
    converted = _converted_output(jobs, batch_id, f"{output_dir}/predictions.jsonl")
    return FileAnswer(converted, honour_range=False)  # rows converted as they stream


def _converted_output(jobs: VertexEngine, batch_id: str, predictions_uri: str) -> Path:
    """The /output body, written once beside the predictions (same rows → same bytes)."""
    converted_uri = f"portkey-output://{batch_id}"
    existing = jobs.find_object(converted_uri)
    if existing is None:
        with jobs.object_path(predictions_uri).open("rb") as rows:
            items = [
                output_row(row, batch_id)
                for raw in rows
                if isinstance(row := parse_json_line(raw), dict)
            ]
        jobs.put_object(converted_uri, jsonl_bytes(items), purpose="portkey_output")
    return jobs.object_path(converted_uri)


# -- the flavour ------------------------------------------------------------------------------


def _route(method: str, path: str, fault_route: str, handle: Handler) -> Route:
    return Route(method, re.compile(f"/v1{path}"), fault_route, handle)


@dataclass(frozen=True)
class PortkeyVertexFlavor:
    name: str = "portkey-vertex"
    routes: tuple[Route, ...] = (
        _route("POST", "/files", "upload", upload_file),
        _route("GET", "/files", "list", list_files),
        _route("GET", f"/files/{ID}", "retrieve", get_file),
        _route("GET", f"/files/{ID}/content", "content", file_content),
        _route("POST", "/batches", "create", create_batch),
        _route("GET", "/batches", "list", list_batches),
        _route("GET", f"/batches/{ID}", "retrieve", get_batch),
        _route("GET", f"/batches/{ID}/output", "content", batch_output),
        _route("POST", f"/batches/{ID}/cancel", "cancel", cancel_batch),
    )

    def make_engine(self, options: SimulatorOptions, store: Store) -> SimulatorEngine:
        return VertexEngine.beside(options, store, self.name)

    def admit(self, request: IncomingRequest, api_key: str | None) -> Answer | None:
        return portkey_refusal(request, api_key)


FLAVOR = PortkeyVertexFlavor()
