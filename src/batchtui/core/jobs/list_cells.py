"""The job list's columns and what each cell of a row says: one rule for every job table.

The TUI's job table and its first screen (which paints the registry's first page before
the job models load) both render these: text and a colour role per cell, no Textual, Rich
or pydantic here. A row is anything shaped like a `Job` (`ListedJob` of the first page).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from batchtui.core.jobview import (
    ESSENTIAL_COLUMNS,
    JOB_LIST_COLUMNS,
    STATUS_TONES,
    PollHealth,
    SortField,
    SortOrder,
    Tone,
    display_model,
    elapsed,
    eta_text,
    format_age,
    format_duration,
    progress_text,
    status_label,
)
from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from typing import Protocol

    from batchtui.core.status import JobStatus

    # Types only: the first screen waits for this module, and a Protocol takes a while to
    # define.
    class ListedCounts(Protocol):
        @property
        def total(self) -> int: ...
        @property
        def completed(self) -> int: ...
        @property
        def failed(self) -> int: ...
        @property
        def known(self) -> bool: ...
        @property
        def done(self) -> int: ...

    class ListedRow(Protocol):
        """What a row of the job list reads of a job."""

        @property
        def id(self) -> str: ...
        @property
        def name(self) -> str: ...
        @property
        def profile(self) -> str: ...
        @property
        def model(self) -> str | None: ...
        @property
        def status(self) -> JobStatus: ...
        @property
        def request_counts(self) -> ListedCounts: ...
        @property
        def timestamps(self) -> Mapping[str, datetime | None]: ...
        @property
        def created_at(self) -> datetime: ...
        @property
        def updated_at(self) -> datetime: ...
        @property
        def last_error(self) -> str | None: ...
        @property
        def is_terminal(self) -> bool: ...


class Column(NamedTuple):
    key: str
    label: str
    width: int
    sort_field: SortField | None = None


# Fixed widths: no width recomputation on every update, and room for the sort arrow.
COLUMNS: tuple[Column, ...] = (
    Column("mark", "", 1),
    Column("name", "Name", 18, SortField.NAME),
    Column("id", "ID", 10),
    Column("status", "Status", 15, SortField.STATUS),
    Column("progress", "Progress", 18),
    Column("eta", "ETA", 6),
    Column("elapsed", "Elapsed", 7),
    Column("created", "Created", 9, SortField.AGE),
    Column("profile", "Profile", 10),
    Column("model", "Model", 16),
    Column("cost", "Cost", 9),
)
COLUMN_WIDTHS = {column.key: column.width for column in COLUMNS}
# Who keeps a place when the width runs short: after id and status, the most telling.
WIDTH_PRIORITY = (
    "status", "id", "name", "progress", "elapsed", "eta", "created", "profile", "model", "cost",
)  # fmt: skip
CELL_PADDING = 2  # the table's cell padding on both sides
SCROLLBAR = 2

# A cell's look: a status colour role, bold, or the default.
CellStyle = Tone | Literal["bold"] | None


class Cell(NamedTuple):
    text: str
    style: CellStyle = None


def columns_for_width(width: int, wanted: Collection[str] | None = None) -> list[str]:
    """The columns a table `width` cells wide shows, in display order: those `wanted` (all
    when None) that fit, the most telling first; id and status whatever the width."""
    room = width - SCROLLBAR - COLUMN_WIDTHS["mark"] - CELL_PADDING
    chosen = set()
    for key in WIDTH_PRIORITY:
        if key not in ESSENTIAL_COLUMNS and wanted is not None and key not in wanted:
            continue
        cost = COLUMN_WIDTHS[key] + CELL_PADDING
        if cost <= room or key in ESSENTIAL_COLUMNS:
            chosen.add(key)
            room -= cost
    return ["mark", *(key for key in JOB_LIST_COLUMNS if key in chosen)]


def clip(text: str, width: int, ellipsis: str) -> str:
    return text if len(text) <= width else text[: width - len(ellipsis)] + ellipsis


def column_label(column: Column, order: SortOrder, *, ascii_only: bool = False) -> Cell:
    """A column's header: the sorted one carries the arrow of its direction, in bold."""
    if column.sort_field is None or column.sort_field != order.field:
        return Cell(column.label)
    # Natural order is newest/A-Z/active first; the arrow shows which way the list runs.
    down, up = ("v", "^") if ascii_only else ("▼", "▲")
    return Cell(f"{column.label} {up if order.reverse else down}", "bold")


def mark_cell(marked: bool, *, ascii_only: bool = False) -> Cell:
    if not marked:
        return Cell(" ")
    return Cell("*" if ascii_only else "●", "bold")


def group_label(name: str, *, expanded: bool, ascii_only: bool = False) -> str:
    """The name cell of a group's row: folded or unfolded, then the group's name."""
    glyph = ("-" if expanded else "+") if ascii_only else ("▾" if expanded else "▸")
    return f"{glyph} {inert(name, single_line=True)}"


def row_cells(
    job: ListedRow,
    now: datetime,
    *,
    label: str | None = None,
    ascii_only: bool = False,
    poll: PollHealth | None = None,
    cost: str = "",
) -> dict[str, Cell]:
    """Every cell of `job`'s row but the mark, by column key. `label` replaces the name
    (groups and their shards), `poll` is how this process's polls of the job went (the
    ETA), `cost` the cost cell as the caller priced it (prices come with the config)."""
    ellipsis = "..." if ascii_only else "…"
    shown_name = label if label is not None else inert(job.name, single_line=True)
    model = inert(display_model(job.model), single_line=True)
    counts = job.request_counts
    return {
        "name": Cell(clip(shown_name, COLUMN_WIDTHS["name"], ellipsis)),
        "status": Cell(status_label(job.status, ascii_only=ascii_only), STATUS_TONES[job.status]),
        "progress": Cell(
            progress_text(counts, width=COLUMN_WIDTHS["progress"], ascii_only=ascii_only)  # type: ignore[arg-type]
        ),
        "eta": Cell(eta_text(job, now, poll)),  # type: ignore[arg-type]
        "elapsed": Cell(format_duration(elapsed(job, now))),  # type: ignore[arg-type]
        "created": Cell(format_age(job.created_at, now), "muted"),
        "profile": Cell(clip(job.profile, COLUMN_WIDTHS["profile"], ellipsis)),
        "model": Cell(clip(model, COLUMN_WIDTHS["model"], ellipsis)),
        "id": Cell(job.id, "muted"),
        "cost": Cell(cost, "muted"),
    }
