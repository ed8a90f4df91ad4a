"""Provider response parsing over hostile JSON: a model or a `WireFormatError`, nothing else.

`parse_batch`, `parse_file` and `parse_list_page` meet whatever a gateway, proxy or broken
server sends. Each returns its model (whose fields have their promised types) or raises
`WireFormatError` with a one-line message; the provider turns that into a `ProviderError`
naming the call (tested end to end in test_wrong_shape).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtui.core.models import TIMESTAMP_FIELDS, RemoteBatch, RemoteFile
from batchtui.core.providers.openai_wire import (
    BATCH_REQUIRED_FIELDS,
    ListPage,
    WireFormatError,
    parse_batch,
    parse_file,
    parse_list_page,
)
from batchtui.core.status import JobStatus

BATCH_KEYS = [
    *BATCH_REQUIRED_FIELDS,
    *TIMESTAMP_FIELDS,
    "model",
    "output_file_id",
    "error_file_id",
    "request_counts",
    "total",
    "completed",
    "failed",
    "errors",
    "data",
    "message",
    "code",
    "param",
    "line",
    "metadata",
    "usage",
    "bytes",
    "filename",
    "purpose",
    "create_at",
    "has_more",
    "last_id",
    "first_id",
]
hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities: Python's json writes and reads them
    st.text(max_size=10),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1e400",
            "-1",
            "99999999999999999999",
            "2024-13-45T99:99:99Z",
            "2024-03-26T16:45:33.123456789Z",
            "\x1b]0;pwned\x07",
            "in_progress",
            "completed",
            "batch_1",
        ]
    ),
    st.integers(min_value=10**12, max_value=10**30),
)
json_values = st.recursive(
    hostile_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(BATCH_KEYS) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
batch_like = st.fixed_dictionaries(
    {field: json_values for field in BATCH_REQUIRED_FIELDS},
    optional={key: json_values for key in BATCH_KEYS if key not in BATCH_REQUIRED_FIELDS},
)
list_like = st.fixed_dictionaries(
    {"data": st.lists(batch_like | json_values, max_size=3) | json_values},
    optional={"has_more": json_values, "last_id": json_values, "object": json_values},
)


def check_error(error: WireFormatError) -> None:
    message = str(error)
    assert message and "\n" not in message and len(message) < 400, repr(message)


def check_batch(batch: RemoteBatch) -> None:
    assert isinstance(batch, RemoteBatch)
    assert isinstance(batch.id, str) and batch.id
    assert isinstance(batch.status, JobStatus)
    assert isinstance(batch.raw_status, str)
    assert set(batch.timestamps) == set(TIMESTAMP_FIELDS)
    assert all(value is None or isinstance(value, datetime) for value in batch.timestamps.values())
    assert all(value is None or value.tzinfo for value in batch.timestamps.values())
    counts = batch.request_counts
    assert min(counts.total, counts.completed, counts.failed) >= 0
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in batch.metadata.items())
    for file_id in (batch.input_file_id, batch.output_file_id, batch.error_file_id):
        assert file_id is None or (isinstance(file_id, str) and file_id.strip())
    # What the registry stores must survive a JSON round trip.
    RemoteBatch.model_validate_json(batch.model_dump_json())


def attempt(parse: Any, value: Any) -> Any:
    try:
        return parse(value)
    except WireFormatError as error:
        check_error(error)
        return None


@given(json_values | batch_like)
def test_parse_batch(value: Any) -> None:
    batch = attempt(parse_batch, value)
    if batch is not None:
        check_batch(batch)


@given(json_values | batch_like)
def test_parse_file(value: Any) -> None:
    remote = attempt(parse_file, value)
    if remote is not None:
        assert isinstance(remote, RemoteFile)
        assert isinstance(remote.id, str) and remote.id.strip()
        assert remote.bytes is None or remote.bytes >= 0
        RemoteFile.model_validate_json(remote.model_dump_json())


@given(json_values | list_like)
def test_parse_list_page(value: Any) -> None:
    page = attempt(parse_list_page, value)
    if page is not None:
        assert isinstance(page, ListPage)
        assert isinstance(page.items, list)
        assert isinstance(page.has_more, bool)
        assert page.next_after is None or isinstance(page.next_after, str)
        for item in page.items:
            batch = attempt(parse_batch, item)
            if batch is not None:
                check_batch(batch)


@given(st.text(max_size=60))
def test_any_text_decoded_as_json(text: str) -> None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return
    for parse in (parse_batch, parse_file, parse_list_page):
        attempt(parse, value)


@pytest.mark.parametrize("parse", [parse_batch, parse_file, parse_list_page])
@pytest.mark.parametrize("value", [[], [{"id": "batch_1"}], "batch", 3, None, True, 1.5], ids=repr)
def test_wrong_top_level_type_is_named(parse: Any, value: Any) -> None:
    with pytest.raises(WireFormatError, match=r"^expected a (batch|file|list) object, got "):
        parse(value)
