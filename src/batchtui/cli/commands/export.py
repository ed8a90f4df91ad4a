"""`batchtui export JOB|GROUP [--format jsonl|csv] [--join-input] [-o OUT]`.

One row per request: custom_id, outcome, response text, finish reason, tokens, error
(and the prompt with `--join-input`), streamed in constant memory. A job with retries
gives the merged outcome (the latest success wins); a group, every shard's. Results not
downloaded yet are downloaded first, into their usual folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from batchtui.cli.context import CommandContext, reconcile_leftovers, run_async, warn
from batchtui.cli.output import print_json
from batchtui.cli.progress import TransferProgress
from batchtui.cli.targets import find_job_or_group
from batchtui.cli.terminal import InertBinaryStream, is_tty
from batchtui.core.models import Job, JobGroup
from batchtui.core.output_file import require_folder

if TYPE_CHECKING:
    from batchtui.core.export import ExportSummary


def make_default_folder(out: Path) -> None:
    """The job's own download folder (batchtui's choice, so it may be created)."""
    from batchtui.core.output_file import cannot_write

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(out.parent, exc) from None


def default_output(context: CommandContext, target_id: str, format: str) -> Path:
    from batchtui.core.downloads import job_download_dir

    config = context.config
    folder = job_download_dir(config.settings, target_id, config_path=config.path)
    return folder / f"export.{format}"


async def _export(
    context: CommandContext,
    target: Job | JobGroup,
    out: Path | BinaryIO,
    args: argparse.Namespace,
) -> tuple[ExportSummary, list[str]]:
    from batchtui.core.families import export_results

    progress = TransferProgress("downloading")

    def on_member(job: Job) -> None:
        progress.clear()
        progress.label = f"downloading the results of {job.id}"

    async with context.service() as service:
        await reconcile_leftovers(service, target.profile)
        try:
            return await export_results(
                service,
                target,
                out,
                args.format,
                join_input=args.join_input,
                progress=progress,
                on_member=on_member,
            )
        finally:
            progress.clear()


def _keep_counts(context: CommandContext, job: Job) -> None:
    """The export read the job's downloaded files in full: count them where the provider
    did not (a job with retries has merged rows, not its own)."""
    from batchtui.core.families import has_retries, local_result_paths
    from batchtui.core.result_counts import keep_counts_of_files

    job = context.registry.get_job(job.id)
    if not has_retries(context.registry, job) and local_result_paths(job):
        keep_counts_of_files(context.registry, job.id, local_result_paths(job))


def run(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        target = find_job_or_group(context, args.job)
        to_stdout = args.output == "-"
        out: Path | BinaryIO
        if to_stdout:
            out = sys.stdout.buffer
            if is_tty(sys.stdout):  # model text shown on a terminal: inert
                out = InertBinaryStream(out)  # type: ignore[assignment]
        elif args.output:
            out = Path(args.output).expanduser()
            require_folder(out)  # before any download: a mistyped -o fails at once
        else:
            out = default_output(context, target.id, args.format)
            make_default_folder(out)
        summary, notes = run_async(_export(context, target, out, args))
        if isinstance(target, Job):
            _keep_counts(context, target)
    for note in notes:
        warn(note)
    if to_stdout:
        if isinstance(out, InertBinaryStream):
            out.flush()
        sys.stdout.flush()
        return 0
    if args.json:
        print_json(
            {
                "path": str(out),
                "rows": summary.rows,
                "succeeded": summary.succeeded,
                "failed": summary.failed,
                "prompts_missing": summary.prompts_missing,
            }
        )
        return 0
    missing = f", {summary.prompts_missing:,} without a prompt" if summary.prompts_missing else ""
    print(
        f"{out}  {summary.rows:,} rows ({summary.succeeded:,} succeeded, "
        f"{summary.failed:,} failed{missing})"
    )
    return 0
