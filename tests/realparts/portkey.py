"""The real open-source Portkey gateway (npm `@portkey-ai/gateway`), started for a test.

Installed once from the committed lock file in `tests/realparts/portkey/` (`ensure_npm`), run
with Node and `preload.cjs`, which keeps it on 127.0.0.1, records any connection it makes to
an address outside loopback, fails every other host name at once as unknown (a machine
without internet), and can send fixed host names (Google's) to a local TLS front.

Tests using it carry `@pytest.mark.xdist_group("portkey")`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from realparts.provision import ProvisionError, ensure_npm

PACKAGE_DIR = Path(__file__).parent / "portkey"
PRELOAD = PACKAGE_DIR / "preload.cjs"
GATEWAY_SCRIPT = Path("node_modules/@portkey-ai/gateway/build/start-server.js")
START_TIMEOUT = 30.0


@dataclass
class PortkeyGateway:
    """A running gateway: `url` ends in /v1, as a profile's base URL does."""

    url: str
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def outside_log(self) -> Path:
        return self.workdir / "outside.log"

    @property
    def blocked_log(self) -> Path:
        return self.workdir / "blocked.log"

    def outside_connections(self) -> list[str]:
        """Connections to addresses outside 127.0.0.0/8 (and ::1): must stay empty."""
        return _lines(self.outside_log)

    def blocked_names(self) -> list[str]:
        """Host names the gateway tried to reach and was told do not exist."""
        return _lines(self.blocked_log)

    def output_text(self) -> str:
        return (self.workdir / "gateway.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def install_gateway() -> Path:
    """The gateway's npm tree (installed on first use); fails loudly without node."""
    if shutil.which("node") is None:
        raise ProvisionError("node is not on PATH: the Portkey gateway needs Node.js 20")
    return ensure_npm("portkey", PACKAGE_DIR)


def start_gateway(
    workdir: Path,
    *,
    host_map: Mapping[str, str] | None = None,
    extra_ca: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> PortkeyGateway:
    """Start the gateway on a free port of 127.0.0.1; returns once it answers HTTP.

    `host_map`: host name -> "127.0.0.1:port" to connect to instead (kept as the TLS name).
    `extra_ca`: a PEM file the gateway trusts besides the system's (NODE_EXTRA_CA_CERTS).
    """
    tree = install_gateway()
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "port"
    port_file.unlink(missing_ok=True)
    child_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "PORTKEY_TEST_PORT": "0",
        "PORTKEY_TEST_PORT_FILE": str(port_file),
        "PORTKEY_TEST_OUTSIDE_LOG": str(workdir / "outside.log"),
        "PORTKEY_TEST_BLOCKED_LOG": str(workdir / "blocked.log"),
        "PORTKEY_TEST_HOST_MAP": json.dumps({k.lower(): v for k, v in (host_map or {}).items()}),
        **({"NODE_EXTRA_CA_CERTS": str(extra_ca)} if extra_ca else {}),
        **(env or {}),
    }
    with (workdir / "gateway.log").open("wb") as log:
        process = subprocess.Popen(
            ["node", "--require", str(PRELOAD), str(tree / GATEWAY_SCRIPT), "--headless"],
            cwd=tree,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    gateway = PortkeyGateway("", process, workdir)
    try:
        gateway.url = f"http://127.0.0.1:{_wait_for_port(gateway, port_file)}/v1"
        _wait_until_answering(gateway)
    except BaseException:
        gateway.stop()
        raise
    return gateway


def _wait_for_port(gateway: PortkeyGateway, port_file: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            raise ProvisionError(
                f"the Portkey gateway exited ({gateway.process.returncode}) at start:\n"
                + gateway.output_text()[-2000:]
            )
        if port_file.exists():
            return int(port_file.read_text())
        time.sleep(0.05)
    raise ProvisionError(f"the Portkey gateway did not listen within {START_TIMEOUT}s")


def _wait_until_answering(gateway: PortkeyGateway) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            # Without a provider header the gateway answers 400 itself: it is up.
            httpx.get(f"{gateway.url}/batches", timeout=2.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise ProvisionError("the Portkey gateway listens but does not answer") from None
            time.sleep(0.05)


@pytest.fixture
def start_portkey(tmp_path: Path) -> Iterator[Callable[..., PortkeyGateway]]:
    """Factory: `start_portkey(host_map=..., extra_ca=...)` -> a running `PortkeyGateway`.

    Every gateway is stopped at teardown, after checking it connected to nothing outside
    loopback.
    """
    gateways: list[PortkeyGateway] = []

    def start(**options: object) -> PortkeyGateway:
        gateway = start_gateway(tmp_path / f"portkey-{len(gateways)}", **options)  # type: ignore[arg-type]
        gateways.append(gateway)
        return gateway

    yield start
    for gateway in gateways:
        gateway.stop()
    for gateway in gateways:
        assert gateway.outside_connections() == [], gateway.outside_connections()


@pytest.fixture
def portkey(start_portkey: Callable[..., PortkeyGateway]) -> PortkeyGateway:
    """One gateway with no host mapping: for custom hosts (`x-portkey-custom-host`)."""
    return start_portkey()
