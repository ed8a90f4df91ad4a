"""The small types shared by the HTTP layer and the flavours' route tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from batchtui.simulator.engine import SimulatorEngine


class IncomingRequest(Protocol):
    method: str
    path: str
    query: Mapping[str, str]  # first value of each query parameter

    def header(self, name: str) -> str | None: ...

    def iter_body(self) -> Iterator[bytes]:
        """The request body, streamed (Content-Length or chunked)."""
        ...

    def json_body(self) -> Any:
        """The whole body parsed as JSON; RequestInvalid when it is not JSON."""
        ...


@dataclass
class JsonAnswer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FileAnswer:
    """Raw file bytes; the HTTP layer applies Range and streams from disk."""

    path: Path


Answer = JsonAnswer | FileAnswer
Handler = Callable[["SimulatorEngine", IncomingRequest, "re.Match[str]"], Answer]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]  # matched against the whole URL path
    fault_route: str  # the ROUTE name faults are given for (see faults.ROUTES)
    handle: Handler


class Flavor(Protocol):
    name: str
    routes: tuple[Route, ...]
