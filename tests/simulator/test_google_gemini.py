"""The Gemini Developer API's Files and batch mode over real HTTP (providers.md §4, §6 17-20)."""

from __future__ import annotations

import base64
import hashlib
import json

import google_helpers
from google_helpers import (
    MODEL,
    create_gemini_batch,
    gemini_line,
    gemini_states,
    google_error,
    jsonl,
    send_chunk,
    start_upload,
    upload_gemini_file,
)

from batchtui.simulator.responder import answer_text

CREATE = f"/v1beta/models/{MODEL}:batchGenerateContent"

google_sim = google_helpers.google_sim  # the fixture


def test_resumable_upload_in_chunks_gives_an_active_file(google_sim):
    sim = google_sim()
    data = jsonl([gemini_line(f"k{i}", f"question {i}") for i in range(20)])
    uploaded = upload_gemini_file(sim.gemini, data, chunk=100)
    file_id = uploaded["name"].removeprefix("files/")
    assert uploaded["sizeBytes"] == str(len(data))
    assert uploaded["state"] == "ACTIVE" and uploaded["mimeType"] == "application/jsonl"
    assert uploaded["displayName"] == "requests"
    assert base64.b64decode(uploaded["sha256Hash"]).decode() == hashlib.sha256(data).hexdigest()
    assert uploaded["uri"].endswith(f"/v1beta/files/{file_id}")
    assert sim.gemini.get(f"/v1beta/{uploaded['name']}").json() == uploaded
    download = sim.gemini.get(f"/v1beta/files/{file_id}:download", params={"alt": "media"})
    assert download.content == data
    listed = sim.gemini.get("/v1beta/files").json()["files"]
    assert [f["name"] for f in listed] == [uploaded["name"]]
    assert sim.gemini.delete(f"/v1beta/{uploaded['name']}").json() == {}
    google_error(sim.gemini.get(f"/v1beta/{uploaded['name']}"), 403, "PERMISSION_DENIED")


def test_resumable_upload_can_be_queried_and_refuses_wrong_offsets(google_sim):
    sim = google_sim()
    url = start_upload(sim.gemini, 10)
    assert send_chunk(sim.client, url, b"01234", 0, final=False).status_code == 200
    query = sim.client.post(url, headers={"X-Goog-Upload-Command": "query"})
    assert query.headers["X-Goog-Upload-Size-Received"] == "5"
    google_error(send_chunk(sim.client, url, b"56789", 3, final=True), 400, "INVALID_ARGUMENT")
    google_error(send_chunk(sim.client, url, b"567", 5, final=True), 400, "INVALID_ARGUMENT")
    done = send_chunk(sim.client, url, b"89", 8, final=True)
    assert done.headers["X-Goog-Upload-Status"] == "final"
    assert done.json()["file"]["sizeBytes"] == "10"
    google_error(send_chunk(sim.client, url, b"x", 10, final=True), 404, "NOT_FOUND")


def test_upload_needs_the_resumable_protocol(google_sim):
    sim = google_sim()
    plain = sim.gemini.post("/upload/v1beta/files", content=b"{}")
    assert "resumable" in google_error(plain, 400, "INVALID_ARGUMENT")


def test_file_batch_goes_pending_running_succeeded_with_a_responses_file(google_sim):
    sim = google_sim()
    rows = [
        gemini_line("a", "first"),
        gemini_line("b", "[sim:error] please"),
        gemini_line("c", "x"),
    ]
    created = create_gemini_batch(sim.gemini, rows, priority="5")
    name = created["name"]
    assert created["metadata"]["state"] == "BATCH_STATE_PENDING"
    assert "done" not in created
    assert created["metadata"]["batchStats"] == {"requestCount": "3", "pendingRequestCount": "3"}
    seen = gemini_states(sim.gemini, name, "BATCH_STATE_SUCCEEDED")
    states = [op["metadata"]["state"] for op in seen]
    assert states.index("BATCH_STATE_RUNNING") < states.index("BATCH_STATE_SUCCEEDED")
    done = seen[-1]
    assert done["done"] is True
    metadata = done["metadata"]
    assert metadata["model"] == f"models/{MODEL}" and metadata["priority"] == "5"
    assert metadata["batchStats"] == {
        "requestCount": "3",
        "successfulRequestCount": "2",
        "failedRequestCount": "1",
    }
    assert metadata["endTime"] >= metadata["createTime"]
    responses_file = metadata["output"]["responsesFile"]
    assert done["response"]["responsesFile"] == responses_file
    file_id = responses_file.removeprefix("files/")
    assert file_id.startswith("batch-") and len(file_id) > 40
    # §6 item 18: the result file's id is too long for files.get; download works
    google_error(sim.gemini.get(f"/v1beta/{responses_file}"), 400, "INVALID_ARGUMENT")
    content = sim.gemini.get(
        f"/download/v1beta/files/{file_id}:download", params={"alt": "media"}
    ).content
    lines = [json.loads(line) for line in content.splitlines()]
    assert [line["key"] for line in lines] == ["a", "b", "c"]
    first = lines[0]["response"]
    assert first["candidates"][0]["content"]["parts"][0]["text"] == answer_text(
        "first", rows[0]["request"]
    )
    assert first["candidates"][0]["finishReason"] == "STOP"
    assert first["usageMetadata"]["totalTokenCount"] > 0
    assert lines[1]["error"]["code"] == 400 and lines[1]["error"]["status"] == "INVALID_ARGUMENT"
    assert "response" not in lines[1]


