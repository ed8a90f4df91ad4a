"""Batch routes: create checks, lifecycle, results, list, cancel, expiry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
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
    wait_for,
    wait_for_status,
)

from batchtui.simulator.responder import answer_text


def _create(client: httpx.Client, **fields: Any) -> httpx.Response:
    return client.post("/batches", json=fields)


@pytest.fixture
def input_file_id(client: httpx.Client) -> str:
    return upload(client, jsonl([chat_line("a", "hi")])).json()["id"]


@pytest.mark.parametrize(
    ("overrides", "param", "status"),
    [
        ({"input_file_id": None}, "input_file_id", 400),
        ({"input_file_id": "file-nope"}, "input_file_id", 404),
        ({"endpoint": "/v1/moderations"}, "endpoint", 400),
        ({"endpoint": None}, "endpoint", 400),
        ({"completion_window": "48h"}, "completion_window", 400),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", 400),
        ({"metadata": {"k" * 65: "v"}}, "metadata", 400),
        ({"metadata": {"k": "v" * 513}}, "metadata.k", 400),
        ({"output_expires_after": {"anchor": "created_at", "seconds": 60}}, None, 400),
    ],
)
def test_create_rejects_bad_parameters(
    client: httpx.Client,
    input_file_id: str,
    overrides: dict[str, Any],
    param: str | None,
    status: int,
) -> None:
    fields = {
        "input_file_id": input_file_id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    fields.update(overrides)
    response = _create(client, **{k: v for k, v in fields.items() if v is not None})
    assert response.status_code == status
    assert_matches_spec(response.json(), "ErrorResponse")
    if param is not None:
        assert response.json()["error"]["param"] == param
    assert client.get("/batches").json()["data"] == []


def test_create_accepts_metadata_at_the_limits(client: httpx.Client, input_file_id: str) -> None:
    metadata = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    response = _create(
        client,
        input_file_id=input_file_id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata=metadata,
    )
    assert response.status_code == 200
    assert response.json()["metadata"] == metadata


def test_create_needs_a_batch_purpose_file(client: httpx.Client) -> None:
    file_id = upload(client, b"x", filename="x.txt", purpose="user_data").json()["id"]
    response = _create(
        client, input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input_file_id"


def test_create_body_must_be_json(client: httpx.Client) -> None:
    response = client.post("/batches", content=b"{not json")
    assert response.status_code == 400
    assert_matches_spec(response.json(), "ErrorResponse")


def test_batch_goes_through_every_status_to_completed(start_simulator) -> None:
    handle = start_simulator(phase_seconds=0.3, speed=1000)
    with httpx.Client(base_url=handle.url) as client:
        _check_every_status(client)


def _check_every_status(client: httpx.Client) -> None:
    rows = [chat_line(f"r{i}", f"question number {i}") for i in range(4)]
    created = create_batch(client, rows)
    assert_matches_spec(created, "Batch")
    assert created["status"] == "validating"
    assert created["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert created["expires_at"] == created["created_at"] + 24 * 3600

    seen = [created["status"]]
    batch = created
    while batch["status"] != "completed":
        batch = wait_for(client, created["id"], lambda b, last=seen[-1]: b["status"] != last)
        assert_matches_spec(batch, "Batch")
        seen.append(batch["status"])
        if batch["status"] in ("in_progress", "finalizing"):
            assert batch["output_file_id"] is None
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert batch["request_counts"] == {"total": 4, "completed": 4, "failed": 0}
    assert batch["error_file_id"] is None
    assert batch["model"] == "gpt-sim"
    for field in ("in_progress_at", "finalizing_at", "completed_at"):
        assert batch[field] >= batch["created_at"]
    assert batch["failed_at"] is None and batch["cancelled_at"] is None

    output_file = client.get(f"/files/{batch['output_file_id']}").json()
    assert_matches_spec(output_file, "OpenAIFile")
    assert output_file["purpose"] == "batch_output"
    results = {row["custom_id"]: row for row in read_rows(client, batch["output_file_id"])}
    assert set(results) == {"r0", "r1", "r2", "r3"}
    for row in rows:
        body = results[row["custom_id"]]["response"]["body"]
        assert results[row["custom_id"]]["response"]["status_code"] == 200
        assert results[row["custom_id"]]["error"] is None
        assert body["choices"][0]["message"]["content"] == answer_text(
            row["body"]["messages"][0]["content"], row["body"]
        )
    usage = batch["usage"]
    assert usage["input_tokens"] == sum(
        results[r["custom_id"]]["response"]["body"]["usage"]["prompt_tokens"] for r in rows
    )
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_in_progress_counts_advance_at_the_configured_speed(start_simulator) -> None:
    handle = start_simulator(phase_seconds=0.1, speed=20)
    with httpx.Client(base_url=handle.url) as client:
        batch = create_batch(client, [chat_line(f"r{i}", "q") for i in range(10)])
        counts = []
        while batch["status"] in ("validating", "in_progress"):
            batch = client.get(f"/batches/{batch['id']}").json()
            if batch["status"] == "in_progress":
                counts.append(batch["request_counts"]["completed"])
        assert counts == sorted(counts)
        assert counts[0] < 10 and len(set(counts)) >= 2  # 10 requests at 20/s: ~0.5 s of progress
        done = wait_for_status(client, batch["id"], "completed")
        assert done["request_counts"]["completed"] == 10


def test_sim_error_marker_mixes_successes_and_errors(client: httpx.Client) -> None:
    rows = [
        chat_line("ok-1", "fine"),
        chat_line("bad-1", "please fail [sim:error]"),
        chat_line("ok-2", "also fine"),
        chat_line("bad-2", "rate limited [sim:error=429]"),
        chat_line("bad-3", "too long [sim:error=context_length_exceeded]"),
    ]
    batch = wait_for_status(client, create_batch(client, rows)["id"], "completed")
    assert batch["request_counts"] == {"total": 5, "completed": 2, "failed": 3}
    outputs = {row["custom_id"] for row in read_rows(client, batch["output_file_id"])}
    errors = {row["custom_id"]: row for row in read_rows(client, batch["error_file_id"])}
    assert outputs == {"ok-1", "ok-2"}
    assert set(errors) == {"bad-1", "bad-2", "bad-3"}
    assert errors["bad-1"]["response"]["status_code"] == 400
    assert errors["bad-2"]["response"]["status_code"] == 429
    assert errors["bad-3"]["response"]["body"]["error"]["code"] == "context_length_exceeded"
    for row in errors.values():
        assert row["error"] is None
        assert_matches_spec(row["response"]["body"], "ErrorResponse")


def test_every_request_failing_still_completes_with_null_output_file(client: httpx.Client) -> None:
    rows = [chat_line(f"r{i}", "x [sim:error=500]") for i in range(3)]
    batch = wait_for_status(client, create_batch(client, rows)["id"], "completed")
    assert batch["output_file_id"] is None
    assert batch["error_file_id"] is not None
    assert batch["request_counts"] == {"total": 3, "completed": 0, "failed": 3}
    assert len(read_rows(client, batch["error_file_id"])) == 3


@pytest.mark.parametrize(
    ("lines", "code", "line"),
    [
        ([b"{not json"], "invalid_json_line", 1),
        ([jsonl([chat_line("a", "x")]), b"[1, 2]\n"], "invalid_json_line", 2),
        ([jsonl([chat_line("a", "x"), chat_line("a", "y")])], "duplicate_custom_id", 2),
        ([jsonl([chat_line("a", "x"), chat_line("b", "y", model="other")])], "model_mismatch", 2),
        ([jsonl([{**chat_line("a", "x"), "url": "/v1/embeddings"}])], "url_mismatch", 1),
        (
            [jsonl([{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}])],
            "missing_required_parameter",
            1,
        ),
        ([jsonl([{**chat_line("a", "x"), "method": "GET"}])], "invalid_method", 1),
    ],
)
def test_invalid_input_files_fail_after_validating(
    client: httpx.Client, lines: list[bytes], code: str, line: int
) -> None:
    file_id = upload(client, b"".join(lines)).json()["id"]
    created = _create(
        client, input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert created.status_code == 200  # input problems never fail the create call
    batch = wait_for_status(client, created.json()["id"], "failed")
    assert_matches_spec(batch, "Batch")
    assert batch["errors"]["object"] == "list"
    first = batch["errors"]["data"][0]
    assert (first["code"], first["line"]) == (code, line)
    assert batch["failed_at"] is not None
    assert batch["output_file_id"] is None and batch["error_file_id"] is None


def test_empty_input_file_fails_with_empty_file(client: httpx.Client) -> None:
    file_id = upload(client, b"").json()["id"]
    created = _create(
        client, input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    ).json()
    batch = wait_for_status(client, created["id"], "failed")
    assert batch["errors"]["data"] == [
        {"code": "empty_file", "message": "The input file is empty.", "param": None, "line": None}
    ]


def test_too_many_tasks(client: httpx.Client) -> None:
    line = b'{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{}}\n'
    file_id = upload(client, line * 50_001).json()["id"]
    created = _create(
        client, input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    ).json()
    batch = wait_for_status(client, created["id"], "failed")
    assert batch["errors"]["data"][0]["code"] == "too_many_tasks"


def test_models_option_fails_other_models(start_simulator) -> None:
    handle = start_simulator(models="gpt-a,gpt-b", phase_seconds=0.05)
    with httpx.Client(base_url=handle.url) as client:
        good = create_batch(client, [chat_line("a", "x", model="gpt-b")])
        bad = create_batch(client, [chat_line("a", "x", model="gpt-z")])
        assert wait_for_status(client, good["id"], "completed", "failed")["status"] == "completed"
        failed = wait_for_status(client, bad["id"], "completed", "failed")
    assert failed["status"] == "failed"
    assert failed["errors"]["data"][0]["param"] == "body.model"
    assert "gpt-z" in failed["errors"]["data"][0]["message"]


def test_list_batches_newest_first_with_pagination(client: httpx.Client) -> None:
    ids = [create_batch(client, [chat_line("a", f"x{i}")])["id"] for i in range(5)]
    first = client.get("/batches", params={"limit": 2}).json()
    assert_matches_spec(first, "ListBatchesResponse")
    assert [b["id"] for b in first["data"]] == [ids[4], ids[3]]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (ids[4], ids[3], True)
    second = client.get("/batches", params={"limit": 2, "after": first["last_id"]}).json()
    third = client.get("/batches", params={"limit": 2, "after": second["last_id"]}).json()
    assert [b["id"] for b in second["data"] + third["data"]] == [ids[2], ids[1], ids[0]]
    assert third["has_more"] is False
    default = client.get("/batches").json()
    assert len(default["data"]) == 5


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"after": "batch_nope"}])
def test_list_batches_rejects_bad_parameters(client: httpx.Client, params: dict) -> None:
    response = client.get("/batches", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == next(iter(params))


def test_unknown_batch_is_404(client: httpx.Client) -> None:
    for response in (client.get("/batches/batch_nope"), client.post("/batches/batch_nope/cancel")):
        assert response.status_code == 404
        assert_matches_spec(response.json(), "ErrorResponse")


def test_cancel_keeps_the_results_finished_before_it(start_simulator) -> None:
    handle = start_simulator(phase_seconds=0.1, speed=20)
    with httpx.Client(base_url=handle.url) as client:
        batch = create_batch(client, [chat_line(f"r{i:02d}", "q") for i in range(40)])
        wait_for(client, batch["id"], lambda b: b["request_counts"]["completed"] >= 3)
        cancelling = client.post(f"/batches/{batch['id']}/cancel")
        assert cancelling.status_code == 200
        assert cancelling.json()["status"] == "cancelling"
        assert_matches_spec(cancelling.json(), "Batch")
        frozen = cancelling.json()["request_counts"]["completed"]
        assert 3 <= frozen < 40
        again = client.post(f"/batches/{batch['id']}/cancel")
        assert again.json()["status"] in ("cancelling", "cancelled")
        done = wait_for_status(client, batch["id"], "cancelled")
        assert done["request_counts"] == {"total": 40, "completed": frozen, "failed": 0}
        assert done["cancelling_at"] is not None and done["cancelled_at"] is not None
        outputs = read_rows(client, done["output_file_id"])
        unrun = read_rows(client, done["error_file_id"])
    assert sorted(row["custom_id"] for row in outputs) == [f"r{i:02d}" for i in range(frozen)]
    assert len(unrun) == 40 - frozen
    assert {row["error"]["code"] for row in unrun} == {"batch_cancelled"}
    assert all(row["response"] is None for row in unrun)


def test_cancel_of_a_finished_batch_is_refused(client: httpx.Client) -> None:
    batch = wait_for_status(client, create_batch(client, [chat_line("a", "x")])["id"], "completed")
    response = client.post(f"/batches/{batch['id']}/cancel")
    assert response.status_code == 400
    assert "completed" in response.json()["error"]["message"]


def test_expiry_keeps_partial_results_and_marks_the_rest(start_simulator) -> None:
    handle = start_simulator(phase_seconds=0.1, speed=20, expire_after=0.4)
    with httpx.Client(base_url=handle.url) as client:
        batch = create_batch(client, [chat_line(f"r{i:02d}", "q") for i in range(40)])
        assert batch["created_at"] <= batch["expires_at"] <= batch["created_at"] + 1
        expired = wait_for_status(client, batch["id"], "expired", "completed")
        assert expired["status"] == "expired"
        assert expired["expired_at"] is not None
        finished = expired["request_counts"]["completed"]
        assert 0 < finished < 40
        outputs = read_rows(client, expired["output_file_id"])
        unrun = read_rows(client, expired["error_file_id"])
    assert len(outputs) == finished
    assert {row["error"]["code"] for row in unrun} == {"batch_expired"}
    assert {r["custom_id"] for r in outputs} | {r["custom_id"] for r in unrun} == {
        f"r{i:02d}" for i in range(40)
    }


def test_result_files_appear_in_the_file_list(client: httpx.Client) -> None:
    batch = create_batch(client, [chat_line("a", "x"), chat_line("b", "y [sim:error]")])
    wait_for_status(client, batch["id"], "completed")
    listed = client.get("/files", params={"purpose": "batch_output"}).json()["data"]
    assert len(listed) == 2
    for file_object in listed:
        assert_matches_spec(file_object, "OpenAIFile")


def test_concurrent_readers_see_one_set_of_result_files(simulator) -> None:
    with httpx.Client(base_url=simulator.url) as client:
        batch = create_batch(client, [chat_line(f"r{i}", "q") for i in range(20)])

    def poll_until_done() -> tuple[str, str]:
        with httpx.Client(base_url=simulator.url) as own:
            done = wait_for_status(own, batch["id"], "completed")
            return done["output_file_id"], own.get(f"/files/{done['output_file_id']}").text

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: poll_until_done(), range(8)))
    assert len(set(answers)) == 1
    with httpx.Client(base_url=simulator.url) as client:
        assert len(client.get("/files", params={"purpose": "batch_output"}).json()["data"]) == 1
