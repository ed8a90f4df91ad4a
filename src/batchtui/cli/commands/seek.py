"""`results JOB|GROUP --from N` and `--tail N` on outputs still at the provider, read with Range.

Only the window asked for crosses the network: the last records come from a read counted
from the end, a deep `--from` from a read at the byte offset the mean line length points
to, so its record numbers are approximate ("≈", said on stderr) until the job is
downloaded or a scan in the viewer indexed its output. A group is read in the one shard
that holds the record (placed by the shards' record counts, `group_seek`), its `--tail`
from the last shards' ends. Where the provider or a gateway cannot read a part of the
file, or a shard's count is not known, the caller streams from the start instead, and
this says so.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import aclosing
from typing import TYPE_CHECKING, Protocol

from batchtui.cli.context import CommandContext, warn
from batchtui.core.errors import BatchtuiError
from batchtui.core.models import Job, ResultRecord

if TYPE_CHECKING:
    from pathlib import Path

    from batchtui.core.group_seek import ShardPlace
    from batchtui.core.models import JobGroup
    from batchtui.core.remote_output import LineWindow, RemoteOutput
    from batchtui.core.service import JobService

LAST_PAGE = 20
# Records read per window while printing from a deep `--from` with `--head`.
WINDOW_RECORDS = 100


class RecordPrinter(Protocol):
    count: int  # records printed

    @property
    def full(self) -> bool: ...

    def print(self, record: ResultRecord) -> None: ...


def note(message: str) -> None:
    sys.stderr.write(f"batchtui: {message}\n")


def tail_count(args: argparse.Namespace) -> int | None:
    return LAST_PAGE if getattr(args, "last", False) else getattr(args, "tail", None)


def _place(window: LineWindow) -> str:
    return f"{'' if window.exact else '≈'}{window.first_line:,}"


def _total(output: RemoteOutput) -> str:
    estimate = output.estimated_lines()
    if estimate is None:
        return "?"
    return f"{'' if output.indexed else '≈'}{estimate:,}"


async def _opened(service: JobService, job: Job, kind: str = "output") -> RemoteOutput:
    """The job's remote `kind` file, with its saved index when a viewer's scan left one."""
    from batchtui.core.remote_scan import RemoteScan

    output = await service.remote_output(job, kind)
    await RemoteScan(output).load_saved()
    return output


async def print_remote(
    context: CommandContext,
    job: Job,
    args: argparse.Namespace,
    printer: RecordPrinter,
    tail: int | None,
) -> bool:
    """Print by seeking in the job's remote output; False (after saying why, nothing
    printed) where it cannot be read in parts and the caller must stream instead."""
    from batchtui.core.remote_output import RangeNotHonoured

    async with context.service() as service:
        try:
            output = await _opened(service, job)
            if tail is not None:
                await _print_tail(output, job, tail, printer)
            else:
                await _print_from(service, output, job, args.start, args.head, printer)
        except RangeNotHonoured as exc:
            if printer.count:  # Range stopped working half-way: streaming would repeat records
                raise BatchtuiError(
                    str(exc).replace("streaming from the start instead", "stopped")
                ) from None
            warn(str(exc))
            return False
    return True


async def _print_tail(output: RemoteOutput, job: Job, count: int, printer: RecordPrinter) -> None:
    from batchtui.core.resultfile import parse_record

    window = await output.last_lines(count)
    records = [parse_record(line) for line in window.lines if line.strip()]
    others = "; the error file's records are not among them (--errors)" if job.error_file_id else ""
    note(
        f"the last {len(records):,} records of job {job.id}'s output, from record "
        f"{_place(window)} of {_total(output)} (read from the end of the file, "
        f"{output.bytes_fetched:,} bytes; not downloaded){others}"
    )
    for record in records:
        printer.print(record)


async def _print_from(
    service: JobService,
    output: RemoteOutput,
    job: Job,
    start: int,
    head: int | None,
    printer: RecordPrinter,
    *,
    asked: str = "",
    kind: str = "output",
) -> None:
    """Records from line `start` of the job's `kind` file to its end (then its error
    file's, after the output), or `head` of them."""
    from batchtui.core.resultfile import parse_record

    wanted = head if head is not None else WINDOW_RECORDS
    window = await output.lines_near(start, max(1, min(wanted, WINDOW_RECORDS)))
    if not window.exact:
        note(
            f"{asked or f'--from {start:,}'}: starting at record {_place(window)} of "
            f"{_total(output)} of job {job.id}'s {kind}, placed by byte offset in the file "
            f"that is not downloaded (numbers are approximate until `batchtui download "
            f"{job.id}`)"
        )
    while True:
        for line in window.lines:
            if printer.full:
                return
            if line.strip():
                printer.print(parse_record(line))
        if window.at_end or printer.full:
            break
        if not window.lines:
            raise BatchtuiError(
                f"job {job.id}: the record at byte {window.end:,} of its output is longer "
                f"than a page can hold: download the job to read it"
            )
        if head is None:  # everything after it: one streamed request
            async with aclosing(output.stream_lines(window.end)) as lines:
                async for line in lines:
                    if line.strip():
                        printer.print(parse_record(line))
            break
        window = await output.lines_after(window, WINDOW_RECORDS)
    if kind == "output" and job.error_file_id and not printer.full:
        provider = await service.provider(job.profile)
        async with aclosing(provider.iter_lines(job.error_file_id)) as lines:
            async for line in lines:
                if printer.full:
                    break
                if line.strip():
                    printer.print(parse_record(line))


