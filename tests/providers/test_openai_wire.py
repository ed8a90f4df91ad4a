"""Parsing OpenAI-shaped wire objects, from the reference's examples and sharp edges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batchtui.core.models import TIMESTAMP_FIELDS
from batchtui.core.providers.openai_wire import (
    WireFormatError,
    file_id_or_none,
    parse_batch,
    parse_file,
    parse_list_page,
    parse_timestamp,
)
from batchtui.core.status import JobStatus

# Reference §1.5, verbatim.
SPEC_BATCH = {
    "id": "batch_abc123",
    "object": "batch",
    "endpoint": "/v1/chat/completions",
    "model": "gpt-5-2025-08-07",
    "errors": None,
    "input_file_id": "file-abc123",
    "completion_window": "24h",
    "status": "completed",
    "output_file_id": "file-cvaTdG",
    "error_file_id": "file-HOWS94",
    "created_at": 1711471533,
    "in_progress_at": 1711471538,
    "expires_at": 1711557933,
    "finalizing_at": 1711493133,
    "completed_at": 1711493163,
    "failed_at": None,
    "expired_at": None,
    "cancelling_at": None,
    "cancelled_at": None,
    "request_counts": {"total": 100, "completed": 95, "failed": 5},
    "usage": {
        "input_tokens": 1500,
        "input_tokens_details": {"cached_tokens": 1024},
        "output_tokens": 500,
        "output_tokens_details": {"reasoning_tokens": 300},
        "total_tokens": 2000,
    },
    "metadata": {"customer_id": "user_123456789"},
}

MINIMAL_BATCH = {
    "id": "batch_min",
    "object": "batch",
    "endpoint": "/v1/embeddings",
    "input_file_id": "file-in",
    "completion_window": "24h",
    "status": "validating",
    "created_at": 1711471533,
}


def test_spec_example_batch_is_parsed_whole() -> None:
    batch = parse_batch(SPEC_BATCH)
    assert batch.id == "batch_abc123"
    assert batch.status is JobStatus.COMPLETED
    assert batch.raw_status == "completed"
    assert batch.model == "gpt-5-2025-08-07"
    assert (batch.output_file_id, batch.error_file_id) == ("file-cvaTdG", "file-HOWS94")
    assert batch.request_counts.total == 100
    assert batch.request_counts.done == 100
    assert batch.timestamps["created_at"] == datetime(2024, 3, 26, 16, 45, 33, tzinfo=UTC)
    assert batch.timestamps["failed_at"] is None
    assert set(batch.timestamps) == set(TIMESTAMP_FIELDS)
    assert batch.usage is not None and batch.usage["total_tokens"] == 2000
    assert batch.metadata == {"customer_id": "user_123456789"}
    assert batch.raw == SPEC_BATCH


def test_only_the_required_fields_are_needed() -> None:
    batch = parse_batch(MINIMAL_BATCH)
    assert batch.status is JobStatus.VALIDATING
    assert batch.output_file_id is None and batch.error_file_id is None
    assert batch.request_counts.total == 0
    assert (
        batch.errors == [] and batch.metadata == {} and batch.usage is None and batch.model is None
    )


@pytest.mark.parametrize("field", ["id", "status", "created_at", "input_file_id"])
def test_a_missing_required_field_is_named(field: str) -> None:
    broken = {key: value for key, value in MINIMAL_BATCH.items() if key != field}
    with pytest.raises(WireFormatError, match=f"lacks required field '{field}'"):
        parse_batch(broken)


@pytest.mark.parametrize(
    "value", [None, [], "batch_abc", 3], ids=["null", "array", "string", "number"]
)
def test_a_non_object_batch_is_refused(value: object) -> None:
    with pytest.raises(WireFormatError, match="expected a batch object"):
        parse_batch(value)


def test_completed_with_only_an_error_file() -> None:
    """Sharp edge §6.2: every request failed; output_file_id is null."""
    batch = parse_batch(
        {
            **MINIMAL_BATCH,
            "status": "completed",
            "output_file_id": None,
            "error_file_id": "file-err",
            "request_counts": {"total": 3, "completed": 0, "failed": 3},
        }
    )
    assert batch.status is JobStatus.COMPLETED
    assert batch.output_file_id is None
    assert batch.error_file_id == "file-err"
    assert batch.request_counts.failed == 3


@pytest.mark.parametrize("status", ["expired", "cancelled"])
def test_expired_and_cancelled_keep_partial_results(status: str) -> None:
    batch = parse_batch({**MINIMAL_BATCH, "status": status, "output_file_id": "file-partial"})
    assert batch.status.may_have_results
    assert batch.output_file_id == "file-partial"


def test_empty_string_file_ids_mean_absent() -> None:
    """Sharp edge §6.4."""
    batch = parse_batch({**MINIMAL_BATCH, "output_file_id": "", "error_file_id": ""})
    assert batch.output_file_id is None and batch.error_file_id is None
    assert file_id_or_none("  ") is None
    assert file_id_or_none(17) is None


def test_validation_errors_carry_their_line() -> None:
    batch = parse_batch(
        {
            **MINIMAL_BATCH,
            "status": "failed",
            "errors": {
                "object": "list",
                "data": [
                    {
                        "code": "invalid_json_line",
                        "message": "This line is not parseable as valid JSON.",
                        "param": None,
                        "line": 1,
                    },
                    {
                        "code": "token_limit_exceeded",
                        "message": "Enqueued token limit",
                        "line": None,
                    },
                ],
            },
        }
    )
    assert batch.status is JobStatus.FAILED
    assert [(e.code, e.line) for e in batch.errors] == [
        ("invalid_json_line", 1),
        ("token_limit_exceeded", None),
    ]
    assert batch.errors[0].message == "This line is not parseable as valid JSON."


def test_gateway_quirks_string_counts_and_millisecond_timestamps() -> None:
    """Sharp edge §6.21: Portkey in front of Vertex."""
    batch = parse_batch(
        {
            **MINIMAL_BATCH,
            "id": "3814889423749775360",
            "status": "in_progress",
            "created_at": 1711471533123,
            "request_counts": {"total": "10", "completed": "4", "failed": None},
            "metadata": {"batchtui_tag": "t-1", "n": 3, "gone": None},
        }
    )
    assert batch.timestamps["created_at"] == datetime(2024, 3, 26, 16, 45, 33, 123000, tzinfo=UTC)
    assert (batch.request_counts.total, batch.request_counts.completed) == (10, 4)
    assert batch.request_counts.failed == 0
    assert batch.metadata == {"batchtui_tag": "t-1", "n": "3"}


def test_unknown_status_is_pending_and_kept_raw() -> None:
    batch = parse_batch({**MINIMAL_BATCH, "status": "JOB_STATE_QUEUED"})
    assert batch.status is JobStatus.PENDING
    assert batch.raw_status == "JOB_STATE_QUEUED"


def test_a_gateway_can_bring_its_own_status_map() -> None:
    batch = parse_batch(
        {**MINIMAL_BATCH, "status": "JOB_STATE_PAUSED"},
        normalize_status=lambda raw: JobStatus.PAUSED,
    )
    assert batch.status is JobStatus.PAUSED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1711471533, datetime(2024, 3, 26, 16, 45, 33, tzinfo=UTC)),
        (1711471533.5, datetime(2024, 3, 26, 16, 45, 33, 500000, tzinfo=UTC)),
        (1711471533000, datetime(2024, 3, 26, 16, 45, 33, tzinfo=UTC)),
        ("1711471533", datetime(2024, 3, 26, 16, 45, 33, tzinfo=UTC)),
        ("2014-10-02T15:01:23.045123456Z", datetime(2014, 10, 2, 15, 1, 23, 45123, tzinfo=UTC)),
        ("2014-10-02T15:01:23Z", datetime(2014, 10, 2, 15, 1, 23, tzinfo=UTC)),
        ("2014-10-02T17:01:23+02:00", datetime(2014, 10, 2, 15, 1, 23, tzinfo=UTC)),
        (None, None),
        ("", None),
        (0, None),
        (float("nan"), None),
        (True, None),
        ("yesterday", None),
        ({"seconds": 1}, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


def test_file_object_from_the_spec() -> None:
    remote = parse_file(
        {
            "id": "file-abc123",
            "object": "file",
            "bytes": 120000,
            "created_at": 1677610602,
            "expires_at": 1677614202,
            "filename": "mydata.jsonl",
            "purpose": "batch",
            "status": "processed",
            "status_details": None,
        }
    )
    assert (remote.id, remote.bytes, remote.filename, remote.purpose) == (
        "file-abc123",
        120000,
        "mydata.jsonl",
        "batch",
    )
    assert remote.created_at == datetime(2023, 2, 28, 18, 56, 42, tzinfo=UTC)


def test_file_object_with_portkey_misspelled_create_at_in_milliseconds() -> None:
    remote = parse_file({"id": "gs%3A%2F%2Fb%2Fx.jsonl", "create_at": 1677610602000})
    assert remote.created_at == datetime(2023, 2, 28, 18, 56, 42, tzinfo=UTC)
    assert remote.bytes is None


def test_file_object_without_id_is_refused() -> None:
    with pytest.raises(WireFormatError, match="no usable 'id'"):
        parse_file({"object": "file", "id": ""})


def test_list_page_cursor_prefers_last_id_then_falls_back_to_the_last_item() -> None:
    page = parse_list_page(
        {"object": "list", "data": [{"id": "a"}, {"id": "b"}], "last_id": "b", "has_more": True}
    )
    assert (page.has_more, page.next_after, len(page.items)) == (True, "b", 2)
    page = parse_list_page({"object": "list", "data": [{"id": "a"}, {"id": "c"}], "has_more": True})
    assert page.next_after == "c"
    page = parse_list_page({"object": "list", "data": [], "has_more": False})
    assert (page.has_more, page.next_after) == (False, None)


def test_list_page_without_data_array_is_refused() -> None:
    with pytest.raises(WireFormatError, match="'data' is null"):
        parse_list_page({"object": "list", "has_more": False})
