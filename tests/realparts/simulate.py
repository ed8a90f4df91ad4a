"""`batchtui simulate` as a process of its own: the upstream a real gateway is put in front of.

Module- or session-scoped gateway fixtures cannot use the function-scoped simulator fixtures
of tests/conftest.py, so they start one with `running_simulator(...)`: `--port 0`, the URL
read from the first stdout line, the request log in a file, terminated at the end.
"""

from __future__ import annotations

import selectors
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

BATCHTUI = Path(sys.executable).with_name("batchtui")
START_TIMEOUT = 20.0


@dataclass
class Simulate:
    url: str  # ends in /v1
    data_dir: Path
    log_file: Path
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port

    @property
    def root(self) -> str:
        """The URL without /v1."""
        return self.url.removesuffix("/v1")

    @property
    def google_credentials_file(self) -> Path:
        """The key file of the service account the simulator's /token accepts."""
        return self.data_dir / "google" / "auth" / "service-account.json"

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace")


@contextmanager
def running_simulator(directory: Path, *flags: str) -> Iterator[Simulate]:
    """A `batchtui simulate --port 0 --data-dir <directory>/data *flags` process."""
    directory.mkdir(parents=True, exist_ok=True)
    data_dir, log_file = directory / "data", directory / "simulate.log"
    command: Sequence[str] = (
        str(BATCHTUI),
        "simulate",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        *flags,
    )
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
    try:
        url = _first_line(process, log_file)
        yield Simulate(url, data_dir, log_file, process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _first_line(process: subprocess.Popen[bytes], log_file: Path) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=START_TIMEOUT)
    line = process.stdout.readline().decode().strip() if ready else ""
    if not line:
        process.kill()
        process.wait(timeout=10)
        raise RuntimeError(
            f"batchtui simulate printed no URL within {START_TIMEOUT:.0f}s "
            f"(exit {process.returncode}): {log_file.read_text(errors='replace')[-2000:]}"
        )
    return line
