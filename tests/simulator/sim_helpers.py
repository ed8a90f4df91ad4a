"""Helpers for the simulator's tests: the official spec's schemas, uploads, polling."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# OpenAI's official OpenAPI description cut to batches and files (a copy of the project
# reference's), kept in the repo so a clean clone tests the simulator against it.
SPEC_PATH = Path(__file__).resolve().parents[1] / "data/openai-openapi-batch-files.json"
# Top-level fields the live API sends as null although the spec types them as plain values
# (providers.md §1.5: "Everything else may be missing or null").
NULLABLE_OPTIONAL = ("Batch", "OpenAIFile", "ListFilesResponse", "ListBatchesResponse")


@cache
def _spec_registry() -> Registry:
    if not SPEC_PATH.is_file():
        raise FileNotFoundError(f"the OpenAI spec the simulator is checked against: {SPEC_PATH}")
    document = json.loads(SPEC_PATH.read_text())
    schemas = document["components"]["schemas"]
    for name in NULLABLE_OPTIONAL:
        schema = schemas[name] = copy.deepcopy(schemas[name])
        required = set(schema.get("required", []))
        for field, field_schema in schema["properties"].items():
            if field not in required or name.startswith("List"):
                schema["properties"][field] = {"anyOf": [field_schema, {"type": "null"}]}
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource("spec", resource)


def assert_matches_spec(instance: Any, schema_name: str) -> None:
    """Validate `instance` against `#/components/schemas/<schema_name>` of the official spec."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"spec#/components/schemas/{schema_name}"}, registry=_spec_registry()
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{schema_name}: " + "; ".join(
        f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message}" for e in errors[:5]
    )


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def chat_line(custom_id: str, text: str, model: str = "gpt-sim", **body: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "user", "content": text}], **body},
    }


def upload(client: httpx.Client, content: bytes, filename: str = "input.jsonl", **fields: str):
    fields.setdefault("purpose", "batch")
    return client.post("/files", files={"file": (filename, content)}, data=fields)


def create_batch(
    client: httpx.Client, rows: list[dict[str, Any]], endpoint: str = "/v1/chat/completions"
) -> dict[str, Any]:
    """Upload `rows` and create a batch on them; returns the Batch object."""
    uploaded = upload(client, jsonl(rows))
    assert uploaded.status_code == 200, uploaded.text
    created = client.post(
        "/batches",
        json={
            "input_file_id": uploaded.json()["id"],
            "endpoint": endpoint,
            "completion_window": "24h",
        },
    )
    assert created.status_code == 200, created.text
    return created.json()


def wait_for(
    client: httpx.Client,
    batch_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Poll the batch until `done(batch)`; returns it, or fails with the last status seen."""
    deadline = time.monotonic() + timeout
    while True:
        batch = client.get(f"/batches/{batch_id}").json()
        if done(batch):
            return batch
        if time.monotonic() > deadline:
            pytest.fail(f"batch {batch_id} still {batch['status']} after {timeout}s")
        time.sleep(0.02)


def wait_for_status(client: httpx.Client, batch_id: str, *statuses: str) -> dict[str, Any]:
    return wait_for(client, batch_id, lambda batch: batch["status"] in statuses)


def read_rows(client: httpx.Client, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    response = client.get(f"/files/{file_id}/content")
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.content.splitlines()]
