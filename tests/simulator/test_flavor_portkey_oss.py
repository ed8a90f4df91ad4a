"""--flavor portkey-oss-openai / portkey-oss-vertex: the self-hosted, open-source gateway.

What each rule is measured from: tests/gateways/test_portkey_oss_claims.py sends the same
requests to the real gateway. Here the flavours are checked alone, fast.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sim_helpers import chat_line, create_batch, jsonl, upload, wait_for_status

from batchtui.simulator import SimulatorHandle

UPSTREAM_KEY = "sk-upstream-0123456789"
OPENAI = {"x-portkey-provider": "openai", "Authorization": f"Bearer {UPSTREAM_KEY}"}


def test_oss_openai_passes_batches_through_but_not_the_output_route(
    start_simulator: Callable[..., SimulatorHandle],
) -> None:
    sim = start_simulator(flavor="portkey-oss-openai", api_key=UPSTREAM_KEY, phase_seconds=0.05)
    with httpx.Client(base_url=sim.url, headers=OPENAI, timeout=10) as client:
        batch = create_batch(client, [chat_line("a", "hello")])
        done = wait_for_status(client, batch["id"], "completed")
        output = client.get(f"/batches/{done['id']}/output")
        content = client.get(f"/files/{done['output_file_id']}/content")
        # No Portkey key is checked; the upstream sees `Bearer undefined` without one.
        unkeyed = client.get("/batches", headers={"Authorization": ""})
        slug = client.get("/batches", headers={"x-portkey-provider": "@openai"})
    assert output.status_code == 500 and "ENOTFOUND api.openai.com" in output.text
    assert content.status_code == 200 and b"hello" in content.content
    assert unkeyed.status_code == 401
    assert unkeyed.json()["error"]["message"] == "openai error: Incorrect API key provided."
    assert unkeyed.json()["provider"] == "openai"
    assert slug.status_code == 400
    assert slug.json() == {"status": "failure", "message": "Invalid provider passed"}


def test_oss_vertex_batches_have_no_model_and_output_is_500_before_results(
    start_simulator: Callable[..., SimulatorHandle],
) -> None:
    sim = start_simulator(flavor="portkey-oss-vertex", phase_seconds=0.05)
    headers = {
        "x-portkey-provider": "vertex-ai",
        "x-portkey-vertex-storage-bucket-name": "bucket",
        "x-portkey-provider-model": "gemini-2.5-flash",
    }
    with httpx.Client(base_url=sim.url, headers=headers, timeout=10) as client:
        file_id = upload(client, jsonl([chat_line("a", "hello")])).json()["id"]
        created = client.post(
            "/batches",
            json={"input_file_id": file_id, "model": "gemini-2.5-flash", "endpoint": "x"},
        ).json()
        early = client.get(f"/batches/{created['id']}/output")
        done = wait_for_status(client, created["id"], "completed")
        listed = client.get("/batches").json()
        late = client.get(f"/batches/{created['id']}/output")
        slug = client.get("/batches", headers={"x-portkey-provider": "@vertexai"})
    assert "model" not in created and "model" not in done
    assert all("model" not in item for item in listed["data"])
    assert (early.status_code, early.json()) == (500, {})
    assert late.status_code == 200 and b'"custom_id":"a"' in late.content
    assert slug.status_code == 400
