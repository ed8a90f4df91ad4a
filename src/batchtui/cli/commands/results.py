"""`batchtui results JOB|GROUP|FILE [--head N] [--errors] [--json]`.

A job's results come from its downloaded files, or are streamed from the provider
when not downloaded; a group's are all its shards' records, in shard order, read as one
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

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async
from batchtui.cli.output import batch_error_text, json_text, ok_glyph
from batchtui.cli.terminal import inert, supports_unicode
from batchtui.core.errors import BatchtuiError, InputFileError, UsageError
from batchtui.core.models import ResultRecord


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


def record_text(record: ResultRecord, *, unicode: bool) -> str:
    """`✔ custom_id: answer` (continuation lines indented) or `✖ custom_id: [code] message`."""
    glyph = ok_glyph(record.ok, unicode=unicode)
    custom_id = inert(record.custom_id or "(no custom_id)", single_line=True)
    if record.ok:
        body = inert(record.text or "").replace("\n", "\n  ")
    else:
        status = f"HTTP {record.status_code} " if record.status_code else ""
        code = f"[{record.error_code}] " if record.error_code else ""
        body = inert(f"{status}{code}{record.error_message or 'failed'}", single_line=True)
    return f"{glyph} {custom_id}: {body}"


def _local_records(path: Path, errors_only: bool) -> Iterator[ResultRecord]:
    from batchtui.core.formats import iter_result_records

    try:
        with path.open("rb") as handle:
            for record in iter_result_records(handle):
                if not (errors_only and record.ok):
                    yield record
    except OSError as error:
        raise InputFileError(f"{path}: cannot read: {error.strerror or error}") from None


class Printer:
    def __init__(self, args: argparse.Namespace) -> None:
        self.json = args.json
        self.head = args.head
        self.unicode = supports_unicode()
        self.count = 0

    @property
    def full(self) -> bool:
        return self.head is not None and self.count >= self.head

    def print(self, record: ResultRecord) -> None:
        if self.json:
            sys.stdout.write(json_text(record_json(record)) + "\n")
        else:
            sys.stdout.write(record_text(record, unicode=self.unicode) + "\n")
        self.count += 1


async def _print_job_results(
    context: CommandContext, args: argparse.Namespace, printer: Printer
) -> None:
    from batchtui.cli.targets import find_job_or_group
    from batchtui.core.models import JobGroup
    from batchtui.core.service import result_file_ids

    target = find_job_or_group(context, args.source)
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


def run(args: argparse.Namespace) -> int:
    if args.head is not None and args.head < 0:
        raise UsageError(f"--head {args.head}: must be 0 or more")
    printer = Printer(args)
    path = Path(args.source)
    if not path.is_file() and (path.suffix in (".jsonl", ".json") or "/" in args.source):
        raise InputFileError(f"{path}: no such results file")
    if path.is_file():
        for record in _local_records(path, args.errors):
            if printer.full:
                break
            printer.print(record)
        return 0
    with CommandContext(args) as context:
        run_async(_print_job_results(context, args, printer))
    return 0
