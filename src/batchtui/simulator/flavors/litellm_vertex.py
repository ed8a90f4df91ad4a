"""A LiteLLM proxy whose batches go to Vertex AI (providers.md §3, §6 items 9-15, 24).

Built from LiteLLM's proxy endpoints and litellm/llms/vertex_ai/{files,batches} as the
reference describes them, and LiteLLM's Vertex batch docs; checked against the real proxy
(1.108.7, no database) in front of this simulator (tests/gateways):

- `Authorization: Bearer <key>` (401 with `--api-key` when missing or wrong). Every route also
  answers under `/<route>` and `/{provider}/v1/<route>`.
- The provider: path `{provider}`, then the `custom-llm-provider` header, then the query
  (`custom_llm_provider` or `provider`), then the body (multipart field on upload,
  `custom_llm_provider` in the JSON of a create); otherwise "openai", which this proxy has no
  key for: LiteLLM's 401 AuthenticationError from OpenAI.
- Upload converts each OpenAI line to `{"request": {<Gemini request>, "labels": {...}}}` with
  `litellm_custom_id` (lowercased, [a-z0-9_-], at most 63 characters) and the exact id as
  `litellm_custom_id_raw` = "b32_" + base32 (lowercase, unpadded), split over
  `litellm_custom_id_raw_1`, `_2`... past 63 characters. A line that is not JSON fails the
  upload (500). The object is `gs://<bucket>/litellm-vertex-files/publishers/google/models/
  <first line's model>/<uuid>`, and that raw URI is the file id (`status: "uploaded"`).
- File ids go in paths percent-encoded; LiteLLM's route takes `{file_id:path}` and its Vertex
  handler unquotes the id once more, so an id encoded twice (as LiteLLM's own docs do) works
  too. An unencoded `gs://` id is modelled as mangled by the reverse proxy in front (nginx
  merges `//`): it names no object. An unknown object: 404 on retrieve, 500 ("Failed to
  download file from GCS") on `/content`, as LiteLLM's handlers raise them.
- Batches: numeric Vertex id, `completion_window: "24h"` (`"24hrs"` before 1.108: the
  `litellm_completion_window` option), `endpoint: ""`, `error_file_id` null, `created_at`
  in seconds, every other OpenAI field null (`request_counts` too), `output_file_id` null
  until Vertex reports `outputInfo`, then `<dir>/predictions.jsonl`. Status from the Vertex
  state with LiteLLM's table (UNSPECIFIED → failed, PAUSED → in_progress).
- List: `limit` → pageSize, `after` → pageToken, and the answer carries `next_page_token`.
- Cancel: Vertex `:cancel`, then the batch re-read. Vertex errors keep their status:
  `{"message": "Error: <status> <Vertex body>", "type": "internal_server_error", "param":
  null, "code": "<status>"}`; a refused create or `:cancel` is httpx's "Client error ..."
  text instead (the create's followed by Vertex's body).
- File objects (upload, retrieve) have `purpose: "batch"`, the predictions file too.
- `/content` of a raw `gs://` id: 400 "Raw cloud storage file ids cannot be retrieved
  directly. Use the LiteLLM managed file id ..." (`invalid_request_error`), as 1.108 answers
  without a database. With `litellm_raw_content` (proxies before 1.108): Vertex's raw rows
  (§6 item 9), or with `litellm_convert_output` LiteLLM's conversion (PR #25627): only when
  the first line has
  `request`, `response` and `processed_time`, each line → `{id, custom_id (from the labels),
  response: {status_code: 200, request_id, body} | null, error: null | {code:
  "vertex_ai_error", message: <status>}}`.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors.auth import KeyCheck, bearer_token, check_key
from batchtui.simulator.flavors.gemini_requests import KeyStyle, NotAChatBody, chat_to_gemini
from batchtui.simulator.flavors.vertex_common import read_openai_upload, vertex
from batchtui.simulator.flavors.vertex_engine import (
    VertexEngine,
    VertexError,
    epoch_ms,
    object_file_id,
)
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

BUCKET = "batchtui-sim-bucket"  # the proxy's GCS_BUCKET_NAME
FILES_PREFIX = "litellm-vertex-files/"
VERTEX = "vertex_ai"
LABEL_MAX = 63
RAW_LABEL_PREFIX = "b32_"
STATUS_OF_STATE = {
    "JOB_STATE_UNSPECIFIED": "failed",
    "JOB_STATE_QUEUED": "validating",
    "JOB_STATE_PENDING": "validating",
    "JOB_STATE_RUNNING": "in_progress",
    "JOB_STATE_SUCCEEDED": "completed",
    "JOB_STATE_FAILED": "failed",
    "JOB_STATE_CANCELLING": "cancelling",
    "JOB_STATE_CANCELLED": "cancelled",
    "JOB_STATE_PAUSED": "in_progress",
    "JOB_STATE_EXPIRED": "expired",
    "JOB_STATE_UPDATING": "in_progress",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "completed",
}  # an unknown state is a KeyError in LiteLLM: a 500
FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter"}
OPENAI_KEY_MISSING = (
    "litellm.AuthenticationError: AuthenticationError: OpenAIException - The api_key client "
    "option must be set either by passing api_key to the client or by setting the "
    "OPENAI_API_KEY environment variable"
)
NULL_BATCH_FIELDS = (
    "cancelled_at",
    "cancelling_at",
    "completed_at",
    "errors",
    "expired_at",
    "expires_at",
    "failed_at",
    "finalizing_at",
    "in_progress_at",
    "metadata",
    "model",
    "request_counts",
    "usage",
)


def litellm_status(state: str) -> str:
    return STATUS_OF_STATE[state]


RAW_CONTENT_REFUSED = (
    "Raw cloud storage file ids cannot be retrieved directly. Use the LiteLLM managed file id "
    "returned when the file was created."
)
STATUS_REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}


def proxy_error(
    status: int, message: str, error_type: str = "None", param: str | None = None
) -> JsonAnswer:
    """LiteLLM's ProxyException body: `code` the HTTP status as a string."""
    return JsonAnswer(
        status,
        {"error": {"message": message, "type": error_type, "param": param, "code": str(status)}},
    )


