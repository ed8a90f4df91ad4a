"""The token estimate made in the validator's pass: the same numbers as `estimate_request`."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from batchtui.core.estimate import FileEstimate, FileEstimator, estimate_request
from batchtui.core.formats import validate_bytes

CHAT = "/v1/chat/completions"


def line(custom_id: str, body: dict[str, Any], url: str = CHAT) -> str:
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})


def expected_totals(bodies: list[dict[str, Any]], url: str = CHAT) -> FileEstimate:
    totals = FileEstimate()
    for number, body in enumerate(bodies, start=1):
        totals.add(estimate_request(body, url), number)
    return totals


texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abc XYZ 019.,\n", min_size=700, max_size=1_200),  # sampled when long
    st.text(min_size=770, max_size=900),  # long and not ASCII
)
messages = st.lists(
    st.one_of(
        st.fixed_dictionaries({"role": st.sampled_from(["system", "user"]), "content": texts}),
        st.fixed_dictionaries({"role": st.just("user"), "content": texts, "name": texts}),
        st.fixed_dictionaries(
            {"role": st.just("user"), "content": st.lists(st.fixed_dictionaries({"text": texts}))}
        ),
        st.just("not a message"),
    ),
    max_size=4,
)
chat_bodies = st.fixed_dictionaries(
    {"model": st.just("gpt-4o-mini"), "messages": messages},
    optional={
        "max_completion_tokens": st.integers(-2, 5_000),
        "max_tokens": st.integers(0, 5_000),
        "n": st.integers(-1, 3),
        "tools": st.just([{"type": "function", "function": {"name": "f"}}]),
        "response_format": st.just({"type": "json_schema", "json_schema": {"name": "x"}}),
    },
)


@given(st.lists(chat_bodies, min_size=1, max_size=6))
def test_validator_estimate_equals_estimate_request_for_any_chat(bodies: list[dict]) -> None:
    data = "".join(line(f"r{n}", body) + "\n" for n, body in enumerate(bodies)).encode()
    report = validate_bytes(data, estimate=True)
    assert report.estimate == expected_totals(bodies)


def test_the_estimator_remembers_short_strings_without_changing_counts() -> None:
    system = {"role": "system", "content": "You label scientific abstracts."}
    bodies = [
        {"model": "m", "messages": [system, {"role": "user", "content": f"text {n}"}]}
        for n in range(50)
    ]
    estimator = FileEstimator()
    for number, body in enumerate(bodies, start=1):
        estimator.add(body, CHAT, number)
    assert estimator.totals == expected_totals(bodies)
    assert "You label scientific abstracts." in estimator._cache


def test_other_endpoints_take_the_general_path() -> None:
    bodies = [{"model": "text-embedding-3-small", "input": ["one", "two words", "three"]}] * 3
    data = "".join(line(f"e{n}", body, "/v1/embeddings") + "\n" for n, body in enumerate(bodies))
    report = validate_bytes(data.encode(), estimate=True)
    assert report.estimate == expected_totals(bodies, "/v1/embeddings")
    assert report.estimate.max_output_tokens == 0
    assert report.embedding_inputs == 9


def test_estimate_only_when_asked_and_in_the_json() -> None:
    data = (
        line("a", {"model": "m", "messages": [{"role": "user", "content": "hi"}]}) + "\n"
    ).encode()
    assert validate_bytes(data).estimate is None
    assert "estimate" not in validate_bytes(data).to_json()
    report = validate_bytes(data, estimate=True)
    assert report.to_json()["estimate"]["requests"] == 1
    assert report.to_json()["estimate"]["input_tokens"] == report.estimate.input_tokens > 0


def test_bad_lines_are_reported_and_the_rest_estimated_in_the_same_pass() -> None:
    good = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}
    lines = [line("a", good), "{not json", line("a", good), line("b", {"model": "m"})]
    report = validate_bytes(("\n".join(lines) + "\n").encode(), estimate=True)
    assert [(p.line, p.code) for p in report.problems] == [
        (2, "invalid_json_line"),
        (3, "duplicate_custom_id"),
        (4, "missing_field"),
    ]
    assert report.estimate is not None and report.estimate.requests == 3
