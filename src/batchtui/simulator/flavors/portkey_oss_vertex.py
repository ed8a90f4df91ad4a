"""The open-source Portkey gateway (npm 1.15.2) in front of Vertex AI.

What a self-hosted gateway answers, as measured against the real one
(tests/gateways/test_portkey_oss_claims.py) where it differs from hosted Portkey
(`portkey_vertex`, whose routes and conversions it otherwise shares):

- No Portkey key is checked. The provider must be `vertex-ai`; a Model Catalog slug
  (`@vertexai`) is hosted-only: 400 "Invalid provider passed".
- Batch objects have no `model` key (GoogleToOpenAIBatch sets none; the hosted gateway adds it).
- `GET /v1/batches/{id}/output` before the job has output (or for an unknown job) is
  `500 {}`: the handler's error is lost on the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors import portkey_vertex
from batchtui.simulator.flavors.portkey_gateway import portkey_refusal
from batchtui.simulator.flavors.vertex_engine import VertexEngine
from batchtui.simulator.http_types import (
    Answer,
    Handler,
    IncomingRequest,
    JsonAnswer,
    RawAnswer,
    Route,
)
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.store import Store

UNROUTED = "Invalid provider passed"


def _without_model(value: Any) -> Any:
    if isinstance(value, dict) and value.get("object") == "batch":
        return {key: item for key, item in value.items() if key != "model"}
    if isinstance(value, dict) and value.get("object") == "list":
        return {**value, "data": [_without_model(item) for item in value.get("data", [])]}
    return value


def _modelless(handle: Handler) -> Handler:
    def answer(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
        found = handle(engine, request, match)
        if isinstance(found, JsonAnswer) and found.status == 200:
            return JsonAnswer(found.status, _without_model(found.body), found.headers)
        return found

    return answer


def batch_output(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    found = portkey_vertex.batch_output(engine, request, match)
    if isinstance(found, RawAnswer) and found.status >= 500:
        return JsonAnswer(500, {})
    return found


def _converted(route: Route) -> Route:
    if route.pattern.pattern.endswith("/output"):
        return Route(route.method, route.pattern, route.fault_route, batch_output)
    return Route(route.method, route.pattern, route.fault_route, _modelless(route.handle))


@dataclass(frozen=True)
class PortkeyOssVertexFlavor:
    name: str = "portkey-oss-vertex"
    routes: tuple[Route, ...] = tuple(_converted(route) for route in portkey_vertex.FLAVOR.routes)

    def make_engine(self, options: SimulatorOptions, store: Store) -> SimulatorEngine:
        return VertexEngine.beside(options, store, self.name)

    def admit(self, request: IncomingRequest, api_key: str | None) -> Answer | None:
        return portkey_refusal(
            request,
            None,
            routes_to=lambda provider: provider == portkey_vertex.PROVIDER,
            unrouted=UNROUTED,
        )


FLAVOR = PortkeyOssVertexFlavor()
