"""The job list: a DataTable keyed by job id, updated in place (never cleared and rebuilt).

A job group is a row keyed by the group's id; expanded, its shards follow it, keyed by
their job ids. `right` expands the group under the cursor, `left` folds it (from the
group or any of its shards), `space` toggles; elsewhere left and right scroll as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from batchtui.core.jobview import (
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
# The first five fit 80 columns; the rest scroll horizontally with the name pinned.
COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", 18, SortField.NAME),
    Column("status", "Status", 15, SortField.STATUS),
    Column("progress", "Progress", 18),
    Column("eta", "ETA", 6),
    Column("elapsed", "Elapsed", 7),
    Column("created", "Created", 9, SortField.AGE),
    Column("profile", "Profile", 10),
    Column("model", "Model", 16),
    Column("id", "ID", 10),
    Column("cost", "Cost", 9),
)
COLUMN_WIDTHS = {column.key: column.width for column in COLUMNS}


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
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "First job", show=False),
        Binding("G", "scroll_bottom", "Last job", show=False),
        Binding("space", "toggle_group", "Expand/fold group", show=False),
    ]

    class GroupToggled(Message):
        """Expand (True), fold (False) or toggle (None) the group `group_id`."""

        def __init__(self, group_id: str, expand: bool | None) -> None:
            super().__init__()
            self.group_id = group_id
            self.expand = expand

    def __init__(
        self, *, ascii_only: bool = False, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id, classes=classes)
        self.ascii_only = ascii_only
        self.fixed_columns = 1
        self._rendered: dict[str, dict[str, Text]] = {}
        self._sort = SortOrder()
        # Group rows shown, with whether they are expanded; shard rows' group ids.
        self._groups: dict[str, bool] = {}
        self._parents: dict[str, str] = {}
        self._prices: tuple[object, PriceTable] | None = None  # (config, its prices)

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(self._label(column), width=column.width, key=column.key)

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
    ) -> None:
        """Make the rows show `jobs` in this order, touching only what changed.

        `labels` replace the name shown for some rows (groups and their shards);
        `groups` says which rows are groups (and which are expanded), `parents` which
        rows are shards of which group. The cursor stays on the job it was on (or at the
        same position when that job left the list), and the scroll position is kept.
        """
        labels = labels or {}
        self._groups = dict(groups or {})
        self._parents = dict(parents or {})
        selected = self.selected_job_id
        cursor_row = self.cursor_row
        wanted = {job.id for job in jobs}
        for job_id in [job_id for job_id in self._rendered if job_id not in wanted]:
            self.remove_row(job_id)
            del self._rendered[job_id]
        for job in jobs:
            cells = self.cells_for(job, now, label=labels.get(job.id))
            previous = self._rendered.get(job.id)
            if previous is None:
                self.add_row(*cells.values(), key=job.id)
            else:
                for key, value in cells.items():
                    if previous[key] != value:
                        self.update_cell(job.id, key, value)
            self._rendered[job.id] = cells
        order = [job.id for job in jobs]
        if self.job_ids() != order:
            self._reorder(order)
        if selected is not None and selected in wanted:
            target = self.get_row_index(selected)
        else:
            target = min(cursor_row, max(self.row_count - 1, 0))
        if target != self.cursor_row:
            self.move_cursor(row=target, animate=False)

    def cells_for(self, job: Job, now: datetime, *, label: str | None = None) -> dict[str, Text]:
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

    def action_toggle_group(self) -> None:
        group = self._group_under_cursor()
        if group is not None:
            self.post_message(self.GroupToggled(group, None))

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
