"""The offline token estimate: accuracy on known counts, request overheads, output caps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtui.core import estimate
from batchtui.core.estimate import (
    FileEstimate,
    RequestEstimate,
    estimate_file,
    estimate_gemini_request,
    estimate_request,
    format_tokens,
    text_tokens,
)

# Counted with tiktoken's o200k_base (benchmarks/estimate/run.py builds it offline).
REAL_O200K_COUNTS = [
    (
        "The cluster's login nodes are shared by many users, so long-running jobs must be "
        "submitted to the queue instead of being run interactively.",
        28,
    ),
    (
        "def merge(left, right):\n    result = []\n    while left and right:\n"
        "        result.append(left.pop(0) if left[0] <= right[0] else right.pop(0))\n"
        "    return result + left + right\n",
        48,
    ),
    (
        '{"id": 48213, "values": [3.14159, 2.71828, 1.41421], '
        '"created": "2025-03-14T09:26:53Z", "ok": true}',
        51,
    ),
    ("Die Rechenknoten des Clusters sind über ein schnelles Netzwerk miteinander verbunden.", 16),
    ("集群的计算节点通过高速网络相互连接，作业通过队列进行分配。", 21),
    ("クラスタの計算ノードは高速なネットワークで相互に接続されています。", 21),
    ("Deploy finished 🚀🎉 thanks team 👍", 9),
]


@pytest.mark.parametrize(("text", "real"), REAL_O200K_COUNTS)
def test_estimate_is_within_a_fifth_of_the_real_count(text: str, real: int) -> None:
    assert abs(text_tokens(text) - real) / real <= 0.2


def test_empty_text_is_zero_and_any_text_at_least_one() -> None:
    assert text_tokens("") == 0
    assert text_tokens(".") == 1
    assert text_tokens("a") == 1


def test_cjk_costs_more_per_character_than_english() -> None:
    english = "the quick brown fox jumps over the lazy dog " * 20
    chinese = "集群的计算节点通过高速网络相互连接" * 20
    assert text_tokens(chinese) / len(chinese) > 3 * text_tokens(english) / len(english)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_the_ascii_shortcut_matches_the_feature_weights(text: str) -> None:
    by_features = sum(
        w * c for w, c in zip(estimate.WEIGHTS, estimate.text_features(text), strict=True)
    )
    assert estimate._weighted(text) == pytest.approx(by_features, abs=1e-9)


@given(st.text(max_size=200))
def test_any_text_gives_a_count_without_raising(text: str) -> None:
    count = text_tokens(text)
    assert count >= (1 if text else 0)


def test_long_text_is_sampled_close_to_the_full_count() -> None:
    paragraph = (
        "Batch jobs run within 24 hours at half the price; results are matched by custom_id, "
        "never by line order. Numbers like 3.14159 and 2025-01-31 appear too.\n"
    )
    long_text = paragraph * 200
    full = estimate._weighted(long_text)
    assert abs(text_tokens(long_text) - full) / full < 0.03


def chat(*messages: tuple[str, str], **params: object) -> dict[str, object]:
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": role, "content": content} for role, content in messages],
        **params,
    }


def test_chat_counts_cookbook_overheads() -> None:
    body = chat(("system", "Be brief."), ("user", "What is 2+2?"), max_tokens=50)
    result = estimate_request(body, "/v1/chat/completions")
    texts = text_tokens("Be brief.") + text_tokens("What is 2+2?")
    assert result.input_tokens == texts + 2 * (3 + 1) + 3
    assert result == RequestEstimate(result.input_tokens, 50, True, 0)


def test_output_cap_prefers_max_completion_tokens_and_multiplies_by_n() -> None:
    body = chat(("user", "hi"), max_tokens=10, max_completion_tokens=40, n=3)
    assert estimate_request(body, "/v1/chat/completions").max_output_tokens == 120


def test_uncapped_request_uses_the_default_and_says_so() -> None:
    result = estimate_request(
        chat(("user", "hi")), "/v1/chat/completions", default_max_output_tokens=777
    )
    assert (result.max_output_tokens, result.output_capped) == (777, False)


def test_images_count_by_detail_and_are_flagged_rough() -> None:
    def with_image(detail: str) -> dict[str, object]:
        part = {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": detail}}
        return {"model": "m", "messages": [{"role": "user", "content": [part]}]}

    low = estimate_request(with_image("low"), "/v1/chat/completions")
    high = estimate_request(with_image("high"), "/v1/chat/completions")
    assert high.input_tokens - low.input_tokens == (
        estimate.IMAGE_TOKENS_HIGH - estimate.IMAGE_TOKENS_LOW
    )
    assert low.rough_parts == high.rough_parts == 1


def test_tools_add_their_json() -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    plain = estimate_request(chat(("user", "hi")), "/v1/chat/completions")
    with_tools = estimate_request(chat(("user", "hi"), tools=tools), "/v1/chat/completions")
    assert with_tools.input_tokens - plain.input_tokens == text_tokens(json.dumps(tools))


def test_embeddings_have_no_output_and_count_every_input() -> None:
    one = estimate_request({"model": "e", "input": "hello world"}, "/v1/embeddings")
    many = estimate_request({"model": "e", "input": ["hello world"] * 4}, "/v1/embeddings")
    ids = estimate_request({"model": "e", "input": [[1, 2, 3], [4, 5]]}, "/v1/embeddings")
    assert one.max_output_tokens == 0
    assert many.input_tokens == 4 * one.input_tokens
    assert ids.input_tokens == 5


def test_completions_default_to_sixteen_tokens_per_prompt() -> None:
    result = estimate_request({"model": "m", "prompt": ["a", "b"]}, "/v1/completions")
    assert result.max_output_tokens == 2 * estimate.COMPLETIONS_DEFAULT_MAX_TOKENS
    assert result.output_capped


def test_responses_input_and_instructions() -> None:
    body = {"model": "m", "instructions": "Be brief.", "input": "hi", "max_output_tokens": 9}
    result = estimate_request(body, "/v1/responses")
    assert result.input_tokens == text_tokens("Be brief.") + text_tokens("hi") + 4 + 3
    assert result.max_output_tokens == 9


def test_gemini_request() -> None:
    request = {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [{"role": "user", "parts": [{"text": "What is 2+2?"}]}],
        "generationConfig": {"maxOutputTokens": 64, "candidateCount": 2},
    }
    result = estimate_gemini_request(request)
    assert result.input_tokens == text_tokens("Be brief.") + text_tokens("What is 2+2?") + 8
    assert result.max_output_tokens == 128


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "messages",
                        "content",
                        "role",
                        "input",
                        "prompt",
                        "max_tokens",
                        "n",
                        "tools",
                        "type",
                        "image_url",
                        "text",
                        "contents",
                        "parts",
                        "generationConfig",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_odd_bodies_never_raise(body: object) -> None:
    if not isinstance(body, dict):
        body = {"messages": body, "input": body}
    for endpoint in ("/v1/chat/completions", "/v1/responses", "/v1/embeddings", None):
        result = estimate_request(body, endpoint)
        assert result.input_tokens >= 0 and result.max_output_tokens >= 0
    assert estimate_gemini_request(body).input_tokens >= 0


def test_file_estimate_adds_up_and_remembers_the_largest(tmp_path: Path) -> None:
    lines = [
        {
            "custom_id": "a",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": chat(("user", "short"), max_tokens=5),
        },
        {
            "custom_id": "b",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": chat(("user", "a much longer question about many things " * 5)),
        },
        {"key": "c", "request": {"contents": [{"parts": [{"text": "hi"}]}]}},
        "not an object",
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")
    total = estimate_file(str(path), default_max_output_tokens=100)
    expected = FileEstimate()
    expected.add(estimate_request(lines[0]["body"], "/v1/chat/completions"), 1)
    expected.add(
        estimate_request(lines[1]["body"], "/v1/chat/completions", default_max_output_tokens=100), 2
    )
    expected.add(estimate_gemini_request(lines[2]["request"], default_max_output_tokens=100), 3)
    assert total == expected
    assert total.requests == 3
    assert total.uncapped_requests == 2
    assert total.largest_input_line == 2
    assert total.to_json()["max_output_tokens"] == 5 + 100 + 100


@pytest.mark.parametrize(
    ("count", "shown"),
    [(999, "999"), (12_345, "12k"), (412_499, "412k"), (1_834_000, "1.8M"), (2_000_000, "2M")],
)
def test_format_tokens(count: int, shown: str) -> None:
    assert format_tokens(count) == shown
