"""Enqueued-token headroom: how much more input a profile may queue for a model.

OpenAI caps the input tokens queued per organization and model across all running
batches, and says so only after the fact (the batch is created, then fails with
`token_limit_exceeded`); no endpoint reports the headroom. As Microsoft advises for
Azure, the in-flight jobs are summed here instead: every non-terminal job of the profile
and model in the local registry, by its offline estimate (`Job.estimated_input_tokens`).
Jobs submitted from elsewhere, or before estimates were recorded, are not known exactly:
they are counted in `unknown_jobs` so the message can say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from batchtui.core.estimate import format_tokens
from batchtui.core.models import Job
from batchtui.core.status import TERMINAL_STATUSES, JobStatus

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.registry.store import Registry

IN_FLIGHT_STATUSES = frozenset(JobStatus) - TERMINAL_STATUSES
# `gpt-4o-mini-2024-07-18` and `gpt-4o-mini` share one enqueued-token limit.
_DATE_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def model_family(model: str) -> str:
    """The model without a dated snapshot suffix."""
    return _DATE_SUFFIX.sub("", model.strip())


@dataclass(frozen=True, slots=True)
class Headroom:
    profile: str
    model: str
    limit: int | None
    in_flight_tokens: int
    in_flight_jobs: int
    unknown_jobs: int  # in flight, but with no estimate recorded
    adding_tokens: int

    @property
    def after_submit(self) -> int:
        return self.in_flight_tokens + self.adding_tokens

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else self.limit - self.in_flight_tokens

    @property
    def exceeds(self) -> bool:
        """True when queuing this file would likely pass the limit."""
        return self.limit is not None and self.after_submit > self.limit

    def describe(self) -> str:
        """One line: where the profile stands, and what this file does to it."""
        unknown = (
            f" (+{self.unknown_jobs} job{'s' if self.unknown_jobs != 1 else ''} with no estimate)"
            if self.unknown_jobs
            else ""
        )
        where = f"for {self.model} on profile {self.profile!r}"
        adds = f"this file adds ~{format_tokens(self.adding_tokens)}"
        if self.limit is None:
            return (
                f"in flight: {format_tokens(self.in_flight_tokens)} enqueued tokens{unknown} "
                f"{where}; {adds} (no enqueued_token_limit set for the profile)"
            )
        head = (
            f"in flight: {format_tokens(self.in_flight_tokens)} of "
            f"{format_tokens(self.limit)} enqueued tokens{unknown} {where}; {adds}"
        )
        if self.exceeds:
            if self.adding_tokens > self.limit:
                return (
                    f"{head}: over the limit on its own, so the batch will fail with "
                    "token_limit_exceeded; split the file"
                )
            return (
                f"{head}: the batch will likely fail with token_limit_exceeded; wait for "
                "running batches to finish or split the file"
            )
        return f"{head}: fits"

    def warning(self) -> str | None:
        """`describe()` when the file would likely not fit, else None."""
        return self.describe() if self.exceeds else None


def enqueued_limit(profile: Profile, model: str) -> int | None:
    """The profile's enqueued-token limit for `model` (a number, or a table by model)."""
    setting = profile.enqueued_token_limit
    if setting is None or isinstance(setting, int):
        return setting
    from batchtui.core.prices import match_model_name

    name = match_model_name(model, setting)
    return setting[name] if name is not None else None


def in_flight(jobs: Iterable[Job], profile: str, model: str) -> tuple[int, int, int]:
    """(estimated tokens, jobs, jobs without an estimate) in flight for `profile`, `model`."""
    family = model_family(model)
    tokens = count = unknown = 0
    for job in jobs:
        if job.profile != profile or job.status not in IN_FLIGHT_STATUSES:
            continue
        if job.model is None or model_family(job.model) != family:
            continue
        count += 1
        if job.estimated_input_tokens is None:
            unknown += 1
        else:
            tokens += job.estimated_input_tokens
    return tokens, count, unknown


def headroom(jobs: Iterable[Job], profile: Profile, model: str, adding_tokens: int) -> Headroom:
    """Headroom for queuing `adding_tokens` more input for `model` on `profile`."""
    tokens, count, unknown = in_flight(jobs, profile.name, model)
    return Headroom(
        profile=profile.name,
        model=model,
        limit=enqueued_limit(profile, model),
        in_flight_tokens=tokens,
        in_flight_jobs=count,
        unknown_jobs=unknown,
        adding_tokens=adding_tokens,
    )


def headroom_from_registry(
    registry: Registry, profile: Profile, model: str, adding_tokens: int
) -> Headroom:
    """`headroom` over the registry's in-flight jobs of the profile."""
    jobs = registry.list_jobs(profile=profile.name, statuses=IN_FLIGHT_STATUSES)
    return headroom(jobs, profile, model, adding_tokens)
