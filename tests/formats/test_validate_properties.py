"""Property tests: the validator survives any bytes and agrees with a plain oracle."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtui.core.formats import Limits, ValidationReport, validate_bytes
from batchtui.core.formats.validate import validate_stream

from .test_validate import _Reader, chat_line

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


# Fields of a good chat request that a test may delete or overwrite.
MUTABLE_FIELDS = [
    "custom_id",
    "method",
    "url",
    "body",
    "body.model",
    "body.messages",
    "body.stream",
]
DELETE = object()
mutations = st.dictionaries(
    st.sampled_from(MUTABLE_FIELDS),
    st.one_of(
        st.just(DELETE),
        st.sampled_from(["r0", "/v1/embeddings", "n", True, [], {}]),
        json_values,
    ),
    max_size=2,
)


def request(index: int, changes: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "custom_id": f"r{index}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    }
    for name, value in sorted(changes.items()):
        target, key = row, name
        if name.startswith("body."):
            target, key = row.get("body"), name.removeprefix("body.")
            if type(target) is not dict:
                continue
        if value is DELETE:
            target.pop(key, None)
        else:
            # sampled_from hands out the same [] and {} objects: never alias them.
            target[key] = copy.deepcopy(value)
    return row


def check_consistent(report: ValidationReport) -> None:
    errors = [problem for problem in report.problems if problem.severity == "error"]
    assert report.ok == (report.error_count == 0)
    assert report.ok or errors, "a failed report names at least one error"
    assert not (report.ok and errors)
    assert report.problem_count == report.error_count + report.warning_count
    assert sum(report.counts_by_code.values()) == report.problem_count
    assert all(problem.line is None or problem.line >= 1 for problem in report.problems)
    json.dumps(report.to_json())


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_give_ok_or_a_problem(data: bytes) -> None:
    report = validate_bytes(data)

    check_consistent(report)
    assert report.bytes == len(data)


@FAST
@given(
    st.lists(
        st.one_of(
            st.builds(lambda i: chat_line(f"r{i}").encode(), st.integers(0, 5)),
            st.binary(max_size=30),
            st.sampled_from([b"", b" ", b"\r", b"{", b"\xef\xbb\xbf{}"]),
        ),
        max_size=12,
    ),
    st.booleans(),
    st.integers(1, 40),
    st.integers(20, 200),
)
def test_chunk_size_never_changes_the_report(
    lines: list[bytes], final_newline: bool, chunk_bytes: int, max_line: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    limits = Limits(name="Tiny", max_line_bytes=max_line, max_requests=4)

    whole = validate_bytes(data, limits=limits)
    chunked = validate_stream(_Reader(data), limits=limits, chunk_bytes=chunk_bytes)

    assert chunked.problems == whole.problems
    assert (chunked.lines, chunked.bytes) == (whole.lines, whole.bytes)
    check_consistent(whole)


@FAST
@given(st.lists(mutations, min_size=1, max_size=6))
def test_structured_requests_agree_with_an_oracle(changes: list[dict[str, Any]]) -> None:
    rows = [request(index, change) for index, change in enumerate(changes)]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()

    report = validate_bytes(data)

    check_consistent(report)
    assert report.lines == len(rows)
    if not any(changes):
        assert report.ok and report.problems == []
    if report.ok:
        # What the validator accepted really is one endpoint, one model, unique ids, POST.
        assert len({row["custom_id"] for row in rows}) == len(rows)
        assert all(type(row["custom_id"]) is str and row["custom_id"] for row in rows)
        assert all(row["method"] == "POST" for row in rows)
        assert {row["url"] for row in rows} == {"/v1/chat/completions"}
        assert all(type(row["body"]) is dict for row in rows)
        assert len({row["body"]["model"] for row in rows}) == 1
        assert all(row["body"].get("stream") is not True for row in rows)
        assert all(type(row["body"]["messages"]) is list for row in rows)
        assert report.model == rows[0]["body"]["model"]
