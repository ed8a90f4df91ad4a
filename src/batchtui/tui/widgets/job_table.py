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
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from batchtui.core.jobs.list_cells import (
    COLUMN_WIDTHS,
    COLUMNS,
    Cell,
    Column,
    column_label,
    columns_for_width,
    mark_cell,
    row_cells,
)
from batchtui.core.jobview import SortOrder
from batchtui.tui.shell import shell
from batchtui.tui.widgets.status import tone_style

if TYPE_CHECKING:
    from batchtui.core.jobview import PollHealth
    from batchtui.core.models import Job
    from batchtui.core.prices import PriceTable

__all__ = ["COLUMNS", "COLUMN_WIDTHS", "Column", "JobTable", "columns_for_width"]


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
        return self._text(column_label(column, self._sort, ascii_only=self.ascii_only))

    def _text(self, cell: Cell) -> Text:
        if cell.style is None:
            return Text(cell.text)
        if cell.style == "bold":
            return Text(cell.text, style="bold")
        return Text(cell.text, style=tone_style(self.app, cell.style))

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
        return self._text(mark_cell(marked, ascii_only=self.ascii_only))

    def cells_for(
        self, job: Job, now: datetime, *, label: str | None = None, marked: bool = False
    ) -> dict[str, Text]:
        """The cells of the columns shown, in their order."""
        every = self._every_cell(job, now, label=label)
        every["mark"] = self.mark_glyph(marked)
        return {key: every[key] for key in self.shown_columns}

    def _every_cell(self, job: Job, now: datetime, *, label: str | None = None) -> dict[str, Text]:
        cost = self._cost(job) if "cost" in self.shown_columns else ""
        cells = row_cells(
            job,
            now,
            label=label,
            ascii_only=self.ascii_only,
            poll=self._poll_health(job.id),
            cost=cost,
        )
        return {key: self._text(cell) for key, cell in cells.items()}

    def _poll_health(self, job_id: str) -> PollHealth | None:
        """How this process's polls of the job went (the ETA says `?` while they fail)."""
        return shell(self).snapshot.polls.get(job_id)

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
