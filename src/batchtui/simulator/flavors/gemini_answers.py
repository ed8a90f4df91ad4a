"""Deterministic Vertex AI batch prediction rows for Gemini requests (providers.md §5.5).

A row echoes the input line's `request` and answers it::

    {"status": "", "processed_time": "2026-01-02T03:04:05.678+00:00", "request": {...},
     "response": {"candidates": [{"content": {"role": "model", "parts": [{"text": ...}]},
                                  "finishReason": "STOP", "avgLogprobs": -0.1}],
                  "usageMetadata": {...}, "modelVersion": ..., "responseId": ..., ...}}

The text is `responder.answer_text` of the last user text (so tests can predict it), cut to
`maxOutputTokens`/`max_output_tokens` with `finishReason: MAX_TOKENS`.

Failures (`[sim:error]`, `[sim:error=CODE]` in a user part, as for OpenAI) have a non-empty
`status` string and no `response`. Vertex words statuses two ways (§5.5 "an error message,
sometimes JSON-encoded"): a 5xx CODE gives a JSON-encoded Google status object, anything else
a `Bad Request: {...}` message that is not JSON.

Every other top-level field of the input line is echoed beside `request`: Portkey puts
`requestId` there and lists it in `instanceConfig.excludedFields`, which Vertex documents as
attached to the output; Portkey's `/output` reads it back from `row.requestId` (its code,
getBatchOutput.ts). Whether live Vertex echoes it is unverified (§5.5, §7).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from batchtui.simulator.responder import (
    ERROR_MARKER,
    Outcome,
    answer_text,
    count_tokens,
    short_hash,
    truncate_to_tokens,
)

GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def processed_time(moment: float) -> str:
    """Vertex's `processed_time`: milliseconds and a +00:00 offset."""
    stamp = datetime.fromtimestamp(moment, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+00:00"


def _texts(request: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(every text of the request, the user texts)."""
    every: list[str] = []
    user: list[str] = []
    for key in ("systemInstruction", "system_instruction"):
        instruction = request.get(key)
        if isinstance(instruction, dict):
            every += [p["text"] for p in instruction.get("parts", []) if _is_text(p)]
    for content in request.get("contents") or []:
        if not isinstance(content, dict):
            continue
        texts = [p["text"] for p in content.get("parts") or [] if _is_text(p)]
        every += texts
        if content.get("role", "user") == "user":
            user += texts
    return every, user


def _is_text(part: Any) -> bool:
    return isinstance(part, dict) and isinstance(part.get("text"), str)


def _token_limit(request: dict[str, Any]) -> int | None:
    config = request.get("generationConfig") or request.get("generation_config") or {}
    for key in ("maxOutputTokens", "max_output_tokens"):
        value = config.get(key) if isinstance(config, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def failure_status(requested: str | None) -> dict[str, Any]:
    """The Google status object of a request that asked to fail (`[sim:error=CODE]`)."""
    marker = f"[sim:error={requested}]" if requested else "[sim:error]"
    message = f"Simulated failure requested by {marker} in the request."
    code = int(requested) if requested and requested.isdigit() else 400
    return {"code": code, "message": message, "status": GOOGLE_STATUS.get(code, "UNKNOWN")}


def _vertex_status(status: dict[str, Any]) -> str:
    if status["code"] >= 500:
        return json.dumps(status)
    return "Bad Request: " + json.dumps({"error": status})


@dataclass(frozen=True)
class Generation:
    """One request's answer: a GenerateContentResponse, or the status it failed with."""

    response: dict[str, Any] | None
    error: dict[str, Any] | None  # {"code": HTTP code, "message", "status"}
    input_tokens: int
    output_tokens: int


def generate(
    request: dict[str, Any], *, job_id: str, position: int, model: str, ran_at: float
) -> Generation:
    """The deterministic answer to one GenerateContentRequest (see the module doc)."""
    every, user = _texts(request)
    marker = ERROR_MARKER.search("\n".join(user))
    if marker:
        return Generation(None, failure_status(marker.group(1)), 0, 0)
    full_text = answer_text((user or every or [""])[-1], request)
    limit = _token_limit(request)
    text = full_text if limit is None else truncate_to_tokens(full_text, limit)
    prompt_tokens = sum(count_tokens(t) for t in every)
    output_tokens = count_tokens(text)
    seed = short_hash(job_id, str(position), length=32)
    response = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP" if text == full_text else "MAX_TOKENS",
                "avgLogprobs": -round(int(seed[:4], 16) / 65536, 6),
            }
        ],
        "createTime": datetime.fromtimestamp(ran_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "modelVersion": model,
        "responseId": seed[:22],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
            "trafficType": "ON_DEMAND",
        },
    }
    return Generation(response, None, prompt_tokens, output_tokens)


def predict(
    line: dict[str, Any], *, job_id: str, position: int, model: str, ran_at: float
) -> Outcome:
    """The prediction row for one input line (a JSON object with a `request` object)."""
    request = line["request"]
    extras = {key: value for key, value in line.items() if key != "request"}
    base = {"status": "", "processed_time": processed_time(ran_at), "request": request, **extras}
    answer = generate(request, job_id=job_id, position=position, model=model, ran_at=ran_at)
    if answer.error is not None:
        return Outcome({**base, "status": _vertex_status(answer.error)}, False, 0, 0)
    row = {**base, "response": answer.response}
    return Outcome(row, True, answer.input_tokens, answer.output_tokens)
