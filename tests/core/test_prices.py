"""Price table: dated defaults, longest-prefix matching, config overrides and their errors."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from batchtui.core.errors import ConfigError
from batchtui.core.prices import (
    DEFAULT_PRICES,
    PRICES_AS_OF,
    Price,
    PriceTable,
    describe_cost,
    estimate_cost,
    format_usd,
    match_model_name,
    prices_from_config,
)


def test_defaults_are_dated_and_sane() -> None:
    assert date.fromisoformat(PRICES_AS_OF) <= date.today()
    for model, price in DEFAULT_PRICES.items():
        assert price.input > 0, model
        assert price.output >= 0, model
    # Batch prices are half the synchronous ones (gpt-4o-mini: $0.15 / $0.60 per 1M).
    assert DEFAULT_PRICES["gpt-4o-mini"] == Price(0.075, 0.30)


@pytest.mark.parametrize(
    ("model", "priced_as"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),
        ("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
        ("publishers/google/models/gemini-2.5-flash-001", "gemini-2.5-flash"),
        ("vertex_ai/gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
        ("gemini-2.5-pro@default", "gemini-2.5-pro"),
    ],
)
def test_models_match_exactly_or_by_longest_prefix(model: str, priced_as: str) -> None:
    cost = estimate_cost(model, 1_000_000, 0)
    assert cost is not None
    assert cost.priced_as == priced_as


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4ox", "gpt-5.2", "ft:gpt-4o-mini:org::x", ""])
def test_a_prefix_must_end_at_a_separator(model: str) -> None:
    assert estimate_cost(model, 1, 1) is None


def test_cost_arithmetic() -> None:
    cost = estimate_cost("gpt-4o-mini", 2_000_000, 500_000)
    assert cost is not None
    assert cost.input_usd == pytest.approx(0.15)
    assert cost.output_usd == pytest.approx(0.15)
    assert cost.total_usd == pytest.approx(0.30)


def test_config_overrides_win_and_longer_defaults_still_apply() -> None:
    table = PriceTable({"gpt-4o": Price(9.0, 9.0, "config"), "my-llama": Price(0.2, 0.3, "config")})
    gpt4o = table.estimate_cost("gpt-4o-2024-08-06", 1_000_000, 0)
    mini = table.estimate_cost("gpt-4o-mini", 1_000_000, 0)
    llama = table.estimate_cost("my-llama-70b", 0, 1_000_000)
    assert gpt4o is not None and gpt4o.input_usd == pytest.approx(9.0)
    assert mini is not None and mini.priced_as == "gpt-4o-mini"
    assert llama is not None and llama.output_usd == pytest.approx(0.3)
    assert llama.price.source == "config"


def test_prices_from_a_config_file() -> None:
    document = tomllib.loads(
        """
        [profiles.work]
        kind = "openai"

        [prices."gpt-4o-mini"]
        input = 0.05
        output = 0.2

        [prices."text-embedding-3-small"]
        input = 0.01
        """
    )
    prices = prices_from_config(document)
    assert prices == {
        "gpt-4o-mini": Price(0.05, 0.2, "config"),
        "text-embedding-3-small": Price(0.01, 0.0, "config"),
    }
    assert prices_from_config({}) == {}


@pytest.mark.parametrize(
    ("prices", "names"),
    [
        ({"gpt-4o": {"input": "cheap", "output": 1}}, 'prices."gpt-4o".input'),
        ({"gpt-4o": {"input": 1, "output": -1}}, 'prices."gpt-4o".output'),
        ({"gpt-4o": {"input": True}}, 'prices."gpt-4o".input'),
        ({"gpt-4o": {"input": 1, "outptu": 2}}, "'outptu'"),
        ({"gpt-4o": {"output": 2}}, "needs input"),
        ({"gpt-4o": 2.5}, '[prices."gpt-4o"] must be a table'),
        ([1, 2], "`prices` must be a table"),
    ],
)
def test_bad_price_settings_are_named(prices: object, names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        prices_from_config({"prices": prices}, where="/home/ada/.config/batchtui/config.toml")
    message = str(caught.value)
    assert names in message
    assert message.startswith("/home/ada/.config/batchtui/config.toml: ")
    assert "\n" not in message


def test_describe_cost_and_the_unknown_model_message() -> None:
    cost = estimate_cost("gpt-4o-mini", 4_000_000, 1_000_000)
    line = describe_cost(cost, "gpt-4o-mini")
    assert "$0.60" in line and "gpt-4o-mini" in line and PRICES_AS_OF in line
    unknown = describe_cost(None, "my-model")
    assert "no price for model 'my-model'" in unknown
    assert '[prices."my-model"]' in unknown


def test_match_model_name_is_shared_by_other_tables() -> None:
    limits = {"gpt-4o": 1, "gpt-4o-mini": 2}
    assert match_model_name("gpt-4o-mini-2024-07-18", limits) == "gpt-4o-mini"
    assert match_model_name("o3", limits) is None


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "$0"),
        (0.0000012, "<$0.0001"),
        (0.004215, "$0.0042"),
        (0.6, "$0.60"),
        (1.374, "$1.37"),
        (1204.4, "$1,204"),
    ],
)
def test_format_usd(amount: float, shown: str) -> None:
    assert format_usd(amount) == shown
