"""Tokens a job actually used and what they cost at batch prices.

Usage comes from the batch object when the provider reports it there (OpenAI's
`usage`: input, output, cached and reasoning tokens; free, no download); otherwise from
counting the downloaded result files (`usage.sum_usage`), which for a GB of results
takes a while, so the count is cached on the job (`Job.result_usage`) with the sizes of
the files it came from, and counted again only when they change.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.core.models import Job, JobGroup
from batchtui.core.prices import PriceTable, format_usd
from batchtui.core.usage import GroupUsage, JobUsage, Usage, group_usage, job_usage

if TYPE_CHECKING:
    from batchtui.core.registry import Registry

FILES_KEY = "files"
_USAGE_FIELDS = {item.name for item in fields(Usage)}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def batch_usage(job: Job) -> Usage | None:
    """The usage the provider reported on the batch object, if it reported any tokens."""
    reported = job.usage or {}
    prompt = _int(reported.get("input_tokens"))
    completion = _int(reported.get("output_tokens"))
    if not prompt and not completion:
        return None
    details_in = reported.get("input_tokens_details") or {}
    details_out = reported.get("output_tokens_details") or {}
    counts = job.request_counts
    return Usage(
        records=counts.done,
        succeeded=counts.completed,
        failed=counts.failed,
        with_usage=counts.completed,
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=_int(reported.get("total_tokens")) or prompt + completion,
        cached_tokens=_int(details_in.get("cached_tokens")) if isinstance(details_in, dict) else 0,
        reasoning_tokens=(
            _int(details_out.get("reasoning_tokens")) if isinstance(details_out, dict) else 0
        ),
    )


def file_sizes(job: Job) -> dict[str, int]:
    from batchtui.core.localresults import local_result_paths

    return {str(path): path.stat().st_size for path in local_result_paths(job)}


def cached_usage(job: Job, *, check_files: bool = True) -> Usage | None:
    """The count saved on the job, when its files have not changed since (`check_files`
    False trusts it without a `stat`: a list redrawn every few seconds on NFS)."""
    saved = job.result_usage
    if not saved or (check_files and saved.get(FILES_KEY) != file_sizes(job)):
        return None
    values = {key: value for key, value in saved.items() if key in _USAGE_FIELDS}
    try:
        return Usage(**values)
    except TypeError:
        return None


def count_file_usage(job: Job) -> Usage | None:
    """Count the tokens in the job's downloaded files (slow on big files: run in a thread)."""
    from batchtui.core.resultfile import ResultSet
    from batchtui.core.usage import sum_usage

    paths = [Path(name) for name in file_sizes(job)]
    if not paths:
        return None
    results = ResultSet(paths, persist_index=True)
    try:
        return sum_usage(results.records())
    finally:
        results.close()


def usage_record(job: Job, usage: Usage) -> dict[str, Any]:
    return {**asdict(usage), FILES_KEY: file_sizes(job)}


def known_usage(job: Job) -> Usage | None:
    """Usage without reading any file: the batch's report, else the saved count."""
    return batch_usage(job) or cached_usage(job)


def ensure_usage(registry: Registry, job: Job) -> Usage | None:
    """Known usage, else counted from the downloaded files and saved (worker threads only)."""
    usage = known_usage(job)
    if usage is not None or not file_sizes(job):
        return usage
    usage = count_file_usage(job)
    if usage is not None:
        registry.update_job(job.id, result_usage=usage_record(job, usage))
    return usage


def listed_cost(job: Job, prices: PriceTable) -> str:
    """The cost cell of a job list: what is known without touching any file."""
    usage = batch_usage(job) or cached_usage(job, check_files=False)
    if usage is None:
        return "-"
    return cost_text(group_usage([priced(job, usage, prices)]))


def priced(job: Job, usage: Usage, prices: PriceTable) -> JobUsage:
    return job_usage(job.id, usage, job.model, prices)


