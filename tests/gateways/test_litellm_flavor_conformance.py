"""The simulator's `litellm-vertex` flavour answers as the real LiteLLM proxy does.

The same calls go to the real proxy (in front of Vertex AI as the simulator serves it) and
to `batchtui simulate --flavor litellm-vertex`; what a client reads from the answers must
be the same, so tests run against the flavour prove what the real proxy would do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from batchtui.simulator import SimulatorHandle
from helpers.cli import request_line
from realparts.litellm import MASTER_KEY, VERTEX_MODEL, LiteLLMProxy, litellm_gateway

pytestmark = pytest.mark.xdist_group("litellm")
__all__ = ["litellm_gateway"]  # a fixture used by name

VERTEX = {"custom_llm_provider": "vertex_ai"}
WAIT_SECONDS = 60.0


def error_of(response: httpx.Response) -> dict[str, Any]:
    error = response.json()["error"]
    return {
        "status": response.status_code,
        "type": error["type"],
        "param": error["param"],
        "code": error["code"],
        "message": error["message"][:40],
    }


def observe(base_url: str) -> dict[str, Any]:
    """What a client sees of one batch's life and of the errors LiteLLM answers with."""
    seen: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        lines = "".join(
            request_line(f"id-{n}", f"question {n}", VERTEX_MODEL) + "\n" for n in range(2)
        )
        uploaded = client.post(
            "/files",
            params=VERTEX,
            files={"file": ("in.jsonl", lines.encode())},
            data={"purpose": "batch"},
        )
        assert uploaded.status_code == 200, uploaded.text
        file = uploaded.json()
        seen["file"] = {key: file[key] for key in ("object", "purpose", "status")}
        seen["file_id"] = (
            file["id"].startswith("gs://") and "/publishers/google/models/" in file["id"]
        )
        body = {"input_file_id": file["id"], "endpoint": "/v1/chat/completions", **VERTEX}
        created = client.post("/batches", json={**body, "completion_window": "24h"})
        assert created.status_code == 200, created.text
        batch = created.json()
        seen["created"] = {
            key: batch[key]
            for key in (
                "completion_window",
                "endpoint",
                "status",
                "output_file_id",
                "error_file_id",
                "request_counts",
                "model",
            )
        }
        deadline = time.monotonic() + WAIT_SECONDS
        while batch["status"] != "completed":
            assert time.monotonic() < deadline, f"still {batch['status']}"
            time.sleep(0.3)
            batch = client.get(f"/batches/{batch['id']}", params=VERTEX).json()
        output = batch["output_file_id"]
        seen["output"] = output.endswith("/predictions.jsonl") and output.startswith("gs://")
        output_file = client.get(f"/files/{quote(output, safe='')}", params=VERTEX).json()
        seen["output_file"] = {key: output_file[key] for key in ("object", "purpose", "status")}
        seen["content"] = error_of(
            client.get(f"/files/{quote(output, safe='')}/content", params=VERTEX)
        )
        seen["unknown_batch"] = error_of(client.get("/batches/1234567890", params=VERTEX))
        seen["cancel_ended"] = error_of(
            client.post(f"/batches/{batch['id']}/cancel", params=VERTEX)
        )
        seen["bad_line"] = error_of(
            client.post(
                "/files",
                params=VERTEX,
                files={"file": ("bad.jsonl", lines.encode() + b"{oops\n")},
                data={"purpose": "batch"},
            )
        )
        seen["no_key"] = error_of(httpx.get(f"{base_url}/batches", params=VERTEX, timeout=30))
    return seen


def test_the_flavour_answers_as_the_real_proxy(
    litellm_gateway: LiteLLMProxy, start_simulator: Callable[..., SimulatorHandle]
) -> None:
    flavour = start_simulator(flavor="litellm-vertex", api_key=MASTER_KEY)
    real = observe(litellm_gateway.url)
    assert real["created"]["completion_window"] == "24h"  # what LiteLLM 1.108.7 answers
    assert real["content"]["status"] == 400
    assert observe(flavour.url) == real
