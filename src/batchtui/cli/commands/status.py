"""`batchtui status JOB [--refresh] [--json]`: one job, its history and its errors."""

from __future__ import annotations

import argparse

from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import (
    batch_error_entry,
    batch_error_text,
    both_times,
    counts_text,
    history_entry,
    job_summary,
    print_json,
    status_label,
)
from batchtui.cli.terminal import inert, supports_unicode
from batchtui.core.models import Job, StatusChange
from batchtui.core.status import JobStatus


async def _refresh(context: CommandContext, job: Job, *, force: bool) -> Job:
    async with context.service() as service:
        return await service.refresh(job, force=force)


def job_details(job: Job, history: list[StatusChange], *, unicode: bool) -> str:
    rows = [
        ("name", inert(job.name, single_line=True)),
        ("profile", f"{job.profile} ({job.kind})"),
        ("remote id", job.remote_id or "-"),
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


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        job = context.find_job(args.job)
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
