"""--flavor portkey-openai over real HTTP: Portkey in front of OpenAI (providers.md §2.2, §6 23)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sim_helpers import (
    assert_matches_spec,
    chat_line,
    create_batch,
    jsonl,
    read_rows,
    upload,
    wait_for_status,
)

from batchtui.simulator import SimulatorHandle

KEY = "pk-sim-right-0123456789"
HEADERS = {"x-portkey-provider": "openai", "x-portkey-api-key": KEY}
TERMINAL = ("completed", "failed", "expired", "cancelled")

OpenClient = Callable[..., httpx.Client]


@pytest.fixture
def sim(start_simulator: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return start_simulator(flavor="portkey-openai", api_key=KEY, phase_seconds=0.05)


@pytest.fixture
def open_client(sim: SimulatorHandle) -> Iterator[OpenClient]:
    clients: list[httpx.Client] = []

    def build(headers: dict[str, str] | None = None) -> httpx.Client:
        client = httpx.Client(base_url=sim.url, headers=HEADERS if headers is None else headers)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(open_client: OpenClient) -> httpx.Client:
    return open_client()


def finished(client: httpx.Client, rows: list[dict[str, Any]]) -> dict[str, Any]:
    batch = create_batch(client, rows)
    return wait_for_status(client, batch["id"], *TERMINAL)


# -- admission -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"x-portkey-provider": "openai", "x-portkey-api-key": KEY},
        {"x-portkey-provider": "@openai-prod", "Authorization": f"Bearer {KEY}"},
        {"x-portkey-config": json.dumps({"provider": "openai"}), "x-portkey-api-key": KEY},
        {"x-portkey-config": "pc-saved-config-1", "x-portkey-api-key": KEY},
    ],
    ids=["raw-slug", "catalog-slug-bearer", "inline-config", "config-id"],
)
def test_portkey_forwards_to_openai_with_its_key_and_a_provider(
    open_client: OpenClient, headers: dict[str, str]
) -> None:
    listed = open_client(headers).get("/batches")
    assert listed.status_code == 200, listed.text
    assert_matches_spec(listed.json(), "ListBatchesResponse")


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"x-portkey-provider": "openai"}, 401, "Invalid API Key"),
        ({"x-portkey-provider": "openai", "x-portkey-api-key": "pk-wrong"}, 401, "Invalid API Key"),
        (
            {"x-portkey-api-key": KEY},
            400,
            "Either x-portkey-config or x-portkey-provider header is required",
        ),
    ],
    ids=["no-key", "wrong-key", "no-provider"],
)
def test_portkey_refuses_in_its_own_shape(
    open_client: OpenClient, headers: dict[str, str], status: int, message: str
) -> None:
    refused = open_client(headers).get("/batches")
    assert refused.status_code == status
    assert refused.json() == {"status": "failure", "message": message}


@pytest.mark.parametrize(
    "headers",
    [
        {"x-portkey-provider": "vertex-ai", "x-portkey-api-key": KEY},
        {"x-portkey-config": json.dumps({"provider": "@vertexai"}), "x-portkey-api-key": KEY},
    ],
)
def test_a_provider_other_than_openai_is_refused(
    open_client: OpenClient, headers: dict[str, str]
) -> None:
    refused = open_client(headers).get("/batches")
    assert refused.status_code == 400
    assert refused.json()["status"] == "failure"
    assert refused.json()["message"].startswith("Invalid provider passed")


# -- the OpenAI routes, passed through --------------------------------------------------------


def test_files_and_batches_are_openais_objects_unchanged(client: httpx.Client) -> None:
    uploaded = upload(client, jsonl([chat_line("a", "hello")]))
    assert uploaded.status_code == 200, uploaded.text
    assert_matches_spec(uploaded.json(), "OpenAIFile")
    assert uploaded.json()["id"].startswith("file-")
    batch = finished(client, [chat_line("a", "hello"), chat_line("b", "bye")])
    assert_matches_spec(batch, "Batch")
    assert batch["status"] == "completed" and batch["created_at"] < 10**12  # seconds, not ms
    assert [row["custom_id"] for row in read_rows(client, batch["output_file_id"])] == ["a", "b"]


def test_openai_errors_come_back_through_portkeys_transform(client: httpx.Client) -> None:
    missing_file = client.get("/files/file-nope/content")
    missing_batch = client.get("/batches/batch_nope")
    bad_create = client.post("/batches", json={"input_file_id": "file-nope"})
    assert missing_file.status_code == missing_batch.status_code == 404
    assert missing_file.json() == {
        "error": {
            "message": "openai error: No such File object: file-nope",
            "type": "invalid_request_error",
            "param": "id",
            "code": None,
        },
        "provider": "openai",
    }
    assert missing_batch.json()["error"]["message"] == (
        "openai error: No such Batch object: batch_nope"
    )
    assert bad_create.status_code == 400
    assert bad_create.json()["provider"] == "openai"
    assert bad_create.json()["error"]["message"].startswith("openai error: ")


# -- GET /v1/batches/{id}/output ---------------------------------------------------------------


def test_output_is_the_output_file_only(client: httpx.Client) -> None:
    batch = finished(client, [chat_line("ok", "hello"), chat_line("bad", "no [sim:error]")])
    output = client.get(f"/batches/{batch['id']}/output")
    assert output.status_code == 200
    assert output.headers["content-type"] == "application/octet-stream"
    direct = client.get(f"/files/{batch['output_file_id']}/content")
    assert output.content == direct.content
    assert [json.loads(line)["custom_id"] for line in output.content.splitlines()] == ["ok"]
    # The failed request is only in the error file, fetched on its own.
    assert batch["error_file_id"]
    assert [row["custom_id"] for row in read_rows(client, batch["error_file_id"])] == ["bad"]


def test_range_never_reaches_openai_through_portkey(client: httpx.Client) -> None:
    batch = finished(client, [chat_line("ok", "hello"), chat_line("bad", "no [sim:error]")])
    for route in (f"/batches/{batch['id']}/output", f"/files/{batch['error_file_id']}/content"):
        whole = client.get(route)
        ranged = client.get(route, headers={"Range": "bytes=5-"})
        # OpenAI's Accept-Ranges comes back, but Portkey did not pass the Range on.
        assert ranged.status_code == 200 and ranged.headers["accept-ranges"] == "bytes"
        assert ranged.content == whole.content and "content-range" not in ranged.headers


def test_output_of_a_batch_that_failed_validation_is_its_errors_as_json(
    client: httpx.Client,
) -> None:
    uploaded = upload(client, b'{"custom_id": "a", "method": "POST"\nnot json at all\n')
    created = client.post(
        "/batches",
        json={
            "input_file_id": uploaded.json()["id"],
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
    )
    batch = wait_for_status(client, created.json()["id"], *TERMINAL)
    assert batch["status"] == "failed" and batch["output_file_id"] is None
    assert batch["errors"]["data"], batch

    output = client.get(f"/batches/{batch['id']}/output")
    assert output.status_code == 200
    assert output.headers["content-type"] == "text/plain;charset=UTF-8"
    # JSON.stringify of the batch's `errors`: one compact object, not JSONL rows.
    assert output.content == json.dumps(batch["errors"], separators=(",", ":")).encode()
    assert b"\n" not in output.content


def test_output_of_an_all_failed_batch_is_openais_404_for_file_null(
    client: httpx.Client,
) -> None:
    batch = finished(client, [chat_line("x", "[sim:error]"), chat_line("y", "[sim:error=500]")])
    assert batch["status"] == "completed"
    assert batch["output_file_id"] is None and batch["errors"] is None
    output = client.get(f"/batches/{batch['id']}/output")
    assert output.status_code == 404
    # Passed on as OpenAI sent it: no transform on this route.
    assert output.json()["error"]["message"] == "No such File object: null"
    assert "provider" not in output.json()
    assert {row["custom_id"] for row in read_rows(client, batch["error_file_id"])} == {"x", "y"}


def test_output_before_the_end_and_of_an_unknown_batch_is_a_404(client: httpx.Client) -> None:
    running = create_batch(client, [chat_line("a", "hello")])
    early = client.get(f"/batches/{running['id']}/output")
    unknown = client.get("/batches/batch_nope/output")
    assert early.status_code == unknown.status_code == 404
    assert early.json()["error"]["message"] == "No such File object: null"
    # Portkey reads the upstream error body as the batch: output_file_id is undefined.
    assert unknown.json()["error"]["message"] == "No such File object: undefined"


def test_output_is_refused_without_portkeys_headers(open_client: OpenClient) -> None:
    refused = open_client({"x-portkey-api-key": KEY}).get("/batches/batch_x/output")
    assert refused.status_code == 400
    assert refused.json()["status"] == "failure"


def test_the_flavor_runs_as_batchtui_simulate_would_start_it(
    spawn_simulator_process: Callable[..., Any],
) -> None:
    process = spawn_simulator_process("--flavor", "portkey-openai", "--api-key", KEY)
    with httpx.Client(base_url=process.url, headers=HEADERS) as client:
        assert client.get("/batches/batch_nope/output").status_code == 404
        assert client.get("/batches", headers={"x-portkey-provider": ""}).status_code == 400
