"""The preload the real Portkey gateway runs under: loopback only, outside traffic seen."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from realparts.portkey import start_gateway

pytestmark = pytest.mark.xdist_group("portkey")

OUTSIDE = "192.0.2.1"  # TEST-NET-1: never routed


def test_the_gateway_listens_on_127_0_0_1_only_and_outside_traffic_is_recorded(
    tmp_path: Path,
) -> None:
    gateway = start_gateway(tmp_path / "gw", env={"TRUSTED_CUSTOM_HOSTS": f"{OUTSIDE},bad.test"})
    try:
        port = int(gateway.url.rsplit(":", 1)[1].split("/")[0])
        # Another loopback address reaches a server on every interface, not one on 127.0.0.1.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=5).close()
        outside = httpx.get(
            f"{gateway.url}/batches",
            headers={
                "x-portkey-provider": "openai",
                "x-portkey-custom-host": f"http://{OUTSIDE}/v1",
            },
            timeout=60,
        )
        named = httpx.get(
            f"{gateway.url}/batches",
            headers={"x-portkey-provider": "openai", "x-portkey-custom-host": "http://bad.test/v1"},
            timeout=60,
        )
    finally:
        gateway.stop()
    assert outside.status_code >= 400 and named.status_code >= 400
    assert gateway.outside_connections() == [f"{OUTSIDE}:80"]
    # A name is never looked up: it fails at once as unknown, and is noted.
    assert gateway.blocked_names() == ["bad.test"]
    assert "ENOTFOUND bad.test" in named.text
