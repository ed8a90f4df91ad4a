"""Deterministic answers: shapes per the spec, joins, token limits, error rows."""

from __future__ import annotations

import base64
import struct

import pytest
from sim_helpers import assert_matches_spec

from batchtui.simulator.responder import (
    DEFAULT_EMBEDDING_DIMENSIONS,
    answer_text,
    count_tokens,
    embedding_vector,
    respond,
    unrun_row,
)

CHAT = {
    "model": "gpt-sim",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the capital of France and why is it Paris?"},
    ],
}


def _respond(endpoint: str, body: dict, custom_id: str = "c1", batch_id: str = "batch_1"):
    return respond(endpoint, custom_id, body, batch_id=batch_id, created=1_700_000_000)


def test_chat_answer_is_a_spec_chat_completion_derived_from_the_last_user_message() -> None:
    outcome = _respond("/v1/chat/completions", CHAT)
    assert outcome.succeeded
    row = outcome.row
    assert row["custom_id"] == "c1" and row["error"] is None
    assert row["response"]["status_code"] == 200
    assert row["response"]["request_id"].startswith("req_")
    body = row["response"]["body"]
    assert_matches_spec(body, "CreateChatCompletionResponse")
    text = body["choices"][0]["message"]["content"]
    assert text.startswith("Simulated answer to: What is the capital of France and why")
    assert text == answer_text(CHAT["messages"][1]["content"], CHAT)
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["completion_tokens"] == count_tokens(text) == outcome.output_tokens
    assert usage["prompt_tokens"] == outcome.input_tokens > count_tokens("Be brief.")
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_answers_are_deterministic_and_ids_follow_the_custom_id() -> None:
    first = _respond("/v1/chat/completions", CHAT)
    again = _respond("/v1/chat/completions", CHAT)
    other_id = _respond("/v1/chat/completions", CHAT, custom_id="c2")
    other_body = _respond("/v1/chat/completions", {**CHAT, "temperature": 0})
    assert first == again
    assert other_id.row["id"] != first.row["id"]
    content = first.row["response"]["body"]["choices"][0]["message"]["content"]
    assert other_id.row["response"]["body"]["choices"][0]["message"]["content"] == content
    assert other_body.row["response"]["body"]["choices"][0]["message"]["content"] != content


@pytest.mark.parametrize("limit_key", ["max_tokens", "max_completion_tokens"])
def test_tiny_token_limit_cuts_the_answer_with_finish_reason_length(limit_key: str) -> None:
    outcome = _respond("/v1/chat/completions", {**CHAT, limit_key: 3})
    choice = outcome.row["response"]["body"]["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == "Simulated answer to"
    assert outcome.output_tokens == 3


def test_completions_answer_matches_the_spec() -> None:
    body = {"model": "gpt-sim-instruct", "prompt": "Say hello to the world", "max_tokens": 100}
    response = _respond("/v1/completions", body).row["response"]["body"]
    assert_matches_spec(response, "CreateCompletionResponse")
    assert response["object"] == "text_completion"
    assert response["choices"][0]["text"] == answer_text("Say hello to the world", body)


def test_responses_answer_matches_the_spec_and_reports_incomplete() -> None:
    body = {"model": "gpt-sim", "input": "Tell me a story about a fox", "instructions": "Short."}
    response = _respond("/v1/responses", body).row["response"]["body"]
    assert_matches_spec(response, "Response")
    assert response["status"] == "completed"
    assert response["output"][0]["content"][0]["text"] == answer_text(body["input"], body)

    cut = _respond("/v1/responses", {**body, "max_output_tokens": 2}).row["response"]["body"]
    assert_matches_spec(cut, "Response")
    assert cut["status"] == "incomplete"
    assert cut["incomplete_details"] == {"reason": "max_output_tokens"}
    assert cut["usage"]["output_tokens"] == 2


def test_embeddings_are_unit_vectors_and_base64_decodes_to_them() -> None:
    body = {"model": "emb", "input": ["alpha", "beta"], "dimensions": 8}
    response = _respond("/v1/embeddings", body).row["response"]["body"]
    assert_matches_spec(response, "CreateEmbeddingResponse")
    vectors = [item["embedding"] for item in response["data"]]
    assert [item["index"] for item in response["data"]] == [0, 1]
    assert all(len(v) == 8 for v in vectors)
    assert vectors[0] != vectors[1]
    assert abs(sum(x * x for x in vectors[0]) - 1) < 1e-4

    encoded = _respond("/v1/embeddings", {**body, "encoding_format": "base64"}).row
    raw = base64.b64decode(encoded["response"]["body"]["data"][0]["embedding"])
    decoded = struct.unpack("<8f", raw)
    assert decoded == pytest.approx(vectors[0], abs=1e-6)

    default = _respond("/v1/embeddings", {"model": "emb", "input": "x"}).row["response"]["body"]
    assert len(default["data"][0]["embedding"]) == DEFAULT_EMBEDDING_DIMENSIONS
    assert embedding_vector("x", 4) == embedding_vector("x", 4)


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "a"}]}),
        ("/v1/completions", {"model": "m", "prompt": "a"}),
        ("/v1/embeddings", {"model": "m", "input": "a"}),
        ("/v1/responses", {"model": "m", "input": [{"role": "user", "content": "a"}]}),
    ],
)
def test_marker_fails_every_endpoint(endpoint: str, body: dict) -> None:
    ok = _respond(endpoint, body)
    assert ok.succeeded
    marked = _respond(endpoint, _with_marker(body, " [sim:error=503]"))
    assert not marked.succeeded
    assert marked.row["response"]["status_code"] == 503
    assert marked.row["response"]["body"]["error"]["type"] == "server_error"
    assert_matches_spec(marked.row["response"]["body"], "ErrorResponse")
    assert (marked.input_tokens, marked.output_tokens) == (0, 0)


def _with_marker(body: dict, marker: str) -> dict:
    changed = dict(body)
    for key in ("prompt", "input"):
        if isinstance(changed.get(key), str):
            changed[key] += marker
    if isinstance(changed.get("input"), list):
        changed["input"] = [{"role": "user", "content": "a" + marker}]
    if "messages" in changed:
        changed["messages"] = [{"role": "user", "content": "a" + marker}]
    return changed


def test_marker_in_a_system_message_does_not_fail_the_request() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "never [sim:error]"},
            {"role": "user", "content": [{"type": "text", "text": "hello there"}]},
        ],
    }
    outcome = _respond("/v1/chat/completions", body)
    assert outcome.succeeded
    content = outcome.row["response"]["body"]["choices"][0]["message"]["content"]
    assert content.startswith("Simulated answer to: hello there [")


def test_body_without_messages_is_a_400_row() -> None:
    outcome = _respond("/v1/chat/completions", {"model": "m"})
    assert not outcome.succeeded
    error = outcome.row["response"]["body"]["error"]
    assert (outcome.row["response"]["status_code"], error["param"]) == (400, "messages")


def test_unrun_rows_have_no_response_and_an_error_code() -> None:
    row = unrun_row("batch_1", "c9", "batch_expired")
    assert row["custom_id"] == "c9"
    assert row["response"] is None
    assert row["error"]["code"] == "batch_expired" and row["error"]["message"]
    assert row["id"] == _respond("/v1/chat/completions", CHAT, custom_id="c9").row["id"]
