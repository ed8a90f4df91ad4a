"""A request line's `url` resolved against a profile's base URL, as a batch API does; and
the input limits of a direct job, which only its endpoints make."""

from __future__ import annotations

from urllib.parse import urlsplit

from batchtui.core.errors import InputFileError
from batchtui.core.formats.limits import OPENAI_LIMITS, Limits

# The endpoints a client-side run sends lines to (what OpenAI-compatible servers serve).
DIRECT_ENDPOINTS = (
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/responses",
)
# No batch API, so no file or request cap: only one request's payload size, and its url.
DIRECT_LIMITS = Limits(
    name="direct (client-side runner)",
    max_line_bytes=OPENAI_LIMITS.max_line_bytes,
    endpoints=DIRECT_ENDPOINTS,
)


def resolve_url(base_url: str, line_url: str) -> str:
    """`base_url` joined with a line's `url`, the segments they share said once.

    `http://h:8000/v1` + `/v1/chat/completions` is `http://h:8000/v1/chat/completions`,
    and so is `http://h:8000` + the same; `http://h/openai/v1` keeps its prefix. A line
    naming another host, or an endpoint no OpenAI-compatible server serves, is refused:
    the key must never travel anywhere but the profile's server.
    """
    path = line_url.strip()
    if urlsplit(path).scheme or path.startswith("//"):
        raise InputFileError(f"url {line_url!r}: give a path such as /v1/chat/completions")
    path = "/" + path.lstrip("/")
    if "/v1" + path in DIRECT_ENDPOINTS:  # `/chat/completions`: the version is implied
        path = "/v1" + path
    if path.split("?")[0] not in DIRECT_ENDPOINTS:
        known = ", ".join(DIRECT_ENDPOINTS)
        raise InputFileError(f"url {line_url!r}: not an endpoint the direct kind sends ({known})")
    base = base_url.rstrip("/")
    base_segments = [part for part in urlsplit(base).path.split("/") if part]
    line_segments = [part for part in path.split("/") if part]
    overlap = _longest_overlap(base_segments, line_segments)
    return base + "/" + "/".join(line_segments[overlap:])


def _longest_overlap(base: list[str], line: list[str]) -> int:
    """The most segments that end `base` and start `line`."""
    for size in range(min(len(base), len(line)), 0, -1):
        if base[-size:] == line[:size]:
            return size
    return 0
