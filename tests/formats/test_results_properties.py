"""Property tests: the result parser never raises, whatever a server sends."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtui.core.formats.results import parse_result_line
from batchtui.core.models import ResultRecord

MANY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every key the parser looks at, at any level, so generated objects hit its branches
# with wrong types everywhere.
KNOWN_KEYS = [
    "custom_id",
    "response",
    "error",
    "key",
    "status",
    "request",
    "processed_time",
    "metadata",
    "requestId",
    "instance",
    "status_code",
    "body",
    "choices",
    "message",
    "content",
    "text",
    "refusal",
    "finish_reason",
    "output",
    "type",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "input_tokens",
    "output_tokens",
    "incomplete_details",
    "reason",
    "code",
    "candidates",
    "parts",
    "thought",
    "finishReason",
    "usageMetadata",
    "promptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "totalTokenCount",
    "promptFeedback",
    "blockReason",
    "embedding",
    "labels",
    "litellm_custom_id",
    "litellm_custom_id_raw",
    "litellm_custom_id_raw_1",
    "litellm_custom_id_raw_x",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["", "{", '{"code": 3}', "b32_mfrgg", "b32_!!", "7", "-", "--5", "STOP", 200]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=10,
)
shaped_objects = st.dictionaries(st.sampled_from(KNOWN_KEYS), values, min_size=1, max_size=5)


def check(record: ResultRecord, raw: str) -> None:
    assert isinstance(record, ResultRecord)
    if record.ok:
        assert record.error_message is None
    else:
        assert isinstance(record.error_message, str) and record.error_message
    assert record.raw == raw
    json.loads(record.model_dump_json())


@MANY
@given(st.binary(max_size=300))
def test_any_bytes(line: bytes) -> None:
    record = parse_result_line(line)

    check(record, line.decode("utf-8", errors="replace").rstrip("\r\n"))


@MANY
@given(shaped_objects)
def test_objects_with_the_right_keys_and_wrong_types(data: dict) -> None:
    line = json.dumps(data)

    check(parse_result_line(line), line)
    check(parse_result_line(line.encode()), line)


@MANY
@given(values)
def test_any_json_value(data: object) -> None:
    line = json.dumps(data)

    check(parse_result_line(line), line)
