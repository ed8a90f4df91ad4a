"""Reading result lines of any provider into `ResultRecord`s.

Every line is sniffed on its own (gateways and proxy versions differ, and one file can
even mix shapes), in this order:

- OpenAI `BatchRequestOutput`: `custom_id` + `response`/`error` (also what Portkey's
  `/output` and newer LiteLLM return for Vertex batches); `response.body` is an object or
  that object JSON-encoded in a string, as some OpenAI-compatible batch servers write it.
- Gemini file output: `key` + `response`/`error`/`status`.
- Vertex prediction row: `request` + `response`/`status` (+ `processed_time`).
- Gemini inline response: `metadata.key` + `response`/`error`.

Anything else becomes a failed record saying the shape is unknown. Parsing never raises:
every field is type-checked before use, since result files come from many servers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from batchtui.core.models import ResultRecord

_RECORD_FIELDS = ("text", "finish_reason", "prompt_tokens", "completion_tokens", "total_tokens")

# Gemini/Vertex finishReason → OpenAI finish_reason; others are lowercased.
GOOGLE_FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}

# /v1/responses `incomplete_details.reason` → OpenAI finish_reason.
RESPONSES_INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}

# LiteLLM stores the exact custom_id base32-encoded in Vertex request labels (GCP labels
# are lowercased and cut to 63 characters), split over `..._raw`, `..._raw_1`, ...
_LITELLM_RAW_LABEL = "litellm_custom_id_raw"
_LITELLM_RAW_PREFIX = "b32_"

_MAX_ERROR_ENVELOPES = 8
_MAX_SHOWN_CHARS = 500


def parse_result_line(line: bytes | str) -> ResultRecord:
    """One result line (with or without its newline) as a record; never raises."""
    raw = _decode_line(line)
    if not raw.strip():
        return _failed(None, "empty_line", "result line is empty", raw)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
        return _failed(None, "invalid_json", f"result line is not valid JSON: {detail}", raw)
    if type(data) is not dict:
        return _failed(None, "unknown_shape", "result line is not a JSON object", raw)
    if "custom_id" in data and ("response" in data or "error" in data):
        return _parse_openai(data, raw)
    if "key" in data and ("response" in data or "error" in data or "status" in data):
        return _parse_gemini_file(data, raw)
    if "request" in data and ("response" in data or "status" in data):
        return _parse_vertex(data, raw)
    if type(data.get("metadata")) is dict and ("response" in data or "error" in data):
        return _parse_gemini_file(data, raw, custom_id=_id_value(data["metadata"].get("key")))
    keys = ", ".join(_clean(str(key))[:40] for key in list(data)[:8]) or "none"
    return _failed(
        _id_value(data.get("custom_id")),
        "unknown_shape",
        f"unknown result line shape (keys: {keys}); expected an OpenAI, Gemini or Vertex row",
        raw,
    )


def iter_result_records(lines: Iterable[bytes | str]) -> Iterator[ResultRecord]:
    """Records of the non-blank lines, in order."""
    for line in lines:
        if line.strip():
            yield parse_result_line(line)


def read_result_file(path: str | Path) -> Iterator[ResultRecord]:
    """Records of a downloaded results file, read line by line."""
    with open(path, "rb") as handle:
        yield from iter_result_records(handle)


# -- OpenAI ---------------------------------------------------------------------------------


def _parse_openai(data: dict[str, Any], raw: str) -> ResultRecord:
    custom_id = _id_value(data.get("custom_id"))
    response = _dict(data.get("response"))
    error = data.get("error")
    if error == "":  # Portkey's /output writes "" on rows that succeeded
        error = None
    status_code = _int(response.get("status_code"))
    body = _body_object(response.get("body"))
    fields = _openai_body_fields(body)
    ok = status_code == 200 and error is None
    error_code, error_message = None, None
    if not ok:
        error_code, error_message = _error_details(error)
        if error_message is None:
            error_code, error_message = _error_details(body.get("error"))
        if error_message is None:
            if status_code is not None:
                error_message = f"request failed with HTTP {status_code}"
            elif not response:
                error_message = "no response and no error in the result line"
            else:
                error_message = "response has no status_code"
    return ResultRecord(
        custom_id=custom_id,
        ok=ok,
        status_code=status_code,
        error_code=error_code,
        error_message=error_message,
        raw=raw,
        **fields,
    )


def _openai_body_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = dict.fromkeys(_RECORD_FIELDS)
    usage = _dict(body.get("usage"))
    fields["prompt_tokens"] = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
    fields["completion_tokens"] = _int(usage.get("completion_tokens", usage.get("output_tokens")))
    fields["total_tokens"] = _int(usage.get("total_tokens"))
    choices = body.get("choices")
    if type(choices) is list and choices:
        choice = _dict(choices[0])
        fields["finish_reason"] = _str(choice.get("finish_reason"))
        message = choice.get("message")
        if type(message) is dict:  # chat completion
            text = _content_text(message.get("content"))
            # A refusal has no content; showing it beats showing nothing.
            fields["text"] = text if text is not None else _str(message.get("refusal"))
        else:  # text completion
            fields["text"] = _str(choice.get("text"))
    elif type(body.get("output")) is list:  # /v1/responses
        fields["text"] = _responses_text(body["output"])
        fields["finish_reason"] = _responses_finish_reason(body)
    return fields


def _content_text(content: object) -> str | None:
    """Chat `content`: a string, or a list of parts whose text parts are joined."""
    if type(content) is str:
        return _clean(content)
    if type(content) is not list:
        return None
    texts = [
        part["text"] for part in content if type(part) is dict and type(part.get("text")) is str
    ]
    return _clean("".join(texts)) if texts else None


def _responses_text(output: list[Any]) -> str | None:
    texts: list[str] = []
    for item in output:
        if type(item) is not dict or type(item.get("content")) is not list:
            continue
        for part in item["content"]:
            if type(part) is not dict:
                continue
            if part.get("type") == "refusal" and type(part.get("refusal")) is str:
                texts.append(part["refusal"])
            elif type(part.get("text")) is str:
                texts.append(part["text"])
    return _clean("".join(texts)) if texts else None


def _responses_finish_reason(body: dict[str, Any]) -> str | None:
    reason = _dict(body.get("incomplete_details")).get("reason")
    if type(reason) is str:
        return RESPONSES_INCOMPLETE_REASONS.get(reason, _clean(reason))
    return "stop" if body.get("status") == "completed" else _str(body.get("status"))


def _error_details(error: object) -> tuple[str | None, str | None]:
    """(code, message) of an error object, a JSON-encoded one, or a plain string."""
    if error is None or error is False:
        return None, None
    if type(error) is str:
        decoded = _json_object(error) if error.startswith("{") else None
        if decoded is not None:
            return _error_details(decoded)
        return None, _clean(error) or None
    if type(error) is not dict:
        return None, _shown(error)
    for _ in range(_MAX_ERROR_ENVELOPES):  # {"error": {...}} envelopes, unwrapped
        if type(error.get("error")) is not dict:
            break
        error = error["error"]
    code = error.get("status") if type(error.get("status")) is str else error.get("code")
    if code is None:
        code = error.get("type")
    code_text = _clean(str(code)) if type(code) in (str, int) else None
    message = _str(error.get("message"))
    if message is None:
        message = f"error {code_text}" if code_text is not None else _shown(error)
    return code_text, message


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return decoded if type(decoded) is dict else None


def _shown(value: object) -> str:
    try:
        text = json.dumps(value)
    except (ValueError, RecursionError):  # nested as deep as the parser allowed
        text = f"<{type(value).__name__}>"
    return _clean(text)[:_MAX_SHOWN_CHARS]


# -- Gemini and Vertex ----------------------------------------------------------------------


def _parse_gemini_file(
    data: dict[str, Any], raw: str, *, custom_id: str | None = None
) -> ResultRecord:
    if custom_id is None:
        custom_id = _id_value(data.get("key"))
    return _google_record(
        custom_id, data.get("response"), data.get("error") or data.get("status"), raw
    )


def _parse_vertex(data: dict[str, Any], raw: str) -> ResultRecord:
    custom_id = _id_value(data.get("requestId")) or _id_value(data.get("key"))
    if custom_id is None:
        request = _dict(data.get("request"))
        custom_id = _custom_id_from_labels(_dict(request.get("labels")))
    if custom_id is None:
        custom_id = _id_value(_dict(data.get("instance")).get("requestId"))
    return _google_record(custom_id, data.get("response"), data.get("status"), raw)


def _google_record(
    custom_id: str | None, response: object, error: object, raw: str
) -> ResultRecord:
    body = _dict(response)
    fields = _google_response_fields(body)
    if type(error) is str and error.startswith("{"):  # Vertex JSON-encodes some statuses
        error = _json_object(error) or error
    error_code, error_message = _error_details(error) if error else (None, None)
    status_code = None
    if type(error) is dict:
        code = _int(error.get("code"))
        # Google errors carry an HTTP code (400) or a gRPC one (3); only the first is a status.
        status_code = code if code is not None and 100 <= code <= 599 else None
    ok = error_message is None and bool(body)
    if ok and not _has_output(body):
        block = _dict(body.get("promptFeedback")).get("blockReason")
        if block is not None:
            ok = False
            error_code = "prompt_blocked"
            error_message = f"prompt blocked: {_clean(str(block))}"
    if not ok and error_message is None:
        error_message = "no response and no error in the result line"
    return ResultRecord(
        custom_id=custom_id,
        ok=ok,
        status_code=status_code,
        error_code=error_code,
        error_message=error_message,
        raw=raw,
        **fields,
    )


def _has_output(body: dict[str, Any]) -> bool:
    candidates = body.get("candidates")
    return (type(candidates) is list and bool(candidates)) or "embedding" in body


def _google_response_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = dict.fromkeys(_RECORD_FIELDS)
    candidates = body.get("candidates")
    if type(candidates) is list and candidates:
        candidate = _dict(candidates[0])
        parts = _dict(candidate.get("content")).get("parts")
        if type(parts) is list:
            texts = [
                part["text"]
                for part in parts
                # Thought summaries are not the answer.
                if type(part) is dict and type(part.get("text")) is str and not part.get("thought")
            ]
            fields["text"] = _clean("".join(texts)) if texts else None
        reason = candidate.get("finishReason")
        if type(reason) is str:
            fields["finish_reason"] = GOOGLE_FINISH_REASONS.get(reason, _clean(reason.lower()))
    usage = _dict(body.get("usageMetadata"))
    fields["prompt_tokens"] = _int(usage.get("promptTokenCount"))
    candidates_tokens = _int(usage.get("candidatesTokenCount"))
    thoughts_tokens = _int(usage.get("thoughtsTokenCount"))
    # OpenAI counts reasoning within completion tokens; Gemini reports thoughts apart.
    if candidates_tokens is not None or thoughts_tokens is not None:
        fields["completion_tokens"] = (candidates_tokens or 0) + (thoughts_tokens or 0)
    fields["total_tokens"] = _int(usage.get("totalTokenCount"))
    return fields


def _custom_id_from_labels(labels: dict[str, Any]) -> str | None:
    raw_first = labels.get(_LITELLM_RAW_LABEL)
    if type(raw_first) is str and raw_first:
        decoded = _decode_litellm_raw_label(labels, raw_first)
        if decoded is not None:
            return decoded
    for key in ("litellm_custom_id", "custom_id"):
        if type(labels.get(key)) is str:
            return _clean(labels[key])
    for key, value in labels.items():
        if "custom_id" in key and not key.startswith(_LITELLM_RAW_LABEL) and type(value) is str:
            return _clean(value)
    return None


def _decode_litellm_raw_label(labels: dict[str, Any], first: str) -> str | None:
    chunks = [(0, first)]
    prefix = f"{_LITELLM_RAW_LABEL}_"
    for key, value in labels.items():
        suffix = key[len(prefix) :] if key.startswith(prefix) else ""
        if suffix.isdigit() and suffix.isascii() and len(suffix) <= 6 and type(value) is str:
            chunks.append((int(suffix), value))
    chunks.sort(key=lambda chunk: chunk[0])
    encoded = []
    for _, value in chunks:
        if not value.startswith(_LITELLM_RAW_PREFIX):
            return None
        encoded.append(value[len(_LITELLM_RAW_PREFIX) :])
    text = "".join(encoded).upper()
    try:
        return _clean(base64.b32decode(text + "=" * (-len(text) % 8)).decode("utf-8"))
    except (binascii.Error, ValueError):
        return None


# -- small helpers --------------------------------------------------------------------------


def _failed(custom_id: str | None, code: str, message: str, raw: str) -> ResultRecord:
    return ResultRecord(
        custom_id=custom_id, ok=False, error_code=code, error_message=message, raw=raw
    )


def _decode_line(line: bytes | str) -> str:
    if isinstance(line, bytes | bytearray | memoryview):
        text = bytes(line).decode("utf-8", errors="replace")
    else:
        text = _clean(str(line))
    return text.rstrip("\r\n")


def _clean(text: str) -> str:
    """`text` without lone surrogates (JSON may escape them; UTF-8 cannot encode them)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8")
    return text


def _dict(value: object) -> dict[str, Any]:
    return value if type(value) is dict else {}


def _body_object(value: object) -> dict[str, Any]:
    """A response body: an object, or (as some OpenAI-compatible servers write it) the
    object JSON-encoded in a string."""
    if type(value) is str and value.lstrip().startswith("{"):
        return _json_object(value) or {}
    return _dict(value)


def _str(value: object) -> str | None:
    return _clean(value) if type(value) is str else None


def _id_value(value: object) -> str | None:
    if type(value) is str:
        return _clean(value)
    if type(value) is int:
        return str(value)
    return None


def _int(value: object) -> int | None:
    """An integer count or code; Google sends int64 values as strings."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if type(value) is str and value.isascii() and len(value) <= 24:
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if digits.isdigit():
            return int(text)
    return None
