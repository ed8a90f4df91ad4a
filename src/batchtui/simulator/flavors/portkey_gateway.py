"""What Portkey's gateway itself answers, whatever provider is behind it (providers.md §2.1).

Its own refusals are `{"status": "failure", "message": ...}` (Portkey's requestValidator);
the key goes in `x-portkey-api-key` or, in newer hosted docs, `Authorization: Bearer`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from batchtui.simulator.flavors.auth import KeyCheck, bearer_token, check_key
from batchtui.simulator.http_types import IncomingRequest, JsonAnswer

PROVIDER_REQUIRED = "Either x-portkey-config or x-portkey-provider header is required"


def failure(status: int, message: str) -> JsonAnswer:
    return JsonAnswer(status, {"status": "failure", "message": message})


def portkey_refusal(
    request: IncomingRequest,
    api_key: str | None,
    *,
    routes_to: Callable[[str], bool] | None = None,
    unrouted: str = "Invalid provider passed",
) -> JsonAnswer | None:
    """Portkey's answer to a request it will not forward, or None to forward it.

    `routes_to(provider)` says whether this simulated gateway can forward to the provider
    named by `x-portkey-provider` (or a JSON `x-portkey-config`'s `provider`); None accepts
    any. A config given by id cannot be read here and is accepted.
    """
    presented = request.header("x-portkey-api-key") or bearer_token(request)
    if check_key(presented, api_key) is not KeyCheck.ACCEPTED:
        return failure(401, "Invalid API Key")
    provider = request.header("x-portkey-provider")
    config = request.header("x-portkey-config")
    if not (provider or config):
        return failure(400, PROVIDER_REQUIRED)
    if routes_to is None:
        return None
    named = provider or _config_provider(config or "")
    if named is not None and not routes_to(named):
        return failure(400, unrouted)
    return None


def _config_provider(config: str) -> str | None:
    """The `provider` of a config given inline as JSON; None for a config id."""
    try:
        value = json.loads(config)
    except ValueError:
        return None
    if isinstance(value, dict) and isinstance(value.get("provider"), str):
        return value["provider"]
    return None
