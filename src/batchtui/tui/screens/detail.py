"""One job, every field: status timeline, counts, ids, files, errors; live while open."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from batchtui.core.jobview import (
    STATUS_TONES,
    counts_text,
    elapsed,
    eta_text,
    format_duration,
    progress_bar,
    status_label,
)
from batchtui.core.models import TIMESTAMP_FIELDS
from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell
from batchtui.tui.widgets.fields import (
    LABEL_INDENT,
    VALUE_COLUMN,
    Part,
    field_parts,
    fit_label,
    indented_parts,
)
from batchtui.tui.widgets.progress import WorkProgress, show_transfer
from batchtui.tui.widgets.status import TONE_VARIABLES
from batchtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.jobs.monitor import JobsSnapshot
    from batchtui.core.models import Job, StatusChange
    from batchtui.core.registry import Registry
    from batchtui.core.status import JobStatus

# Width to wrap to before the screen has been laid out.
DEFAULT_LINE_WIDTH = 76
# Lines of a cluster job's log shown under "Cluster job".
LOG_TAIL_LINES = 8


def _status_part(status: JobStatus, ascii_only: bool) -> tuple[str, str]:
    variable = TONE_VARIABLES[STATUS_TONES[status]]
    return status_label(status, ascii_only=ascii_only), (f"${variable} bold" if variable else "dim")


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    return f"{moment:%Y-%m-%d %H:%M:%S}Z ({format_duration(now - moment)} ago)"


def _size(count: int | None) -> str:
    return "-" if count is None else f"{count:,} bytes"


class DetailScreen(Screen[None]):
    # Toasts would cover the right of the fields at 80 columns: messages go to the status
    # line, which grows to three lines and takes its room from the body, hiding nothing.
    NOTICES_ON_STATUS_LINE: ClassVar[bool] = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back", tooltip="Back to the job list"),
        Binding("o", "results", "Results", id="detail.results", tooltip="Read the answers"),
        Binding(
            "d", "download", "Download", id="detail.download", tooltip="Output and error files"
        ),
        Binding("ctrl+d", "cancel_job", "Cancel job", id="detail.cancel", tooltip="Asks first"),
        Binding("r", "refresh", "Refresh", id="detail.refresh", tooltip="Ask the provider now"),
        Binding("c", "copy_id", "Copy id", show=False, id="detail.copy"),
        Binding("g", "scroll_edge(False)", "Top", show=False, id="detail.top"),
        Binding("G", "scroll_edge(True)", "Bottom", show=False, id="detail.bottom"),
        Binding(
            "s",
            "submit_again",
            "Submit again",
            show=False,
            id="detail.submit-again",
            tooltip="Send the same input file to the same profile as a new job (asks first)",
        ),
        Binding(
            "R",
            "retry",
            "Retry failed",
            show=False,
            id="detail.retry",
            tooltip="Resubmit the failed and unfinished requests as a new job (asks first)",
        ),
        Binding(
            "x",
            "export",
            "Export CSV",
            show=False,
            id="detail.export",
            tooltip="One row per request, retries merged, into the download folder",
        ),
    ]

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.history: list[StatusChange] = []
        self._shown: tuple[object, ...] | None = None
        # (label, value) rows of usage and cost, and the job's retries (read in a thread).
        self.usage: list[tuple[str, str]] = []
        self.family: list[Job] = []
        # A cluster job's sbatch script and log tails (read in a thread): (script, logs).
        self.logs: tuple[str, list[tuple[str, list[str]]]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static(id="detail-text")
        yield WorkProgress(id="transfer")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        shell(self).jobs_signal.subscribe(self, self._on_snapshot)
        shell(self).activity_signal.subscribe(
            self, lambda message: self.query_one(StatusLine).show(message)
        )
        shell(self).transfer_signal.subscribe(
            self,
            lambda transfer: show_transfer(self.query_one("#transfer", WorkProgress), transfer),
        )
        self.set_interval(5.0, self._render_job, name="clock")
        self._render_job()
        self.call_after_refresh(self._render_job)  # again at the laid-out width
        self.load_history()
        self.load_usage()
        self.load_logs()

    def on_resize(self) -> None:
        self._render_job()

    @property
    def job(self) -> Job | None:
        return shell(self).get_job(self.job_id)

    def line_width(self) -> int:
        """Cells a body line may take: values wrap to this, so the terminal never does."""
        bodies = list(self.query("#detail-body").results(VerticalScroll))
        width = bodies[0].scrollable_content_region.width if bodies else 0
        return width if width > VALUE_COLUMN else DEFAULT_LINE_WIDTH

    def _on_snapshot(self, snapshot: JobsSnapshot) -> None:
        job = snapshot.jobs.get(self.job_id)
        previous = self._shown
        self._render_job()
        if job is not None and previous is not None and previous[0] != job.updated_at:
            self.load_history()
            self.load_usage()
            self.load_logs()

    @work(thread=True, exclusive=True, group="logs", exit_on_error=False)
    def load_logs(self) -> None:
        """A cluster job's script and the tail of its log, read off the event loop (a
        shared filesystem can be slow)."""
        from batchtui.core.providers.slurm.logs import job_folder_of, job_log_tails

        job = self.job
        folder = job_folder_of(job.metadata) if job is not None else None
        if folder is None:
            return
        try:
            script, tails = job_log_tails(folder, LOG_TAIL_LINES)
        except OSError:
            return  # the folder is gone or unreadable: the other fields still show
        logs = (str(script), [(str(path), lines) for path, lines in tails])
        self.app.call_from_thread(self._logs_loaded, logs)

    def _logs_loaded(self, logs: tuple[str, list[tuple[str, list[str]]]]) -> None:
        self.logs = logs
        self._shown = None
        self._render_job()

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load_history(self) -> None:
        registry = shell(self).registry
        if registry is None:
            return
        try:
            history = await registry.history(self.job_id)
        except Exception:
            return  # the fields still show; the timeline waits for the next change
        self._history_loaded(history)

    @work(exclusive=True, group="usage", exit_on_error=False)
    async def load_usage(self) -> None:
        """Usage and cost of the job (and of its retries): the provider's report, else
        counted once from the downloaded files (slow on a GB, hence on the registry's
        thread) and saved."""
        registry, config, job = shell(self).registry, shell(self).config, self.job
        if registry is None or config is None or job is None:
            return
        try:
            rows, family = await registry.run(_usage_rows, job, config)
        except Exception:
            return  # the rest still shows; usage waits for the next change
        self._usage_loaded(rows, family)

    def _usage_loaded(self, rows: list[tuple[str, str]], family: list[Job]) -> None:
        self.usage = rows
        self.family = family
        self._shown = None
        self._render_job()

    def _history_loaded(self, history: list[StatusChange]) -> None:
        self.history = history
        self._shown = None
        self._render_job()

    def _render_job(self) -> None:
        if not self.query("#detail-text"):
            return  # dismissed before a late refresh ran
        job = self.job
        now = shell(self).now()
        key = (
            job.updated_at if job else None,
            len(self.history),
            now.replace(microsecond=0),
            tuple(self.usage),
            self.logs is not None and len(self.logs[1]),
            self.line_width(),
            shell(self).snapshot.polls.get(self.job_id),
        )
        if key == self._shown:
            return
        self._shown = key
        title = self.query_one("#detail-title", Static)
        body = self.query_one("#detail-text", Static)
        if job is None:
            title.update(Content(f"Job {self.job_id}"))
            body.update(Content("This job is no longer in the registry."))
            return
        ascii_only = shell(self).ascii_only
        title.update(
            Content.assemble(
                (inert(job.name, single_line=True), "bold"),
                f"  {job.id}  ",
                _status_part(job.status, ascii_only),
            )
        )
        body.update(Content.assemble(*self._body(job, now, ascii_only, self.line_width())))

    def _body(self, job: Job, now: datetime, ascii_only: bool, width: int) -> list[Part]:
        parts: list[Part] = []

        def section(title: str) -> None:
            parts.extend(["\n" if parts else "", (title, "bold $accent"), "\n"])

        def field(label: str, value: str | None, style: str = "") -> None:
            # Ids, endpoint, window, tag and paths come from a provider or a file.
            shown = inert(value, single_line=True) or "-"
            parts.extend(field_parts(label, shown, width, style=style, ascii_only=ascii_only))

        counts = job.request_counts
        health = shell(self).snapshot.polls.get(job.id)
        section("Status")
        parts.extend(
            [
                (f"{' ' * LABEL_INDENT}{fit_label('status')} ", "dim"),
                _status_part(job.status, ascii_only),
            ]
        )
        if job.raw_status and job.raw_status != job.status.value:
            parts.append(f"  (provider: {inert(job.raw_status, single_line=True)})")
        parts.append("\n")
        field(
            "requests",
            f"{counts.completed} completed, {counts.failed} failed, {counts.total} total"
            if counts.known
            else "unknown until the results are read (the provider counts none)",
        )
        field("progress", progress_bar(counts, 30, ascii_only=ascii_only))
        field("elapsed", format_duration(elapsed(job, now)))
        field("eta", eta_text(job, now, health, short=False))
        if job.last_error:
            field("last error", inert(job.last_error, single_line=True), "$error")

        if job.errors:
            section(f"Validation and job errors ({len(job.errors)})")
            for error in job.errors:
                where = f"line {error.line}" if error.line is not None else "job"
                code = f"[{inert(error.code, single_line=True)}] " if error.code else ""
                message = f"{code}{inert(error.message, single_line=True)}"
                parts.extend(field_parts(where, message, width, label_style="$error"))

        section("Timeline")
        if not self.history:
            parts.append(("  (no history recorded)\n", "dim"))
        for change in self.history:
            step_counts = change.request_counts
            counted = (
                f"  {counts_text(step_counts, short=True, ascii_only=ascii_only)}"
                if step_counts is not None and step_counts.total
                else ""
            )
            note = f"  {inert(change.note, single_line=True)}" if change.note else ""
            parts.extend(
                [
                    (f"  {change.at:%Y-%m-%d %H:%M:%S}Z  ", "dim"),
                    _status_part(change.status, ascii_only),
                    counted,
                    (note, "dim"),
                    "\n",
                ]
            )

        section("Job")
        field("local id", job.id)
        field("remote id", job.remote_id)
        field("profile", f"{job.profile} ({job.kind})")
        field("model", inert(job.model, single_line=True) or None)
        field("endpoint", job.endpoint)
        field("window", job.completion_window)
        field("tag", job.tag)
        for key, value in sorted(job.metadata.items()):
            field(f"meta {inert(key, single_line=True)}", inert(value, single_line=True))

        section("Files")
        field("input", str(job.input_path) if job.input_path else None)
        if job.input_sha256:
            field("input sha256", job.input_sha256)
        field("input size", f"{_size(job.input_bytes)}, {job.input_lines or '-'} lines")
        field("input file id", job.input_file_id)
        field("output file id", job.output_file_id)
        field("error file id", job.error_file_id)
        field("output saved", str(job.output_path) if job.output_path else None)
        field("errors saved", str(job.error_path) if job.error_path else None)

        section("Times (UTC)")
        field("recorded", _when(job.created_at, now))
        field("updated", _when(job.updated_at, now))
        for name in TIMESTAMP_FIELDS:
            moment = job.timestamps.get(name)
            if moment is not None:
                field(name.removesuffix("_at").replace("_", " "), _when(moment, now))
        if job.parent_id or len(self.family) > 1:
            section("Retries")
            if job.parent_id:
                field("retry of", job.parent_id)
            for member in self.family[1:]:
                if member.id != job.id:
                    field(
                        "retry",
                        f"{member.id}  {status_label(member.status, ascii_only=ascii_only)}",
                    )
        if self.usage:
            section("Usage and cost")
            for label, value in self.usage:
                field(label, inert(value, single_line=True))
        if self.logs is not None:
            script, logs = self.logs
            section("Cluster job")
            field("sbatch script", inert(script, single_line=True))
            if not logs:
                field("log", "none yet (the job has not started)")
            for path, lines in logs:
                field("log", inert(path, single_line=True))
                for line in lines:
                    parts.extend(
                        indented_parts(inert(line, single_line=True), 4, width, style="dim")
                    )
        return parts

    # --- actions ----------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_results(self) -> None:
        shell(self).open_results(self.job_id)

    def action_download(self) -> None:
        shell(self).actions.download_job(self.job_id)

    def action_cancel_job(self) -> None:
        shell(self).actions.cancel_job(self.job_id)

    def action_refresh(self) -> None:
        shell(self).actions.refresh_job(self.job_id)
        self.load_history()

    def action_copy_id(self) -> None:
        shell(self).actions.copy_job_id(self.job_id)

    def action_retry(self) -> None:
        shell(self).actions.retry_target(self.job_id)

    def action_export(self) -> None:
        shell(self).actions.export_target(self.job_id)

    def action_scroll_edge(self, end: bool) -> None:
        # ctrl+u/ctrl+d are not half pages here: ctrl+d cancels the job, as in the job list.
        body = self.query_one("#detail-body", VerticalScroll)
        body.scroll_end(animate=False) if end else body.scroll_home(animate=False)

    def action_submit_again(self) -> None:
        from batchtui.tui.submit_flow import start_submit

        job = self.job
        if job is None or job.input_path is None:
            self.notify("No input file recorded to submit again", severity="warning", markup=False)
            return
        # A file gone since is named by the plan, read off the loop like the rest of it.
        start_submit(self, job.input_path, job.profile)


def _usage_rows(
    registry: Registry, job: Job, config: Config
) -> tuple[list[tuple[str, str]], list[Job]]:
    """(usage and cost rows of `job`, and of its retries; the family's members): the rows
    come from the one rule in `costs.job_usage_rows`, as in the CLI's `status`."""
    from batchtui.core.costs import job_usage_rows
    from batchtui.core.families import family_of

    family = family_of(registry, job)
    return job_usage_rows(registry, job, family.members, config.price_table()), family.members
