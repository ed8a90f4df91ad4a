"""`batchtui jobs [--profile P] [--status S] [--json]`: the local registry only, no network."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from batchtui.cli.context import CommandContext
from batchtui.cli.output import (
    counts_text,
    job_summary,
    print_json,
    relative_time,
    render_table,
    status_label,
)
from batchtui.cli.terminal import inert, supports_unicode
from batchtui.core.errors import UsageError
from batchtui.core.models import Job
from batchtui.core.status import TERMINAL_STATUSES, JobStatus

STATUS_GROUPS = {
    "active": frozenset(JobStatus) - TERMINAL_STATUSES,
    "terminal": TERMINAL_STATUSES,
}


def parse_statuses(values: Sequence[str]) -> set[JobStatus] | None:
    """`--status` values (repeatable, comma-separated, or a group name); None for all."""
    wanted: set[JobStatus] = set()
    for value in values:
        for word in filter(None, (part.strip().lower() for part in value.split(","))):
            if word in STATUS_GROUPS:
                wanted |= STATUS_GROUPS[word]
                continue
            try:
                wanted.add(JobStatus(word))
            except ValueError:
                known = ", ".join([*STATUS_GROUPS, *(status.value for status in JobStatus)])
                raise UsageError(f"--status {word!r}: unknown status (known: {known})") from None
    return wanted or None


def jobs_table(jobs: Sequence[Job], *, unicode: bool) -> str:
    rows = [
        [
            job.id,
            status_label(job.status, unicode=unicode),
            counts_text(job.request_counts),
            inert(job.name, single_line=True),
            job.profile,
            relative_time(job.created_at),
        ]
        for job in jobs
    ]
    headers = ["ID", "STATUS", "DONE", "NAME", "PROFILE", "CREATED"]
    return render_table(headers, rows, shrink_column=3, unicode=unicode)


def run(args: argparse.Namespace) -> int:
    statuses = parse_statuses(args.status)
    with CommandContext(args) as context:
        if args.profile:
            context.config.profile(args.profile)
        jobs = context.registry.list_jobs(profile=args.profile, statuses=statuses, limit=args.limit)
    if args.json:
        print_json([job_summary(job) for job in jobs])
    elif not jobs:
        print("no jobs yet; submit one with `batchtui submit FILE --profile P`")
    else:
        print(jobs_table(jobs, unicode=supports_unicode()))
    return 0
