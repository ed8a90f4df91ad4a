"""The token, cost, headroom and split lines `validate`, `compose` and `submit` print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.estimate import FileEstimate
    from batchtui.core.formats import Limits, ValidationReport
    from batchtui.core.prices import Cost, PriceTable
    from batchtui.core.quota import Headroom
    from batchtui.core.registry import Registry
    from batchtui.core.split import SplitPlan


@dataclass
class EstimateView:
    """What is known about a validated file's size and price, ready to print."""

    estimate: FileEstimate
    model: str | None
    cost: Cost | None
    headroom: Headroom | None = None
    split: SplitPlan | None = None
    limits: Limits | None = None

    def lines(self) -> list[str]:
        from batchtui.core.estimate import format_tokens
        from batchtui.core.prices import describe_cost

        estimate = self.estimate
        tokens = (
            f"estimate: ~{format_tokens(estimate.input_tokens)} input tokens "
            f"({estimate.input_tokens:,}), at most {format_tokens(estimate.max_output_tokens)} "
            "output tokens"
        )
        if estimate.uncapped_requests:
            tokens += (
                f" ({estimate.uncapped_requests:,} request"
                f"{'s' if estimate.uncapped_requests != 1 else ''} without an output cap, "
                "1,024 assumed each)"
            )
        if estimate.rough_parts:
            tokens += f"; {estimate.rough_parts:,} image/audio/file parts counted at a flat rate"
        lines = [tokens]
        if self.model is None:
            lines.append("cost: unknown (no request names a model)")
        else:
            capped = estimate.uncapped_requests == 0
            lines.append(f"cost: {describe_cost(self.cost, self.model, output_capped=capped)}")
        if self.headroom is not None:
            lines.append(f"headroom: {self.headroom.describe()}")
        if self.split is not None and self.limits is not None:
            lines.append(
                f"split: over {self.limits.name}'s limits for one batch; `submit` sends it as "
                f"a job group of {self.split.describe(self.limits)}"
            )
        return [inert(line, single_line=True) for line in lines]

    def to_json(self) -> dict[str, Any]:
        from batchtui.core.prices import PRICES_AS_OF, describe_cost

        data = self.estimate.to_json()
        data["model"] = self.model
        data["cost"] = None
        if self.cost is not None:
            data["cost"] = {
                "usd": self.cost.total_usd,
                "input_usd": self.cost.input_usd,
                "output_usd": self.cost.output_usd,
                "priced_as": self.cost.priced_as,
                "price_per_1m": {"input": self.cost.price.input, "output": self.cost.price.output},
                "price_source": self.cost.price.source,
                "prices_as_of": PRICES_AS_OF,
            }
        if self.model is not None:
            capped = self.estimate.uncapped_requests == 0
            data["cost_text"] = describe_cost(self.cost, self.model, output_capped=capped)
        data["headroom"] = None if self.headroom is None else headroom_json(self.headroom)
        data["shards"] = self.split.shard_count if self.split is not None else 1
        return data


def headroom_json(headroom: Headroom) -> dict[str, Any]:
    return {
        "profile": headroom.profile,
        "model": headroom.model,
        "limit": headroom.limit,
        "in_flight_tokens": headroom.in_flight_tokens,
        "in_flight_jobs": headroom.in_flight_jobs,
        "unknown_jobs": headroom.unknown_jobs,
        "adding_tokens": headroom.adding_tokens,
        "exceeds": headroom.exceeds,
        "message": headroom.describe(),
    }


def estimate_view(
    report: ValidationReport,
    prices: PriceTable,
    *,
    limits: Limits,
    profile: Profile | None = None,
    registry: Registry | None = None,
) -> EstimateView | None:
    """The view of a report validated with `estimate=True` (None when it has no estimate)."""
    from batchtui.core.prices import priced_model

    estimate = report.estimate
    if estimate is None or estimate.requests == 0:
        return None
    model = priced_model(report.model, profile.model if profile else None)
    cost = headroom = None
    if model is not None:
        cost = prices.estimate_cost(model, estimate.input_tokens, estimate.max_output_tokens)
        if profile is not None and registry is not None:
            from batchtui.core.quota import headroom_from_registry

            headroom = headroom_from_registry(registry, profile, model, estimate.input_tokens)
    split = None
    if report.error_count:  # a file too big for one batch is an error; others need no plan
        from batchtui.core.split import needs_split, plan_split

        split = plan_split(report, limits) if needs_split(report) else None
    return EstimateView(estimate, model, cost, headroom, split, limits)
