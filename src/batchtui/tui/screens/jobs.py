"""Home screen: every job, refreshed in place, with filter, sort and per-job actions.

A job group (a file split into shards) is one row with its summed progress; `space` or
`right` shows its shards under it. Cancel and download act on every shard of a group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from batchtui.core.groups import group_as_job, split_by_group
from batchtui.core.jobview import (
    JobFilter,
    SortField,
    SortOrder,
    counts_by_status,
    parse_filter,
    sort_jobs,
)
from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell
from batchtui.tui.widgets.header import AppHeader, HeaderState
from batchtui.tui.widgets.job_table import JobTable
from batchtui.tui.widgets.progress import WorkProgress, show_transfer
from batchtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from datetime import datetime

    from batchtui.core.jobs.monitor import JobsSnapshot
    from batchtui.core.models import Job
    from batchtui.tui.shell import Transfer

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
        Binding(
            "slash", "filter", "Filter", id="jobs.filter", tooltip="status:failed, profile:x, text"
        ),
        Binding("n", "app.compose", "New", id="jobs.compose", tooltip="Compose a batch"),
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
        Binding("v", "app.validate", "Validate a file", show=False, id="jobs.validate"),
        Binding("S", "sort('status')", "Sort by status", show=False, id="jobs.sort-status"),
        Binding("N", "sort('name')", "Sort by name", show=False, id="jobs.sort-name"),
        Binding("A", "sort('age')", "Sort by age", show=False, id="jobs.sort-age"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="jobs.clear-filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.job_filter = JobFilter()
        self.sort_order = SortOrder()
        self._ticks = 0
        self.expanded: set[str] = set()  # ids of the groups showing their shards

    def compose(self) -> ComposeResult:
        yield AppHeader(ascii_only=shell(self).ascii_only, id="header")
        yield JobTable(ascii_only=shell(self).ascii_only, id="jobs")
        yield Static(id="empty-hint")
        yield Input(placeholder="filter: text, status:failed, profile:NAME, !word", id="filter")
        yield WorkProgress(id="transfer")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        shell(self).jobs_signal.subscribe(self, self._on_snapshot)
        shell(self).activity_signal.subscribe(self, self._on_activity)
        shell(self).transfer_signal.subscribe(self, self._on_transfer)
        self.query_one("#filter", Input).display = False
        self.set_interval(1.0, self._tick, name="clock")
        self._show(shell(self).snapshot)

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
        self._show(shell(self).snapshot, header_only=self._ticks % 5 != 0)

    def _rows(self, snapshot: JobsSnapshot) -> tuple[list[Job], list[Job], dict[str, list[Job]]]:
        """(every top-level row: jobs and groups as jobs; the visible ones, sorted; shards
        by group id). A group is visible when it or any of its shards matches the filter."""
        alone, grouped = split_by_group(snapshot.jobs.values())
        tops = list(alone)
        shards_of: dict[str, list[Job]] = {}
        for group_id, group in snapshot.groups.items():
            shards = grouped.pop(group_id, [])
            shards_of[group_id] = shards
            tops.append(group_as_job(group, shards))
        for orphans in grouped.values():  # shards whose group is not (yet) read: alone
            tops += orphans
        matches = self.job_filter.matches
        visible = [
            top for top in tops if matches(top) or any(map(matches, shards_of.get(top.id, ())))
        ]
        return tops, sort_jobs(visible, self.sort_order), shards_of

    def _sync_table(
        self, visible: list[Job], shards_of: dict[str, list[Job]], now: datetime
    ) -> None:
        ascii_only = shell(self).ascii_only
        open_glyph, closed_glyph = ("-", "+") if ascii_only else ("▾", "▸")
        middle, last = ("|-", "`-") if ascii_only else ("├", "└")
        rows: list[Job] = []
        labels: dict[str, str] = {}
        groups: dict[str, bool] = {}
        parents: dict[str, str] = {}
        for top in visible:
            rows.append(top)
            if top.id not in shards_of:
                continue
            shards = shards_of[top.id]
            expanded = top.id in self.expanded
            groups[top.id] = expanded
            glyph = open_glyph if expanded else closed_glyph
            labels[top.id] = f"{glyph} {inert(top.name, single_line=True)}"
            if not expanded:
                continue
            for position, shard in enumerate(shards, start=1):
                branch = last if position == len(shards) else middle
                labels[shard.id] = f" {branch} shard {shard.shard_index}/{len(shards)}"
                parents[shard.id] = top.id
                rows.append(shard)
        self.table.sync(rows, now, labels=labels, groups=groups, parents=parents)

    def _show(self, snapshot: JobsSnapshot, *, header_only: bool = False) -> None:
        now = shell(self).now()
        all_jobs, visible, shards_of = self._rows(snapshot)
        self.query_one(AppHeader).show(
            HeaderState(
                profile=shell(self).active_profile,
                profiles=len(shell(self).config.profiles) if shell(self).config else 0,
                demo=shell(self).demo_active,
                counts=tuple(counts_by_status(all_jobs)),
                shown=len(visible),
                total=len(all_jobs),
                filter_text=self.job_filter.text.strip(),
                updated_at=snapshot.updated_at,
                loading=snapshot.loading,
                problem=snapshot.problem,
                config_problem=snapshot.config_problem,
            ),
            now,
        )
        if header_only:
            return
        self._sync_table(visible, shards_of, now)
        hint = self.query_one("#empty-hint", Static)
        if visible:
            hint.display = False
            self.table.display = True
            return
        self.table.display = False
        hint.display = True
        if snapshot.loading:
            hint.update(Content("Reading the job registry…"))
        elif all_jobs:
            hint.update(
                Content.assemble(
                    "No job matches ",
                    (self.job_filter.text.strip(), "bold"),
                    " (esc clears the filter)",
                )
            )
        else:
            hint.update(Content(EMPTY_HINT))

    # --- actions ----------------------------------------------------------------------

    def _selected(self) -> str | None:
        return self.table.selected_job_id if self.table.display else None

    def _is_group(self, row_id: str) -> bool:
        return row_id in shell(self).snapshot.groups

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
            self.app.notify(
                f"{job_id} is a group: open a shard's results (space shows them), or read them "
                f"all with `batchtui results {job_id}`",
                markup=False,
            )
        elif job_id:
            shell(self).open_results(job_id)

    def action_copy_id(self) -> None:
        if job_id := self._selected():
            shell(self).actions.copy_job_id(job_id)

    def action_cancel_job(self) -> None:
        job_id = self._selected()
        if job_id and self._is_group(job_id):
            shell(self).actions.cancel_group(job_id)
        elif job_id:
            shell(self).actions.cancel_job(job_id)

    def action_download(self) -> None:
        job_id = self._selected()
        if job_id and self._is_group(job_id):
            shell(self).actions.download_group(job_id)
        elif job_id:
            shell(self).actions.download_job(job_id)

    def action_retry(self) -> None:
        if row_id := self._selected():
            shell(self).actions.retry_target(row_id)

    def action_sort(self, field: str) -> None:
        self.sort_order = self.sort_order.toggled(SortField(field))
        self.table.set_sort(self.sort_order)
        self._show(shell(self).snapshot)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.display and not self.job_filter.active:
            return
        box.value = ""
        box.display = False
        self.job_filter = JobFilter()
        self.table.focus()
        self._show(shell(self).snapshot)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.job_filter = parse_filter(event.value)
        for problem in self.job_filter.problems:
            self.query_one(StatusLine).show(problem)
        self._show(shell(self).snapshot)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.action_clear_filter()
            return
        self.table.focus()
