"""`batchtui rename`, `forget` and `archive`: keep the registry tidy as history grows.

`forget` removes registry entries in one transaction (asks first; `--yes` for scripts);
`archive` hides jobs from `jobs` and the TUI's default view (`jobs --all` shows them).
Neither touches the provider's batches or files.
"""

from __future__ import annotations

import argparse
import sys

from batchtui.cli.commands.watch import expand_refs
from batchtui.cli.context import CommandContext
from batchtui.cli.output import job_summary, print_json
from batchtui.core.errors import UsageError
from batchtui.core.models import Job
from batchtui.core.terminal_text import inert


def rename(args: argparse.Namespace) -> int:
    name = " ".join(args.name.split())
    if not name:
        raise UsageError("the new name is empty")
    with CommandContext(args) as context:
        job = context.find_job(args.job)
        job = context.registry.update_job(job.id, name=name, note=f"renamed from {job.name!r}")
    if args.json:
        print_json(job_summary(job))
    else:
        print(f"{job.id} is now {inert(job.name, single_line=True)!r}")
    return 0


def _selected(context: CommandContext, args: argparse.Namespace) -> list[Job]:
    from batchtui.cli.commands.jobs import parse_statuses
    from batchtui.core.durations import parse_duration
    from batchtui.core.housekeeping import older_than, refuse_running
    from batchtui.core.models import utc_now

    if args.jobs and args.older_than:
        raise UsageError("name jobs or give --older-than, not both")
    if args.jobs:
        jobs = expand_refs(context, args.jobs)
        refuse_running(jobs, args.command)
        return jobs
    if not args.older_than:
        raise UsageError("name the jobs, or select them with --older-than D [--status S]")
    seconds = parse_duration(args.older_than, setting="--older-than")
    statuses = parse_statuses(args.status)
    return older_than(
        context.registry.list_jobs(), seconds=seconds, now=utc_now(), statuses=statuses
    )


def _confirm(question: str, args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{question}: pass --yes to confirm without a terminal")
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in ("y", "yes")


def forget(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        jobs = _selected(context, args)
        if not jobs:
            return _report(args, [], "no job matches: nothing forgotten")
        shown = ", ".join(job.id for job in jobs[:5]) + (" ..." if len(jobs) > 5 else "")
        if not _confirm(f"forget {len(jobs)} job(s) ({shown}) from the registry?", args):
            print("nothing forgotten")
            return 1
        removed = context.registry.forget_jobs(job.id for job in jobs)
    return _report(args, [job.id for job in jobs], f"forgot {removed} job(s)")


def archive(args: argparse.Namespace) -> int:
    from batchtui.core.housekeeping import archive_jobs
    from batchtui.core.models import utc_now

    with CommandContext(args) as context:
        jobs = _selected(context, args)
        archive_jobs(context.registry, jobs, when=None if args.undo else utc_now())
    verb = "unarchived" if args.undo else "archived"
    return _report(args, [job.id for job in jobs], f"{verb} {len(jobs)} job(s)")


def _report(args: argparse.Namespace, ids: list[str], message: str) -> int:
    if args.json:
        print_json({"command": args.command, "jobs": ids})
    else:
        print(message)
    return 0
