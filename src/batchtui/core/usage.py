"""Tokens actually used, summed over result records, and their cost at batch prices.

Counts come from each record's usage (`prompt_tokens`, `completion_tokens`,
`total_tokens`, as the result parser normalizes them for every provider); cached
prompt tokens and reasoning tokens are read from the raw line where the provider
reports them (OpenAI `*_tokens_details`, Gemini `cachedContentTokenCount`,
`thoughtsTokenCount`). Cost is prompt and completion tokens at the model's batch
price (`prices.py`; cached-input discounts are not modelled there, so it is an upper
bound when caching happened).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

from batchtui.core.models import ResultRecord
from batchtui.core.prices import Cost, PriceTable, format_usd

# Keys cannot appear unescaped inside JSON strings, so these only match real usage fields.
_CACHED = re.compile(r'"(?:cached_tokens|cachedContentTokenCount)"\s*:\s*"?(\d+)')
_REASONING = re.compile(r'"(?:reasoning_tokens|thoughtsTokenCount)"\s*:\s*"?(\d+)')
_MODEL = re.compile(r'"(?:model|modelVersion)"\s*:\s*"((?:[^"\\]|\\.){1,200})"')


@dataclass
class Usage:
    records: int = 0
    succeeded: int = 0
    failed: int = 0
    with_usage: int = 0  # records that reported token counts
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    # Model names the responses reported, with how many records each.
    models: dict[str, int] = field(default_factory=dict)

    def add(self, record: ResultRecord) -> None:
        self.records += 1
        if record.ok:
            self.succeeded += 1
        else:
            self.failed += 1
        counts = (record.prompt_tokens, record.completion_tokens, record.total_tokens)
        if all(count is None for count in counts):
            return
        self.with_usage += 1
        prompt = record.prompt_tokens or 0
        completion = record.completion_tokens or 0
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.total_tokens += (
            record.total_tokens if record.total_tokens is not None else prompt + completion
        )
        raw = record.raw
        self.cached_tokens += _first_int(_CACHED, raw)
        self.reasoning_tokens += _first_int(_REASONING, raw)
        model = _MODEL.search(raw)
        if model is not None:
            name = model.group(1)
            self.models[name] = self.models.get(name, 0) + 1

    def __add__(self, other: Usage) -> Usage:
        total = Usage()
        for item in fields(Usage):
            if item.name != "models":
                setattr(total, item.name, getattr(self, item.name) + getattr(other, item.name))
        for usage in (self, other):
            for name, count in usage.models.items():
                total.models[name] = total.models.get(name, 0) + count
        return total

    @property
    def main_model(self) -> str | None:
        """The model most records reported, if any did."""
        return max(self.models, key=self.models.__getitem__) if self.models else None


def _first_int(pattern: re.Pattern[str], raw: str) -> int:
    match = pattern.search(raw)
    return int(match.group(1)) if match is not None else 0


def sum_usage(records: Iterable[ResultRecord]) -> Usage:
    usage = Usage()
    for record in records:
        usage.add(record)
    return usage


@dataclass(frozen=True)
class JobUsage:
    job_id: str
    model: str | None  # the job's model, else the one its responses reported
    usage: Usage
    cost: Cost | None  # None when the model is unknown or has no price


def job_usage(
    job_id: str, usage: Usage, model: str | None = None, prices: PriceTable | None = None
) -> JobUsage:
    """Usage of one job priced at `model`'s batch price (the responses' model if None)."""
    model = model or usage.main_model
    table = prices or PriceTable()
    cost = (
        table.estimate_cost(model, usage.prompt_tokens, usage.completion_tokens) if model else None
    )
    return JobUsage(job_id, model, usage, cost)


@dataclass(frozen=True)
class GroupUsage:
    jobs: list[JobUsage]
    total: Usage
    cost_usd: float  # of the priced jobs
    unpriced: list[str]  # ids of jobs with no price (unknown model, or none in the table)

    def describe(self) -> str:
        usage = self.total
        line = (
            f"{usage.records:,} results ({usage.failed:,} failed): "
            f"{usage.prompt_tokens:,} prompt + {usage.completion_tokens:,} completion tokens"
        )
        if usage.cached_tokens:
            line += f" ({usage.cached_tokens:,} prompt tokens cached)"
        line += f", {format_usd(self.cost_usd)} at batch prices"
        if self.unpriced:
            line += f" (not priced: {', '.join(self.unpriced)})"
        return line


def group_usage(jobs: Iterable[JobUsage]) -> GroupUsage:
    """The sum over jobs (a group, or any selection)."""
    listed = list(jobs)
    total = Usage()
    for job in listed:
        total = total + job.usage
    return GroupUsage(
        jobs=listed,
        total=total,
        cost_usd=sum(job.cost.total_usd for job in listed if job.cost is not None),
        unpriced=[job.job_id for job in listed if job.cost is None and job.usage.with_usage],
    )


def usage_by_job(
    records_by_job: Mapping[str, Iterable[ResultRecord]],
    models: Mapping[str, str | None] | None = None,
    prices: PriceTable | None = None,
) -> GroupUsage:
    """Usage and cost of each job's records, and their sum."""
    table = prices or PriceTable()
    return group_usage(
        job_usage(job_id, sum_usage(records), (models or {}).get(job_id), table)
        for job_id, records in records_by_job.items()
    )
