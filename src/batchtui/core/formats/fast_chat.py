"""The validator's fast path for the commonest line: a plain chat completions request.

msgspec decodes such a line straight from its bytes into typed structs, checking JSON
syntax, every type and every rule (custom_id and roles not empty, method POST, the chat
url and the file's model, no `stream: true`, counts that fit 32 bits, no tools or schema)
in C, in about a third of the time `json.loads` takes to build dicts. Only lines it fully
recognises are decided here: anything else (a parse error, an unexpected type, tools,
multimodal content, a named message, a new url or model, bytes that are not UTF-8) returns
None and goes through the general path, which words every problem exactly as before. So
the fast path changes how long validation takes, never what it reports.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Literal, Protocol

import msgspec
from msgspec import UNSET, Meta, UnsetType

CHAT_URL = "/v1/chat/completions"
# The most a token or choice count may be (a signed 32-bit integer): larger numbers are
# reported by the general path.
MAX_COUNT = 2**31 - 1

NonEmpty = Annotated[str, Meta(min_length=1)]
Count = Annotated[int, Meta(le=MAX_COUNT)] | UnsetType | None
# No value satisfies both bounds: a body that has the field at all (even null) fails the
# decode and goes to the general path, which counts tools and schemas in the estimate.
Refused = Annotated[int, Meta(gt=0, lt=0)] | UnsetType


class ChatMessage(msgspec.Struct, forbid_unknown_fields=True):
    """`{role, content}` and nothing else: a `name` or `tool_calls` takes the general path."""

    role: NonEmpty
    content: str


Messages = Annotated[list[ChatMessage], Meta(min_length=1)]
# `stream: true` is an error the general path words.
Stream = Literal[False] | UnsetType | None
# The body's fields after `model`, which each file fixes (`chat_line_decoder`).
_BODY_FIELDS = [
    ("messages", Messages),
    ("stream", Stream, UNSET),
    ("max_tokens", Count, UNSET),
    ("max_completion_tokens", Count, UNSET),
    ("max_output_tokens", Count, UNSET),
    ("n", Count, UNSET),
    ("tools", Refused, UNSET),
    ("functions", Refused, UNSET),
    ("response_format", Refused, UNSET),
]


class ChatBody(Protocol):
    model: str
    messages: list[ChatMessage]
    max_tokens: int | UnsetType | None
    max_completion_tokens: int | UnsetType | None
    max_output_tokens: int | UnsetType | None
    n: int | UnsetType | None


class ChatLine(Protocol):
    custom_id: str
    body: ChatBody


# What makes a line leave the fast path: msgspec skips the values of fields it does not
# know without building them, and without its own nesting limit being Python's.
NOT_DECODED = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


@functools.lru_cache(maxsize=8)
def chat_line_decoder(model: str) -> Callable[[bytes | memoryview], ChatLine]:
    """Decodes a plain chat line to `model`: every rule, the model included, checked in C."""
    body = msgspec.defstruct("ChatBody", [("model", Literal[model]), *_BODY_FIELDS])
    line = msgspec.defstruct(
        "ChatLine",
        [
            ("custom_id", NonEmpty),
            ("method", Literal["POST"]),
            ("url", Literal["/v1/chat/completions"]),
            ("body", body),
        ],
    )
    return msgspec.json.Decoder(line).decode


def plain_chat_line(raw: bytes, *, endpoint: str | None, model: str | None) -> ChatLine | None:
    """The decoded line when it is a complete, valid plain chat request to `endpoint` and
    `model` (the file's, already established); None sends it to the general path."""
    if endpoint != CHAT_URL or model is None:
        return None
    try:
        line = chat_line_decoder(model)(raw)
    except NOT_DECODED:
        return None
    if not raw.isascii() and not is_utf8(raw):
        # msgspec checks the text of the fields it reads, not of those it skips.
        return None
    return line


def is_utf8(raw: bytes | memoryview) -> bool:
    try:
        str(raw, "utf-8")
    except UnicodeDecodeError:
        return False
    return True
