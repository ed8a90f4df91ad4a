"""`batchtui submit FILE --profile P [--name N] [--window 24h] [--metadata k=v]... [--json]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from batchtui.cli.commands.profile import parse_pairs
from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async
from batchtui.cli.output import job_summary, print_json, status_label
from batchtui.cli.progress import TransferProgress
from batchtui.core.models import Job


async def _submit(context: CommandContext, args: argparse.Namespace, profile: str) -> Job:
    path = Path(args.file)
    metadata = dict(parse_pairs(args.metadata, "--metadata"))
    progress = TransferProgress(f"uploading {path.name}")
    async with context.service() as service:
        await reconcile_leftovers(service, profile)
        try:
            return await service.submit(
                path,
                profile,
                name=args.name,
                window=args.window,
                metadata=metadata,
                progress=progress,
            )
        finally:
            progress.clear()


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        profile = context.profile_name(args.profile)
        job = run_async(_submit(context, args, profile))
    if args.json:
        print_json(job_summary(job))
    else:
        print(f"submitted {job.id} as {job.remote_id}: {status_label(job.status)}")
        print(f"follow it with `batchtui watch {job.id}`")
    return 0
