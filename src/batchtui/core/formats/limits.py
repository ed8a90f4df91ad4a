"""What a provider accepts in one batch input file, as data.

Each provider (or gateway in front of one) gets its own `Limits`; a kind names the one
its files obey in its `providers.kinds` row (`limits_for_kind` looks it up).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# Every `url` OpenAI's current spec accepts for a batch (CreateBatchRequest.endpoint).
OPENAI_ENDPOINTS: tuple[str, ...] = (
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps for one batch input file; `None` means no cap."""

    name: str
    max_file_bytes: int | None = None
    max_requests: int | None = None
    # A longer line is reported, never held in memory, and not parsed.
    max_line_bytes: int | None = None
    # `/v1/embeddings` batches count inputs across all lines (a list input counts each item).
    max_embedding_inputs: int | None = None
    endpoints: tuple[str, ...] = OPENAI_ENDPOINTS


OPENAI_LIMITS = Limits(
    name="OpenAI",
    # "200 MB" in OpenAI's docs; read as decimal megabytes, the stricter of the two readings.
    max_file_bytes=200_000_000,
    max_requests=50_000,
    # No documented per-line cap; OpenAI caps one request's payload at 50 MB (image inputs).
    max_line_bytes=50_000_000,
    max_embedding_inputs=50_000,
)

# A gateway kind may front OpenAI or Vertex AI (set by the profile's headers or body), so
# only what both refuse is refused: Vertex's looser caps ("about 1 GB of JSONL", reference
# §5.6, unverified; its request cap is too vague to refuse a file on) and OpenAI's endpoints
# (behind the gateways Vertex takes chat completions and embeddings).
PORTKEY_LIMITS = Limits(
    name="Portkey (OpenAI or Vertex AI)",
    max_file_bytes=1_000_000_000,
    max_line_bytes=OPENAI_LIMITS.max_line_bytes,
)
LITELLM_LIMITS = replace(PORTKEY_LIMITS, name="LiteLLM (OpenAI or Vertex AI)")

# The native Google kinds convert OpenAI chat lines on upload (`formats.convert`); their
# create calls take generate-content requests only, so embeddings are refused here.
GOOGLE_ENDPOINTS: tuple[str, ...] = ("/v1/chat/completions",)
# Gemini Developer API (§4.7): a batch file goes through the Files API, about 2 GB a file
# [unverified]; no request cap is documented. Small jobs are sent inline (≤ 20 MB) instead,
# which the provider decides on its own.
GEMINI_LIMITS = Limits(
    name="Gemini API",
    max_file_bytes=2_000_000_000,
    max_line_bytes=OPENAI_LIMITS.max_line_bytes,
    endpoints=GOOGLE_ENDPOINTS,
)
# Vertex AI batch prediction (§5.6, unverified): "about 1 GB of JSONL"; its request cap,
# "on the order of 10^5", is too vague to refuse a file on.
VERTEX_LIMITS = Limits(
    name="Vertex AI",
    max_file_bytes=1_000_000_000,
    max_line_bytes=OPENAI_LIMITS.max_line_bytes,
    endpoints=GOOGLE_ENDPOINTS,
)
