"""Human and JSON renderings of jobs, shared by the CLI commands."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from batchtui.cli.terminal import Glyphs, glyphs_for
from batchtui.core.jobjson import counts_json, iso_utc, job_summary
from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.models import BatchError, Job, JobGroup, StatusChange

TABLE_WIDTH = 80


def status_label(status: str, *, glyphs: Glyphs | None = None) -> str:
    """`✔ completed`, `+ completed` where the terminal cannot show the glyph (the TUI's
    glyphs, `core.jobview`, so a status looks the same in both), `completed` for scripts."""
    from batchtui.core.jobview import status_label as glyph_and_word
    from batchtui.core.status import JobStatus

    glyphs = glyphs or glyphs_for()
    try:
        known = JobStatus(status)
    except ValueError:  # a status this version does not know
        return status if glyphs is Glyphs.NONE else f"? {status}"
    if glyphs is Glyphs.NONE:
        return known.value
    return glyph_and_word(known, ascii_only=glyphs is Glyphs.ASCII)


def ok_glyph(ok: bool, *, glyphs: Glyphs) -> str:
    """A record's mark: the glyph of a completed or a failed job; a word for scripts."""
    from batchtui.core.jobview import status_glyph
    from batchtui.core.status import JobStatus

    if glyphs is Glyphs.NONE:
        return "ok" if ok else "error"
    status = JobStatus.COMPLETED if ok else JobStatus.FAILED
    return status_glyph(status, ascii_only=glyphs is Glyphs.ASCII)


# --- time -----------------------------------------------------------------------------


def relative_time(moment: datetime, *, now: datetime | None = None) -> str:
    """`42s ago`, `5m ago`, `3h ago`, `2d ago`; `in 5m` for the future."""
    now = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit_seconds, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= unit_seconds:
            amount = f"{seconds // unit_seconds}{unit}"
            break
    else:
        amount = f"{seconds}s"
    return f"in {amount}" if future else f"{amount} ago"


def absolute_time(moment: datetime) -> str:
    """Local wall-clock time, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def both_times(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return f"{absolute_time(moment)} ({relative_time(moment)})"


# --- tables ---------------------------------------------------------------------------


def cell_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def truncate(text: str, width: int, *, glyphs: Glyphs) -> str:
    if cell_width(text) <= width:
        return text
    ellipsis = "…" if glyphs is Glyphs.UNICODE else "~"
    kept = ""
    for char in text:
        if cell_width(kept + char) > width - 1:
            break
        kept += char
    return kept + ellipsis


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    shrink_column: int,
    width: int = TABLE_WIDTH,
    glyphs: Glyphs = Glyphs.UNICODE,
) -> str:
    """Left-aligned columns two spaces apart; `shrink_column` is truncated to fit `width`."""
    # Cells hold names, ids and models a provider sent: one line each, inert.
    rows = [[inert(cell, single_line=True) for cell in row] for row in rows]
    widths = [cell_width(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], cell_width(cell))
    overflow = sum(widths) + 2 * (len(widths) - 1) - width
    if overflow > 0:
        widths[shrink_column] = max(
            cell_width(headers[shrink_column]), widths[shrink_column] - overflow
        )
    lines = []
    for row in [list(headers), *rows]:
        cells = []
        for index, cell in enumerate(row):
            cell = truncate(cell, widths[index], glyphs=glyphs)
            last = index == len(row) - 1
            cells.append(cell if last else cell + " " * (widths[index] - cell_width(cell)))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# --- JSON -----------------------------------------------------------------------------


# json.dumps escapes C0 controls but leaves DEL, C1 and bidi controls raw (ensure_ascii=False).
_JSON_UNSAFE = {
    codepoint: f"\\u{codepoint:04x}"
    for codepoint in (0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON (UTF-8 kept readable) with every terminal control character escaped."""
    return json.dumps(value, ensure_ascii=False, indent=indent).translate(_JSON_UNSAFE)


def print_json(value: Any, *, indent: int | None = 2) -> None:
    sys.stdout.write(json_text(value, indent=indent) + "\n")


def group_summary(group: JobGroup, shards: Sequence[Job]) -> dict[str, Any]:
    """The object `jobs --json`, `status --json` and `submit --json` print for a job group:
    its summed status and counts, and every shard as `job_summary` gives it."""
    from batchtui.core.groups import group_counts, group_status

    counts = group_counts(shards)
    return {
        "id": group.id,
        "type": "group",
        "name": group.name,
        "profile": group.profile,
        "status": str(group_status(shards)),
        "request_counts": counts_json(counts),
        "shard_count": group.shard_count,
        "created_at": iso_utc(group.created_at),
        "input_path": str(group.input_path) if group.input_path else None,
        "input_lines": group.input_lines,
        "estimated_input_tokens": group.estimated_input_tokens,
        "shards": [job_summary(shard) for shard in shards],
    }


def history_entry(change: StatusChange) -> dict[str, Any]:
    counts = change.request_counts
    return {
        "at": iso_utc(change.at),
        "status": str(change.status),
        "raw_status": change.raw_status,
        "request_counts": counts_json(counts) if counts else None,
        "note": change.note,
    }


def batch_error_entry(error: BatchError) -> dict[str, Any]:
    return {"code": error.code, "message": error.message, "param": error.param, "line": error.line}


def batch_error_text(error: BatchError) -> str:
    where = f"line {error.line}: " if error.line else ""
    code = f"[{error.code}] " if error.code else ""
    return inert(f"{where}{code}{error.message}", single_line=True)
