"""OpenAI-shaped wire objects (Batch, File, list pages) turned into batchtui models.

Written for OpenAI itself and for the gateways that imitate it (Portkey, LiteLLM), so it
is lenient where they differ (reference §1.5, §6): millisecond or RFC3339 timestamps,
request counts as strings, `""` for a missing file id, a misspelled `create_at`.
Anything that makes an object unusable raises `WireFormatError`, which the provider
turns into a one-line `ProviderError` naming the call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from batchtui.core.models import (
    TIMESTAMP_FIELDS,
    BatchError,
    RemoteBatch,
    RemoteFile,
    RequestCounts,
)
from batchtui.core.status import JobStatus, normalize_openai_status
from batchtui.core.terminal_text import inert
from batchtui.core.wire_numbers import wire_count

# Required by the spec's Batch schema; everything else may be missing or null.
BATCH_REQUIRED_FIELDS = (
    "id",
    "object",
    "endpoint",
    "input_file_id",
    "completion_window",
    "status",
    "created_at",
)

# An epoch number above this is in milliseconds (JavaScript gateways), not seconds.
_MILLISECONDS_THRESHOLD = 1e12

_FRACTION = re.compile(r"\.(\d+)")


class WireFormatError(ValueError):
    """An answer that does not have the shape the API promises (the message says what)."""


def parse_timestamp(value: Any) -> datetime | None:
    """A UTC datetime from epoch seconds or milliseconds (numbers or digit strings) or RFC3339.

    `None`, `""`, `0`, NaN and anything unreadable mean "not set".
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return _parse_rfc3339(text)
    if not isinstance(value, int | float) or math.isnan(value) or math.isinf(value):
        return None
    seconds = float(value)
    if seconds > _MILLISECONDS_THRESHOLD:
        seconds /= 1000.0
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _parse_rfc3339(text: str) -> datetime | None:
    # Google sends up to nine fractional digits; datetime takes at most six.
    text = _FRACTION.sub(lambda match: "." + match.group(1)[:6], text, count=1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def file_id_or_none(value: Any) -> str | None:
    """A file id, with `None`, `""` and non-strings meaning absent (sharp edge §6.4)."""
    if isinstance(value, str) and value.strip():
        return value
    return None


def parse_request_counts(value: Any, notes: list[str] | None = None) -> RequestCounts:
    """The counts; one that is not a usable number is 0 (unknown: shown as `-`), noted."""
    if not isinstance(value, Mapping):
        return RequestCounts()
    counts = {
        name: wire_count(value.get(name), f"request_counts.{name}", notes) or 0
        for name in ("total", "completed", "failed")
    }
    return RequestCounts(**counts)


def number_notes_as_errors(notes: list[str]) -> list[BatchError]:
    """What `wire_count` noted, as job errors the user sees beside the provider's own."""
    return [BatchError(code="unusable_number", message=note) for note in notes]


def parse_batch_errors(value: Any, notes: list[str] | None = None) -> list[BatchError]:
    """`errors` is `{"object": "list", "data": [...]}`, sometimes a bare list, usually null."""
    items = value.get("data") if isinstance(value, Mapping) else value
    if not isinstance(items, list):
        return []
    errors = []
    for item in items:
        if isinstance(item, Mapping):
            errors.append(
                BatchError(
                    code=_optional_str(item.get("code")),
                    message=str(item.get("message") or ""),
                    param=_optional_str(item.get("param")),
                    line=_optional_line(item.get("line"), notes),
                )
            )
        elif isinstance(item, str):
            errors.append(BatchError(message=item))
    return errors


def _optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _optional_line(value: Any, notes: list[str] | None = None) -> int | None:
    line = wire_count(value, "errors[].line", notes)
    return line if line else None


def parse_metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(key): str(item) for key, item in value.items() if item is not None}


def _require_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WireFormatError(f"expected a {what} object, got {_describe_type(value)}")
    return value


def _describe_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def parse_batch(
    value: Any,
    *,
    normalize_status: Callable[[str | None], JobStatus] = normalize_openai_status,
    required: Iterable[str] = BATCH_REQUIRED_FIELDS,
) -> RemoteBatch:
    """A `RemoteBatch` from an OpenAI-shaped Batch object; gateways pass their own status map."""
    obj = _require_object(value, "batch")
    missing = [field for field in required if field not in obj]
    if missing:
        raise WireFormatError(f"batch object lacks required field {missing[0]!r}")
    batch_id = obj.get("id")
    if not isinstance(batch_id, str | int) or isinstance(batch_id, bool) or batch_id == "":
        raise WireFormatError("batch object has no usable 'id'")
    raw_status = obj.get("status")
    if raw_status is not None and not isinstance(raw_status, str):
        shown_id = inert(str(batch_id)[:80], single_line=True)  # the id is foreign text too
        raise WireFormatError(f"batch {shown_id}: 'status' is {_describe_type(raw_status)}")
    usage = obj.get("usage")
    notes: list[str] = []
    counts = parse_request_counts(obj.get("request_counts"), notes)
    errors = parse_batch_errors(obj.get("errors"), notes)
    return RemoteBatch(
        id=str(batch_id),
        status=normalize_status(raw_status),
        raw_status=raw_status or "",
        endpoint=_optional_str(obj.get("endpoint")),
        model=_optional_str(obj.get("model")),
        input_file_id=file_id_or_none(obj.get("input_file_id")),
        output_file_id=file_id_or_none(obj.get("output_file_id")),
        error_file_id=file_id_or_none(obj.get("error_file_id")),
        completion_window=_optional_str(obj.get("completion_window")),
        request_counts=counts,
        timestamps={field: parse_timestamp(obj.get(field)) for field in TIMESTAMP_FIELDS},
        errors=errors + number_notes_as_errors(notes),
        metadata=parse_metadata(obj.get("metadata")),
        usage=dict(usage) if isinstance(usage, Mapping) else None,
        raw=dict(obj),
    )


def parse_file(value: Any) -> RemoteFile:
    """A `RemoteFile` from an OpenAI File object (only `id` is needed to go on)."""
    obj = _require_object(value, "file")
    file_id = file_id_or_none(obj.get("id"))
    if file_id is None:
        raise WireFormatError("file object has no usable 'id'")
    size = obj.get("bytes")
    # Portkey's Vertex upload answers with a misspelled `create_at`, in milliseconds.
    created = obj.get("created_at", obj.get("create_at"))
    return RemoteFile(
        id=file_id,
        bytes=wire_count(size, "bytes"),
        filename=_optional_str(obj.get("filename")),
        purpose=_optional_str(obj.get("purpose")),
        created_at=parse_timestamp(created),
        raw=dict(obj),
    )


@dataclass(frozen=True)
class ListPage:
    items: list[Any]
    has_more: bool
    # Cursor for the next page (`after=`): `last_id`, else the last item's id.
    next_after: str | None


def parse_list_page(value: Any) -> ListPage:
    obj = _require_object(value, "list")
    items = obj.get("data")
    if not isinstance(items, list):
        raise WireFormatError(f"list object's 'data' is {_describe_type(items)}, not an array")
    next_after = file_id_or_none(obj.get("last_id"))
    if next_after is None and items and isinstance(items[-1], Mapping):
        next_after = file_id_or_none(items[-1].get("id"))
    return ListPage(items=items, has_more=obj.get("has_more") is True, next_after=next_after)
