"""`results JOB --from N` and `--tail N` on an output still at the provider, read with Range.

Only the window asked for crosses the network: the last records come from a read counted
from the end, a deep `--from` from a read at the byte offset the mean line length points
to, so its record numbers are approximate ("≈", said on stderr) until the job is
downloaded. Where the provider or a gateway cannot read a part of the file, the caller
streams from the start instead, and this says so.
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
    return f"≈{estimate:,}" if estimate is not None else "?"


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
            output = await service.remote_output(job)
            if tail is not None:
                await _print_tail(output, job, tail, printer)
            else:
                await _print_from(service, output, job, args, printer)
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
    args: argparse.Namespace,
    printer: RecordPrinter,
) -> None:
    from batchtui.core.resultfile import parse_record

    wanted = args.head if args.head is not None else WINDOW_RECORDS
    window = await output.lines_near(args.start, max(1, min(wanted, WINDOW_RECORDS)))
    if not window.exact:
        note(
            f"--from {args.start:,}: starting at record {_place(window)} of {_total(output)}, "
            "placed by byte offset in the output that is not downloaded (numbers are "
            f"approximate until `batchtui download {job.id}`)"
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
        if args.head is None:  # everything after it: one streamed request
            async with aclosing(output.stream_lines(window.end)) as lines:
                async for line in lines:
                    if line.strip():
                        printer.print(parse_record(line))
            break
        window = await output.lines_after(window, WINDOW_RECORDS)
    if job.error_file_id and not printer.full:
        provider = await service.provider(job.profile)
        async with aclosing(provider.iter_lines(job.error_file_id)) as lines:
            async for line in lines:
                if printer.full:
                    break
                if line.strip():
                    printer.print(parse_record(line))
