"""Fixtures of the simulator's tests (helpers live in sim_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from batchtui.simulator import SimulatorHandle


@pytest.fixture
def simulator(start_simulator) -> SimulatorHandle:
    """Shorter phases than the shared fixture: these tests only wait for the end."""
    return start_simulator(phase_seconds=0.05, speed=1000)


@pytest.fixture
def client(simulator: SimulatorHandle) -> Iterator[httpx.Client]:
    """An httpx client on the `simulator` fixture's base URL."""
    with httpx.Client(base_url=simulator.url, timeout=10) as http:
        yield http
