"""--flavor litellm-vertex over real HTTP: LiteLLM's Vertex quirks (providers.md §3, §6)."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from batchtui.simulator.flavors.litellm_vertex import custom_id_from_labels

MODEL = "gemini-2.5-flash-lite"
VERTEX = {"custom_llm_provider": "vertex_ai"}
KEY = "sk-litellm-right-0123456"
FILE_ID = re.compile(
    r"gs://[a-z0-9-]+/litellm-vertex-files/publishers/google/models/"
    + re.escape(MODEL)
    + r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


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
        handle = start_simulator(flavor="litellm-vertex", **options)
        client = httpx.Client(base_url=handle.url, timeout=10)
        client.handle = handle  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def client(start) -> httpx.Client:
    """A proxy from before 1.108, which serves raw gs:// content (1.108: see `start()`)."""
    return start(litellm_raw_content=True)


def upload(client: httpx.Client, rows: list[Any], fields: dict[str, str] | None = None, **kw: Any):
    data = {"purpose": "batch", **VERTEX} if fields is None else fields
    return client.post("/files", files={"file": ("in.jsonl", jsonl(rows))}, data=data, **kw)


def create(client: httpx.Client, rows: list[Any]) -> dict[str, Any]:
    uploaded = upload(client, rows)
    assert uploaded.status_code == 200, uploaded.text
    body = {"input_file_id": uploaded.json()["id"], "endpoint": "/v1/chat/completions"}
    created = client.post("/batches", json={**body, "completion_window": "24h", **VERTEX})
    assert created.status_code == 200, created.text
    return created.json()


def get(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    return client.get(f"/batches/{batch_id}", params=VERTEX).json()


def wait(
    client: httpx.Client, batch_id: str, *statuses: str, timeout: float = 10
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        batch = get(client, batch_id)
        if batch["status"] in statuses:
            return batch
        assert time.monotonic() < deadline, f"still {batch['status']}"
        time.sleep(0.02)


def content(client: httpx.Client, file_id: str) -> httpx.Response:
    return client.get(f"/files/{quote(file_id, safe='')}/content", params=VERTEX)


def lines_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.content.splitlines()]


# -- auth and provider -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Authorization": f"Bearer {KEY}"}, 200),
        ({"Authorization": "Bearer sk-wrong-98765"}, 401),
        ({}, 401),
    ],
)
def test_bearer_key(start, headers: dict[str, str], status: int) -> None:
    client = start(api_key=KEY)
    response = client.get("/batches", params=VERTEX, headers=headers)
    assert response.status_code == status
    if status == 401:
        error = response.json()["error"]
        assert (error["type"], error["code"]) == ("auth_error", "401")
        assert KEY[:10] not in response.text and "sk-wrong" not in response.text


def test_without_a_provider_the_call_goes_to_openai(client: httpx.Client) -> None:
    for response in (
        upload(client, [chat("a", "hi")], fields={"purpose": "batch"}),
        client.get("/batches/1234567890123456789"),
        client.get("/batches"),
        client.post(
            "/batches", json={"input_file_id": "gs://b/x", "endpoint": "/v1/chat/completions"}
        ),
    ):
        assert response.status_code == 401
        assert (
            "OpenAIException - The api_key client option must be set"
            in response.json()["error"]["message"]
        )


def test_an_unsupported_provider_is_a_400(client: httpx.Client) -> None:
    response = client.get("/batches", params={"custom_llm_provider": "anthropic"})
    assert response.status_code == 400
    assert "anthropic" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/files", {"data": {"purpose": "batch", **VERTEX}}),
        ("/files", {"data": {"purpose": "batch"}, "headers": {"custom-llm-provider": "vertex_ai"}}),
        ("/files", {"data": {"purpose": "batch"}, "params": VERTEX}),
        ("/vertex_ai/v1/files", {"data": {"purpose": "batch"}}),
    ],
)
def test_upload_provider_from_form_header_query_or_path(client, path: str, kwargs: dict) -> None:
    url = (
        str(client.base_url).removesuffix("/v1/") + path if path.startswith("/vertex_ai") else path
    )
    response = client.post(url, files={"file": ("in.jsonl", jsonl([chat("a", "hi")]))}, **kwargs)
    assert response.status_code == 200, response.text
    assert FILE_ID.fullmatch(response.json()["id"])


