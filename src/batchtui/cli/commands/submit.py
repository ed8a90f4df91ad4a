"""`batchtui submit FILE --profile P [--name N] [--window 24h] [--metadata k=v]... [--no-split]
[--skip-duplicate] [--json]`.

Before anything is sent, the file is validated and estimated, and stderr says what it
will cost, whether the profile's enqueued-token headroom is likely to be passed, and how
it will be split, and whether the same file (same sha256) went to the same profile within
`[submit] duplicate_window`, naming that job. None of it asks a question: a warning never
blocks, so `submit` behaves the same on a terminal, in a pipe and under cron (no `--yes`
needed; the TUI, where someone is there to answer, asks instead). `--skip-duplicate`
makes a repeated submit idempotent: nothing is sent and the earlier job is printed. A file
over the provider's limits for one batch goes as a job group of shards unless `--no-split`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from batchtui.cli.commands.profile import parse_pairs
from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import group_summary, job_summary, print_json, status_label
from batchtui.cli.progress import TransferProgress
from batchtui.core.jobs.duplicates import EarlierSubmit
from batchtui.core.models import Job, JobGroup
from batchtui.core.service import GroupSubmission, JobService, SubmitPlan
from batchtui.core.terminal_text import inert


@dataclass(frozen=True)
class Earlier:
    """What `--skip-duplicate` found instead of submitting."""

    target: Job | JobGroup


def _announce(plan: SubmitPlan) -> None:
    """The estimate, the cost and any warning, on stderr before the upload starts."""
    from batchtui.cli.estimates import EstimateView

    if plan.report.estimate is not None:
        view = EstimateView(
            plan.report.estimate, plan.model, plan.cost, None, plan.split, plan.limits
        )
        for line in view.lines():
            sys.stderr.write(f"batchtui: {line}\n")
    duplicate = plan.duplicate_warning()
    if duplicate is not None:
        warn(f"{duplicate}; submitting again")
    for warning in plan.warnings():
        warn(warning)
    sys.stderr.flush()


async def _submit(
    context: CommandContext, args: argparse.Namespace, profile: str
) -> Job | GroupSubmission | Earlier:
    import asyncio

    path = Path(args.file)
    metadata = dict(parse_pairs(args.metadata, "--metadata"))
    progress = TransferProgress(f"uploading {path.name}")

    def on_shard(index: int, count: int) -> None:
        progress.clear()
        progress.label = f"uploading shard {index}/{count} of {path.name}"

    service: JobService
    async with context.service() as service:
        await reconcile_leftovers(service, profile)
        plan = await asyncio.to_thread(service.plan_submit, path, profile, split=not args.no_split)
        if args.skip_duplicate and plan.earlier is not None:
            warn(f"{plan.duplicate_warning()}; not submitted again (--skip-duplicate)")
            return Earlier(await asyncio.to_thread(_earlier, service, plan.earlier))
        try:
            return await service.submit_file(
                path,
                profile,
                name=args.name,
                window=args.window,
                metadata=metadata,
                progress=progress,
                plan=plan,
                on_shard=on_shard,
                on_ready=lambda: _announce(plan),
            )
        finally:
            progress.clear()


def _earlier(service: JobService, earlier: EarlierSubmit) -> Job | JobGroup:
    if earlier.is_group:
        return service.registry.get_group(earlier.id)
    return service.registry.get_job(earlier.id)


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        profile = context.profile_name(args.profile)
        submitted = run_async(_submit(context, args, profile))
        # --skip-duplicate found the earlier job or group: it is printed, nothing was sent.
        skipped = isinstance(submitted, Earlier)
        if isinstance(submitted, Earlier):
            submitted = submitted.target
        if isinstance(submitted, JobGroup):
            shards = context.registry.group_jobs(submitted.id)
            earlier = GroupSubmission(submitted, shards)
            return _print_group(earlier, json=args.json, verb="already submitted")
    if isinstance(submitted, GroupSubmission):
        return _print_group(submitted, json=args.json)
    if args.json:
        print_json(job_summary(submitted))
    else:
        verb = "already submitted" if skipped else "submitted"
        label = status_label(submitted.status)
        print(f"{verb} {submitted.id} as {submitted.remote_id}: {label}")
        print(f"follow it with `batchtui watch {submitted.id}`")
    return 0


def _print_group(submitted: GroupSubmission, *, json: bool, verb: str = "submitted") -> int:
    group, shards = submitted.group, submitted.shards
    if json:
        print_json(group_summary(group, shards))
        return 0
    name = inert(group.name, single_line=True)
    print(f"{verb} group {group.id} ({name}) as {len(shards)} shards:")
    for shard in shards:
        print(
            f"  {shard.shard_index}/{group.shard_count}  {shard.id}  {shard.remote_id}  "
            f"{shard.input_lines or 0:,} requests  {status_label(shard.status)}"
        )
    print(f"follow it with `batchtui watch {group.id}`")
    return 0
