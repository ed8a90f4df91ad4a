"""Batch prices per 1M tokens: shipped defaults, dated, overridable from config.toml.

Defaults are the providers' batch prices (about half the synchronous price) as published
on `PRICES_AS_OF`. Prices change: users should check their provider's pricing page and
override in config.toml, in US dollars per 1M tokens:

    [prices."gpt-4o-mini"]
    input = 0.075
    output = 0.30

    [prices."my-org/llama-3.3-70b"]   # any model name a gateway uses
    input = 0.20
    output = 0.20
    context_window = 131072           # tokens; checked per request by the validator

A model matches a price by exact name, else by the longest name that is a prefix of it
followed by `-`, `@` or `:` (`gpt-4o-mini-2024-07-18` takes `gpt-4o-mini`, never `gpt-4o`;
`gpt-4` does not match `gpt-4o`). Gateway prefixes such as `openai/`, `vertex_ai/` or
`publishers/google/models/` are ignored when no price has the full name. Gemini's price
for prompts over 200k tokens and cached-input discounts are not modelled.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from batchtui.core.errors import ConfigError

PRICES_AS_OF = "2025-10-01"
PRICES_NOTE = (
    f"batch prices as published on {PRICES_AS_OF}; check your provider's pricing page "
    'and override them in config.toml ([prices."MODEL"] input = ..., output = ...)'
)
PER_TOKENS = 1_000_000
_BOUNDARIES = ("-", "@", ":")
_GATEWAY_PREFIXES = ("publishers/google/models/", "models/")


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per 1M input and output tokens, at batch rates."""

    input: float
    output: float
    source: str = "default"  # "default" or "config"


@dataclass(frozen=True, slots=True)
class Cost:
    model: str
    priced_as: str  # the price table entry that matched
    price: Price
    input_tokens: int
    output_tokens: int

    @property
    def input_usd(self) -> float:
        return self.input_tokens * self.price.input / PER_TOKENS

    @property
    def output_usd(self) -> float:
        return self.output_tokens * self.price.output / PER_TOKENS

    @property
    def total_usd(self) -> float:
        return self.input_usd + self.output_usd


def _batch(input_standard: float, output_standard: float) -> Price:
    return Price(input_standard / 2, output_standard / 2)


# Standard (synchronous) prices per 1M tokens, halved for batch.
DEFAULT_PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-5": _batch(1.25, 10.00),
    "gpt-5.1": _batch(1.25, 10.00),
    "gpt-5-mini": _batch(0.25, 2.00),
    "gpt-5-nano": _batch(0.05, 0.40),
    "gpt-4.1": _batch(2.00, 8.00),
    "gpt-4.1-mini": _batch(0.40, 1.60),
    "gpt-4.1-nano": _batch(0.10, 0.40),
    "gpt-4o": _batch(2.50, 10.00),
    "gpt-4o-2024-05-13": _batch(5.00, 15.00),
    "gpt-4o-mini": _batch(0.15, 0.60),
    "gpt-4-turbo": _batch(10.00, 30.00),
    "gpt-3.5-turbo": _batch(0.50, 1.50),
    "o1": _batch(15.00, 60.00),
    "o3": _batch(2.00, 8.00),
    "o3-mini": _batch(1.10, 4.40),
    "o4-mini": _batch(1.10, 4.40),
    "text-embedding-3-small": _batch(0.02, 0.0),
    "text-embedding-3-large": _batch(0.13, 0.0),
    "text-embedding-ada-002": _batch(0.10, 0.0),
    # Google: Gemini Developer API and Vertex AI batch (prompts up to 200k tokens)
    "gemini-3-pro-preview": _batch(2.00, 12.00),
    "gemini-3-flash-preview": _batch(0.50, 3.00),
    "gemini-2.5-pro": _batch(1.25, 10.00),
    "gemini-2.5-flash": _batch(0.30, 2.50),
    "gemini-2.5-flash-lite": _batch(0.10, 0.40),
    "gemini-2.0-flash": _batch(0.10, 0.40),
    "gemini-2.0-flash-lite": _batch(0.075, 0.30),
    "gemini-embedding-001": _batch(0.15, 0.0),
}