def test_retrieve_provider_from_query_provider_header_or_path(client: httpx.Client) -> None:
    batch = create(client, [chat("a", "hi")])
    root = str(client.base_url).removesuffix("/v1/")
    for response in (
        client.get(f"/batches/{batch['id']}", params={"provider": "vertex_ai"}),
        client.get(f"/batches/{batch['id']}", headers={"custom-llm-provider": "vertex_ai"}),
        client.get(f"{root}/vertex_ai/v1/batches/{batch['id']}"),
        client.get(f"{root}/batches/{batch['id']}", params=VERTEX),
    ):
        assert response.status_code == 200 and response.json()["id"] == batch["id"]


# -- files -------------------------------------------------------------------------------------


def test_upload_converts_lines_with_custom_id_labels(client: httpx.Client) -> None:
    long_id = "Customer/Ärger-" + "x" * 80
    first = chat("Request-1", "Hello world!", max_tokens=10)
    first["body"]["messages"].insert(0, {"role": "system", "content": "You are helpful."})
    before = int(time.time())
    response = upload(client, [first, chat(long_id, "Second")])
    file = response.json()
    assert FILE_ID.fullmatch(file["id"])
    assert file["status"] == "uploaded" and file["purpose"] == "batch"
    assert before <= file["created_at"] <= time.time() + 1  # seconds
    assert file["filename"] == file["id"].split("/", 3)[3]

    raw = content(client, file["id"])
    assert raw.status_code == 200 and not raw.content.endswith(b"\n")  # joined with "\n"
    one, two = lines_of(raw)
    request = one["request"]
    assert request["system_instruction"] == {"parts": [{"text": "You are helpful."}]}
    assert request["generationConfig"] == {"max_output_tokens": 10}
    assert request["contents"] == [{"role": "user", "parts": [{"text": "Hello world!"}]}]
    labels = request["labels"]
    assert labels["litellm_custom_id"] == "request-1"
    expected = base64.b32encode(b"Request-1").decode().rstrip("=").lower()
    assert labels["litellm_custom_id_raw"] == "b32_" + expected

    long_labels = two["request"]["labels"]
    assert len(long_labels["litellm_custom_id"]) == 63
    assert re.fullmatch(r"[a-z0-9_-]+", long_labels["litellm_custom_id"])
    assert "litellm_custom_id_raw_1" in long_labels
    assert all(len(v) <= 63 and v == v.lower() for v in long_labels.values())
    assert custom_id_from_labels(long_labels) == long_id


def test_a_line_that_is_not_json_fails_the_upload(client: httpx.Client) -> None:
    response = upload(client, [chat("a", "hi"), b"{oops"])
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Batch input file line 2 is not valid JSON. The file was not forwarded to "
        "the provider.",
        "type": "invalid_request_error",
        "param": "file",
        "code": "400",
    }


def test_raw_cloud_storage_content_is_refused_as_litellm_1_108_does(start) -> None:
    client = start()
    file_id = upload(client, [chat("a", "hi")]).json()["id"]
    done = wait(client, create(client, [chat("b", "hi")])["id"], "completed")
    for target in (file_id, done["output_file_id"]):
        refused = content(client, target)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["message"].startswith("Raw cloud storage file ids cannot be retrieved")
        assert "LiteLLM managed file id" in error["message"]
        assert (error["type"], error["param"], error["code"]) == (
            "invalid_request_error",
            None,
            "400",
        )
    output = client.get(f"/files/{quote(done['output_file_id'], safe='')}", params=VERTEX)
    assert output.status_code == 200  # the file object is served: only its content is not
    assert (output.json()["purpose"], output.json()["status"]) == ("batch", "processed")


def test_file_ids_are_decoded_as_litellm_does(client: httpx.Client) -> None:
    file_id = upload(client, [chat("a", "hi")]).json()["id"]
    assert content(client, file_id).status_code == 200
    twice = quote(quote(file_id, safe=""), safe="")
    assert client.get(f"/files/{twice}/content", params=VERTEX).status_code == 200  # docs do this
    raw = client.get(f"/files/{file_id}/content", params=VERTEX)  # `//` merged by the proxy
    assert raw.status_code == 500
    assert raw.json()["error"]["message"].startswith("Failed to download file from GCS")
    retrieved = client.get(f"/files/{quote(file_id, safe='')}", params=VERTEX)
    assert retrieved.json()["id"] == file_id and retrieved.json()["status"] == "processed"
    assert client.get(f"/files/{quote(file_id + 'x', safe='')}", params=VERTEX).status_code == 404


