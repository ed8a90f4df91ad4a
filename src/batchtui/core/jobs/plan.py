"""Before anything is sent: an input file validated for a profile's kind, and the plan of
how submitting it would go (one batch or shards, the model priced, headroom, cost)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.config import Config
from batchtui.core.errors import InputFileError
from batchtui.core.registry import Registry

if TYPE_CHECKING:
    from batchtui.core.formats import Limits, ValidationReport
    from batchtui.core.formats.validate import Problem
    from batchtui.core.jobs.duplicates import EarlierSubmit
    from batchtui.core.prices import Cost
    from batchtui.core.quota import Headroom
    from batchtui.core.split import SplitPlan


class InvalidInputFile(InputFileError):
    """The input file failed validation; `report` holds every problem found."""

    def __init__(
        self, path: Path, report: ValidationReport, errors: list[Problem] | None = None
    ) -> None:
        shown = errors or report.errors
        more = report.error_count - 1
        tail = f" (and {more} more error{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"{shown[0].describe(path)}{tail}")
        self.report = report


@dataclass
class SubmitPlan:
    """What submitting a file will do, known before anything is sent: shown, then followed."""

    path: Path
    profile: str
    limits: Limits
    report: ValidationReport  # with its token estimate
    model: str | None
    split: SplitPlan | None  # None: the file goes as one batch
    headroom: Headroom | None
    cost: Cost | None
    # The same file sent to the same profile within `[submit] duplicate_window`.
    earlier: EarlierSubmit | None = None

    def duplicate_warning(self) -> str | None:
        """Said before a submit that may be a mistake: the CLI warns, the TUI asks."""
        return self.earlier.describe(self.path) if self.earlier is not None else None

    @property
    def input_tokens(self) -> int:
        return self.report.estimate.input_tokens if self.report.estimate else 0

    @property
    def shard_count(self) -> int:
        return self.split.shard_count if self.split else 1

    def warnings(self) -> list[str]:
        """What the user should hear before the upload starts (never a refusal)."""
        warning = self.headroom.warning() if self.headroom is not None else None
        return [warning] if warning else []


def validate(
    config: Config, path: Path, profile: str | None = None, *, estimate: bool = False
) -> ValidationReport:
    """Check an input file against the limits of `profile`'s kind (OpenAI's by default)."""
    from batchtui.core.formats import validate_file
    from batchtui.core.providers.kinds import limits_for_kind

    kind = config.profile(profile).kind if profile else None
    return validate_file(
        path,
        limits=limits_for_kind(kind),
        estimate=estimate,
        context_window=config.price_table().context_window,
    )


def plan_submit(
    config: Config, registry: Registry, path: Path, profile: str, *, split: bool = True
) -> SubmitPlan:
    """Validate and estimate `path` for `profile`: how it would go, and what it may cost.

    Raises InvalidInputFile for any problem splitting does not cure, and InputFileError
    when the file is over the limits for one batch and `split` is False.
    """
    from batchtui.core.jobs.duplicates import find_earlier_submit
    from batchtui.core.prices import priced_model
    from batchtui.core.providers.kinds import limits_for_kind
    from batchtui.core.quota import headroom_from_registry
    from batchtui.core.split import (
        blocking_problems,
        needs_split,
        plan_split,
        splittable_problems,
    )

    settings = config.profile(profile)
    limits = limits_for_kind(settings.kind)
    report = validate(config, path, profile, estimate=True)
    blocking = blocking_problems(report)
    if blocking or (report.error_count and not needs_split(report)):
        raise InvalidInputFile(path, report, blocking)
    if not report.endpoint:
        raise InputFileError(f"{path}: no request says which endpoint (url) it is for")
    split_plan = plan_split(report, limits) if needs_split(report) else None
    if split_plan is not None and not split:
        first = splittable_problems(report)[0]
        raise InputFileError(
            f"{first.describe(path)}: not submitted (--no-split); without --no-split it "
            f"goes as a job group of {split_plan.describe(limits)}"
        )
    model = priced_model(report.model, settings.model)
    tokens = report.estimate.input_tokens if report.estimate else 0
    headroom = cost = None
    if model:
        headroom = headroom_from_registry(registry, settings, model, tokens)
        estimate = report.estimate
        if estimate is not None:
            cost = config.price_table().estimate_cost(
                model, estimate.input_tokens, estimate.max_output_tokens
            )
    earlier = find_earlier_submit(registry, path, profile, config.submit.duplicate_seconds())
    return SubmitPlan(path, profile, limits, report, model, split_plan, headroom, cost, earlier)
