"""Portkey's objects as the reference shows them (providers.md §2, §6 items 21-23), no HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import ConfigError
from batchtui.core.formats.results import parse_result_line
from batchtui.core.models import BatchSpec
from batchtui.core.providers import make_provider
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.portkey import (
    PortkeyProvider,
    batch_of_output_route,
    errors_instead_of_rows,
    output_file_of_route,
    output_route_id,
    tag_in_output_folder,
)
from batchtui.core.status import JobStatus

TAG = "0b7e6f7c-2f9a-4a43-9a5e-0c1d2e3f4a5b"
VERTEX_HEADERS = {
    "x-portkey-provider": "@vertexai",
    "x-portkey-vertex-storage-bucket-name": "bucket",
}

# §2.3 "Batch object returned", completed, with Vertex's int64 counts as strings.
VERTEX_COMPLETED: dict[str, Any] = {
    "id": "3814889423749775360",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "input_file_id": "gs%3A%2F%2Fbucket%2Fin.jsonl",
    "completion_window": None,
    "status": "completed",
    "output_file_id": (
        "gs%3A%2F%2Fbucket%2Fprediction-model-2025-01-01T00%3A00%3A00.000000Z%2Fpredictions.jsonl"
    ),
    "error_file_id": "gs%3A%2F%2Fbucket%2F",
    "created_at": 1716200000000,
    "in_progress_at": 1716200005000,
    "completed_at": 1716203600000,
    "request_counts": {"total": 10, "completed": "9", "failed": "1"},
}


@pytest.fixture
def portkey(monkeypatch: pytest.MonkeyPatch) -> PortkeyProvider:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-test")
    profile = Profile(name="gw", kind="portkey", headers=VERTEX_HEADERS, model="gemini-flash")
    provider = make_provider(profile)
    assert isinstance(provider, PortkeyProvider)
    return provider


def vertex_batch(**changes: Any) -> dict[str, Any]:
    return {**VERTEX_COMPLETED, **changes}


def test_the_kind_defaults_to_portkeys_url_and_key_header(portkey: PortkeyProvider) -> None:
    headers = portkey.http.client.headers
    assert str(portkey.http.client.base_url).rstrip("/") == "https://api.portkey.ai/v1"
    assert headers["x-portkey-api-key"] == "pk-test"
    assert "authorization" not in headers
    assert headers["x-portkey-provider"] == "@vertexai"
    # The profile's model is what Vertex uploads are transformed for, unless a header says.
    assert headers["x-portkey-provider-model"] == "gemini-flash"


def test_a_profile_without_a_provider_header_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-test")
    with pytest.raises(ConfigError, match=r"profile 'gw'.*x-portkey-provider"):
        make_provider(Profile(name="gw", kind="portkey"))


def test_milliseconds_and_string_counts_are_read_right(portkey: PortkeyProvider) -> None:
    batch = portkey.parse_batch(VERTEX_COMPLETED, "GET /batches/x")
    assert batch.timestamps["created_at"] == datetime(2024, 5, 20, 10, 13, 20, tzinfo=UTC)
    assert batch.timestamps["completed_at"] == datetime(2024, 5, 20, 11, 13, 20, tzinfo=UTC)
    assert (batch.request_counts.completed, batch.request_counts.failed) == (9, 1)
    assert batch.request_counts.total == 10


def test_the_error_folder_is_not_an_error_file_and_output_is_read_by_route(
    portkey: PortkeyProvider,
) -> None:
    batch = portkey.parse_batch(VERTEX_COMPLETED, "GET /batches/x")
    assert batch.error_file_id is None
    assert batch.output_file_id == output_route_id("3814889423749775360")
    assert [(f.kind, f.file_id) for f in portkey.result_files(batch)] == [
        ("output", "batches/3814889423749775360/output")
    ]
    # The gateway's own ids stay in `raw`.
    assert batch.raw["error_file_id"] == "gs%3A%2F%2Fbucket%2F"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("validating", JobStatus.PENDING),  # Vertex QUEUED/PENDING/PAUSED: no validation phase
        ("in_progress", JobStatus.IN_PROGRESS),
        ("cancelling", JobStatus.CANCELLING),
        ("expired", JobStatus.EXPIRED),
    ],
)
def test_vertex_statuses(portkey: PortkeyProvider, status: str, expected: JobStatus) -> None:
    assert portkey.parse_batch(vertex_batch(status=status), "call").status is expected


def test_no_output_before_vertex_has_written_it(portkey: PortkeyProvider) -> None:
    # Before outputInfo exists both ids are the output prefix (a folder).
    running = vertex_batch(status="in_progress", output_file_id="gs%3A%2F%2Fbucket%2F")
    failed = vertex_batch(
        status="failed",
        output_file_id="gs%3A%2F%2Fbucket%2F",
        errors={"object": "list", "data": [{"code": 3, "message": "bad model"}]},
    )
    assert portkey.parse_batch(running, "call").output_file_id is None
    parsed = portkey.parse_batch(failed, "call")
    assert parsed.output_file_id is None and parsed.error_file_id is None
    assert [(e.code, e.message) for e in parsed.errors] == [("3", "bad model")]


def test_the_tag_comes_back_from_the_output_folder(portkey: PortkeyProvider) -> None:
    folder = f"gs%3A%2F%2Fbucket%2Fruns%2Fbatchtui-{TAG}%2F"
    batch = portkey.parse_batch(
        vertex_batch(status="in_progress", output_file_id=folder, error_file_id=folder), "call"
    )
    assert batch.metadata[TAG_METADATA_KEY] == TAG
    assert tag_in_output_folder("gs%3A%2F%2Fbucket%2Fother%2F") is None


def test_create_sends_model_job_name_and_a_tagged_output_folder(portkey: PortkeyProvider) -> None:
    spec = BatchSpec(
        input_file_id="gs%3A%2F%2Fbucket%2Fruns%2Fin.jsonl",
        endpoint="/v1/chat/completions",
        model="gemini-2.5-flash",
        name="my run",
        metadata={TAG_METADATA_KEY: TAG},
    )
    body = portkey.create_body(spec)
    assert body["model"] == "gemini-2.5-flash"
    assert body["output_data_config"] == f"gs://bucket/runs/batchtui-{TAG}/"
    assert body["job_name"] == "my run"
    assert tag_in_output_folder(body["output_data_config"]) == TAG


def test_create_for_openai_behind_portkey_is_openais_body(monkeypatch) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-test")
    provider = make_provider(
        Profile(name="gw", kind="portkey", headers={"x-portkey-provider": "openai"})
    )
    spec = BatchSpec(
        input_file_id="file-abc", endpoint="/v1/chat/completions", metadata={TAG_METADATA_KEY: TAG}
    )
    body = provider.create_body(spec)
    assert body == {
        "input_file_id": "file-abc",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "metadata": {TAG_METADATA_KEY: TAG},
    }


def test_openai_behind_portkey_keeps_its_error_file(monkeypatch) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-test")
    provider = make_provider(
        Profile(name="gw", kind="portkey", headers={"x-portkey-provider": "openai"})
    )
    obj = {
        **VERTEX_COMPLETED,
        "id": "batch_abc",
        "input_file_id": "file-in",
        "output_file_id": "file-out",
        "error_file_id": "file-err",
        "created_at": 1716200000,
    }
    batch = provider.parse_batch(obj, "call")
    # The route to read, and the real output file should the route fail (a custom host).
    assert batch.output_file_id == "batches/batch_abc/output?file_id=file-out"
    assert batch.error_file_id == "file-err"
    assert batch_of_output_route(batch.output_file_id) == "batch_abc"
    assert output_file_of_route(batch.output_file_id) == "file-out"
    assert batch_of_output_route("file-err") is None
    assert output_file_of_route("batches/batch_abc/output") is None


def test_an_output_route_keeps_any_real_file_id_whole() -> None:
    for file_id in ("file-abc", "a/b?c=d&e", "ünï cöde"):
        route = output_route_id("batch_1", file_id)
        assert batch_of_output_route(route) == "batch_1"
        assert output_file_of_route(route) == file_id


def test_the_errors_object_in_place_of_output_is_recognised() -> None:
    errors = {"object": "list", "data": [{"code": "token_limit_exceeded", "message": "Enqueued"}]}
    message = errors_instead_of_rows(json.dumps(errors).encode())
    assert message is not None and "token_limit_exceeded: Enqueued" in message
    row = {"id": "batch-1-x", "custom_id": "request-1", "response": {"status_code": 200}}
    assert errors_instead_of_rows(json.dumps(row).encode()) is None
    assert errors_instead_of_rows(b"not json") is None


def test_an_output_row_from_the_reference_reads_like_openais() -> None:
    # §2.3 /output row and the NYU seed's example: custom_id from the row's requestId.
    row = {
        "id": "batch-7284652661620604928-aOKVaZmJGItT7OsPu-WByQc",
        "custom_id": "request-1",
        "response": {
            "status_code": 200,
            "request_id": "batch-7284652661620604928-aOKVaZmJGItT7OsPu-WByQc",
            "body": {
                "object": "chat.completion",
                "choices": [
                    {
                        "message": {"role": "assistant", "content": "New York City"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
            },
        },
        "error": None,
    }
    failed = {
        "id": "batch-1-x",
        "custom_id": "request-2",
        "response": {"request_id": "batch-1-x", "body": False},
        "error": {"code": 400, "message": "Bad Request"},
    }
    ok = parse_result_line(json.dumps(row))
    bad = parse_result_line(json.dumps(failed))
    assert (ok.custom_id, ok.ok, ok.text, ok.total_tokens) == (
        "request-1",
        True,
        "New York City",
        8,
    )
    assert (bad.custom_id, bad.ok, bad.error_message) == ("request-2", False, "Bad Request")


def test_gateway_kinds_refuse_only_what_both_upstreams_refuse() -> None:
    from batchtui.core.formats.limits import OPENAI_LIMITS
    from batchtui.core.providers.kinds import limits_for_kind

    for kind, name in (("portkey", "Portkey"), ("litellm", "LiteLLM")):
        limits = limits_for_kind(kind)
        assert limits.name.startswith(name)
        # Vertex takes files past OpenAI's 200 MB; OpenAI takes every endpoint it lists.
        assert limits.max_file_bytes and limits.max_file_bytes > (OPENAI_LIMITS.max_file_bytes or 0)
        assert limits.endpoints == OPENAI_LIMITS.endpoints
