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
_WRITE_CHARS = 1 << 20


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


def _csv_line(fields: Iterable[object]) -> str:
    """One row exactly as `csv.writer(lineterminator="\\n")` writes it (the tests hold the
    two to the same output), in a fraction of its time: the csv module looks at every
    character of every field in turn, while this needs a few `in` scans per field."""
    return ",".join(map(_csv_field, fields)) + "\n"


def _quoting_characters() -> tuple[str, ...]:
    """The characters that make the csv module quote a field: `,` `"` and the line end,
    and `\\r` where this Python's csv quotes it too (versions differ)."""
    probe = io.StringIO()
    csv.writer(probe, lineterminator="\n").writerow(["\r", ""])
    return (",", '"', "\n", "\r") if probe.getvalue().startswith('"') else (",", '"', "\n")


_QUOTE_IF = _quoting_characters()


def _csv_field(value: object) -> str:
    if type(value) is not str:
        return "" if value is None else str(value)
    for character in _QUOTE_IF:
        if character in value:
            return '"' + value.replace('"', '""') + '"'
    return value


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
    columns = COLUMNS + ((PROMPT_COLUMN,) if input_index is not None else ())
    as_csv = format == "csv"
    write = handle.write
    if as_csv:
        write(_csv_line(columns).encode("utf-8"))
    # Rows are gathered and written about 1 MB at a time, as a buffered text stream would.
    pending: list[str] = []
    pending_chars = 0
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
        line = _csv_line(row.values()) if as_csv else json.dumps(row, ensure_ascii=False) + "\n"
        pending.append(line)
        pending_chars += len(line)
        if pending_chars >= _WRITE_CHARS:
            write("".join(pending).encode("utf-8"))
            pending.clear()
            pending_chars = 0
        summary.rows += 1
        if record.ok:
            summary.succeeded += 1
        else:
            summary.failed += 1
    if pending:
        write("".join(pending).encode("utf-8"))
    handle.flush()
    return summary