def test_listing_files_is_not_implemented_for_vertex(client: httpx.Client) -> None:
    assert client.get("/files", params=VERTEX).status_code == 500


def test_delete_file(client: httpx.Client) -> None:
    file_id = upload(client, [chat("a", "hi")]).json()["id"]
    deleted = client.delete(f"/files/{quote(file_id, safe='')}", params=VERTEX)
    assert deleted.json() == {"id": file_id, "deleted": True, "object": "file"}
    assert content(client, file_id).status_code == 500


# -- batches -----------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["24h", "24hrs"])
def test_lifecycle_and_litellm_batch_shape(start, window: str) -> None:
    client = start(phase_seconds=0.3, speed=20, litellm_completion_window=window)
    before = int(time.time())
    batch = create(client, [chat(f"r{i}", f"Q{i}") for i in range(4)])
    assert batch["id"].isdigit()
    assert (batch["completion_window"], batch["endpoint"], batch["error_file_id"]) == (
        window,
        "",
        None,
    )
    assert batch["status"] == "validating"
    assert before <= batch["created_at"] <= time.time() + 1  # seconds
    folder = batch["input_file_id"].rsplit("/", 1)[0]
    assert batch["output_file_id"] is None  # until the output exists
    for field in ("request_counts", "usage", "in_progress_at", "completed_at", "errors"):
        assert batch[field] is None
    running = wait(client, batch["id"], "in_progress", "completed")
    assert running["status"] == "in_progress" and running["output_file_id"] is None
    done = wait(client, batch["id"], "completed")
    assert done["output_file_id"].startswith(folder + "/prediction-model-")
    assert done["output_file_id"].endswith("/predictions.jsonl")
    assert done["error_file_id"] is None and done["completed_at"] is None


def test_results_are_raw_vertex_predictions(client: httpx.Client) -> None:
    rows = [chat("Keep-Case/1", "Where is NYU?"), chat("broken", "Fail [sim:error]")]
    done = wait(client, create(client, rows)["id"], "completed")
    predictions = lines_of(content(client, done["output_file_id"]))
    by_id = {custom_id_from_labels(p["request"]["labels"]): p for p in predictions}
    assert set(by_id) == {"Keep-Case/1", "broken"}
    ok = by_id["Keep-Case/1"]
    assert ok["status"] == "" and ok["processed_time"].endswith("+00:00")
    assert ok["response"]["candidates"][0]["finishReason"] == "STOP"
    assert "requestId" not in ok  # LiteLLM correlates through labels only
    failed = by_id["broken"]
    assert failed["status"].startswith("Bad Request") and "response" not in failed


def test_converted_results_with_the_newer_proxy_flag(start) -> None:
    client = start(litellm_convert_output=True, litellm_raw_content=True)
    rows = [chat("Alpha/1", "Hello there", max_tokens=2), chat("beta", "[sim:error=500] boom")]
    for _ in range(10):  # the first line decides whether LiteLLM converts the whole file
        done = wait(client, create(client, rows)["id"], "completed")
        response = content(client, done["output_file_id"])
        first = json.loads(response.content.splitlines()[0])
        if "custom_id" in first:
            break
        assert "processed_time" in first and first["status"]  # a failed first line: untouched
    else:
        pytest.fail("ten jobs all put the failed row first")
    by_id = {row["custom_id"]: row for row in lines_of(response)}
    alpha = by_id["Alpha/1"]
    assert alpha["id"].startswith("batch_req_") and alpha["error"] is None
    assert alpha["response"]["status_code"] == 200
    body = alpha["response"]["body"]
    assert body["choices"][0]["finish_reason"] == "length"
    assert alpha["response"]["request_id"] == body["id"]
    assert by_id["beta"]["response"] is None
    assert by_id["beta"]["error"]["code"] == "vertex_ai_error"


