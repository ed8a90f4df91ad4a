"""Validate any JSONL batch input: a summary against the provider's limits (with the token
estimate and the cost at batch prices), a table of problems, and the offending line shown
among its neighbours.

Validation and the line index both run in one thread worker with a progress bar;
the screen stays usable (and escape cancels) while a big file is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from batchtui.core.errors import BatchtuiError
from batchtui.core.resultfile import LineIndex
from batchtui.core.terminal_text import inert
from batchtui.tui.scrolling import half_page, to_edge
from batchtui.tui.shell import shell
from batchtui.tui.typeahead import focus_now, open_in_turn, open_screen, opens_input
from batchtui.tui.widgets.line_viewer import LineViewer
from batchtui.tui.widgets.progress import WorkProgress

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.formats.limits import Limits
    from batchtui.core.formats.validate import ValidationReport
    from batchtui.core.prices import PriceTable
    from batchtui.core.quota import Headroom


def estimate_text(
    report: ValidationReport,
    limits: Limits,
    prices: PriceTable,
    headroom: Headroom | None,
    *,
    model: str | None = None,
    ascii_only: bool = False,
) -> Text:
    """Tokens and cost (`validate`'s lines, shortened), headroom, and how submit would split;
    priced at `model` (`prices.priced_model`: the file's, else the profile's)."""
    from batchtui.core.estimate import format_tokens
    from batchtui.core.prices import PRICES_AS_OF, approx_usd
    from batchtui.core.split import needs_split, plan_split

    estimate = report.estimate
    text = Text()
    if estimate is None or estimate.requests == 0:
        return text
    text.append(
        f"\ntokens ~{format_tokens(estimate.input_tokens)} in"
        f" · {'<=' if ascii_only else '≤'}{format_tokens(estimate.max_output_tokens)} out"
    )
    cost = None
    if model:
        cost = prices.estimate_cost(model, estimate.input_tokens, estimate.max_output_tokens)
    if cost is not None:
        source = "your prices" if cost.price.source == "config" else f"prices of {PRICES_AS_OF}"
        text.append(f" · {approx_usd(cost.total_usd)} at batch prices ({source})")
    elif model:
        text.append(f" · no price for {inert(model, single_line=True)}")
    if needs_split(report):
        plan = plan_split(report, limits)
        text.append(f"\nsubmit splits it: {plan.shard_count} shards of ~{plan.per_shard:,}")
    if headroom is not None and headroom.limit is not None:
        fits = "over the limit" if headroom.exceeds else "fits"
        text.append(
            f"\nqueued {format_tokens(headroom.in_flight_tokens)} of "
            f"{format_tokens(headroom.limit)} tokens on {headroom.profile}: {fits}",
            style="bold" if headroom.exceeds else "",
        )
    return text


def summary_text(report: ValidationReport, limits: Limits, *, ascii_only: bool) -> Text:
    """The verdict, then requests, model, endpoint and size against the limits."""
    from batchtui.core.units import format_bytes

    text = Text()
    if report.cancelled:
        text.append("cancelled: the file was only partly read", style="bold")
    elif report.ok:
        text.append(("+ " if ascii_only else "✔ ") + "valid", style="bold")
    else:
        text.append(("x " if ascii_only else "✖ ") + "invalid", style="bold")
    counts = f"  {report.error_count:,} error{'s' if report.error_count != 1 else ''}"
    counts += f", {report.warning_count:,} warning{'s' if report.warning_count != 1 else ''}"
    text.append(counts)
    if report.truncated:
        text.append(f" ({len(report.problems):,} shown)")
    requests = f"\nrequests {report.lines:,}"
    if limits.max_requests:
        requests += f" of {limits.max_requests:,}"
    size = f"size {format_bytes(report.bytes)}"
    if limits.max_file_bytes:
        size += f" of {format_bytes(limits.max_file_bytes)}"
    text.append(f"{requests} · {size} ({limits.name} limits)")
    text.append(f"\nmodel {inert(report.model or '-', single_line=True)}")
    text.append(f" · endpoint {inert(report.endpoint or '-', single_line=True)}")
    return text


class ValidateScreen(Screen):
    """Pick a file, validate it, read its problems and the lines they are on."""

    DEFAULT_CSS = """
    ValidateScreen {
        & > #validate-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
        & > #validate-path { height: 1; border: none; padding: 0 1; }
        & > #validate-summary { height: auto; max-height: 6; padding: 0 1; }
        & > DataTable { height: 1fr; min-height: 3; overflow-x: hidden; }
        & > LineViewer { height: 7; border-top: solid $primary-muted; display: none; }
        & > #validate-detail { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
        &.-viewing > LineViewer { display: block; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "back", "Back", id="validate.back", tooltip="Close the line view, or leave"
        ),
        # Priority, keys that open an input: they act as they arrive (see tui/typeahead.py).
        Binding(
            "o,ctrl+o",
            "pick",
            "Open",
            id="validate.open",
            tooltip="Pick a file to validate",
            priority=True,
        ),
        Binding("s", "submit", "Submit", id="validate.submit", tooltip="Submit this file (asks)"),
        Binding("r", "revalidate", "Re-validate", id="validate.again", tooltip="Validate it again"),
        Binding(
            "p",
            "focus_path",
            "Path",
            id="validate.path",
            tooltip="Type the file's path",
            priority=True,
        ),
        Binding("g", "edge(False)", "First", show=False, id="validate.top"),
        Binding("G", "edge(True)", "Last", show=False, id="validate.bottom"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="validate.half-up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id="validate.half-down"),
    ]

    class Done(Message):
        def __init__(self, report: ValidationReport, index: LineIndex | None) -> None:
            super().__init__()
            self.report = report
            self.index = index

    class Failed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, path: Path | None = None, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.path = path
        self.report: ValidationReport | None = None
        self.index: LineIndex | None = None
        self.ascii_only = False

    def compose(self) -> ComposeResult:
        from batchtui.tui.screens.results import use_ascii

        self.ascii_only = use_ascii(self.app)
        yield Static(id="validate-title")
        yield Input(
            str(self.path) if self.path else "",
            placeholder="path of a .jsonl batch input (enter validates, ctrl+o picks a file)",
            id="validate-path",
        )
        yield WorkProgress(id="validate-progress")
        yield Static(id="validate-summary")
        table: DataTable = DataTable(id="validate-problems", cursor_type="row", zebra_stripes=True)
        table.add_column("line", width=7, key="line")
        table.add_column("", width=1, key="severity")
        table.add_column("field", width=16, key="field")
        table.add_column("message", key="message")
        yield table
        yield LineViewer(id="validate-viewer")
        yield Static(id="validate-detail")
        yield Footer()

    def on_mount(self) -> None:
        self._set_title()
        if self.path is not None:
            self.validate(self.path)
            self.query_one(DataTable).focus()
        else:
            self.query_one("#validate-summary", Static).update(
                Text("Type a path above, or press ctrl+o to pick a file.")
            )
            self.query_one("#validate-path", Input).focus()

    def _set_title(self) -> None:
        title = Text("Validate")
        config = shell(self).config
        profile = config.meant_profile() if config is not None else None
        if profile is not None:  # first: a long path must not push it off the line
            title.append(f" for {inert(profile, single_line=True)}")
        title.append(" · ")
        title.append(inert(str(self.path), single_line=True) if self.path else "no file yet")
        self.query_one("#validate-title", Static).update(title)

    def _limits(self) -> Limits:
        from batchtui.core.providers.kinds import limits_for_kind

        profile = self._profile()
        return limits_for_kind(profile.kind if profile is not None else None)

    def _profile(self) -> Profile | None:
        config = shell(self).config
        meant = config.meant_profile() if config is not None else None
        return config.profiles.get(meant) if meant is not None else None

    def _estimate_text(self, report: ValidationReport, headroom: Headroom | None = None) -> Text:
        from batchtui.core.prices import PriceTable

        config = shell(self).config
        prices = config.price_table() if config is not None else PriceTable()
        return estimate_text(
            report,
            self._limits(),
            prices,
            headroom,
            model=self._priced_model(report),
            ascii_only=self.ascii_only,
        )

    def _priced_model(self, report: ValidationReport) -> str | None:
        from batchtui.core.prices import priced_model

        profile = self._profile()
        return priced_model(report.model, profile.model if profile is not None else None)

    def _show_summary(self, report: ValidationReport, headroom: Headroom | None = None) -> None:
        summary = summary_text(report, self._limits(), ascii_only=self.ascii_only)
        summary.append_text(self._estimate_text(report, headroom))
        self.query_one("#validate-summary", Static).update(summary)

    @work(exclusive=True, group="headroom", exit_on_error=False)
    async def _load_headroom(self, report: ValidationReport) -> None:
        """The profile's queue headroom (a registry read): added to the summary once known,
        so a locked registry delays only this line."""
        from batchtui.core.quota import headroom_from_registry

        profile, registry = self._profile(), shell(self).registry
        model = self._priced_model(report)
        if profile is None or registry is None or not model or not report.estimate:
            return
        try:
            headroom = await registry.run(
                headroom_from_registry, profile, model, report.estimate.input_tokens
            )
        except BatchtuiError:
            return  # the registry is unreadable: the job list says so
        if self.report is report:
            self._show_summary(report, headroom)

    # --- work -------------------------------------------------------------------------

    def validate(self, path: Path) -> None:
        self.path = path
        self._set_title()
        self.remove_class("-viewing")
        self.query_one(DataTable).clear()
        self.query_one("#validate-summary", Static).update(Text("validating…"))
        self.query_one(WorkProgress).start("validating", None)
        self._validate(path, self._limits())

    @work(thread=True, exclusive=True, group="validate")
    def _validate(self, path: Path, limits: Limits) -> None:
        from batchtui.core.formats.validate import validate_file

        worker = get_current_worker()
        progress = self.query_one(WorkProgress)

        def report_progress(done: int, total: int | None) -> None:
            progress.post_message(WorkProgress.Update(done, total))

        try:
            report = validate_file(
                path,
                limits=limits,
                progress=report_progress,
                cancel=lambda: worker.is_cancelled,
                estimate=True,
            )
            index = LineIndex(path)
            if not index.scan(cancel=lambda: worker.is_cancelled):
                return
        except (BatchtuiError, OSError) as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Done(report, index))

    def on_validate_screen_done(self, message: Done) -> None:
        self.query_one(WorkProgress).finish()
        self.report, self.index = message.report, message.index
        self.query_one(LineViewer).show_index(self.index)
        self._show_summary(message.report)
        self._load_headroom(message.report)
        table = self.query_one(DataTable)
        table.clear()
        glyphs = {"error": "x" if self.ascii_only else "✖", "warning": "!"}
        for number, problem in enumerate(message.report.problems):
            table.add_row(
                Text("file" if problem.line is None else f"{problem.line:,}"),
                Text(glyphs[problem.severity]),
                Text(inert(problem.field or "", single_line=True)),
                Text(f"{problem.severity}: {inert(problem.message, single_line=True)}"),
                key=str(number),
            )

    def on_validate_screen_failed(self, message: Failed) -> None:
        self.query_one(WorkProgress).finish()
        self.query_one("#validate-summary", Static).update(Text(inert(message.message)))
        self.notify(
            inert(message.message, single_line=True), severity="error", timeout=8, markup=False
        )

    # --- going to a line ---------------------------------------------------------------

    @on(DataTable.RowSelected, "#validate-problems")
    def _problem_selected(self, event: DataTable.RowSelected) -> None:
        if self.report is None:
            return
        problem = self.report.problems[int(str(event.row_key.value))]
        if problem.line is None:
            self.notify("This problem is about the whole file, not one line.", markup=False)
            return
        self.show_line(problem.line)

    def show_line(self, line: int) -> None:
        """Show 1-based `line` of the file with its neighbours."""
        viewer = self.query_one(LineViewer)
        if self.index is None or line > self.index.line_count:
            self.notify(
                f"Line {line:,} is past the end of the file.", severity="warning", markup=False
            )
            return
        self.add_class("-viewing")
        viewer.focus()
        viewer.center_on(line - 1)

    @on(LineViewer.CursorMoved, "#validate-viewer")
    def _line_moved(self, event: LineViewer.CursorMoved) -> None:
        viewer = self.query_one(LineViewer)
        text = viewer.current_line() or ""
        shown = Text(f"line {event.row + 1:,}: ", style="bold")
        shown.append(text[:1000])
        self.query_one("#validate-detail", Static).update(shown)

    @on(DataTable.RowHighlighted, "#validate-problems")
    def _problem_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # No row key: the table was cleared under the cursor (a new validation started).
        if self.report is None or event.row_key is None or event.row_key.value is None:
            return
        problem = self.report.problems[int(event.row_key.value)]
        self.query_one("#validate-detail", Static).update(
            Text(inert(problem.describe(self.path), single_line=True))
        )

    # --- actions ------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.has_class("-viewing"):
            self.remove_class("-viewing")
            table = self.query_one(DataTable)
            table.focus()
            if table.row_count:
                table.move_cursor(row=table.cursor_row)  # shows the problem's text again
            return
        if isinstance(self.focused, Input) and self.report is not None:
            self.query_one(DataTable).focus()
            return
        self.workers.cancel_group(self, "validate")
        self.app.pop_screen()

    @opens_input
    def action_pick(self) -> None:
        from batchtui.tui.widgets.file_picker import FilePicker

        def picked(path: Path | None) -> None:
            if path is not None:
                self.query_one("#validate-path", Input).value = str(path)
                self.validate(path)
                self.query_one(DataTable).focus()

        picker = FilePicker(self.path, title="Validate which file")
        open_in_turn(self, lambda: open_screen(self.app, picker, picked))

    def action_submit(self) -> None:
        """Submit the validated file to the profile it was checked for (asks once first)."""
        from batchtui.tui.submit_flow import start_submit

        if self.path is None or self.report is None:
            self.notify("Validate a file first.", severity="warning", markup=False)
            return
        if not self.report.ok and not self._only_splittable(self.report):
            self.notify(
                "This file has errors: fix them, then press r and s.",
                severity="error",
                markup=False,
            )
            return
        start_submit(self, self.path)

    @staticmethod
    def _only_splittable(report: ValidationReport) -> bool:
        """Its only errors are over one batch's limits: submit sends it as a group."""
        from batchtui.core.split import blocking_problems, needs_split

        return needs_split(report) and not blocking_problems(report)

    def action_revalidate(self) -> None:
        if self.path is None:
            self.notify("No file yet: press ctrl+o to pick one.", severity="warning", markup=False)
            return
        self.validate(self.path)

    def _scrolled(self) -> Widget:
        """The problems table, or the line view when it has the focus."""
        focused = self.focused
        return focused if isinstance(focused, LineViewer) else self.query_one(DataTable)

    def action_edge(self, end: bool) -> None:
        to_edge(self._scrolled(), end=end)

    def action_half_page(self, direction: int) -> None:
        half_page(self._scrolled(), direction)

    @opens_input
    def action_focus_path(self) -> None:
        open_in_turn(self, lambda: focus_now(self.query_one("#validate-path", Input)))

    @on(Input.Submitted, "#validate-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        self.validate(Path(event.value.strip()).expanduser())
        self.query_one(DataTable).focus()
