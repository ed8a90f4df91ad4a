"""The open-source Portkey gateway (npm 1.15.2) in front of an OpenAI-format server.

What a self-hosted gateway with `x-portkey-custom-host` answers, as measured against the real
one (tests/gateways/test_portkey_oss_claims.py) where it differs from hosted Portkey
(`portkey_openai`):

- No Portkey key is checked (`x-portkey-api-key` is ignored). The provider must be `openai`;
  a Model Catalog slug (`@openai`) is hosted-only: 400 "Invalid provider passed".
- The client's `Authorization` header goes upstream as it is; without one the gateway sends
  `Bearer undefined`, so with `--api-key` such a request is the upstream's 401.
- Every pass-through route relays the upstream's answer, errors transformed as hosted
  Portkey does (`openai error: ` prefix, a top-level `"provider": "openai"`).
- `GET /v1/batches/{id}/output` builds its upstream URL from api.openai.com whatever the
  custom host says: behind a custom host it is always the gateway's own 500, a text/plain
  "getaddrinfo ENOTFOUND api.openai.com" (`/files/{output_file_id}/content` works).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors import openai, portkey_openai
from batchtui.simulator.flavors.auth import KeyCheck, bearer_token, check_key
from batchtui.simulator.flavors.portkey_gateway import portkey_refusal
from batchtui.simulator.http_types import Answer, IncomingRequest, JsonAnswer, RawAnswer, Route
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.store import Store
from batchtui.simulator.validation import RequestInvalid

PROVIDER = "openai"
UNROUTED = "Invalid provider passed"
# What the gateway's retry handler makes of fetch's failure to resolve the fixed host.
OUTPUT_ROUTE_FAILURE = (
    b"Message: fetch failed Cause: Error: getaddrinfo ENOTFOUND api.openai.com Name: TypeError"
)


def batch_output(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return RawAnswer(500, portkey_openai.JS_STRING_CONTENT_TYPE, OUTPUT_ROUTE_FAILURE)


def upstream_refusal(request: IncomingRequest, api_key: str | None) -> Answer | None:
    """The upstream's 401 for the key the gateway forwards (`undefined` when none was sent)."""
    forwarded = bearer_token(request) or "undefined"
    if check_key(forwarded, api_key) is KeyCheck.ACCEPTED:
        return None
    error = RequestInvalid("Incorrect API key provided.", status=401, code="invalid_api_key")
    return portkey_openai.openai_error_transform(JsonAnswer(401, error.envelope()))


def _is_output_route(route: Route) -> bool:
    return route.pattern.pattern.endswith("/output")


@dataclass(frozen=True)
class PortkeyOssOpenAIFlavor:
    name: str = "portkey-oss-openai"
    routes: tuple[Route, ...] = (
        *(route for route in portkey_openai.FLAVOR.routes if not _is_output_route(route)),
        Route("GET", re.compile(f"/v1/batches/{openai.ID}/output"), "content", batch_output),
    )

    def make_engine(self, options: SimulatorOptions, store: Store) -> SimulatorEngine:
        return openai.FLAVOR.make_engine(options, store)

    def admit(self, request: IncomingRequest, api_key: str | None) -> Answer | None:
        refusal = portkey_refusal(
            request, None, routes_to=lambda provider: provider == PROVIDER, unrouted=UNROUTED
        )
        return refusal or upstream_refusal(request, api_key)


FLAVOR = PortkeyOssOpenAIFlavor()
