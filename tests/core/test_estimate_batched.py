"""The validator's batched estimate is the per-text estimate, to the token."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from batchtui.core.estimate import (
    FileEstimate,
    FileEstimator,
    estimate_request,
    sampled_ascii_tokens,
    text_tokens,
)

# Prose, code (short lines, indentation: the double-space term) and digits.
ascii_text = st.text(alphabet=st.sampled_from(list("ab XY 09 .,;{}\"\\\n\t  ")), min_size=769,
                     max_size=2500)  # fmt: skip
any_text = st.text(max_size=40) | st.text(min_size=250, max_size=900) | ascii_text


@settings(deadline=None, max_examples=80)
@given(st.lists(ascii_text, min_size=1, max_size=6))
def test_sampled_texts_count_as_one_by_one(texts: list[str]) -> None:
    assert sampled_ascii_tokens(texts) == [text_tokens(text) for text in texts]


@dataclass
class Message:
    role: str
    content: str


@dataclass
class Body:
    messages: list[Message]
    max_completion_tokens: object = None
    max_tokens: object = None
    max_output_tokens: object = None
    n: object = None


@settings(deadline=None, max_examples=50)
@given(st.lists(st.lists(any_text, min_size=1, max_size=3), min_size=1, max_size=6))
def test_chat_bodies_count_as_the_general_estimate(bodies_text: list[list[str]]) -> None:
    bodies = [Body([Message("user", text) for text in texts]) for texts in bodies_text]
    estimator = FileEstimator()
    tokens = estimator.chat_input_tokens(bodies)
    estimator.add_chats(bodies, tokens, [None] * len(bodies), list(range(1, len(bodies) + 1)))
    general = FileEstimate()
    for line, texts in enumerate(bodies_text, start=1):
        body = {"messages": [{"role": "user", "content": text} for text in texts]}
        general.add(estimate_request(body, "/v1/chat/completions"), line)
    assert estimator.totals == general
