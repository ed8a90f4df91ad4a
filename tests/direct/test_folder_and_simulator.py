"""The job folder's answer files (a torn line cut, each custom_id counted once) and the
simulator's realtime endpoints (the batch engine's answers, its key, models and faults)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from batchtui.core.providers.direct.folder import JobFolder, custom_id_of, new_batch_id
from batchtui.simulator.responder import respond

CHAT = {"model": "m", "messages": [{"role": "user", "content": "what is a batch"}]}


def _row(custom_id: str) -> bytes:
    return json.dumps({"id": "x", "custom_id": custom_id, "response": None}).encode() + b"\n"


def test_a_torn_last_line_is_cut_and_answers_are_counted_once(tmp_path: Path):
    folder = JobFolder(tmp_path, new_batch_id())
    folder.path.mkdir()
    folder.file("output").write_bytes(_row("a") + _row("b") + b'{"id":"x","custom_id":"c","re')
    folder.file("error").write_bytes(_row("d") + _row("a"))
    answered, outputs, errors = folder.repair_and_scan()
    assert answered == {"a", "b", "d"}
    assert (outputs, errors) == (2, 1)
    assert folder.file("output").read_bytes() == _row("a") + _row("b")
    assert folder.count_answers() == (2, 2)


def test_custom_id_is_read_with_escapes():
    assert custom_id_of(b'{"id":"1","custom_id":"q\\"uote\\u00e9"}') == 'q"uote\u00e9'
    assert custom_id_of(b'{"id":"1"}') is None


def test_realtime_answers_are_the_batch_engines(start_simulator):
    sim = start_simulator(api_key="k", models="m")
    auth = {"Authorization": "Bearer k"}
    answer = httpx.post(sim.url + "/chat/completions", json=CHAT, headers=auth)
    assert answer.status_code == 200
    expected = respond("/v1/chat/completions", "any", CHAT, batch_id="b", created=0)
    body = expected.row["response"]["body"]
    got = answer.json()
    assert got["choices"][0]["message"] == body["choices"][0]["message"]
    assert got["usage"] == body["usage"]
    assert answer.headers["x-request-id"].startswith("req_")

    embedding = httpx.post(sim.url + "/embeddings", json={"model": "m", "input": "x"}, headers=auth)
    assert embedding.status_code == 200 and embedding.json()["data"][0]["embedding"]
    refused = httpx.post(sim.url + "/chat/completions", json=CHAT)
    assert refused.status_code == 401
    unknown = httpx.post(sim.url + "/completions", json={"model": "z", "prompt": "p"}, headers=auth)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert len(sim.server.realtime.arrivals) == 4
    assert all(a.at <= time.monotonic() for a in sim.server.realtime.snapshot())


def test_realtime_faults_answer_like_the_batch_routes(start_simulator):
    sim = start_simulator(faults="realtime:429=1")
    limited = httpx.post(sim.url + "/chat/completions", json=CHAT)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert httpx.get(sim.url + "/batches").status_code == 200  # other routes untouched
