"""--flavor portkey-vertex over real HTTP: Portkey's Vertex quirks (providers.md §2.3, §6)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from batchtui.simulator.flavors.gemini_requests import KeyStyle, chat_to_gemini
from batchtui.simulator.responder import answer_text

MODEL = "gemini-2.5-flash"
HEADERS = {
    "x-portkey-provider": "@vertexai",
    "x-portkey-vertex-storage-bucket-name": "nyu-bucket",
    "x-portkey-provider-model": MODEL,
}
KEY = "pk-sim-right-0123456789"


def chat(custom_id: str, text: str, **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": MODEL, "messages": [{"role": "user", "content": text}], **body},
    }


def jsonl(rows: list[Any]) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows)


@pytest.fixture
def start(start_simulator) -> Callable[..., httpx.Client]:
    clients: list[httpx.Client] = []

    def open_client(**options: Any) -> httpx.Client:
        options.setdefault("phase_seconds", 0.05)
        handle = start_simulator(flavor="portkey-vertex", **options)
        client = httpx.Client(base_url=handle.url, headers=HEADERS, timeout=10)
        client.handle = handle  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def client(start) -> httpx.Client:
    return start()


def upload(client: httpx.Client, rows: list[Any], **headers: str) -> httpx.Response:
    return client.post(
        "/files",
        files={"file": ("in.jsonl", jsonl(rows))},
        data={"purpose": "batch"},
        headers=headers,
    )


def create(client: httpx.Client, rows: list[Any], **extra: Any) -> dict[str, Any]:
    uploaded = upload(client, rows)
    assert uploaded.status_code == 200, uploaded.text
    body = {"input_file_id": uploaded.json()["id"], "model": MODEL, "completion_window": "24h"}
    created = client.post("/batches", json={**body, "endpoint": "/v1/chat/completions", **extra})
    assert created.status_code == 200, created.text
    return created.json()


def wait(
    client: httpx.Client, batch_id: str, *statuses: str, timeout: float = 10
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        batch = client.get(f"/batches/{batch_id}").json()
        if batch["status"] in statuses:
            return batch
        assert time.monotonic() < deadline, f"still {batch['status']}"
        time.sleep(0.02)


def output_rows(client: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/batches/{batch_id}/output")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/octet-stream"
    return [json.loads(line) for line in response.content.splitlines()]


# -- headers and keys --------------------------------------------------------------------------


def test_a_provider_or_config_header_is_required(client: httpx.Client) -> None:
    response = client.get("/batches", headers={"x-portkey-provider": ""})
    assert response.status_code == 400
    assert response.json() == {
        "status": "failure",
        "message": "Either x-portkey-config or x-portkey-provider header is required",
    }
    config = {"x-portkey-provider": "", "x-portkey-config": '{"provider":"vertex-ai"}'}
    assert client.get("/batches", headers=config).status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"x-portkey-api-key": KEY}, 200),
        ({"Authorization": f"Bearer {KEY}"}, 200),
        ({"x-portkey-api-key": "pk-sim-wrong-987654"}, 401),
        ({"Authorization": "Bearer pk-sim-wrong-987654"}, 401),
        ({}, 401),
    ],
)
def test_key_in_portkey_header_or_bearer(start, headers: dict[str, str], status: int) -> None:
    client = start(api_key=KEY)
    response = client.get("/batches", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["status"] == "failure"
        for secret in (KEY, "pk-sim-wrong-987654"):
            assert secret[:8] not in response.text


# -- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["x-portkey-vertex-storage-bucket-name", "x-portkey-provider-model"]
)
def test_upload_needs_bucket_and_model_headers(client: httpx.Client, missing: str) -> None:
    client.headers.pop(missing)
    response = upload(client, [chat("a", "hi")])
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["provider"] == "vertex-ai"
    assert missing in body["error"]


def test_upload_converts_lines_and_silently_drops_unparseable_ones(client: httpx.Client) -> None:
    line = chat("req-1", "What is NYU?", max_tokens=64, temperature=0.5)
    line["body"]["messages"].insert(0, {"role": "system", "content": "Be brief."})
    rows = [line, b"{not json", {"custom_id": "no-body"}, chat("req-2", "Second")]
    before = time.time()
    response = upload(client, rows, **{"x-portkey-provider-file-name": "runs/test.jsonl"})
    assert response.status_code == 200
    file = response.json()
    assert file["id"] == "gs%3A%2F%2Fnyu-bucket%2Fruns%2Ftest.jsonl"
    assert file["filename"] == "runs/test.jsonl"
    assert "created_at" not in file
    assert before * 1000 - 5 <= file["create_at"] <= time.time() * 1000 + 5  # milliseconds
    assert file["bytes"] == int(response.request.headers["Content-Length"])  # multipart size
    assert (file["object"], file["purpose"], file["status"]) == ("file", "batch", "processed")

    stored = client.get(f"/files/{file['id']}/content")
    assert stored.status_code == 200
    lines = [json.loads(raw) for raw in stored.content.splitlines()]
    assert [item["requestId"] for item in lines] == ["req-1", "req-2"]
    first = lines[0]["request"]
    assert first == chat_to_gemini(line["body"], KeyStyle.CAMEL)
    assert first["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert first["generationConfig"] == {"maxOutputTokens": 64, "temperature": 0.5}
    assert "model" not in first
    # The gateway fetches the object with its own headers: a client's Range stays behind.
    ranged = client.get(f"/files/{file['id']}/content", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 200 and ranged.content == stored.content


def test_without_a_file_name_the_object_is_a_uuid_and_filename_is_absent(client) -> None:
    file = upload(client, [chat("a", "hi")]).json()
    assert "filename" not in file
    uri = unquote(file["id"])
    assert uri.startswith("gs://nyu-bucket/") and uri.endswith(".jsonl")
    assert len(uri.removeprefix("gs://nyu-bucket/")) == len(
        "8e0c2ad2-0000-4000-8000-000000000000.jsonl"
    )


def test_file_id_is_used_as_given_not_encoded_again(client: httpx.Client) -> None:
    file_id = upload(client, [chat("a", "hi")]).json()["id"]
    assert client.get(f"/files/{file_id}/content").status_code == 200
    assert client.get(f"/files/{quote(file_id, safe='')}/content").status_code == 404
    assert client.get(f"/files/{unquote(file_id)}/content").status_code == 404
    retrieved = client.get(f"/files/{file_id}").json()
    assert retrieved["id"] == file_id and retrieved["purpose"] is None
    assert retrieved["createdAt"] > 1e12 and retrieved["updatedAt"] > 1e12


def test_listing_files_is_not_supported(client: httpx.Client) -> None:
    response = client.get("/files")
    assert response.status_code == 500
    assert response.json() == {
        "message": "listFiles is not supported by Google Vertex AI",
        "status": "failure",
        "provider": "vertex-ai",
    }


# -- batches -----------------------------------------------------------------------------------


def test_lifecycle_and_portkey_batch_shape(start) -> None:
    client = start(phase_seconds=0.3, speed=20)
    rows = [chat(f"r{i}", f"Question {i}") for i in range(4)]
    created = time.time()
    batch = create(client, rows)
    assert batch["id"].isdigit() and len(batch["id"]) == 19
    assert batch["status"] == "validating"
    assert batch["completion_window"] is None
    assert abs(batch["created_at"] - created * 1000) < 2000  # milliseconds
    assert batch["in_progress_at"] is None
    assert batch["request_counts"] == {"total": 0}  # no completed/failed before Vertex stats
    assert batch["output_file_id"] == batch["error_file_id"] == "gs%3A%2F%2Fnyu-bucket%2F"
    assert batch["model"] == f"publishers/google/models/{MODEL}"

    running = wait(client, batch["id"], "in_progress", "completed")
    assert running["status"] == "in_progress", "the 0.3 s phases should show in_progress"
    assert running["in_progress_at"] > running["created_at"] > 1e12
    done = wait(client, batch["id"], "completed")
    assert done["request_counts"] == {"total": 4, "completed": "4", "failed": "0"}
    assert done["completed_at"] >= done["in_progress_at"]
    output = unquote(done["output_file_id"])
    assert output.startswith("gs://nyu-bucket/prediction-model-")
    assert output.endswith("/predictions.jsonl")
    assert done["error_file_id"] == "gs%3A%2F%2Fnyu-bucket%2F"  # the prefix, not an error file
    assert "errors" not in done


def test_partial_failure_is_completed_without_completed_at(client: httpx.Client) -> None:
    batch = create(client, [chat("ok", "fine"), chat("bad", "broken [sim:error]")])
    done = wait(client, batch["id"], "completed")
    assert done["request_counts"] == {"total": 2, "completed": "1", "failed": "1"}
    assert "completed_at" not in done  # Portkey sets it for SUCCEEDED only


def test_output_rows_are_portkeys_conversion(client: httpx.Client) -> None:
    rows = [
        chat("alpha", "Where is NYU located?"),
        chat("beta", "Crash please [sim:error]"),
        chat("gamma", "Crash hard [sim:error=500]"),
        chat("delta", "one two three four five six", max_tokens=3),
    ]
    batch = create(client, rows)
    wait(client, batch["id"], "completed")
    by_id = {row["custom_id"]: row for row in output_rows(client, batch["id"])}
    assert set(by_id) == {"alpha", "beta", "gamma", "delta"}

    alpha = by_id["alpha"]
    assert alpha["error"] == ""  # JSON.parse("") throws, so Vertex's empty status is kept
    assert alpha["id"].startswith(f"batch-{batch['id']}--")
    assert alpha["response"]["status_code"] == 200
    assert alpha["response"]["request_id"] == alpha["id"]
    body = alpha["response"]["body"]
    assert (body["object"], body["provider"], body["model"]) == (
        "chat.completion",
        "vertex-ai",
        MODEL,
    )
    request = chat_to_gemini(rows[0]["body"], KeyStyle.CAMEL)
    assert body["choices"][0]["message"]["content"] == answer_text("Where is NYU located?", request)
    assert body["choices"][0]["finish_reason"] == "STOP"  # not mapped: strict compliance is off
    assert (
        body["usage"]["total_tokens"]
        == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    assert by_id["delta"]["response"]["body"]["choices"][0]["finish_reason"] == "MAX_TOKENS"

    beta = by_id["beta"]
    assert beta["response"] == {"request_id": f"batch-{batch['id']}-", "body": False}
    assert isinstance(beta["error"], str) and beta["error"].startswith("Bad Request: ")
    gamma = by_id["gamma"]
    assert gamma["error"]["code"] == 500 and gamma["error"]["status"] == "INTERNAL"  # JSON status
    assert "status_code" not in gamma["response"]


def test_raw_predictions_are_vertex_rows_with_request_id_echoed(client: httpx.Client) -> None:
    rows = [chat(f"id-{i}", f"Question number {i}") for i in range(10)] + [chat("x", "[sim:error]")]
    batch = create(client, rows)
    done = wait(client, batch["id"], "completed")
    response = client.get(f"/files/{done['output_file_id']}/content")
    assert response.status_code == 200
    predictions = [json.loads(line) for line in response.content.splitlines()]
    ids = [row["requestId"] for row in predictions]
    assert sorted(ids) == sorted(r["custom_id"] for r in rows)
    assert ids != [r["custom_id"] for r in rows], "Vertex does not keep input order"
    for row in predictions:
        assert "processed_time" in row and "request" in row
        if row["requestId"] == "x":
            assert row["status"] and "response" not in row
        else:
            assert row["status"] == ""
            assert row["response"]["candidates"][0]["content"]["parts"][0]["text"]
            assert row["response"]["usageMetadata"]["totalTokenCount"] > 0


def test_output_before_the_job_has_output_is_a_text_500(start) -> None:
    client = start(phase_seconds=5)
    batch = create(client, [chat("a", "hi")])
    response = client.get(f"/batches/{batch['id']}/output")
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Failed to retrieve batch details" in response.text


def test_cancel_answers_vertex_empty_object(start) -> None:
    client = start(phase_seconds=0.3)
    batch = create(client, [chat("a", "hi")])
    response = client.post(f"/batches/{batch['id']}/cancel")
    assert (response.status_code, response.json()) == (200, {})
    assert client.get(f"/batches/{batch['id']}").json()["status"] == "cancelling"
    cancelled = wait(client, batch["id"], "cancelled")
    assert cancelled["cancelled_at"] > 1e12
    assert cancelled["request_counts"]["total"] == 1  # the unrun request is "incomplete"


def test_cancel_after_the_end_relays_vertex_error(client: httpx.Client) -> None:
    batch = create(client, [chat("a", "hi")])
    wait(client, batch["id"], "completed")
    response = client.post(f"/batches/{batch['id']}/cancel")
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_listing_reaches_only_the_first_page(client: httpx.Client) -> None:
    ids = [create(client, [chat("a", f"n{i}")])["id"] for i in range(3)]
    page = client.get("/batches", params={"limit": 2}).json()
    assert [b["id"] for b in page["data"]] == ids[::-1][:2]
    assert page["has_more"] is True and page["last_id"] == ids[1]
    assert "next_page_token" not in page
    second = client.get("/batches", params={"limit": 2, "after": page["last_id"]})
    assert second.status_code == 400
    assert second.json()["error"]["message"].startswith("Invalid response received from vertex-ai")


def test_unknown_batch_relays_vertex_404(client: httpx.Client) -> None:
    response = client.get("/batches/1234567890123456789")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"


def test_job_on_an_empty_object_fails_with_a_numeric_google_code(client: httpx.Client) -> None:
    batch = create(client, [b"garbage only"])  # Portkey drops the line: the object is empty
    failed = wait(client, batch["id"], "failed")
    assert failed["errors"]["data"][0]["code"] == 3
    assert failed["failed_at"] > 1e12


def test_expired_job_sets_failed_at(start) -> None:
    client = start(expire_after=0.2, speed=2)
    batch = create(client, [chat(f"r{i}", "slow") for i in range(10)])
    expired = wait(client, batch["id"], "expired")
    assert expired["failed_at"] > 1e12 and "expired_at" not in expired
    assert int(expired["request_counts"]["completed"]) < 10


def test_unknown_model_is_relayed_as_vertex_404(start) -> None:
    client = start(models="gemini-other")
    uploaded = upload(client, [chat("a", "hi")]).json()
    response = client.post("/batches", json={"input_file_id": uploaded["id"], "model": MODEL})
    assert response.status_code == 404
    assert "Publisher Model" in response.json()["error"]["message"]


# -- faults and restarts -----------------------------------------------------------------------


def test_faults_apply_to_portkey_routes(start) -> None:
    client = start(faults="create:503=1,content:truncated=1")
    uploaded = upload(client, [chat("a", "hi")]).json()
    response = client.post("/batches", json={"input_file_id": uploaded["id"], "model": MODEL})
    assert response.status_code == 503
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/files/{uploaded['id']}/content")


def test_state_survives_a_restart(start, tmp_path) -> None:
    data_dir = tmp_path / "portkey-data"
    first = start(data_dir=data_dir, phase_seconds=0.2)
    batch = create(first, [chat("keep", "me")])
    first.handle.stop()  # type: ignore[attr-defined]
    second = start(data_dir=data_dir, phase_seconds=0.2)
    done = wait(second, batch["id"], "completed")
    assert done["created_at"] == batch["created_at"]
    assert [row["custom_id"] for row in output_rows(second, batch["id"])] == ["keep"]
