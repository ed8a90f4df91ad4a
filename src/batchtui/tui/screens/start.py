"""The first screen on a terminal: the job list's first page while the rest of the app loads.

It is built from Textual and light modules alone, so it paints as soon as Textual can: the
job list's header, table and footer, the table filled with the registry's first page read
straight from the file in a thread (`core.registry.first_page`: stdlib sqlite3, read-only,
never waiting on a lock), its rows rendered by the job table's own cells. The job service,
the registry store, the provider kinds and the job list itself (pydantic models, formats,
the config) are imported after that, in a thread, and the app then covers this screen with
the job list showing the same rows, the cursor on the same job
(`BatchtuiApp._leave_the_start_screen`). When the file cannot be read at once (missing,
locked, another schema version) the frame says it is loading, as the job list does until
its own read. `q` quits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from batchtui.core.jobs.list_cells import group_label
from batchtui.core.jobview import STATUS_RANK
from batchtui.tui.widgets.header import AppHeader, HeaderState
from batchtui.tui.widgets.job_table import JobTable
from batchtui.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from textual.signal import Signal

    from batchtui.core.jobview import PollHealth
    from batchtui.core.models import Job
    from batchtui.core.registry.listed import FirstPage, ListedJob
    from batchtui.core.registry.read_ahead import FirstPageRead

LOADING_HINT = "Reading the job registry…"
# Lines of the screen that are not rows: the header's two, the table's, the status line, the
# footer.
FRAME_LINES = 5
# The longest the first screen waits for its read (a file system that does not answer).
READ_WAIT_SECONDS = 5.0


class FirstPageTable(JobTable):
    """The job table over the rows read from the file: no polls have run yet (the ETA
    extrapolates the stored counts), and the cost column, priced with the config's prices,
    fills in once the job list covers this screen."""

    def _poll_health(self, job_id: str) -> PollHealth | None:
        return None

    def _cost(self, job: Job) -> str:
        return ""


class StartScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit", id="start.quit"),
    ]

    def __init__(
        self,
        *,
        ascii_only: bool = False,
        read_jobs: bool = True,
        reading: FirstPageRead | None = None,
        now: Callable[[], datetime] | None = None,
        activity: Signal[str] | None = None,
    ) -> None:
        """`reading`: the first page as the entry point started reading it (else this
        screen starts it); `read_jobs=False`: the frame alone (the demo reads another
        registry); `now`: the app's clock (the ages and durations of the rows);
        `activity`: what the app says meanwhile (a config warning), shown on the status
        line as on the job list's."""
        super().__init__()
        self.activity = activity
        self.ascii_only = ascii_only
        self.read_jobs = read_jobs
        self.reading = reading
        self.now = now or (lambda: datetime.now(UTC))
        self.page: FirstPage | None = None
        # enter on a row: the job list opens its detail once it covers this screen.
        self.chosen: str | None = None
        # Set once the first page is painted, or known not to come: the app imports the
        # job list after it, so the rows need not share the interpreter with the imports.
        self.settled = asyncio.Event()

    def compose(self) -> ComposeResult:
        # The job list's own layout (app.tcss lays out both screens' widgets alike).
        yield AppHeader(ascii_only=self.ascii_only, id="header")
        yield FirstPageTable(ascii_only=self.ascii_only, id="jobs")
        hint = LOADING_HINT if not self.ascii_only else LOADING_HINT.replace("…", "...")
        yield Static(Content(hint), id="empty-hint")
        yield StatusLine(id="status-line")
        yield Footer()

    @property
    def table(self) -> FirstPageTable:
        return self.query_one(FirstPageTable)

    def on_mount(self) -> None:
        self.query_one(AppHeader).show(HeaderState(loading=True), self.now())
        self.table.display = False
        if self.activity is not None:
            self.activity.subscribe(self, self.query_one(StatusLine).show)
        if not self.read_jobs:
            self.settled.set()
            return
        from batchtui.core.registry.read_ahead import FirstPageRead

        reading = self.reading or FirstPageRead()
        if reading.done:  # read while Textual was imported: rows on the first paint
            self._show_read(reading)
        else:
            self.run_worker(self._wait_for(reading), group="first-page", exit_on_error=False)

    async def _wait_for(self, reading: FirstPageRead) -> None:
        if await asyncio.to_thread(reading.wait, READ_WAIT_SECONDS):
            self._show_read(reading)
        else:  # a file system that does not answer: the job list's own read will tell
            self.settled.set()

    def _show_read(self, reading: FirstPageRead) -> None:
        if reading.page is not None and reading.page.rows:
            self.show_page(reading.page, reading.columns)
        else:
            self.settled.set()

    def show_page(self, page: FirstPage, columns: frozenset[str] | None) -> None:
        """The rows and counts of `page`, as the job list shows them: a screenful on the
        first paint, the rest of the page right after it (rows nobody sees yet cost the
        first paint as much as those on the screen)."""
        self.page = page
        now = self.now()
        screenful = max(self.app.size.height - FRAME_LINES, 1)
        self._show_rows(page, columns, page.rows[:screenful], now)

        def the_rest() -> None:
            if len(page.rows) > screenful:
                self._sync(page, page.rows, now)
            self.call_after_refresh(self.settled.set)

        self.call_after_refresh(the_rest)

    def _show_rows(
        self,
        page: FirstPage,
        columns: frozenset[str] | None,
        rows: Sequence[ListedJob],
        now: datetime,
    ) -> None:
        counts = tuple(sorted(page.counts.items(), key=lambda item: STATUS_RANK[item[0]]))
        self.query_one(AppHeader).show(
            HeaderState(counts=counts, shown=page.total, total=page.total, loading=True), now
        )
        table = self.table
        table.wanted_columns = columns
        table.fit_columns()
        self._sync(page, rows, now)
        self.query_one("#empty-hint", Static).display = False
        table.display = True
        table.focus()

    def _sync(self, page: FirstPage, rows: Sequence[ListedJob], now: datetime) -> None:
        """`rows` in the table, groups folded and labelled as the job list shows them."""
        groups = {row.id: False for row in rows if row.id in page.groups}
        labels = {
            row.id: group_label(row.name, expanded=False, ascii_only=self.ascii_only)
            for row in rows
            if row.id in groups
        }
        self.table.sync(rows, now, labels=labels, groups=groups)  # type: ignore[arg-type]

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.chosen = None if event.row_key.value is None else str(event.row_key.value)
        self.query_one(StatusLine).show("the job opens once the job list is in")

    @property
    def selected_job_id(self) -> str | None:
        """The job under the cursor, when rows are shown."""
        return self.table.selected_job_id if self.table.display else None