def test_inline_batch_returns_responses_in_metadata_and_response(google_sim):
    sim = google_sim()
    requests = [
        {"request": gemini_line(k, text)["request"], "metadata": {"key": k}}
        for k, text in (("one", "hello"), ("two", "[sim:error=503] busy"))
    ]
    body = {"batch": {"displayName": "inline", "inputConfig": {"requests": {"requests": requests}}}}
    created = sim.gemini.post(CREATE, json=body)
    assert created.status_code == 200, created.text
    done = gemini_states(sim.gemini, created.json()["name"], "BATCH_STATE_SUCCEEDED")[-1]
    inlined = done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    assert done["response"]["inlinedResponses"]["inlinedResponses"] == inlined
    assert [item["metadata"]["key"] for item in inlined] == ["one", "two"]
    assert inlined[0]["response"]["candidates"][0]["content"]["role"] == "model"
    assert inlined[1]["error"]["code"] == 14  # google.rpc.Code UNAVAILABLE inside a body


def test_create_refusals(google_sim):
    sim = google_sim(models="gemini-2.5-flash")
    file_name = upload_gemini_file(sim.gemini, jsonl([gemini_line("a", "x")]))["name"]
    good = {"displayName": "d", "inputConfig": {"fileName": file_name}}
    other_model = sim.gemini.post(
        "/v1beta/models/gemini-0:batchGenerateContent", json={"batch": good}
    )
    google_error(other_model, 404, "NOT_FOUND")
    no_name = {"batch": {"inputConfig": {"fileName": file_name}}}
    google_error(sim.gemini.post(CREATE, json=no_name), 400, "INVALID_ARGUMENT")
    missing_file = {"batch": {**good, "inputConfig": {"fileName": "files/nope"}}}
    google_error(sim.gemini.post(CREATE, json=missing_file), 404, "NOT_FOUND")
    google_error(sim.gemini.post(CREATE, json={"nope": 1}), 400, "INVALID_ARGUMENT")
    huge = "x" * (21 * 1024 * 1024)
    too_big = {"batch": {"displayName": "d", "inputConfig": {"requests": {"requests": huge}}}}
    google_error(sim.gemini.post(CREATE, json=too_big), 400, "INVALID_ARGUMENT")


def test_a_bad_input_line_fails_the_batch_with_an_operation_error(google_sim):
    sim = google_sim()
    uploaded = upload_gemini_file(sim.gemini, b'{"key": "a", "request": {}}\nnot json\n')
    body = {"batch": {"displayName": "bad", "inputConfig": {"fileName": uploaded["name"]}}}
    name = sim.gemini.post(CREATE, json=body).json()["name"]
    failed = gemini_states(sim.gemini, name, "BATCH_STATE_FAILED")[-1]
    assert failed["done"] is True
    assert failed["error"]["code"] == 3 and "line 2" in failed["error"]["message"]
    assert "output" not in failed["metadata"]


def test_quota_fault_on_create_is_googles_resource_exhausted(google_sim):
    sim = google_sim(faults="create:429=1")
    uploaded = upload_gemini_file(sim.gemini, jsonl([gemini_line("a", "x")]))
    body = {"batch": {"displayName": "q", "inputConfig": {"fileName": uploaded["name"]}}}
    refused = sim.gemini.post(CREATE, json=body)
    google_error(refused, 429, "RESOURCE_EXHAUSTED")
    assert refused.headers["Retry-After"] == "1"
    assert (
        "operations" not in sim.gemini.get("/v1beta/batches").json()
        or not (sim.gemini.get("/v1beta/batches").json()["operations"])
    )