def _vertex_failure(error: VertexError) -> JsonAnswer:
    """LiteLLM's Vertex batch handler raises its error with Vertex's status and body."""
    body = json.dumps(error.google_body(), separators=(",", ":"))
    return proxy_error(error.status, f"Error: {error.status} {body}", "internal_server_error")


JOBS_URL = (
    "https://us-central1-aiplatform.googleapis.com/v1/projects/batchtui-sim/locations/"
    "us-central1/batchPredictionJobs"
)


def _client_error(error: VertexError, url: str, *, with_body: bool) -> JsonAnswer:
    """A refused create or `:cancel`: LiteLLM passes httpx's raise_for_status text on (the
    create handler adds Vertex's body), with Vertex's status."""
    reason = STATUS_REASONS.get(error.status, "Error")
    message = (
        f"Client error '{error.status} {reason}' for url '{url}'\n"
        f"For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/"
        f"{error.status}"
    )
    if with_body:
        message += " " + json.dumps(error.google_body(), separators=(",", ":"))
    return proxy_error(error.status, message, "internal_server_error")


# -- labels ----------------------------------------------------------------------------------


def label_safe(value: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", value.lower())[:LABEL_MAX]


def custom_id_labels(custom_id: str) -> dict[str, str]:
    encoded = base64.b32encode(custom_id.encode()).decode().rstrip("=").lower()
    width = LABEL_MAX - len(RAW_LABEL_PREFIX)
    chunks = [RAW_LABEL_PREFIX + encoded[i : i + width] for i in range(0, len(encoded), width)]
    labels = {"litellm_custom_id": label_safe(custom_id)}
    for index, chunk in enumerate(chunks or [RAW_LABEL_PREFIX]):
        labels["litellm_custom_id_raw" + (f"_{index}" if index else "")] = chunk
    return labels


def custom_id_from_labels(labels: dict[str, Any]) -> str:
    """LiteLLM's _get_litellm_batch_custom_id_from_labels: the raw chunks when present."""
    raw = labels.get("litellm_custom_id_raw")
    if raw:
        extra = sorted(
            (int(key.rsplit("_", 1)[1]), str(value))
            for key, value in labels.items()
            if re.fullmatch(r"litellm_custom_id_raw_\d+", key)
        )
        parts = [str(raw), *(value for _, value in extra)]
        if all(part.startswith(RAW_LABEL_PREFIX) for part in parts):
            encoded = "".join(part[len(RAW_LABEL_PREFIX) :] for part in parts).upper()
            try:
                return base64.b32decode(encoded + "=" * (-len(encoded) % 8)).decode()
            except ValueError:
                pass
        return str(raw)
    return str(labels.get("litellm_custom_id", "unknown"))


# -- provider resolution ---------------------------------------------------------------------


def _provider_from_path_header_query(request: IncomingRequest, match: re.Match[str]) -> str | None:
    return (
        match.groupdict().get("provider")
        or request.header("custom-llm-provider")
        or request.query.get("custom_llm_provider")
        or request.query.get("provider")
    )


def _not_vertex(provider: str, operation: str) -> JsonAnswer:
    if provider == "openai":
        return proxy_error(401, OPENAI_KEY_MISSING, "auth_error", "None")
    return proxy_error(
        400,
        f"LiteLLM doesn't support {provider} for '{operation}'. Only 'openai', 'azure', "
        "'vertex_ai', 'bedrock' are supported.",
    )


def _path_file_uri(match: re.Match[str]) -> str:
    """The gs:// URI a `{file_id:path}` segment names (see the module doc)."""
    raw = re.sub(r"/{2,}", "/", match.group("id"))  # the reverse proxy's merge_slashes
    return unquote(unquote(raw))  # the router decodes once, the Vertex handler once more


# -- files -----------------------------------------------------------------------------------


def _file_object(record: dict[str, Any], status: str) -> dict[str, Any]:
    name = record["uri"].removeprefix(f"gs://{BUCKET}/")
    return {
        "id": record["uri"],
        "bytes": record["bytes"],
        "created_at": int(record["created_at"]),
        "filename": name,
        "object": "file",
        "purpose": "batch",  # LiteLLM's Vertex file objects, predictions included
        "status": status,
        "expires_at": None,
        "status_details": None,
    }


def upload_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    jobs = vertex(engine)
    upload = read_openai_upload(jobs, request)
    provider = (
        _provider_from_path_header_query(request, match)
        or upload.fields.get("custom_llm_provider")
        or "openai"
    )
    if provider != VERTEX:
        return _not_vertex(provider, "create_file")
    purpose = upload.fields.get("purpose")
    if not upload.has_file or not purpose:
        missing = "file" if not upload.has_file else "purpose"
        return JsonAnswer(
            422,
            {"detail": [{"type": "missing", "loc": ["body", missing], "msg": "Field required"}]},
        )
    if purpose != "batch":
        uri = f"gs://{BUCKET}/{FILES_PREFIX}uploads/{uuid.uuid4()}/{upload.filename}"
        record = jobs.put_object(uri, iter(upload.lines), purpose=purpose)
        return JsonAnswer(200, _file_object(record, "uploaded"))
    lines: list[dict[str, Any]] = []
    for raw in upload.lines:
        if not raw.strip():
            continue
        try:
            lines.append(json.loads(raw))
        except (UnicodeDecodeError, json.JSONDecodeError):
            line_number = upload.lines.index(raw) + 1
            return proxy_error(
                400,
                f"Batch input file line {line_number} is not valid JSON. The file was not "
                "forwarded to the provider.",
                "invalid_request_error",
                "file",
            )
    if not lines or not all(isinstance(line, dict) for line in lines):
        return proxy_error(500, "'list' object has no attribute 'get'")
    model = str((lines[0].get("body") or {}).get("model", ""))
    if "publishers/google/models" not in model:
        model = f"publishers/google/models/{model}"
    uri = f"gs://{BUCKET}/{FILES_PREFIX}{model}/{uuid.uuid4()}"
    instances = [_to_instance(line) for line in lines]
    # LiteLLM joins the converted lines with "\n": the object has no final newline.
    body = "\n".join(json.dumps(instance) for instance in instances).encode()
    record = jobs.put_object(uri, iter([body]), purpose="batch")
    return JsonAnswer(200, _file_object(record, "uploaded"))


def _to_instance(line: dict[str, Any]) -> dict[str, Any]:
    body = line.get("body") or {}
    try:
        request = chat_to_gemini(body, KeyStyle.SNAKE)
    except NotAChatBody:
        request = {"contents": []}
    if line.get("custom_id") is not None:
        request["labels"] = custom_id_labels(str(line["custom_id"]))
    return {"request": request}


def list_files(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    provider = _provider_from_path_header_query(request, match) or "openai"
    if provider != VERTEX:
        return _not_vertex(provider, "list_files")
    return proxy_error(500, "VertexAIFilesConfig does not support file listing")


def get_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    provider = _provider_from_path_header_query(request, match) or "openai"
    if provider != VERTEX:
        return _not_vertex(provider, "retrieve_file")
    uri = _path_file_uri(match)
    record = vertex(engine).find_object(uri)
    if record is None:
        return proxy_error(404, f"No such object: {uri.removeprefix('gs://')}")
    return JsonAnswer(200, _file_object(record, "processed"))


def delete_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    provider = _provider_from_path_header_query(request, match) or "openai"
    if provider != VERTEX:
        return _not_vertex(provider, "delete_file")
    uri = _path_file_uri(match)
    jobs = vertex(engine)
    if jobs.find_object(uri) is None or not jobs.store.delete_file(object_file_id(uri)):
        return proxy_error(404, f"No such object: {uri.removeprefix('gs://')}")
    return JsonAnswer(200, {"id": uri, "deleted": True, "object": "file"})


def file_content(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    provider = _provider_from_path_header_query(request, match) or "openai"
    if provider != VERTEX:
        return _not_vertex(provider, "file_content")
    jobs = vertex(engine)
    uri = _path_file_uri(match)
    if not jobs.options.litellm_raw_content:
        return proxy_error(400, RAW_CONTENT_REFUSED, "invalid_request_error")
    try:
        path = jobs.object_path(uri)
    except VertexError:
        return proxy_error(500, f"Failed to download file from GCS: {uri}")
    if not jobs.options.litellm_convert_output:
        # The proxy streams what `afile_content` fetched, whatever Range the client sent.
        return FileAnswer(path, honour_range=False)
    content = path.read_bytes()
    return RawAnswer(200, "application/octet-stream", converted_output(content, uri))


def converted_output(content: bytes, uri: str) -> bytes:
    """LiteLLM's _try_transform_vertex_batch_output_to_openai (any failure: content as is)."""
    try:
        lines = content.decode().strip().split("\n")
        first = json.loads(lines[0])
    except (UnicodeDecodeError, json.JSONDecodeError, IndexError):
        return content
    response = first.get("response", {}) if isinstance(first, dict) else {}
    if not (
        isinstance(first, dict)
        and all(key in first for key in ("response", "request", "processed_time"))
        and ("candidates" in response or "promptFeedback" in response or first.get("status"))
    ):
        return content
    rows = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rows.append(json.dumps(_openai_row(json.loads(line), f"{uri}#{index}")))
        except (json.JSONDecodeError, AttributeError, TypeError):
            return content
    return "\n".join(rows).encode()


def _openai_row(row: dict[str, Any], seed: str) -> dict[str, Any]:
    labels = (row.get("request") or {}).get("labels") or {}
    row_id = f"batch_req_{uuid.UUID(short_hash(seed, length=32))}"
    custom_id = custom_id_from_labels(labels)
    if row.get("status"):
        return {
            "id": row_id,
            "custom_id": custom_id,
            "response": None,
            "error": {"code": "vertex_ai_error", "message": row["status"]},
        }
    body = _model_response(row.get("response") or {}, seed)
    return {
        "id": row_id,
        "custom_id": custom_id,
        "response": {"status_code": 200, "request_id": body["id"], "body": body},
        "error": None,
    }


def _model_response(response: dict[str, Any], seed: str) -> dict[str, Any]:
    usage = response.get("usageMetadata") or {}
    model = str(response.get("modelVersion", "gemini-1.5-flash-001")).split("@")[0]
    created = response.get("createTime")
    choices = []
    for index, candidate in enumerate(response.get("candidates") or []):
        parts = (candidate.get("content") or {}).get("parts") or []
        reason = str(candidate.get("finishReason", "STOP"))
        choices.append(
            {
                "finish_reason": FINISH_REASONS.get(reason, reason.lower()),
                "index": index,
                "message": {
                    "content": "".join(p.get("text", "") for p in parts),
                    "role": "assistant",
                    "tool_calls": None,
                    "function_call": None,
                },
            }
        )
    return {
        "id": f"chatcmpl-{uuid.UUID(short_hash('chat', seed, length=32))}",
        "created": epoch_ms(created) // 1000 if created else 0,
        "model": model,
        "object": "chat.completion",
        "system_fingerprint": None,
        "choices": choices,
        "usage": {
            "completion_tokens": usage.get("candidatesTokenCount", 0),
            "prompt_tokens": usage.get("promptTokenCount", 0),
            "total_tokens": usage.get("totalTokenCount", 0),
        },
    }


# -- batches ---------------------------------------------------------------------------------


def batch_object(job: dict[str, Any], completion_window: str = "24h") -> dict[str, Any]:
    """transform_vertex_ai_batch_response_to_openai_batch_response, dumped as LiteLLMBatch."""
    output_dir = (job.get("outputInfo") or {}).get("gcsOutputDirectory") or ""
    output = f"{output_dir.rstrip('/')}/predictions.jsonl" if output_dir else None
    batch: dict[str, Any] = {
        "id": job["name"].rsplit("/", 1)[-1],
        "completion_window": completion_window,
        "created_at": epoch_ms(job["createTime"]) // 1000,
        "endpoint": "",
        "input_file_id": job["inputConfig"]["gcsSource"]["uris"][0],
        "object": "batch",
        "status": litellm_status(job["state"]),
        "error_file_id": None,
        "output_file_id": output,
    }
    batch.update(dict.fromkeys(NULL_BATCH_FIELDS))
    return batch


def _batch(engine: SimulatorEngine, job: dict[str, Any]) -> dict[str, Any]:
    return batch_object(job, vertex(engine).options.litellm_completion_window)


def create_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    body = request.json_body()
    if not isinstance(body, dict):
        return proxy_error(400, "The request body must be a JSON object.")
    provider = (
        match.groupdict().get("provider")
        or body.pop("custom_llm_provider", None)
        or request.header("custom-llm-provider")
        or "openai"
    )
    if provider != VERTEX:
        return _not_vertex(str(provider), "create_batch")
    input_uri = body.get("input_file_id")
    if not isinstance(input_uri, str):
        return proxy_error(500, "input_file_id is required, but not provided")
    decoded = unquote(input_uri)
    if "publishers/" not in decoded:
        return proxy_error(
            400,
            "Vertex AI batch creation requires the model to be part of `input_file_id`, but "
            f"'{input_uri}' contains no 'publishers/<publisher>/models/<model>' or "
            "'endpoints/<numeric endpoint id>' path segment.",
            "internal_server_error",
        )
    model = decoded.split("publishers/", 1)[1].split("/")[2]
    try:
        job = vertex(engine).create_job(
            input_uri=input_uri,
            model=model,
            output_prefix=input_uri.rsplit("/", 1)[0],
            display_name=f"litellm-vertex-batch-{uuid.uuid4()}",
        )
    except VertexError as error:
        return _client_error(error, JOBS_URL, with_body=True)
    return JsonAnswer(200, _batch(engine, job))


def get_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    provider = _provider_from_path_header_query(request, match) or "openai"
    if provider != VERTEX:
        return _not_vertex(provider, "retrieve_batch")
    try:
        return JsonAnswer(200, _batch(engine, vertex(engine).get_job(unquote(match.group("id")))))
    except VertexError as error:
        return _vertex_failure(error)


def list_batches(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    provider = _provider_from_path_header_query(request, match) or "openai"
    if provider != VERTEX:
        return _not_vertex(provider, "list_batches")
    limit = request.query.get("limit")
    try:
        page = vertex(engine).list_jobs(
            int(limit) if limit and limit.isdigit() else None, request.query.get("after")
        )
    except VertexError as error:
        return _vertex_failure(error)
    data = [_batch(engine, job) for job in page.jobs]
    return JsonAnswer(
        200,
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": page.next_page_token is not None,
            "next_page_token": page.next_page_token,
        },
    )


def cancel_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    provider = _provider_from_path_header_query(request, match) or "openai"
    if provider != VERTEX:
        return _not_vertex(provider, "cancel_batch")
    jobs: VertexEngine = vertex(engine)
    try:
        jobs.get_job(match.group("id"))
    except VertexError as error:
        return _vertex_failure(error)
    try:
        jobs.cancel_job(match.group("id"))
        return JsonAnswer(200, _batch(engine, jobs.get_job(match.group("id"))))
    except VertexError as error:
        return _client_error(error, f"{JOBS_URL}/{match.group('id')}:cancel", with_body=False)


# -- the flavour ------------------------------------------------------------------------------

PREFIXES = ("/v1", "", "/(?P<provider>[^/]+)/v1")


def _routes() -> Iterator[Route]:
    table: tuple[tuple[str, str, str, Handler], ...] = (
        ("POST", "/files", "upload", upload_file),
        ("GET", "/files", "list", list_files),
        ("GET", "/files/(?P<id>.+)/content", "content", file_content),
        ("GET", "/files/(?P<id>.+)", "retrieve", get_file),
        ("DELETE", "/files/(?P<id>.+)", "delete", delete_file),
        ("POST", "/batches", "create", create_batch),
        ("GET", "/batches", "list", list_batches),
        ("POST", "/batches/(?P<id>[^/]+)/cancel", "cancel", cancel_batch),
        ("GET", "/batches/(?P<id>.+)", "retrieve", get_batch),
    )
    for prefix in PREFIXES:
        for method, path, fault_route, handle in table:
            yield Route(method, re.compile(prefix + path), fault_route, handle)


@dataclass(frozen=True)
class LiteLLMVertexFlavor:
    name: str = "litellm-vertex"
    routes: tuple[Route, ...] = tuple(_routes())

    def make_engine(self, options: SimulatorOptions, store: Store) -> SimulatorEngine:
        # The Google APIs' own engine and store: the proxy's objects are in the Cloud
        # Storage a user reads with their own credentials (LiteLLM 1.108 serves none).
        from batchtui.simulator.google.apis import vertex_store
        from batchtui.simulator.google.vertex_jobs import NativeVertexEngine

        return NativeVertexEngine(options, vertex_store(store.data_dir))

    def admit(self, request: IncomingRequest, api_key: str | None) -> Answer | None:
        check = check_key(bearer_token(request), api_key)
        if check is KeyCheck.ACCEPTED:
            return None
        message = (
            "Authentication Error, No api key passed in."
            if check is KeyCheck.MISSING
            else "Authentication Error, Invalid proxy server token passed."
        )
        return proxy_error(401, message, "auth_error", "None")


FLAVOR = LiteLLMVertexFlavor()
