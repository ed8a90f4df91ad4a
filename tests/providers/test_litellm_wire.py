"""LiteLLM's objects and rows as the reference and its docs show them (§3, §6), no HTTP."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import ConfigError
from batchtui.core.formats.results import parse_result_line
from batchtui.core.providers import make_provider
from batchtui.core.providers.litellm import LiteLLMProvider
from batchtui.core.status import JobStatus

INPUT = (
    "gs://my-batch-bucket/litellm-vertex-files/publishers/google/models/"
    "gemini-2.5-flash-lite/abc123-def4-5678-9012-34567890abcd"
)
FOLDER = "gs://my-batch-bucket/litellm-vertex-files/publishers/google/models/gemini-2.5-flash-lite"
OUTPUT = f"{FOLDER}/prediction-model-2025-09-19T21:26:51.569037Z/predictions.jsonl"

# The LiteLLM docs' create answer (seeds/002), trimmed of its nulls.
CREATED: dict[str, Any] = {
    "id": "7814463557919047680",
    "completion_window": "24hrs",
    "created_at": 1758328011,
    "endpoint": "",
    "input_file_id": INPUT,
    "object": "batch",
    "status": "validating",
    "error_file_id": None,
    "errors": None,
    "metadata": None,
    "output_file_id": FOLDER,
    "request_counts": None,
}


@pytest.fixture
def litellm(monkeypatch: pytest.MonkeyPatch) -> LiteLLMProvider:
    monkeypatch.setenv("LITELLM_API_KEY", "sk-1234")
    profile = Profile(
        name="proxy",
        kind="litellm",
        base_url="http://127.0.0.1:4000/v1",
        extra_body={"custom_llm_provider": "vertex_ai"},
    )
    provider = make_provider(profile)
    assert isinstance(provider, LiteLLMProvider)
    return provider


def test_the_kind_uses_bearer_auth_and_sends_the_backend_with_every_call(
    litellm: LiteLLMProvider,
) -> None:
    assert litellm.http.client.headers["authorization"] == "Bearer sk-1234"
    request = litellm.http.client.build_request("GET", "/batches/1")
    assert request.url.params["custom_llm_provider"] == "vertex_ai"


def test_the_kind_has_no_default_url(monkeypatch) -> None:
    monkeypatch.setenv("LITELLM_API_KEY", "sk-1234")
    with pytest.raises(ConfigError, match=r"profile 'proxy': base_url is required"):
        make_provider(Profile(name="proxy", kind="litellm"))


def test_the_docs_created_batch_reads_as_a_pending_vertex_job(litellm: LiteLLMProvider) -> None:
    batch = litellm.parse_batch(CREATED, "POST /batches")
    assert batch.status is JobStatus.PENDING
    assert batch.completion_window == "24hrs"
    assert batch.endpoint is None  # "" means unknown; the registry keeps the known one
    assert batch.output_file_id is None  # the folder is not a file
    assert batch.error_file_id is None
    assert batch.timestamps["created_at"] == datetime(2025, 9, 20, 0, 26, 51, tzinfo=UTC)
    assert not batch.request_counts.known  # LiteLLM reports none: unknown, not 0/0


@pytest.mark.parametrize("window", ["24h", "24hrs"])  # 1.108.7, and older proxies
def test_both_completion_windows_and_a_null_output_read_alike(
    litellm: LiteLLMProvider, window: str
) -> None:
    current = {**CREATED, "completion_window": window, "output_file_id": None}
    batch = litellm.parse_batch(current, "POST /batches")
    assert batch.completion_window == window and batch.status is JobStatus.PENDING
    assert batch.output_file_id is None and not batch.request_counts.known


def test_an_openai_upstreams_counts_are_kept(litellm: LiteLLMProvider) -> None:
    openai = {
        "id": "batch_abc",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-abc",
        "completion_window": "24h",
        "status": "in_progress",
        "created_at": 1758328011,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
    }
    counts = litellm.parse_batch(openai, "GET /batches/batch_abc").request_counts
    assert counts.known and counts.total == 0


def test_a_completed_batch_keeps_its_gs_output_file(litellm: LiteLLMProvider) -> None:
    done = litellm.parse_batch({**CREATED, "status": "completed", "output_file_id": OUTPUT}, "c")
    assert done.status is JobStatus.COMPLETED
    assert done.output_file_id == OUTPUT
    assert [f.kind for f in litellm.result_files(done)] == ["output"]
    failed = litellm.parse_batch({**CREATED, "status": "failed"}, "c")
    assert failed.output_file_id is None


def b32_labels(custom_id: str) -> dict[str, str]:
    """LiteLLM's labels: a GCP-safe copy, and the exact id base32-encoded in 63-char chunks."""
    lowered = custom_id.lower()
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in lowered)[:63]
    encoded = "b32_" + base64.b32encode(custom_id.encode()).decode().rstrip("=").lower()
    labels = {"litellm_custom_id": safe}
    chunks = [encoded[i : i + 63] for i in range(0, len(encoded), 63)]
    labels["litellm_custom_id_raw"] = chunks[0]
    for number, chunk in enumerate(chunks[1:], start=1):
        labels[f"litellm_custom_id_raw_{number}"] = "b32_" + chunk
    return labels


