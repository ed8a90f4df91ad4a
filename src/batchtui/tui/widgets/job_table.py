"""The job list: a window of the list (a page the registry cut) in a DataTable keyed by job
id, updated in place (never cleared and rebuilt), so its cost does not grow with history.

A job group is a row keyed by the group's id; expanded, its shards follow it, keyed by
their job ids. `right` expands the group under the cursor, `left` folds it (from the
group or any of its shards); elsewhere left and right scroll as usual. `space` marks the
row for the bulk actions. `g`/`G` and scrolling near the window's edges ask the screen
for another window (`Jump`, `RowHighlighted`). Columns are chosen by width.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from batchtui.core.jobview import (
    ESSENTIAL_COLUMNS,
    JOB_LIST_COLUMNS,
    SortField,
    SortOrder,
    display_model,
    elapsed,
    eta_text,
    format_age,
    format_duration,
    progress_text,
)
from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell
from batchtui.tui.widgets.status import status_text, tone_style

if TYPE_CHECKING:
    from batchtui.core.models import Job
    from batchtui.core.prices import PriceTable


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
CELL_PADDING = 2  # DataTable's cell_padding on both sides
SCROLLBAR = 2


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


def _clip(text: str, width: int, ellipsis: str) -> str:
    return text if len(text) <= width else text[: width - len(ellipsis)] + ellipsis


class JobTable(DataTable[Text]):
    """Rows are keyed by job id; `sync` applies the difference to the wanted list."""

    DEFAULT_CSS = """
    /* 16 colours: the fixed Name column is the default foreground on cyan in Textual's
       ANSI theme, unreadable where that default is light; black on cyan reads. */
    JobTable:ansi > .datatable--fixed { color: ansi_black; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # The table's own enter (select a row) opens the detail: say so in the footer.
        Binding("enter", "select_cursor", "Detail", id="table.detail"),
        Binding("j", "cursor_down", "Down", show=False, id="jobs.down"),
        Binding("k", "cursor_up", "Up", show=False, id="jobs.up"),
        Binding("g", "scroll_top", "First job", show=False, id="jobs.first"),
        Binding("G", "scroll_bottom", "Last job", show=False, id="jobs.last"),
        Binding(
            "space",
            "toggle_mark",
            "Mark/unmark (actions apply to marked rows)",
            show=False,
            id="table.mark",
        ),
        Binding("right", "cursor_right", "Expand group", show=False, id="table.expand"),
        Binding("left", "cursor_left", "Fold group", show=False, id="table.fold"),
    ]

    class GroupToggled(Message):
        """Expand (True), fold (False) or toggle (None) the group `group_id`."""

        def __init__(self, group_id: str, expand: bool | None) -> None:
            super().__init__()
            self.group_id = group_id
            self.expand = expand

    class MarkToggled(Message):
        """`space` on the row `row_id`."""

        def __init__(self, row_id: str) -> None:
            super().__init__()
            self.row_id = row_id

    class Jump(Message):
        """`g` or `G`: the first or last row of the whole list, maybe beyond this window."""

        def __init__(self, last: bool) -> None:
            super().__init__()
            self.last = last

    def __init__(
        self, *, ascii_only: bool = False, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id, classes=classes)
        self.ascii_only = ascii_only
        self.fixed_columns = 2  # the mark and the name stay when scrolling sideways
        # What each row shows: the job object, its label and mark, and its cells.
        self._rendered: dict[str, tuple[Job, str | None, bool, dict[str, Text]]] = {}
        self._sort = SortOrder()
        # Group rows shown, with whether they are expanded; shard rows' group ids.
        self._groups: dict[str, bool] = {}
        self._parents: dict[str, str] = {}
        self._marked: frozenset[str] = frozenset()
        self._prices: tuple[object, PriceTable] | None = None  # (config, its prices)
        self.wanted_columns: frozenset[str] | None = None  # None: every column that fits
        self.shown_columns: list[str] = []
        self._last_sync: tuple[Sequence[Job], datetime, dict[str, object]] | None = None

    def on_mount(self) -> None:
        width = self.size.width or self.app.size.width  # not laid out yet: the screen's
        self._add_columns(columns_for_width(width, self.wanted_columns))

    def _add_columns(self, keys: list[str]) -> None:
        self.shown_columns = keys
        by_key = {column.key: column for column in COLUMNS}
        for key in keys:
            column = by_key[key]
            self.add_column(self._label(column), width=column.width, key=column.key)

    def fit_columns(self, *, force: bool = False) -> None:
        """Show the wanted columns that fit the width now (after a resize or a choice)."""
        keys = columns_for_width(self.size.width or self.app.size.width, self.wanted_columns)
        if keys == self.shown_columns and not force:
            return
        selected = self.selected_job_id
        self.clear(columns=True)
        self._rendered.clear()
        self._add_columns(keys)
        if self._last_sync is not None:
            jobs, now, options = self._last_sync
            self.sync(jobs, now, **options)  # type: ignore[arg-type]
        if selected is not None and selected in self._rendered:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def on_resize(self) -> None:
        self.fit_columns()

    @property
    def selected_job_id(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def job_ids(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]

    def set_sort(self, order: SortOrder) -> None:
        """Show the sort arrow; the caller passes jobs already sorted to `sync`."""
        self._sort = order
        for column in COLUMNS:
            if column.key in self.columns:
                self.columns[column.key].label = self._label(column)  # type: ignore[index]
        self._reorder(self.job_ids())  # also redraws the header with the new labels

    def _reorder(self, order: list[str]) -> None:
        position = {job_id: index for index, job_id in enumerate(order)}
        self.sort("id", key=lambda cell: position[cell.plain])

    def _label(self, column: Column) -> Text:
        if column.sort_field is None or column.sort_field != self._sort.field:
            return Text(column.label)
        # Natural order is newest/A-Z/active first; the arrow shows which way the list runs.
        down, up = ("v", "^") if self.ascii_only else ("▼", "▲")
        arrow = up if self._sort.reverse else down
        return Text(f"{column.label} {arrow}", style="bold")

    def sync(
        self,
        jobs: Sequence[Job],
        now: datetime,
        *,
        labels: dict[str, str] | None = None,
        groups: dict[str, bool] | None = None,
        parents: dict[str, str] | None = None,
        marked: Collection[str] = (),
        refresh_times: bool = True,
    ) -> None:
        """Make the rows show `jobs` in this order, touching only what changed.

        `labels` replace the name shown for some rows (groups and their shards);
        `groups` says which rows are groups (and which are expanded), `parents` which
        rows are shards of which group, `marked` which rows carry the mark. A row whose
        job, label and mark are unchanged is not rendered again unless `refresh_times`
        (its elapsed and ETA move with the clock). The cursor stays on the job it was on
        (or at the same position when that job left the list), and the scroll position
        is kept.
        """
        labels = labels or {}
        self._last_sync = (
            jobs,
            now,
            {"labels": labels, "groups": groups, "parents": parents, "marked": marked},
        )
        self._groups = dict(groups or {})
        self._parents = dict(parents or {})
        self._marked = frozenset(marked)
        selected = self.selected_job_id
        cursor_row = self.cursor_row
        wanted = {job.id for job in jobs}
        for job_id in [job_id for job_id in self._rendered if job_id not in wanted]:
            self.remove_row(job_id)
            del self._rendered[job_id]
        for job in jobs:
            label = labels.get(job.id)
            mark = job.id in self._marked
            previous = self._rendered.get(job.id)
            if (
                previous is not None
                and not refresh_times
                and previous[1] == label
                and previous[2] == mark
                and (previous[0] is job or (job.id in self._groups and previous[0] == job))
            ):
                continue
            cells = self.cells_for(job, now, label=label, marked=mark)
            if previous is None:
                self.add_row(*cells.values(), key=job.id)
            else:
                for key, value in cells.items():
                    if previous[3][key] != value:
                        self.update_cell(job.id, key, value)
            self._rendered[job.id] = (job, label, mark, cells)
        order = [job.id for job in jobs]
        if self.job_ids() != order:
            self._reorder(order)
        if selected is not None and selected in wanted:
            target = self.get_row_index(selected)
        else:
            target = min(cursor_row, max(self.row_count - 1, 0))
        if target != self.cursor_row:
            self.move_cursor(row=target, animate=False)

    def mark_glyph(self, marked: bool) -> Text:
        if not marked:
            return Text(" ")
        return Text("*" if self.ascii_only else "●", style="bold")

    def cells_for(
        self, job: Job, now: datetime, *, label: str | None = None, marked: bool = False
    ) -> dict[str, Text]:
        """The cells of the columns shown, in their order."""
        every = self._every_cell(job, now, label=label)
        every["mark"] = self.mark_glyph(marked)
        return {key: every[key] for key in self.shown_columns}

    def _every_cell(self, job: Job, now: datetime, *, label: str | None = None) -> dict[str, Text]:
        ellipsis = "..." if self.ascii_only else "…"
        muted = tone_style(self.app, "muted")
        shown_name = label if label is not None else inert(job.name, single_line=True)
        name = _clip(shown_name, COLUMN_WIDTHS["name"], ellipsis)
        model = _clip(
            inert(display_model(job.model), single_line=True),
            COLUMN_WIDTHS["model"],
            ellipsis,
        )
        return {
            "name": Text(name),
            "status": status_text(self.app, job.status, ascii_only=self.ascii_only),
            "progress": Text(
                progress_text(
                    job.request_counts, width=COLUMN_WIDTHS["progress"], ascii_only=self.ascii_only
                )
            ),
            "eta": Text(eta_text(job, now, shell(self).snapshot.polls.get(job.id))),
            "elapsed": Text(format_duration(elapsed(job, now))),
            "created": Text(format_age(job.created_at, now), style=muted),
            "profile": Text(_clip(job.profile, COLUMN_WIDTHS["profile"], ellipsis)),
            "model": Text(model),
            "id": Text(job.id, style=muted),
            "cost": Text(self._cost(job), style=muted),
        }

    def _cost(self, job: Job) -> str:
        """Tokens used at batch prices, when the provider (or a download) told them."""
        from batchtui.core.costs import listed_cost
        from batchtui.core.prices import PriceTable

        config = shell(self).config
        if self._prices is None or self._prices[0] is not config:
            self._prices = (config, config.price_table() if config is not None else PriceTable())
        return listed_cost(job, self._prices[1])

    # --- groups -----------------------------------------------------------------------

    def _group_under_cursor(self) -> str | None:
        row = self.selected_job_id
        if row is None:
            return None
        return row if row in self._groups else self._parents.get(row)

    def action_toggle_mark(self) -> None:
        if (row := self.selected_job_id) is not None:
            self.post_message(self.MarkToggled(row))

    def action_scroll_top(self) -> None:
        super().action_scroll_top()
        self.post_message(self.Jump(last=False))

    def action_scroll_bottom(self) -> None:
        super().action_scroll_bottom()
        self.post_message(self.Jump(last=True))

    def action_cursor_right(self) -> None:
        row = self.selected_job_id
        if row is not None and self._groups.get(row) is False:
            self.post_message(self.GroupToggled(row, True))
            return
        super().action_cursor_right()

    def action_cursor_left(self) -> None:
        row = self.selected_job_id
        group = self._group_under_cursor()
        if group is not None and (row != group or self._groups.get(group)):
            self.post_message(self.GroupToggled(group, False))
            return
        super().action_cursor_left()