def jobs_cost(
    jobs: list[Job], prices: PriceTable, *, count: Registry | None = None
) -> GroupUsage | None:
    """Usage and cost summed over `jobs` (a family, a group); None when none is known.

    With `count`, jobs whose usage is unknown are counted from their files (and saved).
    """
    known = []
    for job in jobs:
        usage = ensure_usage(count, job) if count is not None else known_usage(job)
        if usage is not None:
            known.append(priced(job, usage, prices))
    return group_usage(known) if known else None


def cost_text(total: GroupUsage | None) -> str:
    """`$1.23` (or `-` when unknown): a table cell."""
    if total is None:
        return "-"
    return format_usd(total.cost_usd) + ("+" if total.unpriced else "")


def usage_lines(total: GroupUsage | None, *, scope: str | None = None) -> list[tuple[str, str]]:
    """(label, value) rows for a detail view; `scope` says which jobs the cost sums, e.g.
    `3 shards, 1 retry` (see `scope_text`)."""
    if total is None:
        return [("usage", "not reported yet (download the results to count it)")]
    usage = total.total
    rows = [
        ("tokens", f"{usage.prompt_tokens:,} prompt + {usage.completion_tokens:,} completion"),
    ]
    if usage.cached_tokens or usage.reasoning_tokens:
        rows.append(
            (
                "of which",
                f"{usage.cached_tokens:,} cached prompt, {usage.reasoning_tokens:,} reasoning",
            )
        )
    cost = format_usd(total.cost_usd) + " at batch prices"
    if scope:
        cost += f" ({scope})"
    if total.unpriced:
        cost += f"; no price for {', '.join(total.unpriced)}"
    rows.append(("cost", cost))
    return rows


def job_usage_rows(
    registry: Registry, job: Job, family: list[Job], prices: PriceTable
) -> list[tuple[str, str]]:
    """(label, value) rows of a job's usage and cost, then, when it has retries, of its
    whole family (`family`, labelled "(all)"): the providers' own usage, else counted once
    from the downloaded files and saved (slow on a GB: worker threads only). A job without
    result files (it never ran) has no usage to wait for, so no rows of its own."""
    own = jobs_cost([job], prices, count=registry)
    has_files = bool(job.output_file_id or job.error_file_id)
    rows = usage_lines(own) if own or has_files else []
    if len(family) > 1:
        total = jobs_cost(family, prices, count=registry)
        rows += [
            (f"{label} (all)", value)
            for label, value in usage_lines(total, scope=scope_text(retries=len(family) - 1))
            if label != "of which"
        ]
    return rows


def scope_text(*, shards: int = 0, retries: int = 0) -> str:
    """What a summed cost covers, in words: `this job and 2 retries`, `3 shards`, `3 shards
    and 1 retry`; never "retries" where there are none."""
    retried = f"{retries} {'retry' if retries == 1 else 'retries'}"
    if shards:
        covered = f"{shards} {'shard' if shards == 1 else 'shards'}"
        return f"{covered} and {retried}" if retries else covered
    return f"this job and {retried}" if retries else "this job"


def group_usage_rows(
    registry: Registry, group: JobGroup, prices: PriceTable
) -> list[tuple[str, str]]:
    """(label, value) rows of a group's usage and cost: its shards and their retries, the
    providers' own usage, else counted once from the downloaded files and saved (worker
    threads only). The CLI's `status GROUP` and the TUI's group detail show these rows."""
    from batchtui.core.families import Family, family_of

    shards = [shard for shard in registry.group_jobs(group.id) if shard.remote_id]
    families: list[Family] = [family_of(registry, shard) for shard in shards]
    members = [job for family in families for job in family.members]
    retries = sum(len(family.retries) for family in families)
    total = jobs_cost(members, prices, count=registry) if members else None
    return usage_lines(total, scope=scope_text(shards=len(shards), retries=retries))
