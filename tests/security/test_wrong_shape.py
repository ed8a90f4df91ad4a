"""Answers of the wrong shape end in one clear line naming the provider and the call.

An HTML page from a proxy, a 200 with an error body, truncated JSON, a missing field, an
array where an object belongs, an empty 200, a huge error body: each command exits 1 with
a single `batchtui: error:` line that names the profile and the API call, never a
traceback. Shapes the simulator cannot make come from a hostile stdlib server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import Answer, HostileServer, add_profile, batch_object, request_line, run_cli

PROFILE = "openai profile 'sim'"
MAX_LINE = 600

HTML = {"Content-Type": "text/html; charset=utf-8"}
WRONG_SHAPES = {
    "html-page": Answer(200, b"<!DOCTYPE html><html><body>Proxy login</body></html>", HTML),
    "html-error": Answer(403, b"<html><body><h1>Access denied by proxy</h1></body></html>", HTML),
    "error-in-200": Answer(200, b'{"error": {"message": "quota gone", "code": "quota"}}'),
    "truncated": Answer(200, json.dumps(batch_object()).encode()[:40]),
    "cut-short": Answer(200, json.dumps(batch_object()).encode()[:40], content_length=4000),
    # No `id` (every object needs one) and, for a list, no `data`.
    "missing-field": Answer(
        200, json.dumps({k: v for k, v in batch_object().items() if k != "id"}).encode()
    ),
    "array": Answer(200, json.dumps([batch_object()]).encode()),
    "string": Answer(200, b'"batch_1"'),
    "empty": Answer(200, b""),
    "null": Answer(200, b"null"),
    "not-utf8": Answer(200, b"\xff\xfe{\x00"),
    "deep": Answer(200, b"[" * 100_000),
    "huge-error": Answer(400, json.dumps({"error": {"message": "x" * 10_000_000}}).encode()),
    "huge-text": Answer(400, b"y" * 10_000_000, {"Content-Type": "text/plain"}),
}
# Each wrong shape is checked on the call it fires on: upload, create, retrieve, list.
CALLS = {
    "POST /v1/files": ("submit", re.compile(r"upload|POST /files")),
    "POST /v1/batches": ("submit", re.compile(r"create|POST /batches")),
    "GET /v1/batches/batch_1": ("status", re.compile(r"batch_1|GET /batches")),
    "GET /v1/batches": ("profile test", re.compile(r"list|GET /batches")),
}


def good_answers(server: HostileServer) -> None:
    server.answer("POST /v1/files", {"id": "file-in", "object": "file", "bytes": 10})
    server.answer("POST /v1/batches", batch_object(status="validating"))
    server.answer("GET /v1/batches", {"object": "list", "data": [], "has_more": False})
    server.answer("GET /v1/batches/batch_1", batch_object())


def assert_one_clear_line(done, call: re.Pattern[str]) -> str:
    assert done.code == 1, (done.code, done.err[-2000:])
    # `submit` may say what it estimated first; the failure itself is one line.
    lines = done.err.strip().splitlines()
    assert all(line.startswith("batchtui: ") for line in lines), done.err[-2000:]
    errors = [line for line in lines if line.startswith("batchtui: error: ")]
    assert len(errors) == 1, done.err[-2000:]
    line = errors[0]
    assert "Traceback" not in done.err and "unexpected failure" not in line, line
    assert PROFILE in line, line
    assert call.search(line), line
    assert len(line) <= MAX_LINE, f"{len(line)} characters: {line[:200]}..."
    return line


@pytest.mark.parametrize("shape", list(WRONG_SHAPES))
@pytest.mark.parametrize("route", list(CALLS))
def test_wrong_shape_is_one_line(
    route: str, shape: str, hostile_server: HostileServer, tmp_path: Path
) -> None:
    good_answers(hostile_server)
    add_profile(hostile_server.url)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hi") + "\n")
    command, call = CALLS[route]
    job_id = None
    if command == "status":
        submitted = run_cli("submit", str(source), "--profile", "sim", "--json")
        assert submitted.code == 0, submitted.err
        job_id = json.loads(submitted.out)["id"]
    hostile_server.answer(route, WRONG_SHAPES[shape])

    if command == "submit":
        done = run_cli("submit", str(source), "--profile", "sim")
    elif command == "status":
        done = run_cli("status", str(job_id), "--refresh")
    else:
        done = run_cli("profile", "test", "sim")

    assert_one_clear_line(done, call)


@pytest.mark.parametrize("fault", ["html", "truncated"])
def test_simulator_faults_are_one_line(fault: str, start_simulator, tmp_path: Path) -> None:
    simulator = start_simulator(faults=f"retrieve:{fault}=1", seed=1)
    add_profile(simulator.url)
    source = tmp_path / "input.jsonl"
    source.write_text(request_line("r1", "hi") + "\n")
    submitted = run_cli("submit", str(source), "--profile", "sim", "--json")
    assert submitted.code == 0, submitted.err
    job_id = json.loads(submitted.out)["id"]

    done = run_cli("status", job_id, "--refresh", timeout=120)

    line = assert_one_clear_line(done, re.compile(r"batch_\w+|GET /batches"))
    assert ("HTML" in line) if fault == "html" else ("JSON" in line or "dropped" in line)
    listed = run_cli("jobs", "--json")  # the registry survived and still knows the job
    assert [job["id"] for job in json.loads(listed.out)] == [job_id]