def test_vertex_rows_give_back_the_exact_custom_id_even_when_long() -> None:
    # Older proxies return Vertex's own rows (§6 item 9); the id lives in request labels.
    custom_id = "Request/ÉTÉ-" + "X" * 80  # upper case, non-ASCII, over 63 characters
    labels = b32_labels(custom_id)
    row = {
        "status": "",
        "processed_time": "2025-09-19T21:29:47.352+00:00",
        "request": {"contents": [{"parts": [{"text": "Hello world!"}]}], "labels": labels},
        "response": {
            "candidates": [
                {"content": {"parts": [{"text": "Hello there!"}]}, "finishReason": "MAX_TOKENS"}
            ],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 10},
        },
    }
    record = parse_result_line(json.dumps(row))
    assert (record.custom_id, record.ok, record.text) == (custom_id, True, "Hello there!")
    assert record.finish_reason == "length"
    older = {**row, "request": {"labels": {"litellm_custom_id": labels["litellm_custom_id"]}}}
    assert parse_result_line(json.dumps(older)).custom_id == labels["litellm_custom_id"]


def test_newer_proxies_transformed_rows_read_like_openais() -> None:
    ok = {
        "id": "batch_req_1",
        "custom_id": "request-1",
        "response": {
            "status_code": 200,
            "request_id": "chatcmpl-1",
            "body": {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]},
        },
        "error": None,
    }
    failed = {
        "id": "batch_req_2",
        "custom_id": "request-2",
        "response": None,
        "error": {"code": "vertex_ai_error", "message": "quota"},
    }
    first, second = parse_result_line(json.dumps(ok)), parse_result_line(json.dumps(failed))
    assert (first.custom_id, first.ok, first.text) == ("request-1", True, "hi")
    assert (second.custom_id, second.ok, second.error_code) == (
        "request-2",
        False,
        "vertex_ai_error",
    )


def test_a_body_encoded_as_a_json_string_reads_like_an_object() -> None:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8},
    }  # fmt: skip
    row = {"id": "r1", "custom_id": "q-1", "error": None}
    as_object = parse_result_line(
        json.dumps({**row, "response": {"status_code": 200, "body": body}})
    )
    as_string = parse_result_line(
        json.dumps({**row, "response": {"status_code": 200, "body": json.dumps(body)}})
    )
    assert as_string.ok and as_string.text == "Paris" and as_string.total_tokens == 8
    assert as_string.model_dump(exclude={"raw"}) == as_object.model_dump(exclude={"raw"})
    not_json = parse_result_line(
        json.dumps({**row, "response": {"status_code": 200, "body": "{oops"}})
    )
    assert not_json.ok and not_json.text is None  # nothing to read, and nothing invented


def test_litellms_own_ids_are_told_from_the_providers() -> None:
    from batchtui.core.providers.litellm import is_litellm_encoded

    encoded = base64.urlsafe_b64encode(f"litellm:{OUTPUT};model,gemini".encode()).decode()
    managed = base64.urlsafe_b64encode(b"litellm_proxy:application/json;unified_id,1").decode()
    assert is_litellm_encoded("file-" + encoded.rstrip("="))
    assert is_litellm_encoded(managed)
    assert not is_litellm_encoded("file-abc123")
    assert not is_litellm_encoded(OUTPUT)
