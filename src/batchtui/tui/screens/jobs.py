"""Home screen: the job list, a window of it at a time, refreshed in place, with filter,
sort, marks and actions.

The registry filters, sorts and counts (see `JobMonitor.request`); the table holds the
window around the cursor, so the screen costs the same with 100 jobs or 100,000. A job
group (a file split into shards) is one row with its summed progress; `right` or enter
shows its shards under it, `left` folds them. `space` marks rows: cancel, download,
archive, forget and clean then act on every marked row, else on the row under the cursor.
Archived jobs are hidden unless `a` (or `archived:all` in the filter) shows them; `H` on
rows that are all archived unarchives them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from batchtui.core.jobs.list_cells import group_label
from batchtui.core.jobs.listing import PageRequest
from batchtui.core.jobview import (
    STATUS_RANK,
    ArchivedScope,
    JobFilter,
    SortField,
    SortOrder,
    parse_filter,
)
from batchtui.tui.shell import shell
from batchtui.tui.typeahead import PromptInput, focus_now, open_in_turn, opens_input
from batchtui.tui.widgets.header import AppHeader, HeaderState
from batchtui.tui.widgets.job_table import JobTable
from batchtui.tui.widgets.progress import WorkProgress, show_transfer
from batchtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from datetime import datetime

    from batchtui.core.jobs.monitor import JobsSnapshot
    from batchtui.core.models import Job
    from batchtui.core.registry.pages import JobPage
    from batchtui.tui.shell import Transfer

# Rows from the window's edge at which the window moves to keep the cursor in its middle.
WINDOW_MARGIN = 30

EMPTY_HINT = (
    "No jobs yet.\n\n"
    "  n  compose a batch from a dataset\n"
    "  v  validate a JSONL file\n"
    "  or from a shell:  batchtui submit FILE --profile NAME\n\n"
    "Jobs submitted from any shell or login node show up here by themselves.\n"
    "To look around first:  batchtui --demo"
)


class JobsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "detail", "Detail", id="jobs.detail", tooltip="Every field of the job"),
        Binding("o", "results", "Results", id="jobs.results", tooltip="Read the job's answers"),
        # Priority, keys that open an input: they act as they arrive (see tui/typeahead.py).
        Binding(
            "slash",
            "filter",
            "Filter",
            id="jobs.filter",
            tooltip="status:failed, profile:x, text",
            priority=True,
        ),
        Binding("n", "compose", "New", id="jobs.compose", tooltip="Compose a batch", priority=True),
        Binding("c", "copy_id", "Copy id", show=False, id="jobs.copy"),
        Binding("ctrl+d", "cancel_job", "Cancel job", show=False, id="jobs.cancel"),
        Binding("d", "download", "Download", show=False, id="jobs.download"),
        Binding(
            "R",
            "retry",
            "Retry failed",
            show=False,
            id="jobs.retry",
            tooltip="Resubmit the failed and unfinished requests as a new job (asks first)",
        ),
        Binding("r", "app.refresh", "Refresh now", show=False, id="jobs.refresh"),
        Binding("v", "validate", "Validate a file", show=False, id="jobs.validate", priority=True),
        Binding(
            "P",
            "app.profiles",
            "Profiles",
            show=False,
            id="jobs.profiles",
            tooltip="Add, edit, test, remove",
        ),
        Binding("S", "sort('status')", "Sort by status", show=False, id="jobs.sort-status"),
        Binding("N", "sort('name')", "Sort by name", show=False, id="jobs.sort-name"),
        Binding("A", "sort('age')", "Sort by age", show=False, id="jobs.sort-age"),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter, then marks",
            show=False,
            id="jobs.clear-filter",
        ),
        Binding(
            "a",
            "toggle_archived",
            "Show/hide archived",
            show=False,
            id="jobs.archived",
            tooltip="Archived jobs are hidden by default (archived:yes|all in the filter too)",
        ),
        Binding(
            "H",
            "archive",
            "Archive/unarchive",
            show=False,
            id="jobs.archive",
            tooltip="Hide from the default list; on archived rows, show them again (asks first)",
        ),
        Binding(
            "F",
            "forget",
            "Forget",
            show=False,
            id="jobs.forget",
            tooltip="Remove from the registry, not from the provider (asks first)",
        ),
        Binding(
            "X",
            "clean",
            "Clean files",
            show=False,
            id="jobs.clean",
            tooltip="Delete remote input/output files and local leftovers (asks first)",
        ),
        Binding(
            "C",
            "choose_columns",
            "Columns",
            show=False,
            id="jobs.columns",
            tooltip="Choose the columns shown",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.job_filter = JobFilter()
        self.sort_order = SortOrder()
        self.show_archived = False
        self._ticks = 0
        self.expanded: set[str] = set()  # ids of the groups showing their shards
        self.marked: dict[str, None] = {}  # ids of the marked rows, in marking order
        self.window_offset = 0  # the window's first top-level row in the whole list
        # g (False) or G (True) beyond the window: where the cursor goes once that page is in.
        self._pending_jump: tuple[bool, int] | None = None
        self._shown_page: JobPage | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader(ascii_only=shell(self).ascii_only, id="header")
        yield JobTable(ascii_only=shell(self).ascii_only, id="jobs")
        yield Static(id="empty-hint")
        yield PromptInput(
            placeholder="filter: text, status:failed, profile:NAME, !word", id="filter"
        )
        yield WorkProgress(id="transfer")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        shell(self).jobs_signal.subscribe(self, self._on_snapshot)
        shell(self).activity_signal.subscribe(self, self._on_activity)
        shell(self).transfer_signal.subscribe(self, self._on_transfer)
        self.query_one("#filter", Input).display = False
        self.set_interval(1.0, self._tick, name="clock")
        config = shell(self).config
        if config is not None and config.ui.columns is not None:
            self.table.wanted_columns = frozenset(config.ui.columns)
        self._show(shell(self).snapshot)
        self._ask()

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    # --- rendering --------------------------------------------------------------------

    def _on_snapshot(self, snapshot: JobsSnapshot) -> None:
        self._show(snapshot)

    def _on_activity(self, message: str) -> None:
        self.query_one(StatusLine).show(message)

    def _on_transfer(self, transfer: Transfer) -> None:
        show_transfer(self.query_one("#transfer", WorkProgress), transfer)

    def _tick(self) -> None:
        # The header's "updated Ns ago" every second; elapsed and ETA cells every 5 s.
        self._ticks += 1
        clock = self._ticks % 5 == 0
        self._show(shell(self).snapshot, header_only=not clock, refresh_times=clock)

    # --- the window ---------------------------------------------------------------------

    @property
    def effective_filter(self) -> JobFilter:
        """The typed filter, with `a`'s choice unless the filter says `archived:` itself."""
        if self.show_archived and self.job_filter.archived is None:
            return replace(self.job_filter, archived=ArchivedScope.ALL)
        return self.job_filter

    def _request(self) -> PageRequest:
        return PageRequest(self.effective_filter, self.sort_order, offset=self.window_offset)

    def _ask(self, offset: int | None = None) -> None:
        """Ask the registry for the window at `offset` (default: the current one)."""
        if offset is not None:
            self.window_offset = max(offset, 0)
        shell(self).request_page(self._request())

    def _follow_cursor(self) -> None:
        """Move the window when the cursor nears its edge and the list goes on past it."""
        page = self._shown_page
        row = self.table.selected_job_id
        if page is None or row is None or self._pending_jump is not None:
            return
        top = self._parent_of(row)
        index = next((i for i, job in enumerate(page.rows) if job.id == top), None)
        if index is None:
            return
        near_start = index < WINDOW_MARGIN and page.offset > 0
        near_end = (
            len(page.rows) - index <= WINDOW_MARGIN and page.offset + len(page.rows) < page.shown
        )
        if near_start or near_end:
            wanted = max(page.offset + index - self._request().limit // 2, 0)
            if wanted != self.window_offset:
                self._ask(wanted)

    @on(DataTable.RowHighlighted, "#jobs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._follow_cursor()

    @on(JobTable.Jump)
    def _jump(self, event: JobTable.Jump) -> None:
        event.stop()
        page = self._shown_page
        if page is None:
            return
        limit = self._request().limit
        wanted = max(page.shown - limit, 0) if event.last else 0
        if wanted != page.offset:
            self._pending_jump = (event.last, wanted)
            self._ask(wanted)

    def _parent_of(self, row_id: str) -> str:
        shard = shell(self).snapshot.jobs.get(row_id)
        if shard is not None and shard.group_id is not None and shard.group_id in self.expanded:
            return shard.group_id
        return row_id

    # --- rendering --------------------------------------------------------------------

    def _sync_table(self, page: JobPage, now: datetime, *, refresh_times: bool) -> None:
        ascii_only = shell(self).ascii_only
        middle, last = ("|-", "`-") if ascii_only else ("├", "└")
        rows: list[Job] = []
        labels: dict[str, str] = {}
        groups: dict[str, bool] = {}
        parents: dict[str, str] = {}
        for top in page.rows:
            rows.append(top)
            if top.id not in page.groups:
                continue
            shards = page.shards.get(top.id, [])
            expanded = top.id in self.expanded
            groups[top.id] = expanded
            labels[top.id] = group_label(top.name, expanded=expanded, ascii_only=ascii_only)
            if not expanded:
                continue
            for position, shard in enumerate(shards, start=1):
                branch = last if position == len(shards) else middle
                labels[shard.id] = f" {branch} shard {shard.shard_index}/{len(shards)}"
                parents[shard.id] = top.id
                rows.append(shard)
        self.table.sync(
            rows,
            now,
            labels=labels,
            groups=groups,
            parents=parents,
            marked=self.marked,
            refresh_times=refresh_times,
        )

    def _show(
        self, snapshot: JobsSnapshot, *, header_only: bool = False, refresh_times: bool = False
    ) -> None:
        now = shell(self).now()
        page = snapshot.page
        counts = (
            tuple(sorted(page.counts.items(), key=lambda item: STATUS_RANK[item[0]]))
            if page is not None
            else ()
        )
        scope = self.effective_filter.archived
        archived = {ArchivedScope.ALL: "archived shown", ArchivedScope.ONLY: "archived only"}
        filter_text = self.job_filter.text.strip()
        self.query_one(AppHeader).show(
            HeaderState(
                profile=shell(self).active_profile,
                profiles=len(shell(self).config.profiles) if shell(self).config else 0,
                demo=shell(self).demo_active,
                counts=counts,
                shown=page.shown if page is not None else 0,
                total=page.total if page is not None else 0,
                filter_text=filter_text,
                updated_at=snapshot.updated_at,
                loading=snapshot.loading,
                problem=snapshot.problem,
                config_problem=snapshot.config_problem,
                archived=archived.get(scope, "") if scope is not None else "",
            ),
            now,
        )
        if header_only:
            return
        if page is not None and page is not self._shown_page:
            refresh_times = refresh_times or self._shown_page is None
            self._shown_page = page
            self.window_offset = page.offset
            if not page.rows and page.offset and page.shown:  # the list shrank under it
                self._ask(max(page.shown - self._request().limit, 0))
        if self._shown_page is not None:
            self._sync_table(self._shown_page, now, refresh_times=refresh_times)
            if self._pending_jump is not None and page is not None:
                last, offset = self._pending_jump
                if page.offset == offset:  # the window asked for, not one read before
                    self._pending_jump = None
                    row = self.table.row_count - 1 if last else 0
                    self.table.move_cursor(row=row, animate=False)
        self._show_hint(snapshot, self._shown_page)

    def _show_hint(self, snapshot: JobsSnapshot, page: JobPage | None) -> None:
        hint = self.query_one("#empty-hint", Static)
        if page is not None and page.rows:
            hint.display = False
            self.table.display = True
            return
        self.table.display = False
        hint.display = True
        if snapshot.loading or page is None:
            hint.update(Content("Reading the job registry…"))
        elif page.total or self.effective_filter.archived is not None:
            asked = self.job_filter.text.strip() or f"archived:{self.effective_filter.archived}"
            hint.update(
                Content.assemble("No job matches ", (asked, "bold"), " (esc clears the filter)")
            )
        else:
            hint.update(Content(EMPTY_HINT))

    # --- actions ----------------------------------------------------------------------

    def _selected(self) -> str | None:
        return self.table.selected_job_id if self.table.display else None

    def _is_group(self, row_id: str) -> bool:
        return row_id in shell(self).snapshot.groups

    def _targets(self) -> list[str]:
        """The marked rows, else the row under the cursor."""
        if self.marked:
            return list(self.marked)
        selected = self._selected()
        return [selected] if selected is not None else []

    @on(DataTable.RowSelected, "#jobs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.action_detail(str(event.row_key.value))

    @on(JobTable.GroupToggled)
    def _group_toggled(self, event: JobTable.GroupToggled) -> None:
        event.stop()
        expand = event.expand if event.expand is not None else event.group_id not in self.expanded
        if expand:
            self.expanded.add(event.group_id)
        else:
            self.expanded.discard(event.group_id)
        self._show(shell(self).snapshot)
        if not expand and event.group_id in self.table.job_ids():
            self.table.move_cursor(row=self.table.get_row_index(event.group_id), animate=False)

    @on(JobTable.MarkToggled)
    def _mark_toggled(self, event: JobTable.MarkToggled) -> None:
        event.stop()
        if self.marked.pop(event.row_id, False) is False:
            self.marked[event.row_id] = None
        self._show(shell(self).snapshot)
        count = len(self.marked)
        self.query_one(StatusLine).show(
            f"{count} marked: actions apply to them (esc unmarks)" if count else "no row marked"
        )

    def action_detail(self, row_id: str | None = None) -> None:
        row_id = row_id or self._selected()
        if row_id is None:
            return
        if self._is_group(row_id):
            shell(self).open_group(row_id)
        else:
            shell(self).open_detail(row_id)

    def action_results(self) -> None:
        job_id = self._selected()
        if job_id and self._is_group(job_id):
            from batchtui.tui.screens.results import open_group_results

            open_group_results(self.app, shell(self).snapshot, job_id)
        elif job_id:
            shell(self).open_results(job_id)

    def action_copy_id(self) -> None:
        if job_id := self._selected():
            shell(self).actions.copy_job_id(job_id)

    def action_cancel_job(self) -> None:
        if self.marked:
            shell(self).actions.cancel_rows(self._targets())
            return
        job_id = self._selected()
        if job_id and self._is_group(job_id):
            shell(self).actions.cancel_group(job_id)
        elif job_id:
            shell(self).actions.cancel_job(job_id)

    def action_download(self) -> None:
        if self.marked:
            shell(self).actions.download_rows(self._targets())
            return
        job_id = self._selected()
        if job_id and self._is_group(job_id):
            shell(self).actions.download_group(job_id)
        elif job_id:
            shell(self).actions.download_job(job_id)

    def action_archive(self) -> None:
        if targets := self._targets():
            shell(self).actions.housekeep_rows("archive", targets, self._unmark)

    def action_forget(self) -> None:
        if targets := self._targets():
            shell(self).actions.housekeep_rows("forget", targets, self._unmark)

    def action_clean(self) -> None:
        if targets := self._targets():
            shell(self).actions.housekeep_rows("clean", targets, self._unmark)

    def _unmark(self, row_ids: list[str]) -> None:
        for row_id in row_ids:
            self.marked.pop(row_id, None)
        self._show(shell(self).snapshot)

    def action_retry(self) -> None:
        if row_id := self._selected():
            shell(self).actions.retry_target(row_id)

    def action_sort(self, field: str) -> None:
        self.sort_order = self.sort_order.toggled(SortField(field))
        self.table.set_sort(self.sort_order)
        self._ask(0)

    def action_toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
        self.query_one(StatusLine).show(
            "archived jobs shown (a hides them)" if self.show_archived else "archived jobs hidden"
        )
        self._ask(0)
        self._show(shell(self).snapshot, header_only=True)

    def action_choose_columns(self) -> None:
        from batchtui.core.jobview import JOB_LIST_COLUMNS
        from batchtui.tui.screens.columns import ColumnsScreen

        wanted = self.table.wanted_columns
        current = frozenset(JOB_LIST_COLUMNS) if wanted is None else wanted

        def chosen(columns: frozenset[str] | None) -> None:
            if columns is not None:
                self.table.wanted_columns = columns
                self.table.fit_columns()

        self.app.push_screen(ColumnsScreen(current), chosen)

    @opens_input
    def action_filter(self) -> None:
        open_in_turn(self, self._open_filter)

    def _open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        focus_now(box)

    @opens_input
    def action_compose(self) -> None:
        open_in_turn(self, lambda: self.app.run_action("app.compose"))

    @opens_input
    def action_validate(self) -> None:
        open_in_turn(self, lambda: self.app.run_action("app.validate"))

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.display and not self.job_filter.active:
            if self.marked:
                self._unmark(list(self.marked))
                self.query_one(StatusLine).show("marks cleared")
            return
        box.value = ""
        box.display = False
        self.job_filter = JobFilter()
        self.table.focus()
        self._ask(0)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.job_filter = parse_filter(event.value)
        for problem in self.job_filter.problems:
            self.query_one(StatusLine).show(problem)
        self._ask(0)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.action_clear_filter()
            return
        self.table.focus()
