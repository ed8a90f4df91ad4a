"""The small types shared by the HTTP layer and the flavours' route tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from batchtui.simulator.engine import SimulatorEngine
    from batchtui.simulator.options import SimulatorOptions
    from batchtui.simulator.store import Store


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
    # False: the whole file with a 200 whatever Range asked (a gateway that does not pass
    # Range upstream), while the upstream's Accept-Ranges still reaches the client.
    honour_range: bool = True
    headers: dict[str, str] = field(default_factory=dict)  # sent besides the server's own


@dataclass
class RawAnswer:
    """A body sent as is (a gateway's plain-text error, for one)."""

    status: int
    content_type: str
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)


Answer = JsonAnswer | FileAnswer | RawAnswer
Handler = Callable[["SimulatorEngine", IncomingRequest, "re.Match[str]"], Answer]


@dataclass(frozen=True)
class Dispatch:
    """A request matched to its API: what the HTTP layer needs to inject faults and serve it."""

    fault_route: str  # see faults.ROUTES
    serve: Callable[[], Answer]  # admission, then the handler, errors already in the API's shape
    fault_answer: Callable[[str], Answer]  # the API's own answer for an injected 429/500/503
    internal_error: Callable[[], Answer]  # the API's own 500 when a handler crashed


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]  # matched against the whole URL path
    fault_route: str  # the ROUTE name faults are given for (see faults.ROUTES)
    handle: Handler


class Flavor(Protocol):
    name: str
    routes: tuple[Route, ...]

    def make_engine(self, options: SimulatorOptions, store: Store) -> SimulatorEngine:
        """The engine behind this flavour's routes (a gateway may extend the OpenAI one)."""
        ...

    def admit(self, request: IncomingRequest, api_key: str | None) -> Answer | None:
        """None to serve the request, or the refusal (bad key, missing gateway header...).

        `api_key` is the simulator's `--api-key` (None: any key is accepted)."""
        ...
