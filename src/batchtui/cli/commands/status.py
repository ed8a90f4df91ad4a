"""`batchtui status JOB|GROUP [--refresh] [--json]`: one job, its history and its errors;
or a job group, its summed progress and each shard."""

from __future__ import annotations

import argparse

from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import (
    batch_error_entry,
    batch_error_text,
    both_times,
    counts_text,
    group_summary,
    history_entry,
    job_summary,
    print_json,
    render_table,
    status_label,
)
from batchtui.cli.targets import find_job_or_group
from batchtui.cli.terminal import inert, supports_unicode
from batchtui.core.models import Job, JobGroup, StatusChange
from batchtui.core.status import JobStatus


async def _refresh(context: CommandContext, job: Job, *, force: bool) -> Job:
    async with context.service() as service:
        return await service.refresh(job, force=force)


def job_details(job: Job, history: list[StatusChange], *, unicode: bool) -> str:
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
    lines = [f"{job.id}  {status_label(job.status, unicode=unicode)}"]
    lines += [f"  {label:<10}  {value}" for label, value in rows]
    if job.errors:
        lines.append("  batch errors:")
        lines += [f"    {batch_error_text(error)}" for error in job.errors]
    if history:
        lines.append("  history:")
        for change in history:
            note = f"  {inert(change.note, single_line=True)}" if change.note else ""
            counts = f"  {counts_text(change.request_counts)}" if change.request_counts else ""
            label = status_label(change.status, unicode=unicode)
            lines.append(f"    {both_times(change.at)}  {label}{counts}{note}")
    return "\n".join(lines)


async def _refresh_group(context: CommandContext, group: JobGroup, *, force: bool) -> list[Job]:
    async with context.service() as service:
        return await service.refresh_group(group, force=force)


def group_details(group: JobGroup, shards: list[Job], *, unicode: bool) -> str:
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
    lines = [f"{group.id}  {status_label(group_status(shards), unicode=unicode)}  (job group)"]
    lines += [f"  {label:<10}  {value}" for label, value in rows]
    table = render_table(
        ["SHARD", "ID", "STATUS", "DONE", "REMOTE ID"],
        [
            [
                f"{shard.shard_index}/{group.shard_count}",
                shard.id,
                status_label(shard.status, unicode=unicode),
                counts_text(shard.request_counts),
                shard.remote_id or "-",
            ]
            for shard in shards
        ],
        shrink_column=4,
        width=76,
        unicode=unicode,
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
    if args.json:
        print_json(group_summary(group, shards))
    else:
        print(group_details(group, shards, unicode=supports_unicode()))
    return 0


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
        print_json(summary)
    else:
        print(job_details(job, history, unicode=supports_unicode()))
    return 0
