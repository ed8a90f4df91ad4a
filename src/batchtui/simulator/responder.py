"""Deterministic answers to batch requests, one `BatchRequestOutput` row per request.

Every answer is a pure function of (batch id, custom_id, request body, time it ran), so tests
can check that a client joins results to inputs by `custom_id`:

- `/v1/chat/completions`: a `chat.completion` whose assistant text is
  `Simulated answer to: <first 8 words of the last user message> [<8 hex of the body hash>]`.
- `/v1/completions`: a `text_completion` with the same text, derived from the prompt.
- `/v1/responses`: a `response` with one assistant `output_text` message, derived from `input`.
- `/v1/embeddings`: unit vectors of `dimensions` floats (default 16, kept small on purpose)
  seeded by each input's hash; `encoding_format: "base64"` gives little-endian float32.

Tokens are counted as words and punctuation marks (`\\w+|[^\\w\\s]`). When the request's token
limit (`max_completion_tokens`/`max_tokens`, `max_output_tokens`) is below the answer's length
the text is cut to that many tokens and `finish_reason` is `length` (responses: status
`incomplete`).

Failure rows. A user message (or prompt/input) containing `[sim:error]` or `[sim:error=CODE]`
fails that request. CODE is either an HTTP status (`[sim:error=429]`, `[sim:error=500]`) or an
error code string (`[sim:error=context_length_exceeded]`, status 400); the default is status
400 with code `simulated_error`. The row follows the spec's `BatchRequestOutput`::

    {"id": "batch_req_...", "custom_id": "...", "error": null,
     "response": {"status_code": 400, "request_id": "req_...",
                  "body": {"error": {"message", "type", "param", "code"}}}}

Requests that never ran (the batch expired or was cancelled first) get `response: null` and
`error: {"code": "batch_expired" | "batch_cancelled", "message": ...}`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SUPPORTED_ENDPOINTS = (
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/responses",
)
DEFAULT_EMBEDDING_DIMENSIONS = 16
SYSTEM_FINGERPRINT = "fp_batchtui_sim"
ANSWER_WORDS = 8

ERROR_MARKER = re.compile(r"\[sim:error(?:=([A-Za-z0-9_.\-]+))?\]")
TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
UNRUN_MESSAGES = {
    "batch_expired": "This request could not be executed before the completion window expired.",
    "batch_cancelled": "This request was not executed because the batch was cancelled.",
}


@dataclass(frozen=True)
class Outcome:
    """One request's result row and what it adds to the batch's counts and usage."""

    row: dict[str, Any]
    succeeded: bool
    input_tokens: int
    output_tokens: int


def count_tokens(text: str) -> int:
    return len(TOKEN_PATTERN.findall(text))


def short_hash(*parts: str, length: int = 24) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def body_digest(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def answer_text(prompt: str, body: Any) -> str:
    """The full (untruncated) assistant text for a prompt; tests may call it to check joins."""
    words = ERROR_MARKER.sub("", prompt).split()[:ANSWER_WORDS]
    return f"Simulated answer to: {' '.join(words)} [{body_digest(body)[:8]}]"


def truncate_to_tokens(text: str, limit: int) -> str:
    tokens = list(TOKEN_PATTERN.finditer(text))
    if limit >= len(tokens):
        return text
    if limit <= 0:
        return ""
    return text[: tokens[limit - 1].end()]


def respond(
    endpoint: str, custom_id: str, body: dict[str, Any], *, batch_id: str, created: int
) -> Outcome:
    """The result row for one request that ran at Unix time `created`."""
    ids = _RowIds(batch_id, custom_id)
    try:
        prompt = _texts_for(endpoint, body)
    except _BadBody as bad:
        return _error_outcome(ids, 400, bad.message, bad.code, bad.param)
    marker = ERROR_MARKER.search(prompt.marker_text)
    if marker:
        return _marker_outcome(ids, marker.group(1))
    model = str(body.get("model", ""))
    if endpoint == "/v1/embeddings":
        return _embeddings(ids, body, model, prompt.counted)
    full_text = answer_text(prompt.answer_from, body)
    limit = _token_limit(endpoint, body)
    text = full_text if limit is None else truncate_to_tokens(full_text, limit)
    cut_short = text != full_text
    # Roughly like OpenAI's chat format: a few tokens of framing per message.
    input_tokens = sum(count_tokens(t) + 3 for t in prompt.counted)
    answer = _Answer(ids, body, model, created, text, cut_short, input_tokens, count_tokens(text))
    response_body = _BODY_BUILDERS.get(endpoint, _responses_body)(answer)
    return Outcome(ids.success_row(response_body), True, input_tokens, answer.output_tokens)


def unrun_row(batch_id: str, custom_id: str, code: str) -> dict[str, Any]:
    """The error-file row for a request that never ran (`batch_expired`, `batch_cancelled`)."""
    ids = _RowIds(batch_id, custom_id)
    return {
        "id": ids.row_id,
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": UNRUN_MESSAGES[code]},
    }


class _BadBody(Exception):
    def __init__(self, message: str, code: str, param: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param


class _RowIds:
    def __init__(self, batch_id: str, custom_id: str) -> None:
        self.custom_id = custom_id
        self.seed = short_hash(batch_id, custom_id, length=32)
        self.row_id = f"batch_req_{self.seed[:24]}"
        self.request_id = f"req_{self.seed[8:32]}"

    def success_row(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.row_id,
            "custom_id": self.custom_id,
            "response": {"status_code": 200, "request_id": self.request_id, "body": body},
            "error": None,
        }


def _content_text(content: Any) -> str:
    """Text of a message `content`: a string, or a list of parts with `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


@dataclass(frozen=True)
class _Prompt:
    counted: list[str]  # every text the request sends: its input tokens
    answer_from: str  # the text the answer quotes
    marker_text: str  # where `[sim:error]` is looked for


def _texts_for(endpoint: str, body: dict[str, Any]) -> _Prompt:
    if endpoint == "/v1/chat/completions":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _BadBody(
                "'messages' is required and must be a non-empty array.",
                "missing_required_parameter",
                "messages",
            )
        dict_messages = [m for m in messages if isinstance(m, dict)]
        texts = [_content_text(m.get("content")) for m in dict_messages]
        user_texts = [
            _content_text(m.get("content")) for m in dict_messages if m.get("role") == "user"
        ]
        answer_from = (user_texts or texts or [""])[-1]
        return _Prompt(texts, answer_from, "\n".join(user_texts))
    if endpoint == "/v1/completions":
        prompt = body.get("prompt")
        if isinstance(prompt, list):
            prompt = "\n".join(str(p) for p in prompt)
        if not isinstance(prompt, str):
            raise _BadBody("'prompt' is required.", "missing_required_parameter", "prompt")
        return _Prompt([prompt], prompt, prompt)
    if endpoint == "/v1/embeddings":
        inputs = body.get("input")
        if isinstance(inputs, str):
            texts = [inputs]
        elif isinstance(inputs, list) and inputs:
            texts = [item if isinstance(item, str) else json.dumps(item) for item in inputs]
        else:
            raise _BadBody("'input' is required.", "missing_required_parameter", "input")
        return _Prompt(texts, texts[-1], "\n".join(texts))
    # /v1/responses: `input` is a string or a list of message items.
    raw_input = body.get("input")
    if isinstance(raw_input, str):
        texts = [raw_input]
    elif isinstance(raw_input, list) and raw_input:
        texts = [_content_text(item.get("content")) for item in raw_input if isinstance(item, dict)]
    else:
        raise _BadBody("'input' is required.", "missing_required_parameter", "input")
    instructions = body.get("instructions")
    prefix = [instructions] if isinstance(instructions, str) else []
    return _Prompt([*prefix, *texts], (texts or [""])[-1], "\n".join(texts))


def _token_limit(endpoint: str, body: dict[str, Any]) -> int | None:
    keys = {
        "/v1/chat/completions": ("max_completion_tokens", "max_tokens"),
        "/v1/completions": ("max_tokens",),
        "/v1/responses": ("max_output_tokens",),
    }[endpoint]
    for key in keys:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _usage_chat(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


@dataclass(frozen=True)
class _Answer:
    """What the text endpoints' response bodies are built from."""

    ids: _RowIds
    body: dict[str, Any]  # the request's
    model: str
    created: int
    text: str
    cut_short: bool  # by the request's output token limit
    input_tokens: int
    output_tokens: int

    @property
    def finish_reason(self) -> str:
        return "length" if self.cut_short else "stop"


def _chat_body(answer: _Answer) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{answer.ids.seed[:24]}",
        "object": "chat.completion",
        "created": answer.created,
        "model": answer.model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": answer.text,
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": answer.finish_reason,
            }
        ],
        "usage": _usage_chat(answer.input_tokens, answer.output_tokens),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def _completion_body(answer: _Answer) -> dict[str, Any]:
    return {
        "id": f"cmpl-{answer.ids.seed[:24]}",
        "object": "text_completion",
        "created": answer.created,
        "model": answer.model,
        "choices": [
            {
                "text": answer.text,
                "index": 0,
                "logprobs": None,
                "finish_reason": answer.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": answer.input_tokens,
            "completion_tokens": answer.output_tokens,
            "total_tokens": answer.input_tokens + answer.output_tokens,
        },
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def _responses_body(answer: _Answer) -> dict[str, Any]:
    status = "incomplete" if answer.cut_short else "completed"
    return {
        "id": f"resp_{answer.ids.seed[:24]}",
        "object": "response",
        "created_at": answer.created,
        "status": status,
        "completed_at": None if answer.cut_short else answer.created,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if answer.cut_short else None,
        "instructions": answer.body.get("instructions"),
        "max_output_tokens": answer.body.get("max_output_tokens"),
        "model": answer.model,
        "output": [
            {
                "type": "message",
                "id": f"msg_{answer.ids.seed[8:32]}",
                "status": status,
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": answer.text, "annotations": [], "logprobs": []}
                ],
            }
        ],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": None,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": answer.input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": answer.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": answer.input_tokens + answer.output_tokens,
        },
        "metadata": {},
    }


_BODY_BUILDERS: dict[str, Callable[[_Answer], dict[str, Any]]] = {
    "/v1/chat/completions": _chat_body,
    "/v1/completions": _completion_body,
}  # any other text endpoint: /v1/responses


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit vector for `text`."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        block = hashlib.sha256(f"{counter}\x1f{text}".encode()).digest()
        values.extend((byte - 127.5) / 127.5 for byte in block)
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def _embeddings(ids: _RowIds, body: dict[str, Any], model: str, texts: list[str]) -> Outcome:
    dimensions = body.get("dimensions")
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
        dimensions = DEFAULT_EMBEDDING_DIMENSIONS
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = embedding_vector(text, dimensions)
        encoded: list[float] | str = vector
        if as_base64:
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    input_tokens = sum(count_tokens(t) for t in texts)
    response_body = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": input_tokens, "total_tokens": input_tokens},
    }
    return Outcome(ids.success_row(response_body), True, input_tokens, 0)


def _marker_outcome(ids: _RowIds, requested: str | None) -> Outcome:
    marker = f"[sim:error={requested}]" if requested else "[sim:error]"
    message = f"Simulated failure requested by {marker} in the request."
    if requested and requested.isdigit() and 400 <= int(requested) <= 599:
        return _error_outcome(ids, int(requested), message, "simulated_error", None)
    return _error_outcome(ids, 400, message, requested or "simulated_error", None)


def _error_outcome(
    ids: _RowIds, status: int, message: str, code: str, param: str | None
) -> Outcome:
    error_type = ERROR_TYPES.get(
        status, "server_error" if status >= 500 else "invalid_request_error"
    )
    row = {
        "id": ids.row_id,
        "custom_id": ids.custom_id,
        "response": {
            "status_code": status,
            "request_id": ids.request_id,
            "body": {
                "error": {"message": message, "type": error_type, "param": param, "code": code}
            },
        },
        "error": None,
    }
    return Outcome(row, False, 0, 0)