# Context windows in tokens (input and output together), as published on `PRICES_AS_OF`;
# matched to model names like prices. Override: [prices."MODEL"] context_window = N.
DEFAULT_CONTEXT_WINDOWS: dict[str, int] = {
    # OpenAI
    "gpt-5": 400_000,
    "gpt-5.1": 400_000,
    "gpt-5-mini": 400_000,
    "gpt-5-nano": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4.1-mini": 1_047_576,
    "gpt-4.1-nano": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-3.5-turbo": 16_385,
    "o1": 200_000,
    "o3": 200_000,
    "o3-mini": 200_000,
    "o4-mini": 200_000,
    "text-embedding-3-small": 8_191,
    "text-embedding-3-large": 8_191,
    "text-embedding-ada-002": 8_191,
    # Google
    "gemini-3-pro-preview": 1_048_576,
    "gemini-3-flash-preview": 1_048_576,
    "gemini-2.5-pro": 1_048_576,
    "gemini-2.5-flash": 1_048_576,
    "gemini-2.5-flash-lite": 1_048_576,
    "gemini-2.0-flash": 1_048_576,
    "gemini-2.0-flash-lite": 1_048_576,
    "gemini-embedding-001": 2_048,
}

PRICE_KEYS = ("input", "output", "context_window")


def prices_from_config(data: Mapping[str, Any], *, where: str = "config.toml") -> dict[str, Price]:
    """The `[prices."MODEL"]` tables of a parsed config.toml document (`{}` when none).

    Raises ConfigError naming the setting (`prices."gpt-4o".input`) on a bad value.
    """
    table = data.get("prices", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f'{where}: `prices` must be a table of [prices."MODEL"] tables')
    prices: dict[str, Price] = {}
    for model, entry in table.items():
        setting = f'prices."{model}"'
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f"{where}: [{setting}] must be a table with input and output "
                "(US dollars per 1M tokens)"
            )
        unknown = sorted(set(entry) - set(PRICE_KEYS))
        if unknown:
            raise ConfigError(
                f"{where}: [{setting}] unknown setting {unknown[0]!r} "
                f"(known: {', '.join(PRICE_KEYS)})"
            )
        if "input" not in entry and "output" not in entry:
            continue  # only a context window
        if "input" not in entry:
            raise ConfigError(f"{where}: [{setting}] needs input (US dollars per 1M tokens)")
        prices[str(model)] = Price(
            _dollars(entry["input"], f"{setting}.input", where),
            _dollars(entry.get("output", 0.0), f"{setting}.output", where),
            source="config",
        )
    return prices


def context_windows_from_config(
    data: Mapping[str, Any], *, where: str = "config.toml"
) -> dict[str, int]:
    """`context_window = N` of the `[prices."MODEL"]` tables (`prices_from_config` checks
    the rest of each table)."""
    table = data.get("prices", {})
    windows: dict[str, int] = {}
    if not isinstance(table, Mapping):
        return windows
    for model, entry in table.items():
        if isinstance(entry, Mapping) and "context_window" in entry:
            value = entry["context_window"]
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(
                    f'{where}: prices."{model}".context_window must be a whole number of '
                    "tokens above 0"
                )
            windows[str(model)] = value
    return windows


def _dollars(value: object, setting: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {setting} must be a number (US dollars per 1M tokens)")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{where}: {setting} must be a finite number >= 0")
    return float(value)


