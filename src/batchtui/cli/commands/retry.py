"""`batchtui retry JOB|GROUP [--dry-run] [--json]`: the failed and unfinished requests of
a finished job, copied from its input by custom_id, submitted as a child job.

The job's (and its earlier retries') results are downloaded first when they are not on
disk; a request is retried unless one of its attempts succeeded. A group gets one child
job per shard with something to retry, so each fits the limits its shard fitted.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import job_summary, print_json
from batchtui.cli.progress import TransferProgress
from batchtui.cli.targets import find_job_or_group
from batchtui.core.models import Job, JobGroup
from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.families import RetryPlan


def plan_entry(plan: RetryPlan, child: Job | None) -> dict[str, Any]:
    report = plan.report
    return {
        "parent_id": plan.parent.id,
        "requests": report.requests,
        "succeeded": report.succeeded,
        "failed": report.failed,
        "never_ran": report.never_ran,
        "to_retry": report.written,
        "duplicates": report.duplicates,
        "unmatched_results": report.unmatched_results,
        "retry_input": str(report.path) if report.path else None,
        "child": job_summary(child) if child is not None else None,
        "notes": plan.notes,
    }


async def _retry(
    context: CommandContext, target: Job | JobGroup, *, dry_run: bool
) -> list[tuple[RetryPlan, Job | None]]:
    from batchtui.core.families import plan_group_retry, plan_retry, submit_retry

    progress = TransferProgress("downloading")

    def on_member(job: Job) -> None:
        progress.clear()
        progress.label = f"downloading the results of {job.id}"

    done: list[tuple[RetryPlan, Job | None]] = []
    async with context.service() as service:
        await reconcile_leftovers(service, target.profile)
        try:
            if isinstance(target, JobGroup):
                plans = await plan_group_retry(
                    service, target, progress=progress, on_member=on_member
                )
            else:
                plans = [await plan_retry(service, target, progress=progress, on_member=on_member)]
            for plan in plans:
                child = None
                if plan.report.path is not None and not dry_run:
                    progress.clear()
                    progress.label = f"uploading the retry of {plan.parent.id}"
                    child = await submit_retry(service, plan, progress=progress)
                done.append((plan, child))
        finally:
            progress.clear()
    return done


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        target = find_job_or_group(context, args.job)
        done = run_async(_retry(context, target, dry_run=args.dry_run))
    if args.json:
        print_json([plan_entry(plan, child) for plan, child in done])
        return 0
    for plan, child in done:
        for note in plan.notes:
            warn(note)
        line = f"{plan.parent.id}: {plan.report.describe()}"
        if child is not None:
            line += f"\n  submitted as {child.id} ({inert(child.name, single_line=True)})"
        elif plan.report.path is not None:
            line += "\n  not submitted (--dry-run)"
        sys.stdout.write(line + "\n")
    if not any(plan.report.path for plan, _ in done):
        sys.stdout.write("nothing to retry: every request succeeded\n")
    return 0
