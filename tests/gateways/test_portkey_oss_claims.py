"""The simulator's `portkey-oss-*` flavours answer as the real open-source gateway does.

Each request is sent twice: to the real gateway (npm 1.15.2) in front of `batchtui simulate`,
and to the simulator serving the flavour; the answers must match where the flavours claim
the open-source gateway differs from hosted Portkey.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from batchtui.simulator import SimulatorHandle
from realparts.portkey import PortkeyGateway, start_portkey
from realparts.simulate import Simulate, running_simulator
from realparts.tls_front import GOOGLE_HOSTNAMES, google_front

pytestmark = pytest.mark.xdist_group("portkey")

__all__ = ["start_portkey"]  # fixture used here

UPSTREAM_KEY = "sk-upstream-claims-0123"
BUCKET = "batchtui-sim-bucket"
PROJECT = "batchtui-sim"
MODEL = "gemini-2.5-flash"
CHAT_LINE = {
    "custom_id": "c-1",
    "method": "POST",
    "url": "/v1/chat/completions",
    "body": {"model": MODEL, "messages": [{"role": "user", "content": "hello"}]},
}


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Simulate]:
    flags = ("--api-key", UPSTREAM_KEY, "--gcs-buckets", BUCKET, "--gcp-project", PROJECT)
    with running_simulator(tmp_path / "upstream", *flags, "--phase-seconds", "30") as simulate:
        yield simulate


@pytest.fixture
def real(
    tmp_path: Path, upstream: Simulate, start_portkey: Callable[..., PortkeyGateway]
) -> Iterator[PortkeyGateway]:
    with google_front(tmp_path / "ca", upstream.port) as (ca, front):
        yield start_portkey(
            host_map={name: f"127.0.0.1:{front.port}" for name in GOOGLE_HOSTNAMES},
            extra_ca=ca.ca_file,
        )


def answer(response: httpx.Response) -> tuple[int, str, Any]:
    kind = response.headers.get("content-type", "").split(";")[0]
    body = response.json() if kind == "application/json" else response.text
    return response.status_code, kind, body


def test_openai_format_claims(
    real: PortkeyGateway,
    upstream: Simulate,
    start_simulator: Callable[..., SimulatorHandle],
) -> None:
    flavour = start_simulator(flavor="portkey-oss-openai", api_key=UPSTREAM_KEY)
    routed = {"x-portkey-provider": "openai", "x-portkey-custom-host": upstream.url}
    keyed = {**routed, "Authorization": f"Bearer {UPSTREAM_KEY}"}
    probes: list[tuple[str, str, dict[str, str]]] = [
        # an upstream error, transformed: `openai error: ` prefix, `provider`, fields kept
        ("GET", "/batches/batch_nope", keyed),
        ("POST", "/batches", keyed),
        # a Model Catalog slug is hosted-only
        ("GET", "/batches", {**keyed, "x-portkey-provider": "@openai"}),
        # no provider at all
        ("GET", "/batches", {"Authorization": f"Bearer {UPSTREAM_KEY}"}),
        # no Authorization: `Bearer undefined` goes upstream
        ("GET", "/batches", routed),
        # /output ignores the custom host
        ("GET", "/batches/batch_nope/output", keyed),
    ]
    bodies = {"POST": {"input_file_id": "file-nope", "endpoint": "/v1/chat/completions"}}
    seen = []
    for method, path, headers in probes:
        request: dict[str, Any] = {"headers": headers, "timeout": 20}
        if method in bodies:
            request["json"] = {**bodies[method], "completion_window": "24h"}
        from_real = answer(httpx.request(method, real.url + path, **request))
        from_flavour = answer(httpx.request(method, flavour.url + path, **request))
        assert from_flavour == from_real, (method, path)
        seen.append(from_real)
    statuses = [status for status, _, _ in seen]
    assert statuses == [404, 404, 400, 400, 401, 500]
    not_found = seen[0][2]
    assert not_found["provider"] == "openai"
    assert not_found["error"]["message"].startswith("openai error: No such Batch object")
    assert seen[2][2] == {"status": "failure", "message": "Invalid provider passed"}
    assert "ENOTFOUND api.openai.com" in seen[5][2]
    assert real.blocked_names() == ["api.openai.com"]
    assert real.outside_connections() == []


def test_vertex_claims(
    real: PortkeyGateway,
    upstream: Simulate,
    start_simulator: Callable[..., SimulatorHandle],
) -> None:
    flavour = start_simulator(flavor="portkey-oss-vertex", phase_seconds=30)
    account = json.dumps(json.loads(upstream.google_credentials_file.read_text()))
    headers = {
        "x-portkey-provider": "vertex-ai",
        "x-portkey-vertex-project-id": PROJECT,
        "x-portkey-vertex-region": "us-central1",
        "x-portkey-vertex-service-account-json": account,
        "x-portkey-vertex-storage-bucket-name": BUCKET,
        "x-portkey-provider-model": MODEL,
    }
    created: dict[str, dict[str, Any]] = {}
    for name, base in (("real", real.url), ("flavour", flavour.url)):
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            uploaded = client.post(
                "/files",
                files={"file": ("in.jsonl", json.dumps(CHAT_LINE).encode() + b"\n")},
                data={"purpose": "batch"},
            )
            assert uploaded.status_code == 200, uploaded.text
            batch = client.post(
                "/batches",
                json={
                    "input_file_id": uploaded.json()["id"],
                    "endpoint": "/v1/chat/completions",
                    "completion_window": "24h",
                    "model": MODEL,
                },
            )
            assert batch.status_code == 200, batch.text
            created[name] = batch.json()
            # Before the job has output, and for a job that does not exist: `500 {}`.
            early = answer(client.get(f"/batches/{batch.json()['id']}/output"))
            unknown = answer(client.get("/batches/123456/output"))
            assert early == unknown == (500, "application/json", {}), name
            slug = answer(client.get("/batches", headers={"x-portkey-provider": "@vertexai"}))
            assert slug == (
                400,
                "application/json",
                {"status": "failure", "message": "Invalid provider passed"},
            ), name
    # The same batch object, field for field (no `model`), values aside.
    assert "model" not in created["real"]
    assert created["flavour"].keys() == created["real"].keys()
    assert created["flavour"]["status"] == created["real"]["status"] == "validating"
    assert real.outside_connections() == []
    assert real.blocked_names() == []