def test_list_pages_with_next_page_token(client: httpx.Client) -> None:
    ids = [create(client, [chat("a", f"n{i}")])["id"] for i in range(3)]
    first = client.get("/batches", params={"limit": 2, **VERTEX}).json()
    assert [b["id"] for b in first["data"]] == ids[::-1][:2]
    assert first["has_more"] is True and first["next_page_token"]
    second = client.get(
        "/batches", params={"limit": 2, "after": first["next_page_token"], **VERTEX}
    ).json()
    assert [b["id"] for b in second["data"]] == [ids[0]]
    assert second["has_more"] is False and second["next_page_token"] is None
    wrong = client.get("/batches", params={"limit": 2, "after": first["last_id"], **VERTEX})
    assert wrong.status_code == 400 and wrong.json()["error"]["message"].startswith("Error: 400")


def test_cancel_returns_the_batch(start) -> None:
    client = start(phase_seconds=0.3)
    batch = create(client, [chat("a", "hi")])
    cancelled = client.post(f"/batches/{batch['id']}/cancel", params=VERTEX)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelling"
    assert wait(client, batch["id"], "cancelled")["output_file_id"] is None
    again = client.post(f"/batches/{batch['id']}/cancel", params=VERTEX)
    assert again.status_code == 200
    ended = create(client, [chat("b", "hi")])
    wait(client, ended["id"], "completed")
    refused = client.post(f"/batches/{ended['id']}/cancel", params=VERTEX)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith("Client error '400 Bad Request' for url")
    assert refused.json()["error"]["type"] == "internal_server_error"


def test_vertex_errors_keep_their_status(start) -> None:
    client = start(models="another-model")
    unknown = client.get("/batches/1234567890123456789", params=VERTEX)
    assert unknown.status_code == 404
    error = unknown.json()["error"]
    assert error["message"].startswith('Error: 404 {"error":{"code":404,')
    assert (error["type"], error["param"], error["code"]) == ("internal_server_error", None, "404")
    file_id = upload(client, [chat("a", "hi")]).json()["id"]
    body = {"input_file_id": file_id, "endpoint": "/v1/chat/completions", **VERTEX}
    not_allowed = client.post("/batches", json=body)
    assert not_allowed.status_code == 404
    message = not_allowed.json()["error"]["message"]
    assert message.startswith("Client error '404 Not Found' for url 'https://us-central1-")
    assert "Publisher Model" in message
    foreign = client.post("/batches", json={**body, "input_file_id": "gs://mine/input.jsonl"})
    assert foreign.status_code == 400
    assert foreign.json()["error"]["message"].startswith(
        "Vertex AI batch creation requires the model to be part of `input_file_id`"
    )


def test_a_json_array_upload_makes_a_failed_job(client: httpx.Client) -> None:
    """Old LiteLLM versions uploaded untransformed content; Vertex then fails the job."""
    uploaded = upload(client, [chat("a", "hi")]).json()
    engine = client.handle.server.engine  # type: ignore[attr-defined]
    engine.put_object(uploaded["id"], iter([b'[{"custom_id": "a"}]']), purpose="batch")
    body = {"input_file_id": uploaded["id"], "endpoint": "/v1/chat/completions", **VERTEX}
    failed_id = client.post("/batches", json=body).json()["id"]
    assert wait(client, failed_id, "failed")["errors"] is None  # LiteLLM drops Vertex's error


# -- faults and restarts -----------------------------------------------------------------------


def test_faults_apply_to_litellm_routes(start) -> None:
    client = start(faults="upload:429=1")
    response = upload(client, [chat("a", "hi")])
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"


def test_state_survives_a_restart(start, tmp_path) -> None:
    data_dir = tmp_path / "litellm-data"
    first = start(data_dir=data_dir, phase_seconds=0.2, litellm_raw_content=True)
    batch = create(first, [chat("keep", "me")])
    first.handle.stop()  # type: ignore[attr-defined]
    second = start(data_dir=data_dir, phase_seconds=0.2, litellm_raw_content=True)
    done = wait(second, batch["id"], "completed")
    predictions = lines_of(content(second, done["output_file_id"]))
    assert [custom_id_from_labels(p["request"]["labels"]) for p in predictions] == ["keep"]
