"""Server-side checks of requests and of batch input files, as OpenAI makes them.

Two kinds of check, as on the real service:

- Synchronous ones answer the HTTP call with a 400 in the error envelope (`RequestInvalid`):
  create-batch parameters, metadata limits, upload fields.
- Input-file problems never fail the create call: the batch is created, then moves to `failed`
  with `errors.data` entries `{code, message, param, line}` (1-based line numbers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchtui.simulator.responder import SUPPORTED_ENDPOINTS

MAX_REQUESTS = 50_000
MAX_INPUT_BYTES = 200 * 1024 * 1024
MAX_EMBEDDING_INPUTS = 50_000
MAX_REPORTED_ERRORS = 1_000
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
FILE_EXPIRY_SECONDS = (3600, 2_592_000)


class RequestInvalid(Exception):
    """A synchronous 400 (or 404) answer in OpenAI's error envelope."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.status = status
        self.error_type = error_type

    def envelope(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


def not_found(kind: str, object_id: str, param: str = "id") -> RequestInvalid:
    return RequestInvalid(f"No such {kind} object: {object_id}", param=param, status=404)


@dataclass(frozen=True)
class CreateBatchParams:
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None
    output_expires_after_seconds: int | None


def parse_create_batch(payload: Any) -> CreateBatchParams:
    """Check a POST /batches body field by field (spec: CreateBatchRequest)."""
    if not isinstance(payload, dict):
        raise RequestInvalid("The request body must be a JSON object.")
    input_file_id = payload.get("input_file_id")
    if not isinstance(input_file_id, str) or not input_file_id:
        raise RequestInvalid(
            "Missing required parameter: 'input_file_id'.",
            param="input_file_id",
            code="missing_required_parameter",
        )
    endpoint = payload.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise RequestInvalid(
            "Missing required parameter: 'endpoint'.",
            param="endpoint",
            code="missing_required_parameter",
        )
    if endpoint not in SUPPORTED_ENDPOINTS:
        raise RequestInvalid(
            f"Invalid value for 'endpoint': {endpoint!r} is not supported by the simulator; "
            f"supported: {', '.join(SUPPORTED_ENDPOINTS)}.",
            param="endpoint",
            code="invalid_value",
        )
    window = payload.get("completion_window")
    if window is None:
        raise RequestInvalid(
            "Missing required parameter: 'completion_window'.",
            param="completion_window",
            code="missing_required_parameter",
        )
    if window != "24h":
        raise RequestInvalid(
            f"Invalid value for 'completion_window': {window!r}; only '24h' is supported.",
            param="completion_window",
            code="invalid_value",
        )
    return CreateBatchParams(
        input_file_id=input_file_id,
        endpoint=endpoint,
        completion_window=window,
        metadata=parse_metadata(payload.get("metadata")),
        output_expires_after_seconds=_parse_expires_after(
            payload.get("output_expires_after"), "output_expires_after"
        ),
    )


def parse_metadata(metadata: Any) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise RequestInvalid("'metadata' must be an object.", param="metadata")
    if len(metadata) > MAX_METADATA_PAIRS:
        raise RequestInvalid(
            f"Invalid 'metadata': too many properties. Expected at most {MAX_METADATA_PAIRS}, "
            f"got {len(metadata)}.",
            param="metadata",
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > MAX_METADATA_KEY:
            raise RequestInvalid(
                f"Invalid 'metadata': key of {len(key)} characters; at most "
                f"{MAX_METADATA_KEY} allowed.",
                param="metadata",
                code="string_above_max_length",
            )
        if not isinstance(value, str):
            raise RequestInvalid(
                f"Invalid 'metadata.{key}': expected a string.",
                param=f"metadata.{key}",
                code="invalid_type",
            )
        if len(value) > MAX_METADATA_VALUE:
            raise RequestInvalid(
                f"Invalid 'metadata.{key}': value of {len(value)} characters; at most "
                f"{MAX_METADATA_VALUE} allowed.",
                param=f"metadata.{key}",
                code="string_above_max_length",
            )
    return dict(metadata)


def _parse_expires_after(value: Any, param: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("anchor") != "created_at":
        raise RequestInvalid(
            f"Invalid '{param}': expected {{'anchor': 'created_at', 'seconds': N}}.", param=param
        )
    seconds = value.get("seconds")
    low, high = FILE_EXPIRY_SECONDS
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not low <= seconds <= high:
        raise RequestInvalid(
            f"Invalid '{param}.seconds': must be an integer from {low} to {high}.",
            param=f"{param}.seconds",
        )
    return seconds


def parse_upload_fields(fields: dict[str, str], has_file: bool) -> tuple[str, int | None]:
    """(purpose, expires_after seconds) of a POST /files form, or RequestInvalid."""
    if not has_file:
        raise RequestInvalid(
            "Missing required parameter: 'file'.", param="file", code="missing_required_parameter"
        )
    purpose = fields.get("purpose")
    if not purpose:
        raise RequestInvalid(
            "Missing required parameter: 'purpose'.",
            param="purpose",
            code="missing_required_parameter",
        )
    if purpose not in UPLOAD_PURPOSES:
        raise RequestInvalid(
            f"Invalid value for 'purpose': {purpose!r}; one of {', '.join(UPLOAD_PURPOSES)}.",
            param="purpose",
            code="invalid_value",
        )
    anchor = fields.get("expires_after[anchor]")
    seconds_text = fields.get("expires_after[seconds]")
    if anchor is None and seconds_text is None:
        return purpose, None
    try:
        seconds: Any = int(seconds_text or "")
    except ValueError:
        seconds = seconds_text
    return purpose, _parse_expires_after({"anchor": anchor, "seconds": seconds}, "expires_after")


@dataclass(frozen=True)
class PlannedRequest:
    line: int
    custom_id: str
    body: dict[str, Any]


@dataclass
class InputCheck:
    """What validating an input file found: the requests, or the errors that fail the batch."""

    requests: list[PlannedRequest] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None


def batch_error(code: str, message: str, *, line: int | None, param: str | None = None) -> dict:
    return {"code": code, "message": message, "param": param, "line": line}


def check_input_file(
    path: Path, endpoint: str, allowed_models: frozenset[str] | None
) -> InputCheck:
    """Validate a batch input file line by line (spec: BatchRequestInput)."""
    check = InputCheck()
    if path.stat().st_size > MAX_INPUT_BYTES:
        check.errors.append(
            batch_error(
                "file_too_large",
                f"The input file is larger than the {MAX_INPUT_BYTES // 2**20} MB limit.",
                line=None,
            )
        )
        return check
    seen_ids: set[str] = set()
    line_count = 0
    embedding_inputs = 0
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            line_count = line_number
            if line_number > MAX_REQUESTS:
                continue  # only counted: too_many_tasks below
            error = _check_line(raw, line_number, endpoint, allowed_models, seen_ids, check)
            if error is not None:
                if len(check.errors) < MAX_REPORTED_ERRORS:
                    check.errors.append(error)
            elif endpoint == "/v1/embeddings":
                body_input = check.requests[-1].body.get("input")
                embedding_inputs += len(body_input) if isinstance(body_input, list) else 1
    if line_count == 0:
        check.errors.append(batch_error("empty_file", "The input file is empty.", line=None))
    elif line_count > MAX_REQUESTS:
        check.errors.insert(
            0,
            batch_error(
                "too_many_tasks",
                f"The input file has {line_count} requests; at most {MAX_REQUESTS} are allowed.",
                line=None,
            ),
        )
    elif embedding_inputs > MAX_EMBEDDING_INPUTS:
        check.errors.insert(
            0,
            batch_error(
                "too_many_tasks",
                f"The batch has {embedding_inputs} embedding inputs; at most "
                f"{MAX_EMBEDDING_INPUTS} are allowed.",
                line=None,
            ),
        )
    if check.errors:
        check.requests.clear()
    return check


def _check_line(
    raw: bytes,
    line: int,
    endpoint: str,
    allowed_models: frozenset[str] | None,
    seen_ids: set[str],
    check: InputCheck,
) -> dict[str, Any] | None:
    """The first problem with one input line, or None after appending it to `check.requests`."""
    try:
        item = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        item = None
    if not isinstance(item, dict):
        return batch_error(
            "invalid_json_line", "This line is not parseable as valid JSON.", line=line
        )
    for name in ("custom_id", "method", "url", "body"):
        if name not in item:
            return batch_error(
                "missing_required_parameter",
                f"Missing required parameter: '{name}'.",
                line=line,
                param=name,
            )
    custom_id = item["custom_id"]
    if not isinstance(custom_id, str) or not custom_id:
        return batch_error(
            "invalid_custom_id",
            "'custom_id' must be a non-empty string.",
            line=line,
            param="custom_id",
        )
    if item["method"] != "POST":
        return batch_error(
            "invalid_method", "Only the POST method is supported.", line=line, param="method"
        )
    if item["url"] != endpoint:
        return batch_error(
            "url_mismatch",
            f"The url {item['url']!r} does not match the batch endpoint {endpoint!r}.",
            line=line,
            param="url",
        )
    body = item["body"]
    if not isinstance(body, dict):
        return batch_error("invalid_body", "'body' must be a JSON object.", line=line, param="body")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return batch_error(
            "missing_required_parameter",
            "Missing required parameter: 'body.model'.",
            line=line,
            param="body.model",
        )
    if allowed_models is not None and model not in allowed_models:
        return batch_error(
            "model_not_found",
            f"The model {model!r} does not exist or you do not have access to it.",
            line=line,
            param="body.model",
        )
    if check.model is None:
        check.model = model
    elif model != check.model:
        return batch_error(
            "model_mismatch",
            f"The model {model!r} differs from the batch's model {check.model!r}; "
            "every line must use the same model.",
            line=line,
            param="body.model",
        )
    if custom_id in seen_ids:
        return batch_error(
            "duplicate_custom_id",
            f"The custom_id {custom_id!r} is used more than once.",
            line=line,
            param="custom_id",
        )
    seen_ids.add(custom_id)
    check.requests.append(PlannedRequest(line=line, custom_id=custom_id, body=body))
    return None
