"""Gemini batch Operations (reference §4.3, §4.6) as RemoteBatch, from the reference's examples."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from batchtui.core.formats.results import parse_result_line
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.google_wire import (
    GEMINI_STATE_MAP,
    batch_of_inline_results,
    display_name,
    gemini_inline_responses,
    parse_gemini_operation,
    tag_in,
)
from batchtui.core.providers.openai_wire import WireFormatError
from batchtui.core.status import JobStatus

TAG = "0f8fad5b-d9cb-469f-a165-70867728950e"

# §4.3, with a file output (§4.5).
OPERATION: dict[str, Any] = {
    "name": "batches/abc123",
    "metadata": {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
        "name": "batches/abc123",
        "model": "models/gemini-2.5-flash",
        "displayName": f"batchtui-{TAG} my-batch-1",
        "inputConfig": {"fileName": "files/in42"},
        "state": "BATCH_STATE_RUNNING",
        "createTime": "2025-07-01T10:00:00.123456789Z",
        "updateTime": "2025-07-01T10:05:00Z",
        "batchStats": {"requestCount": "2", "pendingRequestCount": "1", "failedRequestCount": "1"},
    },
}


def test_running_operation_maps_counts_model_input_and_tag() -> None:
    batch = parse_gemini_operation(OPERATION)
    assert batch.id == "batches/abc123"
    assert batch.status is JobStatus.IN_PROGRESS
    assert batch.raw_status == "BATCH_STATE_RUNNING"
    assert batch.model == "gemini-2.5-flash"
    assert batch.input_file_id == "files/in42"
    assert batch.output_file_id is None
    # int64 strings; a missing successfulRequestCount means 0 (§4.3).
    assert (batch.request_counts.total, batch.request_counts.completed) == (2, 0)
    assert batch.request_counts.failed == 1
    assert batch.metadata == {TAG_METADATA_KEY: TAG}
    # Nine fractional digits are cut to six.
    assert batch.timestamps["created_at"] == datetime(2025, 7, 1, 10, 0, 0, 123456, tzinfo=UTC)


def test_succeeded_file_batch_points_at_the_responses_file() -> None:
    operation = copy.deepcopy(OPERATION)
    operation["metadata"].update(
        state="BATCH_STATE_SUCCEEDED",
        endTime="2025-07-01T11:00:00Z",
        output={"responsesFile": "files/batch-abc123"},
    )
    operation["done"] = True
    batch = parse_gemini_operation(operation)
    assert batch.status is JobStatus.COMPLETED
    assert batch.output_file_id == "files/batch-abc123"
    assert batch.timestamps["completed_at"] == datetime(2025, 7, 1, 11, tzinfo=UTC)


def test_inline_answers_are_read_from_the_response_when_metadata_lacks_them() -> None:
    answers = [
        {"response": {"candidates": []}, "metadata": {"key": "request-1"}},
        {"error": {"code": 3, "message": "bad", "details": []}, "metadata": {"key": "request-2"}},
    ]
    operation = copy.deepcopy(OPERATION)
    operation["metadata"]["state"] = "BATCH_STATE_SUCCEEDED"
    operation["done"] = True
    operation["response"] = {"inlinedResponses": {"inlinedResponses": answers}}
    batch = parse_gemini_operation(operation)
    assert batch.output_file_id == "batches/abc123/inlinedResponses"
    assert batch_of_inline_results(batch.output_file_id) == "batches/abc123"
    assert gemini_inline_responses(operation) == answers
    # The result parser keys the inline shape back to the custom_id.
    records = [parse_result_line(json.dumps(item)) for item in answers]
    assert [(r.custom_id, r.ok) for r in records] == [("request-1", True), ("request-2", False)]


def test_failed_operation_keeps_its_error() -> None:
    operation = copy.deepcopy(OPERATION)
    operation["metadata"]["state"] = "BATCH_STATE_FAILED"
    operation["error"] = {"code": 3, "message": "input file is not JSONL", "details": []}
    batch = parse_gemini_operation(operation)
    assert batch.status is JobStatus.FAILED
    assert [(e.code, e.message) for e in batch.errors] == [("3", "input file is not JSONL")]


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("BATCH_STATE_UNSPECIFIED", JobStatus.PENDING),
        ("BATCH_STATE_PENDING", JobStatus.PENDING),
        ("BATCH_STATE_RUNNING", JobStatus.IN_PROGRESS),
        ("BATCH_STATE_SUCCEEDED", JobStatus.COMPLETED),
        ("BATCH_STATE_FAILED", JobStatus.FAILED),
        ("BATCH_STATE_CANCELLED", JobStatus.CANCELLED),
        ("BATCH_STATE_EXPIRED", JobStatus.EXPIRED),
        ("SOMETHING_NEW", JobStatus.PENDING),
    ],
)
def test_every_state_of_the_reference_table(state: str, status: JobStatus) -> None:
    operation = copy.deepcopy(OPERATION)
    operation["metadata"]["state"] = state
    assert parse_gemini_operation(operation).status is status


def test_the_state_map_covers_every_terminal_state_as_terminal() -> None:
    terminal = {s for s, status in GEMINI_STATE_MAP.items() if status.is_terminal}
    assert terminal == {
        "BATCH_STATE_SUCCEEDED",
        "BATCH_STATE_FAILED",
        "BATCH_STATE_CANCELLED",
        "BATCH_STATE_EXPIRED",
    }


@pytest.mark.parametrize("value", [[], "batches/x", {"metadata": {}}, {"name": ""}])
def test_unusable_operations_are_refused(value: object) -> None:
    with pytest.raises(WireFormatError):
        parse_gemini_operation(value)


def test_display_name_keeps_the_tag_whatever_the_name_length() -> None:
    name = display_name("x" * 500, TAG)
    assert len(name) <= 128
    assert tag_in(name) == TAG
    assert display_name(None, None) == "batchtui"
