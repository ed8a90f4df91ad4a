"""--faults: each kind, before/after the action, and seeded repeatability."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
from sim_helpers import assert_matches_spec, chat_line, create_batch, jsonl, upload

from batchtui.simulator.faults import FaultRule, FaultSpecError, parse_fault_spec

CREATE = {"endpoint": "/v1/chat/completions", "completion_window": "24h"}


def test_spec_parsing() -> None:
    assert parse_fault_spec("") == ()
    assert parse_fault_spec("create:500=0.5, reset=1") == (
        FaultRule("create", "500", 0.5),
        FaultRule(None, "reset", 1.0),
    )


@pytest.mark.parametrize(
    "spec", ["create:500", "nowhere:500=1", "create:418=1", "500=1.5", "500=often"]
)
def test_bad_specs_are_refused_with_the_reason(spec: str) -> None:
    with pytest.raises(FaultSpecError, match="fault"):
        parse_fault_spec(spec)


def _input_file(client: httpx.Client) -> str:
    return upload(client, jsonl([chat_line("a", "x")])).json()["id"]


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        ("429", 429, "application/json"),
        ("500", 500, "application/json"),
        ("503", 503, "application/json"),
        ("html", 502, "text/html"),
    ],
)
def test_error_faults_happen_before_the_create(
    start_simulator, kind: str, status: int, content_type: str
) -> None:
    handle = start_simulator(faults=f"create:{kind}=1")
    with httpx.Client(base_url=handle.url) as client:
        response = client.post("/batches", json={"input_file_id": _input_file(client), **CREATE})
        assert response.status_code == status
        assert response.headers["Content-Type"] == content_type
        if content_type == "application/json":
            assert_matches_spec(response.json(), "ErrorResponse")
        else:
            assert "502 Bad Gateway" in response.text
        if kind == "429":
            assert response.headers["Retry-After"] == "1"
        assert client.get("/batches").json()["data"] == []  # nothing was created


def test_slow_fault_delays_then_answers(start_simulator) -> None:
    handle = start_simulator(faults="list:slow=1", slow_seconds=0.3)
    started = time.monotonic()
    response = httpx.get(f"{handle.url}/batches")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_reset_on_create_loses_the_answer_but_the_batch_exists(start_simulator) -> None:
    handle = start_simulator(faults="create:reset=1")
    with httpx.Client(base_url=handle.url) as client:
        input_file_id = _input_file(client)
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.post("/batches", json={"input_file_id": input_file_id, **CREATE})
        batches = client.get("/batches").json()["data"]
    assert [b["input_file_id"] for b in batches] == [input_file_id]


def test_reset_sends_a_tcp_rst(start_simulator) -> None:
    handle = start_simulator(faults="list:reset=1")
    url = urlsplit(handle.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as raw:
        raw.sendall(b"GET /v1/batches HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            while raw.recv(1024):
                pass


def test_reset_on_upload_keeps_the_file(start_simulator) -> None:
    handle = start_simulator(faults="upload:reset=1")
    with httpx.Client(base_url=handle.url) as client:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            upload(client, b"{}\n")
        assert len(client.get("/files").json()["data"]) == 1


def test_truncated_json_answer_after_the_create(start_simulator) -> None:
    handle = start_simulator(faults="create:truncated=1")
    with httpx.Client(base_url=handle.url) as client:
        response = client.post("/batches", json={"input_file_id": _input_file(client), **CREATE})
        assert response.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)
        assert response.content.startswith(b'{"id":"batch_')
        assert len(client.get("/batches").json()["data"]) == 1


def test_truncated_content_ends_before_its_content_length(start_simulator) -> None:
    handle = start_simulator(faults="content:truncated=1")
    with httpx.Client(base_url=handle.url) as client:
        file_id = upload(client, b'{"a": 1}\n' * 100).json()["id"]
        with pytest.raises(httpx.RemoteProtocolError, match="peer closed"):
            client.get(f"/files/{file_id}/content")
        # other routes are untouched
        assert client.get(f"/files/{file_id}").status_code == 200


def test_rate_zero_never_fires(start_simulator) -> None:
    handle = start_simulator(faults="500=0")
    with httpx.Client(base_url=handle.url) as client:
        assert {client.get("/batches").status_code for _ in range(20)} == {200}


def _statuses(handle, count: int = 30) -> list[int]:
    with httpx.Client(base_url=handle.url) as client:
        return [client.get("/batches").status_code for _ in range(count)]


def test_seed_makes_faults_repeatable(start_simulator) -> None:
    first = _statuses(start_simulator(faults="list:500=0.5", seed=7))
    second = _statuses(start_simulator(faults="list:500=0.5", seed=7))
    other = _statuses(start_simulator(faults="list:500=0.5", seed=8))
    assert first == second
    assert set(first) == {200, 500}
    assert other != first


def test_faults_only_hit_their_route(start_simulator) -> None:
    handle = start_simulator(faults="cancel:503=1")
    with httpx.Client(base_url=handle.url) as client:
        batch = create_batch(client, [chat_line("a", "x")])
        assert client.get(f"/batches/{batch['id']}").status_code == 200
        assert client.post(f"/batches/{batch['id']}/cancel").status_code == 503
