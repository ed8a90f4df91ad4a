"""Run the simulator in a background thread: the in-process engine of `--demo` and of tests."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.server import SimulatorServer


class SimulatorHandle:
    """A running simulator: `.url` (base URL ending in /v1), `.root_url` (the Google APIs'
    base), `.data_dir`, `.google_credentials()`, `.stop()`."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self.options = server.options
        self.url = server.base_url
        self.root_url = server.root_url
        self.data_dir: Path = server.data_dir
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"batchtui-simulator-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        self._stopped = False

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def google_credentials(self) -> Path:
        """A service-account key file the simulator's `/token` accepts (made on first call)."""
        return self.server.google_credentials_file()

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SimulatorHandle(url={self.url!r}, data_dir={str(self.data_dir)!r})"


def start_in_thread(**options: Any) -> SimulatorHandle:
    """Start a simulator on a background thread and return once it accepts connections.

    Options are named like the CLI flags (`port=0`, `phase_seconds=0.1`, `faults="create:500=1"`,
    `api_key="k"`, `models="a,b"`...). Unlike the CLI, `quiet` defaults to True here: an
    in-process simulator must not write to the terminal of the app that hosts it.
    """
    options.setdefault("quiet", True)
    server = SimulatorServer(SimulatorOptions.build(**options))
    return SimulatorHandle(server)
