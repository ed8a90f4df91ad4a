"""`batchtui results JOB|GROUP|FILE [--from N] [--head K] [--tail N|--last] [--errors] [--json]`.

Local files (FILE, or a job's downloaded files) are read through a line index saved
beside them: `--from N --head K` prints records N to N+K-1 (0-based) of a GB at once,
`--tail N` the last N read from the end. A job with retries prints one record per
request, merged (the latest success wins).

A job's results come from its downloaded files, or are read from the provider when not
downloaded: `--tail` and a deep `--from` seek in the output with Range (`seek`), the rest
is streamed; a group's are all its shards' records, in shard order, read as one
(custom_ids are unique across the group). FILE is a local results JSONL. Model text is
printed inert.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import batch_error_text, json_text, ok_glyph
from batchtui.cli.progress import TransferProgress
from batchtui.cli.terminal import Glyphs, glyphs_for
from batchtui.core.errors import BatchtuiError, InputFileError, UsageError
from batchtui.core.localresults import NOT_RESULTS
from batchtui.core.models import Job, JobGroup, ResultRecord
from batchtui.core.terminal_text import inert


def record_json(record: ResultRecord) -> dict[str, Any]:
    error = None
    if not record.ok:
        error = {
            "code": record.error_code,
            "message": record.error_message,
            "status_code": record.status_code,
        }
    return {
        "custom_id": record.custom_id,
        "ok": record.ok,
        "text": record.text,
        "error": error,
        "status_code": record.status_code,
        "finish_reason": record.finish_reason,
        "usage": {
            "prompt_tokens": record.prompt_tokens,
            "completion_tokens": record.completion_tokens,
            "total_tokens": record.total_tokens,
        },
    }


def record_text(record: ResultRecord, *, glyphs: Glyphs) -> str:
    """`✔ custom_id: answer` (continuation lines indented) or `✖ custom_id: [code] message`."""
    glyph = ok_glyph(record.ok, glyphs=glyphs)
    custom_id = inert(record.custom_id or "(no custom_id)", single_line=True)
    if record.ok:
        body = inert(record.text or "").replace("\n", "\n  ")
    else:
        status = f"HTTP {record.status_code} " if record.status_code else ""
        code = f"[{record.error_code}] " if record.error_code else ""
        body = inert(f"{status}{code}{record.error_message or 'failed'}", single_line=True)
    return f"{glyph} {custom_id}: {body}"


# How much of a FILE is read to tell a request file from a results file.
_SNIFF_BYTES = 64 * 1024


def refuse_request_file(path: Path) -> None:
    """A batch *input* given where results are expected: one clear line, not a failed
    'record' per request."""
    import json

    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror or error}") from None
    lines = head.split(b"\n")
    complete = lines[:-1] if len(head) == _SNIFF_BYTES else lines
    found = next(((n, raw) for n, raw in enumerate(complete, 1) if raw.strip()), None)
    if found is None:
        return
    number, raw = found
    try:
        first = json.loads(raw)
    except ValueError:
        return
    if (
        isinstance(first, dict)
        and {"method", "url", "body"} <= first.keys()
        and not {"response", "error"} & first.keys()
    ):
        raise InputFileError(
            f"{path}:{number}: a batch request (method, url, body), not a result: this is an "
            "input file; read a job's results with `batchtui results JOB`"
        )


class Printer:
    """Prints records; with `skip`, the first ones offered are passed over (`--from`)."""

    def __init__(self, args: argparse.Namespace, *, skip: int = 0) -> None:
        from collections import deque

        from batchtui.cli.commands.seek import tail_count

        self.json = args.json
        self.head = args.head
        self.skip = skip
        # --tail N where nothing can be read from the end: keep the last N, print at the end.
        self.tail = tail_count(args)
        self.kept: deque[ResultRecord] | None = None
        if self.tail is not None:
            self.kept = deque(maxlen=self.tail)
        self.glyphs = glyphs_for()
        self.count = 0
        self.not_results = 0
        self.first_not_result = ""
        from batchtui.core.result_counts import RecordTally

        self.tally = RecordTally()
        # Every record of the job passes through: its counts can be taken from them.
        self.reads_all = args.head is None and not args.start and not args.errors
        self.reads_all = self.reads_all and self.tail is None

    @property
    def full(self) -> bool:
        return self.head is not None and self.count >= self.head

    def print(self, record: ResultRecord) -> None:
        if self.skip:
            self.skip -= 1
            return
        if self.kept is not None:
            self.kept.append(record)
            return
        self.write(record)

    def flush(self) -> None:
        """Print the records kept for --tail."""
        kept, self.kept = self.kept, None
        for record in kept or ():
            self.write(record)

    def write(self, record: ResultRecord) -> None:
        if not record.ok and record.error_code in NOT_RESULTS:
            self.not_results += 1
            if self.not_results == 1:
                self.first_not_result = (record.error_message or "").split(": ", 1)[0]
        self.tally.add(record)
        if self.json:
            sys.stdout.write(json_text(record_json(record)) + "\n")
        else:
            sys.stdout.write(record_text(record, glyphs=self.glyphs) + "\n")
        self.count += 1


async def _print_merged(
    context: CommandContext, target: Job | JobGroup, printer: Printer, errors_only: bool
) -> None:
    """A job with retries (or a group with some): one record per request, merged."""
    from batchtui.core.families import merged_results

    progress = TransferProgress("downloading")
    async with context.service() as service:
        await reconcile_leftovers(service, target.profile)
        try:
            merged = await merged_results(service, target, progress=progress)
        finally:
            progress.clear()
    with merged:
        for note in merged.notes:
            warn(note)
        for record in merged.outcomes.records():
            if printer.full:
                break
            if not (errors_only and record.ok):
                printer.print(record)


async def _print_job_results(
    context: CommandContext, target: Job | JobGroup, args: argparse.Namespace, printer: Printer
) -> None:
    from batchtui.core.localresults import result_file_ids

    if isinstance(target, JobGroup):
        async with context.service() as service:
            await reconcile_leftovers(service, target.profile)
            records = service.iter_group_results(target, errors_only=args.errors)
            async with aclosing(records):  # type: ignore[type-var]
                async for record in records:
                    if printer.full:
                        break
                    printer.print(record)
        return
    job = target
    async with context.service() as service:
        await reconcile_leftovers(service, job.profile)
        job = context.registry.get_job(job.id)
        records = service.iter_results(job, errors_only=args.errors)
        async with aclosing(records):  # type: ignore[type-var]
            async for record in records:
                if printer.full:
                    break
                printer.print(record)
    job = context.registry.get_job(job.id)
    if printer.count == 0 and not result_file_ids(job) and job.errors:
        raise BatchtuiError(
            f"job {job.id} {job.status} without results: {batch_error_text(job.errors[0])}"
        )


def _seek(context: CommandContext, job: Job, args: argparse.Namespace, printer: Printer) -> bool:
    """Print by seeking in the job's remote output (records chosen there are printed as
    they come); False where it cannot be read in parts."""
    from batchtui.cli.commands.seek import print_remote

    kept, printer.kept = printer.kept, None
    if run_async(print_remote(context, job, args, printer, printer.tail)):
        return True
    printer.kept = kept
    return False


def _seek_group(
    context: CommandContext, group: JobGroup, args: argparse.Namespace, printer: Printer
) -> bool:
    """Print by seeking in the shard(s) holding the records asked for; False where every
    shard must be read instead (said why)."""
    from batchtui.cli.commands.seek import print_group_remote

    kept, printer.kept = printer.kept, None
    if run_async(print_group_remote(context, group, args, printer, printer.tail)):
        return True
    printer.kept = kept
    return False


def _page(args: argparse.Namespace) -> dict[str, Any]:
    return {"start": args.start, "head": args.head, "errors_only": args.errors}


def _print_all(records: Iterator[ResultRecord], printer: Printer) -> None:
    for record in records:
        if printer.full:
            break
        printer.print(record)


def run(args: argparse.Namespace) -> int:
    from batchtui.cli.targets import find_job_or_group
    from batchtui.core.families import has_retries
    from batchtui.core.localresults import (
        local_result_paths,
        page_of_files,
        results_on_disk,
        tail_of_files,
    )

    if args.head is not None and args.head < 0:
        raise UsageError(f"--head {args.head}: must be 0 or more")
    if args.start < 0:
        raise UsageError(f"--from {args.start}: must be 0 or more")
    from batchtui.cli.commands.seek import tail_count

    tail = tail_count(args)
    if tail is not None and tail < 0:
        raise UsageError(f"--tail {tail}: must be 0 or more")
    if tail is not None and (args.start or args.head is not None):
        raise UsageError("--tail and --last take no --from or --head")
    path = Path(args.source)
    if not path.is_file() and (path.suffix in (".jsonl", ".json") or "/" in args.source):
        raise InputFileError(f"{path}: no such results file")
    if path.is_file():
        refuse_request_file(path)
        printer = Printer(args)
        if tail is not None and not args.errors:
            printer.kept = None
            _print_all(iter(tail_of_files([path], tail)), printer)
        else:
            _print_all(page_of_files([path], **_page(args)), printer)
            printer.flush()
        if printer.not_results:
            warn(
                f"{printer.not_results:,} line(s) of {path} are not result lines "
                f"(first: {printer.first_not_result})"
            )
            return 1
        return 0
    with CommandContext(args) as context:
        target = find_job_or_group(context, args.source)
        if has_retries(context.registry, target):
            if not args.errors and (tail is not None or args.start > 0):
                warn(
                    f"{target.id} has retries merged in: record numbers count one merged record "
                    "per request (the latest success), which seeking in one file cannot place: "
                    "reading every try's results instead"
                )
            printer = Printer(args, skip=args.start)
            run_async(_print_merged(context, target, printer, args.errors))
            printer.flush()
            return 0
        printer = Printer(args)
        seekable = not args.errors and (tail is not None or args.start > 0)
        if isinstance(target, Job) and results_on_disk(target):
            if seekable and tail is not None:
                printer.kept = None
                _print_all(iter(tail_of_files(local_result_paths(target), tail)), printer)
            else:
                _print_all(page_of_files(local_result_paths(target), **_page(args)), printer)
        elif (
            isinstance(target, JobGroup)
            and seekable
            and _seek_group(context, target, args, printer)
        ):
            pass
        elif not (isinstance(target, Job) and seekable and _seek(context, target, args, printer)):
            printer.skip = args.start
            run_async(_print_job_results(context, target, args, printer))
        printer.flush()
        if isinstance(target, Job) and printer.reads_all:
            from batchtui.core.result_counts import keep_counts

            keep_counts(context.registry, target.id, printer.tally.counts)
    return 0