def test_cancel_keeps_the_running_state_until_cancelled(google_sim):
    sim = google_sim(phase_seconds=0.3, speed=5)
    created = create_gemini_batch(sim.gemini, [gemini_line(f"k{i}", "x") for i in range(50)])
    name = created["name"]
    gemini_states(sim.gemini, name, "BATCH_STATE_RUNNING")
    assert sim.gemini.post(f"/v1beta/{name}:cancel").json() == {}
    seen = gemini_states(sim.gemini, name, "BATCH_STATE_CANCELLED")
    assert {op["metadata"]["state"] for op in seen} <= {
        "BATCH_STATE_RUNNING",
        "BATCH_STATE_CANCELLED",
    }
    cancelled = seen[-1]
    ran = int(cancelled["metadata"]["batchStats"].get("successfulRequestCount", "0"))
    assert ran < 50
    if ran:
        file_id = cancelled["metadata"]["output"]["responsesFile"].removeprefix("files/")
        rows = sim.gemini.get(f"/v1beta/files/{file_id}:download?alt=media").content.splitlines()
        assert len(rows) == ran
    again = sim.gemini.post(f"/v1beta/{name}:cancel")
    assert again.status_code == 200  # cancelling a cancelled batch is not an error


def test_cancel_of_an_ended_batch_is_a_failed_precondition(google_sim):
    sim = google_sim()
    name = create_gemini_batch(sim.gemini, [gemini_line("a", "x")])["name"]
    gemini_states(sim.gemini, name, "BATCH_STATE_SUCCEEDED")
    google_error(sim.gemini.post(f"/v1beta/{name}:cancel"), 400, "FAILED_PRECONDITION")


def test_expiry_keeps_what_ran(google_sim):
    sim = google_sim(phase_seconds=0.05, speed=20, expire_after=0.3)
    name = create_gemini_batch(sim.gemini, [gemini_line(f"k{i}", "x") for i in range(100)])["name"]
    expired = gemini_states(sim.gemini, name, "BATCH_STATE_EXPIRED")[-1]
    done = int(expired["metadata"]["batchStats"]["successfulRequestCount"])
    assert 0 < done < 100
    assert expired["metadata"]["output"]["responsesFile"].startswith("files/batch-")


def test_list_pages_with_page_tokens_and_delete_hides_a_batch(google_sim):
    sim = google_sim()
    names = [create_gemini_batch(sim.gemini, [gemini_line("a", str(i))])["name"] for i in range(3)]
    first = sim.gemini.get("/v1beta/batches", params={"pageSize": 2}).json()
    assert [op["name"] for op in first["operations"]] == names[::-1][:2]
    second = sim.gemini.get(
        "/v1beta/batches", params={"pageSize": 2, "pageToken": first["nextPageToken"]}
    ).json()
    assert [op["name"] for op in second["operations"]] == [names[0]]
    assert "nextPageToken" not in second
    google_error(
        sim.gemini.get("/v1beta/batches", params={"pageToken": "garbage"}), 400, "INVALID_ARGUMENT"
    )
    assert sim.gemini.delete(f"/v1beta/{names[1]}").json() == {}
    google_error(sim.gemini.get(f"/v1beta/{names[1]}"), 404, "NOT_FOUND")
    listed = sim.gemini.get("/v1beta/batches").json()["operations"]
    assert [op["name"] for op in listed] == [names[2], names[0]]


def test_a_batch_carries_on_after_a_restart(start_simulator, google_sim, tmp_path):
    data_dir = tmp_path / "shared"
    first = google_sim(data_dir=data_dir, phase_seconds=0.3)
    name = create_gemini_batch(first.gemini, [gemini_line("a", "x"), gemini_line("b", "y")])["name"]
    first.handle.stop()
    second = google_sim(data_dir=data_dir, phase_seconds=0.3)
    done = gemini_states(second.gemini, name, "BATCH_STATE_SUCCEEDED")[-1]
    file_id = done["metadata"]["output"]["responsesFile"].removeprefix("files/")
    rows = second.gemini.get(f"/v1beta/files/{file_id}:download?alt=media").content.splitlines()
    assert [json.loads(row)["key"] for row in rows] == ["a", "b"]