async def print_group_remote(
    context: CommandContext,
    group: JobGroup,
    args: argparse.Namespace,
    printer: RecordPrinter,
    tail: int | None,
) -> bool:
    """Print a group's `--from`/`--tail` by seeking in the shard(s) that hold them; False
    (after saying why, nothing printed) where the caller must read every shard instead."""
    from batchtui.core.group_seek import place_record
    from batchtui.core.remote_output import RangeNotHonoured

    async with context.service() as service:
        sent = [shard for shard in service.shards(group) if shard.remote_id is not None]
        if not sent:
            return False  # the caller's read says there is nothing to read
        try:
            if tail is not None:
                await _print_group_tail(service, sent, tail, printer)
                return True
            place = place_record(sent, args.start)
            if isinstance(place, str):
                warn(f"group {group.id}: {place}: reading every shard's records instead")
                return False
            if place is not None:
                await _print_group_from(service, group, sent, place, args, printer)
        except RangeNotHonoured as exc:
            if printer.count:
                raise BatchtuiError(
                    str(exc).replace("streaming from the start instead", "stopped")
                ) from None
            warn(str(exc))
            return False
    return True


async def _print_group_from(
    service: JobService,
    group: JobGroup,
    sent: list[Job],
    place: ShardPlace,
    args: argparse.Namespace,
    printer: RecordPrinter,
) -> None:
    """From the record `place` names to the end of the group (or `--head` of them)."""
    from batchtui.core.localresults import page_of_files, results_on_disk

    shard = place.shard
    asked = f"--from {args.start:,} (record {place.line:,} of shard {place.number})"
    if results_on_disk(shard):
        start = place.line + (shard.request_counts.completed if place.kind == "error" else 0)
        for record in page_of_files(_local_paths(shard), start=start, head=args.head):
            printer.print(record)
    else:
        output = await _opened(service, shard, place.kind)
        await _print_from(
            service, output, shard, place.line, args.head, printer, asked=asked, kind=place.kind
        )
    for later in sent[place.number :]:
        if printer.full:
            return
        async with aclosing(service.iter_results(later)) as records:
            async for record in records:
                if printer.full:
                    break
                printer.print(record)


async def _print_group_tail(
    service: JobService, sent: list[Job], count: int, printer: RecordPrinter
) -> None:
    """The last `count` records of the group in its order (each shard's output, then its
    error file): the last files read from their ends, back only as far as needed."""
    from batchtui.core.localresults import results_on_disk, tail_of_files
    from batchtui.core.resultfile import parse_record

    pieces: list[list[ResultRecord]] = []
    wanted = count
    for shard in reversed(sent):
        if wanted <= 0:
            break
        if results_on_disk(shard):
            records = tail_of_files(_local_paths(shard), wanted)
            pieces.append(records)
            wanted -= len(records)
            continue
        for kind in ("error", "output") if shard.error_file_id else ("output",):
            if wanted <= 0:
                break
            output = await _opened(service, shard, kind)
            window = await output.last_lines(wanted)
            records = [parse_record(line) for line in window.lines if line.strip()]
            note(
                f"the last {len(records):,} records of shard {shard.shard_index or '?'}'s "
                f"{kind} (job {shard.id}), from record {_place(window)} of {_total(output)} "
                f"(read from the end of the file, {output.bytes_fetched:,} bytes; not "
                "downloaded)"
            )
            pieces.append(records)
            # Fewer than asked but not from the file's start: the records before are its own.
            wanted = wanted - len(records) if window.at_start else 0
    for records in reversed(pieces):
        for record in records:
            printer.print(record)


def _local_paths(shard: Job) -> list[Path]:
    from batchtui.core.localresults import local_result_paths

    return local_result_paths(shard)
