"""The pieces behind the Vertex flavours: state tables, conversions, labels, prediction rows."""

from __future__ import annotations

import json

import httpx
import pytest

from batchtui.simulator.cli import build_parser
from batchtui.simulator.flavors import FLAVOR_MODULES, load_flavor
from batchtui.simulator.flavors.gemini_answers import predict
from batchtui.simulator.flavors.gemini_requests import KeyStyle, NotAChatBody, chat_to_gemini
from batchtui.simulator.flavors.litellm_vertex import (
    custom_id_from_labels,
    custom_id_labels,
    litellm_status,
)
from batchtui.simulator.flavors.portkey_vertex import output_row, portkey_status
from batchtui.simulator.flavors.vertex_engine import epoch_ms, rfc3339

# providers.md §2.3 (Portkey) and §3.2 / §5b (LiteLLM), every Vertex JobState
STATES = {
    "JOB_STATE_UNSPECIFIED": ("validating", "failed"),
    "JOB_STATE_QUEUED": ("validating", "validating"),
    "JOB_STATE_PENDING": ("validating", "validating"),
    "JOB_STATE_PAUSED": ("validating", "in_progress"),
    "JOB_STATE_RUNNING": ("in_progress", "in_progress"),
    "JOB_STATE_UPDATING": ("in_progress", "in_progress"),
    "JOB_STATE_SUCCEEDED": ("completed", "completed"),
    "JOB_STATE_PARTIALLY_SUCCEEDED": ("completed", "completed"),
    "JOB_STATE_FAILED": ("failed", "failed"),
    "JOB_STATE_EXPIRED": ("expired", "expired"),
    "JOB_STATE_CANCELLING": ("cancelling", "cancelling"),
    "JOB_STATE_CANCELLED": ("cancelled", "cancelled"),
}


@pytest.mark.parametrize("state", sorted(STATES))
def test_each_gateway_maps_vertex_states_its_own_way(state: str) -> None:
    assert (portkey_status(state), litellm_status(state)) == STATES[state]


def test_unknown_state_is_validating_for_portkey_and_an_error_for_litellm() -> None:
    assert portkey_status("JOB_STATE_SOMETHING_NEW") == "validating"
    with pytest.raises(KeyError):
        litellm_status("JOB_STATE_SOMETHING_NEW")


def test_flavours_are_registered_and_selectable_from_the_cli() -> None:
    assert set(FLAVOR_MODULES) == {
        "openai",
        "portkey-openai",
        "portkey-vertex",
        "portkey-oss-openai",
        "portkey-oss-vertex",
        "litellm-vertex",
    }
    for name in FLAVOR_MODULES:
        assert load_flavor(name).name == name
    args = build_parser().parse_args(["--flavor", "litellm-vertex", "--litellm-convert-output"])
    assert (args.flavor, args.litellm_convert_output) == ("litellm-vertex", True)
    with pytest.raises(ValueError, match="unknown simulator flavor"):
        load_flavor("bedrock")


def test_chat_to_gemini_in_both_key_styles() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "content": "hello"},
        ],
        "max_completion_tokens": 7,
        "stop": "END",
    }
    camel = chat_to_gemini(body, KeyStyle.CAMEL)
    assert camel == {
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"text": "hello"}]},
        ],
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "generationConfig": {"maxOutputTokens": 7, "stopSequences": ["END"]},
    }
    snake = chat_to_gemini(body, KeyStyle.SNAKE)
    assert snake["system_instruction"] == camel["systemInstruction"]
    assert snake["generationConfig"] == {"max_output_tokens": 7, "stop_sequences": ["END"]}
    with pytest.raises(NotAChatBody):
        chat_to_gemini({"model": "m"}, KeyStyle.CAMEL)


@pytest.mark.parametrize("custom_id", ["request-1", "Mixed/Case id", "é" * 70, ""])
def test_custom_id_labels_round_trip(custom_id: str) -> None:
    labels = custom_id_labels(custom_id)
    assert all(len(value) <= 63 for value in labels.values())
    assert custom_id_from_labels(labels) == custom_id
    assert custom_id_from_labels({"litellm_custom_id": "only-safe"}) == "only-safe"
    assert custom_id_from_labels({}) == "unknown"


def test_prediction_rows_success_truncation_and_failures() -> None:
    line = {
        "request": {
            "contents": [{"role": "user", "parts": [{"text": "a b c d e"}]}],
            "generationConfig": {"maxOutputTokens": 2},
        },
        "requestId": "r1",
    }
    ok = predict(line, job_id="1", position=0, model="gemini-x", ran_at=1_700_000_000.5)
    assert ok.succeeded and ok.row["requestId"] == "r1" and ok.row["status"] == ""
    assert ok.row["processed_time"] == "2023-11-14T22:13:20.500+00:00"
    candidate = ok.row["response"]["candidates"][0]
    assert candidate["finishReason"] == "MAX_TOKENS" and ok.output_tokens == 2
    assert predict(line, job_id="1", position=0, model="gemini-x", ran_at=1_700_000_000.5) == ok

    failing = {"request": {"contents": [{"parts": [{"text": "x [sim:error=503]"}]}]}}
    failed = predict(failing, job_id="1", position=1, model="gemini-x", ran_at=1.0)
    assert not failed.succeeded and "response" not in failed.row
    assert json.loads(failed.row["status"])["code"] == 503


def test_portkey_output_row_for_a_row_without_status() -> None:
    row = {"request": {}, "response": {"candidates": []}, "requestId": "z"}
    converted = output_row(row, "42")
    assert "error" not in converted  # JSON.stringify drops an undefined error
    assert converted["custom_id"] == "z" and converted["id"] == "batch-42-"


def test_timestamps_convert_like_javascript() -> None:
    assert rfc3339(1_700_000_000.123456) == "2023-11-14T22:13:20.123456Z"
    assert epoch_ms("2023-11-14T22:13:20.123456Z") == 1_700_000_000_123
    assert epoch_ms("2025-01-01T00:00:00Z") == 1_735_689_600_000


def test_gateway_jobs_do_not_leak_into_the_openai_flavour_on_a_shared_data_dir(
    start_simulator, tmp_path
) -> None:
    data_dir = tmp_path / "shared"
    portkey = start_simulator(flavor="portkey-vertex", data_dir=data_dir)
    headers = {
        "x-portkey-provider": "vertex-ai",
        "x-portkey-vertex-storage-bucket-name": "b",
        "x-portkey-provider-model": "gemini-x",
    }
    line = {
        "custom_id": "a",
        "body": {"model": "gemini-x", "messages": [{"role": "user", "content": "hi"}]},
    }
    with httpx.Client(base_url=portkey.url, headers=headers) as client:
        file_id = client.post(
            "/files",
            files={"file": ("i.jsonl", json.dumps(line).encode())},
            data={"purpose": "batch"},
        ).json()["id"]
        assert client.post(
            "/batches", json={"input_file_id": file_id, "model": "gemini-x"}
        ).is_success
    openai = start_simulator(data_dir=data_dir)
    assert httpx.get(f"{openai.url}/batches").json()["data"] == []
    assert httpx.get(f"{openai.url}/files").json()["data"] == []
