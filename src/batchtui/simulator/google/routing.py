"""The Google routes' table entry, and helpers the route modules share."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from batchtui.simulator.google.errors import GoogleError
from batchtui.simulator.http_types import Answer, IncomingRequest

if TYPE_CHECKING:
    from batchtui.simulator.google.apis import GoogleApis

# Which credential a route takes: the Gemini API key, an OAuth2 Bearer token (Vertex AI,
# Cloud Storage), or none (the token endpoint itself).
Api = Literal["gemini", "vertex", "storage", "oauth"]
GoogleHandler = Callable[["GoogleApis", IncomingRequest, "re.Match[str]"], Answer]
MAX_JSON_BODY = 24 * 1024 * 1024  # above Gemini's 20 MB inline-batch limit, so it can refuse


@dataclass(frozen=True)
class GoogleRoute:
    method: str
    pattern: re.Pattern[str]
    fault_route: str  # see faults.ROUTES
    api: Api
    handle: GoogleHandler
    # A resumable upload's later requests carry the session id (`upload_id`) instead of a
    # credential, as Google's do: the id is the capability.
    session_continues: bool = False


def route(
    method: str,
    path: str,
    fault_route: str,
    api: Api,
    handle: GoogleHandler,
    *,
    session_continues: bool = False,
) -> GoogleRoute:
    return GoogleRoute(method, re.compile(path), fault_route, api, handle, session_continues)


def read_json(request: IncomingRequest, *, limit: int = MAX_JSON_BODY) -> object:
    """The JSON body (null when empty); a Google 400 when it is not JSON or is too large."""
    data = bytearray()
    for chunk in request.iter_body():
        data += chunk
        if len(data) > limit:
            raise GoogleError(
                400,
                f"Request payload size exceeds the limit: {limit} bytes.",
                status_name="INVALID_ARGUMENT",
            )
    if not data.strip():
        return None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise GoogleError(400, "Invalid JSON payload received. The body is not JSON.") from None


def root_url(request: IncomingRequest) -> str:
    """This simulator's address as the client reached it (for URLs put in answers)."""
    return f"http://{request.header('Host') or '127.0.0.1'}"


def page_size(raw: str | None, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise GoogleError(400, f"Invalid value for pageSize: {raw!r}.") from None
    if value < 0:
        raise GoogleError(400, f"pageSize must not be negative, got {value}.")
    return min(value or default, maximum)
