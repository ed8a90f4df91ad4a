"""One job group (a file split into shards): summed progress, cost and usage, its shards,
and the actions that act on every shard; live while open."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from batchtui.core.groups import group_as_job
from batchtui.core.jobview import (
    PollHealth,
    counts_by_status,
    elapsed,
    eta_text,
    format_duration,
    poll_failing,
    progress_bar,
    progress_text,
    status_label,
)
from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell
from batchtui.tui.widgets.fields import VALUE_COLUMN, Part, field_parts
from batchtui.tui.widgets.progress import WorkProgress, show_transfer
from batchtui.tui.widgets.status import status_text, tone_style
from batchtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.jobs.monitor import JobsSnapshot
    from batchtui.core.models import Job, JobGroup
    from batchtui.core.registry import Registry

DEFAULT_LINE_WIDTH = 76
# (key, label, width) of the shards table: fits 80 columns.
SHARD_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("shard", "Shard", 6),
    ("id", "ID", 13),
    ("status", "Status", 15),
    ("progress", "Progress", 20),
    ("cost", "Cost", 9),
)
PROGRESS_WIDTH = next(width for key, _label, width in SHARD_COLUMNS if key == "progress")


class GroupDetailScreen(Screen[None]):
    # As on the job detail: messages on the status line, not toasts over the fields.
    NOTICES_ON_STATUS_LINE: ClassVar[bool] = True

    DEFAULT_CSS = """
    GroupDetailScreen {
        & #group-title { height: 1; padding: 0 1; background: $panel; }
        & #group-summary { height: auto; padding: 0 1; }
        & #group-shards-title { height: 1; padding: 0 1; }
        & #group-shards { height: 1fr; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="group.back", tooltip="Back to the job list"),
        Binding("enter", "shard_detail", "Shard detail", id="group.shard", show=False),
        Binding(
            "o", "results", "Results", id="group.results", tooltip="Every shard's answers merged"
        ),
        Binding("d", "download", "Download", id="group.download", tooltip="Every shard's files"),
        Binding(
            "ctrl+d",
            "cancel_group",
            "Cancel all",
            id="group.cancel",
            tooltip="Cancel every running shard (asks first)",
        ),
        Binding(
            "R",
            "retry",
            "Retry failed",
            show=False,
            id="group.retry",
            tooltip="Resubmit every shard's failed and unfinished requests (asks first)",
        ),
        Binding(
            "r",
            "refresh",
            "Refresh",
            show=False,
            id="group.refresh",
            tooltip="Ask about every shard now",
        ),
        Binding(
            "x",
            "export",
            "Export CSV",
            show=False,
            id="group.export",
            tooltip="One row per request of every shard, into the group's download folder",
        ),
        Binding("c", "copy_id", "Copy id", show=False, id="group.copy"),
    ]

    def __init__(self, group_id: str) -> None:
        super().__init__()
        self.group_id = group_id
        self._group: JobGroup | None = None
        # (label, value) rows of the summed usage and cost (read in a thread).
        self.usage: list[tuple[str, str]] = []
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="group-title")
        yield Static(id="group-summary")
        yield Static(
            Content.styled("Shards (enter: a shard's detail)", "bold $accent"),
            id="group-shards-title",
        )
        yield DataTable(cursor_type="row", zebra_stripes=False, id="group-shards")
        yield WorkProgress(id="transfer")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#group-shards", DataTable)
        for key, label, width in SHARD_COLUMNS:
            table.add_column(label, width=width, key=key)
        table.focus()
        shell(self).jobs_signal.subscribe(self, self._on_snapshot)
        shell(self).activity_signal.subscribe(
            self, lambda message: self.query_one(StatusLine).show(message)
        )
        shell(self).transfer_signal.subscribe(
            self,
            lambda transfer: show_transfer(self.query_one("#transfer", WorkProgress), transfer),
        )
        self.set_interval(5.0, self._render_group, name="clock")
        self._render_group()
        self.call_after_refresh(self._render_group)  # again at the laid-out width
        self.load_usage()

    def on_resize(self) -> None:
        self._render_group()

    # --- what is shown -------------------------------------------------------------------

    @property
    def group(self) -> JobGroup | None:
        """The group as last seen: the snapshot holds the groups of the list's page, and a
        group's own fields never change once submitted."""
        found = shell(self).snapshot.groups.get(self.group_id)
        if found is not None:
            self._group = found
        return self._group

    def shards(self) -> list[Job]:
        jobs = shell(self).snapshot.jobs.values()
        shards = [job for job in jobs if job.group_id == self.group_id]
        return sorted(shards, key=lambda shard: shard.shard_index or 0)

    def line_width(self) -> int:
        summaries = list(self.query("#group-summary").results(Static))
        width = summaries[0].content_region.width if summaries else 0
        return width if width > VALUE_COLUMN else DEFAULT_LINE_WIDTH

    def _on_snapshot(self, snapshot: JobsSnapshot) -> None:
        before = self._shown
        self._render_group()
        if before is not None and self._shown is not None and before[1] != self._shown[1]:
            self.load_usage()  # a shard changed: its usage may be known now

    @work(exclusive=True, group="usage", exit_on_error=False)
    async def load_usage(self) -> None:
        """Summed usage and cost of every shard and its retries: the rule the CLI's
        `status GROUP` uses (`costs.group_usage_rows`), on the registry's thread (it may
        count downloaded files)."""
        registry, config, group = shell(self).registry, shell(self).config, self.group
        if registry is None or config is None or group is None:
            return
        try:
            rows = await registry.run(_group_usage_rows, group, config)
        except Exception:
            return  # the rest still shows; usage waits for the next change
        self.usage = rows
        self._shown = None
        self._render_group()

    def _render_group(self) -> None:
        if not self.query("#group-summary"):
            return  # dismissed before a late refresh ran
        group, shards = self.group, self.shards()
        now = shell(self).now()
        polls = shell(self).snapshot.polls
        key = (
            now.replace(microsecond=0),
            tuple((shard.id, shard.updated_at, shard.status) for shard in shards),
            tuple(self.usage),
            self.line_width(),
            tuple(polls.get(shard.id) for shard in shards),
        )
        if key == self._shown:
            return
        self._shown = key
        title = self.query_one("#group-title", Static)
        summary = self.query_one("#group-summary", Static)
        if group is None:
            title.update(Content(f"Group {self.group_id}"))
            summary.update(Content("This group is no longer in the registry."))
            return
        ascii_only = shell(self).ascii_only
        as_job = group_as_job(group, shards)
        title.update(
            Content.assemble(
                (inert(group.name, single_line=True), "bold"),
                f"  {group.id}  ",
                status_label(as_job.status, ascii_only=ascii_only),
                f"  (job group, {group.shard_count} shards)",
            )
        )
        summary.update(
            Content.assemble(*self._summary(group, as_job, shards, now, self.line_width()))
        )
        self._sync_shards(shards)

    def _summary(
        self, group: JobGroup, as_job: Job, shards: list[Job], now: datetime, width: int
    ) -> list[Part]:
        ascii_only = shell(self).ascii_only
        parts: list[Part] = []

        def field(label: str, value: str, style: str = "") -> None:
            parts.extend(field_parts(label, value, width, style=style, ascii_only=ascii_only))

        counts = as_job.request_counts
        field(
            "requests",
            f"{counts.completed:,} completed, {counts.failed:,} failed, {counts.total:,} total",
        )
        field("progress", progress_bar(counts, 30, ascii_only=ascii_only))
        by_status = ", ".join(f"{n} {status.value}" for status, n in counts_by_status(shards))
        field("shards", f"{len(shards)} of {group.shard_count}: {by_status or 'none yet'}")
        field("elapsed", format_duration(elapsed(as_job, now)))
        field("eta", eta_text(as_job, now, self._group_health(shards), short=False))
        field("profile", group.profile)
        input_path = inert(str(group.input_path), single_line=True) if group.input_path else "-"
        field("input", f"{input_path} ({group.input_lines or 0:,} lines)")
        for label, value in self.usage:
            field(label, inert(value, single_line=True))
        problems = [shard for shard in shards if shard.last_error]
        for shard in problems:
            field(
                f"shard {shard.shard_index} error",
                inert(shard.last_error or "", single_line=True),
                "$error",
            )
        return parts

    def _group_health(self, shards: list[Job]) -> PollHealth | None:
        """A running shard whose polls fail makes the whole group's ETA unknown."""
        polls = shell(self).snapshot.polls
        for shard in shards:
            health = polls.get(shard.id)
            if not shard.is_terminal and poll_failing(shard, health):
                return health if health is not None else PollHealth(failures=1)
        return None

    def _sync_shards(self, shards: list[Job]) -> None:
        """Rows keyed by shard id, updated in place (the cursor stays on its shard)."""
        from batchtui.core.costs import listed_cost

        table = self.query_one("#group-shards", DataTable)
        config: Config | None = shell(self).config
        prices = config.price_table() if config is not None else None
        ascii_only = shell(self).ascii_only
        muted = tone_style(self.app, "muted")
        group = self.group
        count = group.shard_count if group is not None else len(shards)
        wanted = [shard.id for shard in shards]
        for row in list(table.rows):
            if row.value not in wanted:
                table.remove_row(row)
        for shard in shards:
            cost = listed_cost(shard, prices) if prices is not None else "-"
            cells = {
                "shard": Text(f"{shard.shard_index}/{count}"),
                "id": Text(shard.id, style=muted),
                "status": status_text(self.app, shard.status, ascii_only=ascii_only),
                "progress": Text(
                    progress_text(shard.request_counts, width=PROGRESS_WIDTH, ascii_only=ascii_only)
                ),
                "cost": Text(cost, style=muted),
            }
            if shard.id in table.rows:
                for column, value in cells.items():
                    table.update_cell(shard.id, column, value)
            else:
                table.add_row(*cells.values(), key=shard.id)

    # --- actions -------------------------------------------------------------------------

    def selected_shard(self) -> str | None:
        table = self.query_one("#group-shards", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    @on(DataTable.RowSelected, "#group-shards")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            shell(self).open_detail(str(event.row_key.value))

    def action_shard_detail(self) -> None:
        if shard_id := self.selected_shard():
            shell(self).open_detail(shard_id)

    def action_back(self) -> None:
        self.dismiss()

    def action_results(self) -> None:
        shell(self).open_results(self.group_id)

    def action_download(self) -> None:
        shell(self).actions.download_group(self.group_id)

    def action_cancel_group(self) -> None:
        shell(self).actions.cancel_group(self.group_id)

    def action_retry(self) -> None:
        shell(self).actions.retry_target(self.group_id)

    def action_export(self) -> None:
        shell(self).actions.export_target(self.group_id)

    def action_refresh(self) -> None:
        for shard in self.shards():
            if not shard.is_terminal:
                shell(self).actions.refresh_job(shard.id)
        self.load_usage()

    def action_copy_id(self) -> None:
        shell(self).actions.copy_job_id(self.group_id)


def _group_usage_rows(registry: Registry, group: JobGroup, config: Config) -> list[tuple[str, str]]:
    from batchtui.core.costs import group_usage_rows

    return group_usage_rows(registry, group, config.price_table())
