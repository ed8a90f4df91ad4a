"""Token usage summed over results, per job and per group, and its batch cost."""

from __future__ import annotations

import json

import pytest

from batchtui.core.formats.results import parse_result_line
from batchtui.core.prices import Price, PriceTable
from batchtui.core.usage import job_usage, sum_usage, usage_by_job


def openai(prompt: int, completion: int, cached: int = 0, model: str = "gpt-4o-mini-2024-07-18"):
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": 1},
    }
    body = {"model": model, "choices": [{"message": {"content": "x"}}], "usage": usage}
    line = {"custom_id": "a", "response": {"status_code": 200, "body": body}, "error": None}
    return parse_result_line(json.dumps(line))


def gemini(prompt: int, candidates: int, cached: int):
    line = {
        "key": "k",
        "response": {
            "candidates": [{"content": {"parts": [{"text": "y"}]}, "finishReason": "STOP"}],
            "usageMetadata": {
                "promptTokenCount": prompt,
                "candidatesTokenCount": candidates,
                "totalTokenCount": prompt + candidates,
                "cachedContentTokenCount": cached,
            },
            "modelVersion": "gemini-2.5-flash",
        },
    }
    return parse_result_line(json.dumps(line))


def failed():
    return parse_result_line(
        json.dumps(
            {"custom_id": "f", "response": None, "error": {"code": "batch_expired", "message": "x"}}
        )
    )


def test_sums_tokens_cached_and_reasoning():
    usage = sum_usage([openai(100, 10, cached=64), openai(50, 5), failed()])
    assert (usage.records, usage.succeeded, usage.failed, usage.with_usage) == (3, 2, 1, 2)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (150, 15, 165)
    assert usage.cached_tokens == 64 and usage.reasoning_tokens == 2
    assert usage.main_model == "gpt-4o-mini-2024-07-18"
    google = sum_usage([gemini(10, 4, 6)])
    assert (google.prompt_tokens, google.completion_tokens, google.cached_tokens) == (10, 4, 6)
    assert google.main_model == "gemini-2.5-flash"


def test_costs_per_job_and_group_at_batch_prices():
    prices = PriceTable({"my-model": Price(1.0, 2.0, source="config")})
    group = usage_by_job(
        {
            "j1": [openai(1_000_000, 500_000)],  # priced by the responses' model
            "j2": [openai(2_000_000, 0, model="other")],
            "j3": [openai(10, 10, model="unknown-model")],
            "j4": [failed()],
        },
        models={"j2": "my-model"},
        prices=prices,
    )
    costs = {job.job_id: job.cost for job in group.jobs}
    assert costs["j1"] is not None and costs["j1"].priced_as == "gpt-4o-mini"
    assert costs["j1"].total_usd == pytest.approx(0.075 + 0.5 * 0.30)
    assert costs["j2"] is not None and costs["j2"].total_usd == pytest.approx(2.0)
    assert costs["j3"] is None and costs["j4"] is None
    assert group.unpriced == ["j3"]  # j4 used no tokens: nothing to price
    assert group.cost_usd == pytest.approx(0.225 + 2.0)
    assert group.total.prompt_tokens == 3_000_010 and group.total.failed == 1
    text = group.describe()
    assert "4 results (1 failed)" in text and "not priced: j3" in text
    assert job_usage("x", sum_usage([])).cost is None
