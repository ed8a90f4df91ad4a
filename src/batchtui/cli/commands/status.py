"""`batchtui status JOB|GROUP [--refresh] [--json]`: one job, its history and its errors;
or a job group, its summed progress and each shard."""

from __future__ import annotations

import argparse

from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import (
    batch_error_entry,
    batch_error_text,
    both_times,
    group_summary,
    history_entry,
    job_summary,
    print_json,
    render_table,
    status_label,
)
from batchtui.cli.targets import find_job_or_group
from batchtui.cli.terminal import Glyphs, glyphs_for
from batchtui.core.jobview import counts_text
from batchtui.core.models import Job, JobGroup, StatusChange
from batchtui.core.status import JobStatus
from batchtui.core.terminal_text import inert


async def _refresh(context: CommandContext, job: Job, *, force: bool) -> Job:
    async with context.service() as service:
        return await service.refresh(job, force=force)


def family_rows(context: CommandContext, job: Job) -> list[tuple[str, str]]:
    from batchtui.core.families import family_of

    family = family_of(context.registry, job)
    rows: list[tuple[str, str]] = []
    if job.parent_id:
        rows.append(("retry of", job.parent_id))
    elif family.retries:
        listed = ", ".join(f"{retry.id} ({retry.status})" for retry in family.retries)
        rows.append(("retries", listed))
    from batchtui.core.costs import job_usage_rows

    prices = context.config.price_table()
    return rows + job_usage_rows(context.registry, job, family.members, prices)


def job_details(
    job: Job,
    history: list[StatusChange],
    *,
    glyphs: Glyphs,
    extra: list[tuple[str, str]] | None = None,
) -> str:
    rows = [
        ("name", inert(job.name, single_line=True)),
        ("profile", f"{job.profile} ({job.kind})"),
        ("remote id", job.remote_id or "-"),
        *([("group", f"{job.group_id} (shard {job.shard_index})")] if job.group_id else []),
        ("requests", counts_text(job.request_counts)),
        ("endpoint", job.endpoint or "-"),
        ("model", inert(job.model or "-", single_line=True)),
        ("input", f"{job.input_path or '-'} ({job.input_lines or 0} lines)"),
        ("created", both_times(job.created_at)),
        ("updated", both_times(job.updated_at)),
    ]
    if job.timestamps.get("expires_at") and not job.is_terminal:
        rows.append(("expires", both_times(job.timestamps["expires_at"])))
    for label, path in (("output", job.output_path), ("errors", job.error_path)):
        if path is not None:
            rows.append((label, str(path)))
    if job.last_error:
        rows.append(("last error", inert(job.last_error, single_line=True)))
    rows += extra or []
    lines = [f"{job.id}  {status_label(job.status, glyphs=glyphs)}"]
    lines += [f"  {label:<10}  {inert(value, single_line=True)}" for label, value in rows]
    if job.errors:
        lines.append("  batch errors:")
        lines += [f"    {batch_error_text(error)}" for error in job.errors]
    if history:
        lines.append("  history:")
        for change in history:
            note = f"  {inert(change.note, single_line=True)}" if change.note else ""
            counts = f"  {counts_text(change.request_counts)}" if change.request_counts else ""
            label = status_label(change.status, glyphs=glyphs)
            lines.append(f"    {both_times(change.at)}  {label}{counts}{note}")
    return "\n".join(lines)


async def _refresh_group(context: CommandContext, group: JobGroup, *, force: bool) -> list[Job]:
    async with context.service() as service:
        return await service.refresh_group(group, force=force)


def group_details(
    group: JobGroup,
    shards: list[Job],
    *,
    glyphs: Glyphs,
    extra: list[tuple[str, str]] | None = None,
) -> str:
    from batchtui.core.groups import group_counts, group_status

    counts = group_counts(shards)
    rows = [
        ("name", inert(group.name, single_line=True)),
        ("profile", group.profile),
        ("requests", counts_text(counts)),
        ("input", f"{group.input_path or '-'} ({group.input_lines or 0:,} lines)"),
        ("shards", str(group.shard_count)),
        ("created", both_times(group.created_at)),
    ]
    if group.estimated_input_tokens is not None:
        rows.insert(3, ("tokens", f"~{group.estimated_input_tokens:,} input (estimated)"))
    rows += extra or []
    lines = [f"{group.id}  {status_label(group_status(shards), glyphs=glyphs)}  (job group)"]
    lines += [f"  {label:<10}  {inert(value, single_line=True)}" for label, value in rows]
    table = render_table(
        ["SHARD", "ID", "STATUS", "DONE", "REMOTE ID"],
        [
            [
                f"{shard.shard_index}/{group.shard_count}",
                shard.id,
                status_label(shard.status, glyphs=glyphs),
                counts_text(shard.request_counts),
                shard.remote_id or "-",
            ]
            for shard in shards
        ],
        shrink_column=4,
        width=76,
        glyphs=glyphs,
    )
    lines += ["  " + line for line in table.splitlines()]
    for shard in shards:
        if shard.last_error:
            lines.append(
                f"  shard {shard.shard_index}: {inert(shard.last_error, single_line=True)}"
            )
    return "\n".join(lines)


def _run_group(context: CommandContext, args: argparse.Namespace, group: JobGroup) -> int:
    shards = context.registry.group_jobs(group.id)
    if args.refresh or any(shard.status is JobStatus.SUBMITTING for shard in shards):
        shards = run_async(_refresh_group(context, group, force=args.refresh))
    from batchtui.core.costs import group_usage_rows
    from batchtui.core.families import families_of

    members = [job for family in families_of(context.registry, group) for job in family.members]
    usage = group_usage_rows(context.registry, group, context.config.price_table())
    if args.json:
        summary = group_summary(group, shards)
        summary["usage"] = usage_json(context, members)
        print_json(summary)
    else:
        print(group_details(group, shards, glyphs=glyphs_for(), extra=usage))
    return 0


def usage_json(context: CommandContext, jobs: list[Job]) -> dict[str, object] | None:
    from batchtui.core.costs import jobs_cost

    total = jobs_cost(jobs, context.config.price_table(), count=context.registry)
    if total is None:
        return None
    usage = total.total
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cached_tokens": usage.cached_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cost_usd": round(total.cost_usd, 6),
        "unpriced_jobs": total.unpriced,
        "jobs": [job.job_id for job in total.jobs],
    }


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        target = find_job_or_group(context, args.job)
        if isinstance(target, JobGroup):
            return _run_group(context, args, target)
        job = target
        if args.refresh or job.status is JobStatus.SUBMITTING:
            job = run_async(_refresh(context, job, force=args.refresh))
        history = context.registry.history(job.id)
        if args.json:
            summary = job_summary(job)
            summary["history"] = [history_entry(change) for change in history]
            summary["errors"] = [batch_error_entry(error) for error in job.errors]
            summary["usage"] = usage_json(context, [job])
            print_json(summary)
        else:
            extra = family_rows(context, job)
            print(job_details(job, history, glyphs=glyphs_for(), extra=extra))
    return 0