class PriceTable:
    """Defaults with overrides on top; `find` resolves a model name to an entry."""

    def __init__(
        self,
        overrides: Mapping[str, Price] | None = None,
        context_windows: Mapping[str, int] | None = None,
    ) -> None:
        self.overrides = dict(overrides or {})
        self.prices = {**DEFAULT_PRICES, **self.overrides}
        self.context_windows = {**DEFAULT_CONTEXT_WINDOWS, **(context_windows or {})}

    def context_window(self, model: str) -> int | None:
        """Tokens of input and output a request to `model` may use; None when unknown."""
        name = match_model_name(model, self.context_windows)
        return self.context_windows[name] if name is not None else None

    def find(self, model: str) -> tuple[str, Price] | None:
        """(matched name, price), or None when no entry fits `model`."""
        name = match_model_name(model, self.prices)
        return (name, self.prices[name]) if name is not None else None

    def estimate_cost(self, model: str, input_tokens: int, output_tokens: int) -> Cost | None:
        found = self.find(model)
        if found is None:
            return None
        name, price = found
        return Cost(model, name, price, input_tokens, output_tokens)


def match_model_name(model: str, names: Collection[str]) -> str | None:
    """The entry of `names` that `model` resolves to: exact, else longest prefix.

    A prefix must end at a `-`, `@` or `:` in `model`; a gateway prefix (`openai/`,
    `publishers/google/models/`) is tried off when nothing matches the full name.
    """
    for candidate in _candidates(model):
        if candidate in names:
            return candidate
        best: str | None = None
        for name in names:
            if (
                len(candidate) > len(name)
                and candidate.startswith(name)
                and candidate[len(name)] in _BOUNDARIES
                and (best is None or len(name) > len(best))
            ):
                best = name
        if best is not None:
            return best
    return None


def _candidates(model: str) -> list[str]:
    """`model`, then without a gateway prefix (`openai/gpt-4o` -> `gpt-4o`)."""
    model = model.strip()
    found = [model]
    for prefix in _GATEWAY_PREFIXES:
        if model.startswith(prefix):
            found.append(model[len(prefix) :])
    if "/" in model:
        found.append(model.rsplit("/", 1)[1])
    return found


def estimate_cost(
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    overrides: Mapping[str, Price] | None = None,
) -> Cost | None:
    """The batch cost of the tokens for `model`; None when there is no price for it."""
    return PriceTable(overrides).estimate_cost(model, input_tokens, output_tokens)


def priced_model(file_model: str | None, profile_model: str | None) -> str | None:
    """The model a file is priced (and its queue headroom checked) at: the one its requests
    name, else the profile's `model` (the one the provider will use for them)."""
    return file_model or profile_model


def format_usd(amount: float) -> str:
    """`$0.0042`, `$1.37`, `$1,204`: enough digits to be useful at every scale."""
    if amount >= 100:
        return f"${amount:,.0f}"
    if amount >= 0.1:
        return f"${amount:,.2f}"
    if 0 < amount < 0.0001:
        return "<$0.0001"  # `.2g` would turn to exponent notation
    return f"${amount:.2g}" if amount > 0 else "$0"


def approx_usd(amount: float) -> str:
    """`~$1.37` for an estimate (`<$0.0001` needs no tilde)."""
    shown = format_usd(amount)
    return shown if shown.startswith("<") else f"~{shown}"


def describe_cost(cost: Cost | None, model: str, *, output_capped: bool = True) -> str:
    """One line for a terminal: the cost, or why there is none."""
    if cost is None:
        return (
            f'no price for model {model!r}: add [prices."{model}"] input = ..., output = ... '
            "(US dollars per 1M tokens) to config.toml"
        )
    output = format_usd(cost.output_usd)
    assumed = "" if output_capped else ", output assumed where uncapped"
    return (
        f"{approx_usd(cost.total_usd)} at batch prices for {cost.priced_as} "
        f"(input {format_usd(cost.input_usd)}, output at most {output}{assumed}; "
        f"{'your config' if cost.price.source == 'config' else 'prices as of ' + PRICES_AS_OF})"
    )
