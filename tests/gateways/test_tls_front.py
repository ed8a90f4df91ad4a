"""The redirect the gateway tests rely on: Google's names reach the simulator, and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from realparts.simulate import Simulate, running_simulator
from realparts.tls_front import (
    TestCA,
    TlsFront,
    google_front,
    outside_connections,
    python_preload_env,
)

PROBE = r"""
import json, socket, urllib.error, urllib.request
seen = {}
for url in (
    "https://storage.googleapis.com/storage/v1/b/batchtui-sim-bucket",
    "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/batchPredictionJobs",
):
    try:
        urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as error:
        seen[url] = [error.code, json.loads(error.read())["error"]["status"]]
try:
    socket.create_connection(("192.0.2.1", 443), timeout=2)
    seen["outside"] = "connected"
except OSError as error:
    seen["outside"] = type(error).__name__
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulate]:
    with running_simulator(tmp_path_factory.mktemp("tls-front"), "--quiet") as simulate:
        yield simulate


@pytest.fixture
def front(tmp_path: Path, upstream: Simulate) -> Iterator[tuple[TestCA, TlsFront]]:
    with google_front(tmp_path / "ca", upstream.port) as pair:
        yield pair


def run_probe(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_google_names_reach_the_simulator_over_tls_and_outside_addresses_are_recorded(
    tmp_path: Path, front: tuple[TestCA, TlsFront]
) -> None:
    ca, tls = front
    log = tmp_path / "connections.log"
    seen = run_probe(python_preload_env(ca, tls, log))
    # The simulator's Google envelope, over TLS verified against the test CA: a 401 without
    # a token is the simulator speaking, not a certificate or DNS failure.
    assert [code for code, _ in [v for k, v in seen.items() if k != "outside"]] == [401, 401]
    assert tls.connections >= 2
    assert seen["outside"] == "OSError"
    recorded = outside_connections(log)
    assert len(recorded) == 1 and "192.0.2.1" in recorded[0]


def test_without_the_test_ca_the_front_is_not_trusted(
    tmp_path: Path, front: tuple[TestCA, TlsFront]
) -> None:
    ca, tls = front
    env = python_preload_env(ca, tls, tmp_path / "connections.log")
    other = TestCA.create(tmp_path / "other-ca")
    env.update(SSL_CERT_FILE=str(other.ca_file), REQUESTS_CA_BUNDLE=str(other.ca_file))
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in done.stderr
