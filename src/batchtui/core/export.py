"""Results as a table: one row per request, as JSONL or CSV, streamed in constant memory.

Rows carry the custom_id, the outcome, the response text, finish reason, tokens and
error, and the prompt when the input is joined (`RequestIndex`). For exactly one row
per request of the input across a job and its retries, pass the records of
`outcomes.merge_result_sets(...).records()`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from batchtui.core.errors import UsageError
from batchtui.core.models import ResultRecord
from batchtui.core.request_index import RequestIndex
from batchtui.core.resultfile import request_prompt

ExportFormat = Literal["jsonl", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv")

COLUMNS = (
    "custom_id",
    "ok",
    "status_code",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "error_code",
    "error",
    "response",
)
PROMPT_COLUMN = "prompt"


@dataclass
class ExportSummary:
    rows: int = 0
    succeeded: int = 0
    failed: int = 0
    # Rows whose custom_id is not in the joined input (their prompt is empty).
    prompts_missing: int = 0


def export_row(record: ResultRecord, prompt: str | None = None) -> dict[str, object]:
    row: dict[str, object] = {
        "custom_id": record.custom_id,
        "ok": record.ok,
        "status_code": record.status_code,
        "finish_reason": record.finish_reason,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "total_tokens": record.total_tokens,
        "error_code": record.error_code,
        "error": record.error_message,
        "response": record.text,
    }
    if prompt is not None:
        row[PROMPT_COLUMN] = prompt
    return row


def export_records(
    records: Iterable[ResultRecord],
    out: Path | BinaryIO,
    format: ExportFormat = "jsonl",
    input_index: RequestIndex | None = None,
    *,
    make_folder: bool = False,
) -> ExportSummary:
    """Write one row per record to `out`: a path (replaced atomically once all is
    written; its folder must exist unless `make_folder`) or an open binary stream (e.g.
    `sys.stdout.buffer`)."""
    if format not in FORMATS:
        raise UsageError(f"export format {format!r}: use one of {', '.join(FORMATS)}")
    if isinstance(out, Path):
        from batchtui.core.output_file import output_file

        with output_file(out, make_folder=make_folder) as handle:
            return _write(records, handle, format, input_index)
    return _write(records, out, format, input_index)


def _write(
    records: Iterable[ResultRecord],
    handle: BinaryIO,
    format: ExportFormat,
    input_index: RequestIndex | None,
) -> ExportSummary:
    summary = ExportSummary()
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=False)
    columns = COLUMNS + ((PROMPT_COLUMN,) if input_index is not None else ())
    writer = csv.DictWriter(text, columns, lineterminator="\n") if format == "csv" else None
    if writer is not None:
        writer.writeheader()
    try:
        for record in records:
            prompt = None
            if input_index is not None:
                request = (
                    input_index.request(record.custom_id) if record.custom_id is not None else None
                )
                if request is None:
                    summary.prompts_missing += 1
                    prompt = ""
                else:
                    prompt = request_prompt(request)
            row = export_row(record, prompt)
            if writer is not None:
                writer.writerow(row)
            else:
                text.write(json.dumps(row, ensure_ascii=False))
                text.write("\n")
            summary.rows += 1
            if record.ok:
                summary.succeeded += 1
            else:
                summary.failed += 1
        text.flush()
    finally:
        text.detach()  # the caller owns the stream
    return summary
