"""`batchtui jobs [--profile P] [--status S] [--json|--format F] [--plain]`: the local registry
only, no network.

A job group is one row (its summed progress, its most active status); `--json` gives the
group with its `shards`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

from batchtui.cli.context import CommandContext
from batchtui.cli.output import (
    group_summary,
    iso_utc,
    job_summary,
    print_json,
    relative_time,
    render_table,
    status_label,
)
from batchtui.cli.terminal import Glyphs, glyphs_for
from batchtui.core.errors import UsageError
from batchtui.core.jobview import counts_text
from batchtui.core.models import Job, JobGroup
from batchtui.core.status import TERMINAL_STATUSES, JobStatus
from batchtui.core.terminal_text import inert

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


def jobs_table(jobs: Sequence[Job], *, glyphs: Glyphs) -> str:
    """The human table; `Glyphs.NONE` (`--plain`, or not a terminal): status words only."""
    rows = [
        [
            job.id,
            status_label(job.status, glyphs=glyphs),
            counts_text(job.request_counts),
            inert(job.name, single_line=True),
            job.profile,
            relative_time(job.created_at),
        ]
        for job in jobs
    ]
    headers = ["ID", "STATUS", "DONE", "NAME", "PROFILE", "CREATED"]
    return render_table(headers, rows, shrink_column=3, glyphs=glyphs)


@dataclass
class Entry:
    """One row of the list: a job, or a group shown as the job `row` with its shards."""

    row: Job
    group: JobGroup | None = None
    shards: list[Job] = field(default_factory=list)

    def to_json(self) -> dict:
        if self.group is None:
            return job_summary(self.row)
        return group_summary(self.group, self.shards)


def list_entries(
    context: CommandContext,
    profile: str | None,
    *,
    include_archived: bool = True,
    limit: int | None = None,
) -> list[Entry]:
    """Jobs of their own and groups, newest first, at most `limit`: the registry's page of
    the list, filtered and sorted by the same SQL as the TUI's job list."""
    from batchtui.core.jobview import ArchivedScope, FilterTerm, JobFilter, SortOrder

    terms = (FilterTerm(profile.lower(), field="profile"),) if profile else ()
    scope = ArchivedScope.ALL if include_archived else ArchivedScope.HIDDEN
    page = context.registry.job_page(
        JobFilter(terms=terms), SortOrder(), scope, offset=0, limit=-1 if limit is None else limit
    )
    return [
        Entry(row, page.groups[row.id], page.shards.get(row.id, []))
        if row.id in page.groups
        else Entry(row)
        for row in page.rows
    ]


def run(args: argparse.Namespace) -> int:
    statuses = parse_statuses(args.status)
    if args.limit is not None and args.limit < 0:
        raise UsageError(f"--limit {args.limit}: must be 0 or more")
    with CommandContext(args, reads_only=True) as context:
        if args.profile:
            context.config.profile(args.profile)
        # Without --status the registry cuts the list at --limit; with it, after filtering.
        limit = args.limit if statuses is None else None
        entries = list_entries(context, args.profile, include_archived=args.all, limit=limit)
    if statuses is not None:
        entries = [entry for entry in entries if entry.row.status in statuses]
    entries = entries[: args.limit] if args.limit is not None else entries
    output_format = "json" if args.json else args.format
    if output_format == "json":
        print_json([entry.to_json() for entry in entries])
    elif output_format in ("tsv", "csv"):
        write_delimited([entry.row for entry in entries], output_format)
    elif not entries:
        print("no jobs yet; submit one with `batchtui submit FILE --profile P`")
    else:
        rows = [
            entry.row
            if entry.group is None
            else entry.row.model_copy(
                update={"name": f"{entry.row.name} ({len(entry.shards)} shards)"}
            )
            for entry in entries
        ]
        print(jobs_table(rows, glyphs=Glyphs.NONE if args.plain else glyphs_for()))
    return 0


DELIMITED_COLUMNS = (
    "id", "status", "completed", "failed", "total", "name", "profile", "kind", "remote_id",
    "created_at",
)  # fmt: skip


def write_delimited(jobs: Sequence[Job], output_format: str) -> None:
    """One header row, then a row a job: no glyphs, no padding, counts as numbers.

    Names are made single-line and inert first, so a row is always one line.
    """
    import csv
    import sys

    writer = csv.writer(
        sys.stdout,
        dialect="excel-tab" if output_format == "tsv" else "excel",
        lineterminator="\n",
    )
    writer.writerow(DELIMITED_COLUMNS)
    for job in jobs:
        counts = job.request_counts
        known = counts.known  # unknown counts are empty cells, never a made-up 0
        writer.writerow(
            [
                job.id,
                job.status.value,
                counts.completed if known else "",
                counts.failed if known else "",
                counts.total if known else "",
                inert(job.name, single_line=True).replace("\t", " "),
                job.profile,
                job.kind,
                job.remote_id or "",
                iso_utc(job.created_at),
            ]
        )
