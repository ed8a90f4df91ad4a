"""The result viewer: page through a job's (or a group's) results, or any local results file.

Downloaded (or local) files are read through a line-offset index built in a thread:
the first rows show as soon as the first window is scanned, and the rest of the file
is never held in memory. A job whose results are not downloaded is previewed from the
provider, a page at a time, more as the cursor nears the end; `:N` and `G` past the pages
read jump there with Range reads (numbered ≈ until downloaded); `d` downloads it. A group
reads every shard's records as one list, as `batchtui results GROUP` prints them. A job or
group with retries shows one record per request, merged by the same core function as
`batchtui results` (its members downloaded first when needed), and says so in its title.

Like less: `/` searches a regex (smart case) in answers and prompts in a worker thread
(escape cancels), `n`/`N` go to the next/previous match with wrap-around, `&` filters,
`y` copies the answer (OSC 52) and `e` opens the record in $PAGER.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, get_current_worker

from batchtui.core.downloads import TransferMeter
from batchtui.core.errors import BatchtuiError
from batchtui.core.merged_source import MergedSource
from batchtui.core.models import Job, JobGroup, ResultRecord
from batchtui.core.preview import RemotePreview
from batchtui.core.remote_output import RangeNotHonoured, RemoteOutput
from batchtui.core.remote_scan import RemoteScan
from batchtui.core.result_search import (
    SearchError,
    SearchPattern,
    answer_text,
    next_match,
    prompt_matching_ids,
    search_rows,
)
from batchtui.core.resultfile import (
    LineIndex,
    RecordBuffer,
    RecordSource,
    ResultSet,
    WindowBuffer,
    build_custom_id_map,
    request_prompt,
)
from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell
from batchtui.tui.typeahead import PromptInput, focus_now, open_in_turn, opens_input
from batchtui.tui.widgets.line_viewer import CursorView
from batchtui.tui.widgets.progress import WorkProgress
from batchtui.tui.widgets.record_view import RecordDetail, RecordTable

if TYPE_CHECKING:
    from batchtui.core.jobs.monitor import JobsSnapshot
    from batchtui.core.registry.async_registry import AsyncRegistry

PREVIEW_PAGE = 100
# Load the next remote page when the cursor is this close to the last loaded record.
PREVIEW_MARGIN = 10
# How long the index scan waits for the first page to be painted before going on anyway.
FIRST_PAINT_WAIT = 2.0


def use_ascii(app: object) -> bool:
    """The app's choice of ASCII glyphs, else whether the locale lacks UTF-8."""
    choice = getattr(app, "ascii_only", None)
    if choice is None:
        from batchtui.core.terminal_text import locale_is_utf8

        return not locale_is_utf8()
    return bool(choice)


class ResultsScreen(Screen):
    """Results of a registry job, of a local file, or a remote preview."""

    DEFAULT_CSS = """
    ResultsScreen {
        layout: vertical;
        & > #results-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
        & > #results-status { height: 1; padding: 0 1; color: $text-muted; display: none; }
        & > #results-status.-shown { display: block; }
        & > #results-columns { height: 1; color: $text-muted; text-style: bold; padding: 0 1 0 0; }
        & > RecordTable { height: 2fr; min-height: 4; }
        & > RecordDetail { height: 3fr; }
        & > Input { dock: bottom; display: none; }
        & > Input.-open { display: block; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="Cancel a search, close the prompt, or leave the results",
            id="results.back",
        ),
        Binding(
            "E",
            "toggle_errors",
            "Errors",
            tooltip="Show only failed records",
            id="results.toggle-errors",
        ),
        # Priority, keys that open an input: they act as they arrive (see tui/typeahead.py).
        Binding(
            "slash",
            "search",
            "Search",
            tooltip="Find a regex in answers and prompts (smart case); n/N: next/previous",
            id="results.search",
            priority=True,
        ),
        Binding(
            "n",
            "search_next",
            "Next match",
            show=False,
            tooltip="Next match, wrapping",
            id="results.search-next",
        ),
        Binding(
            "N",
            "search_previous",
            "Previous match",
            show=False,
            tooltip="Previous match, wrapping",
            id="results.search-previous",
        ),
        Binding(
            "ampersand",
            "filter",
            "Filter",
            show=False,
            tooltip="Show only records containing a text (empty: all)",
            id="results.filter",
            priority=True,
        ),
        Binding(
            "colon,ctrl+g",
            "goto",
            "Go to",
            tooltip="Go to record number N",
            id="results.goto",
            priority=True,
        ),
        Binding(
            "y,c",
            "copy_answer",
            "Copy answer",
            show=False,
            tooltip="Copy the answer to the clipboard (OSC 52, through tmux and screen)",
            id="results.copy-answer",
        ),
        Binding(
            "e",
            "open_record",
            "Open in pager",
            show=False,
            tooltip="The record's request and result as JSON in $PAGER (else $EDITOR, else less)",
            id="results.open-record",
        ),
        Binding(
            "m",
            "markdown",
            "Markdown",
            show=False,
            tooltip="Render the answer as Markdown",
            id="results.markdown",
        ),
        Binding(
            "J",
            "raw_json",
            "Raw JSON",
            show=False,
            tooltip="Show the raw JSON line",
            id="results.raw-json",
        ),
        Binding(
            "d",
            "download",
            "Download",
            tooltip="Download the job's result files",
            id="results.download",
        ),
        Binding(
            "x",
            "export",
            "Export CSV",
            show=False,
            tooltip="One row per request, retries merged, into the download folder",
            id="results.export",
        ),
    ]

    class SourceReady(Message):
        def __init__(self, source: RecordSource, painted: threading.Event | None = None) -> None:
            super().__init__()
            self.source = source
            self.painted = painted

    class RowsGrew(Message):
        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ResultsScreen.RowsGrew)

    class ScanDone(Message):
        pass

    class FilterDone(Message):
        def __init__(self, rows: array | None) -> None:
            super().__init__()
            self.rows = rows

    class InputsReady(Message):
        def __init__(self, index: LineIndex, lines: dict[str, int]) -> None:
            super().__init__()
            self.index = index
            self.lines = lines

    class Failed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    class SearchFound(Message):
        """The first match at or after the row the search started from."""

        def __init__(self, pattern: SearchPattern, row: int) -> None:
            super().__init__()
            self.pattern = pattern
            self.row = row

    class SearchDone(Message):
        def __init__(self, pattern: SearchPattern, rows: array) -> None:
            super().__init__()
            self.pattern = pattern
            self.rows = rows

    def __init__(
        self,
        job: Job | None = None,
        path: Path | None = None,
        *,
        group: JobGroup | None = None,
        shards: list[Job] | None = None,
        input_path: Path | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        if job is None and path is None and group is None:
            raise ValueError("ResultsScreen needs a job, a group or a path")
        self.job = job
        self.path = path
        self.group = group
        self.shards = [shard for shard in shards or [] if shard.remote_id]
        owner_input = job.input_path if job is not None else None
        if group is not None:
            owner_input = group.input_path
        self.input_path = input_path or owner_input
        self.source: RecordSource | None = None
        self.errors_only = False
        self.search_text = ""  # the `&` filter's text
        # `/`: the pattern, its matching rows once the search ended (None while it runs).
        self.search: SearchPattern | None = None
        self.matches: array | None = None
        self._moved_to_match = False
        self._search_start = 0
        self.last_clipboard_write = ""
        self.initial_note = ""
        self._pending_row: int | None = None
        self._inputs: tuple[LineIndex, dict[str, int]] | None = None
        self._remote: RemotePreview | None = None
        # Jumps in an output not downloaded (`:N`, `G`): read with Range, numbered ≈.
        self._seeker: RemoteOutput | None = None
        self._preview: RecordBuffer | None = None  # the pages read from the start
        self._no_range = ""  # why the output cannot be read in parts, once found out
        self._landing: int | None = None  # byte of the record to show once downloaded
        self._loading_more = False
        self._status_note = ""
        # The background scan making remote numbers exact: whether to run it, its progress.
        self.index_remote = True
        self._index_note = ""
        self._indexing: Worker[None] | None = None
        self.ascii_only = False
        # A job (or group) with retries: every member's results merged, as the CLI prints.
        self._merged: MergedSource | None = None
        self._leaving = threading.Event()

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.ascii_only = use_ascii(self.app)
        yield Static(id="results-title")
        yield WorkProgress(id="results-progress")
        yield Static(id="results-status")
        yield Static(RecordTable.header_text(80), id="results-columns")
        yield RecordTable(ascii_only=self.ascii_only, id="results-table")
        yield RecordDetail(ascii_only=self.ascii_only, id="results-detail")
        yield PromptInput(
            placeholder="search: a regex, case-insensitive unless it has capitals (enter: find)",
            id="search-input",
        )
        yield PromptInput(
            placeholder="filter: text to keep (enter: filter, empty: all)", id="filter-input"
        )
        yield PromptInput(placeholder="record number", type="integer", id="goto-input")
        yield Footer()

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    @property
    def detail(self) -> RecordDetail:
        return self.query_one(RecordDetail)

    @property
    def progress(self) -> WorkProgress:
        return self.query_one(WorkProgress)

    def on_mount(self) -> None:
        self.table.focus()
        self._status_note = self.initial_note
        self._update_title()
        if self.path is None and shell(self).registry is not None:
            self.open_owner()  # merged with its retries when it has any
        else:
            self._open_own_results()
        if self.input_path is not None:
            self.index_inputs(self.input_path)
        self._update_title()

    def _open_own_results(self) -> None:
        """The file, or the job's (group's) own output: on disk, else previewed remotely."""
        local = self._local_paths()
        if local:
            self.open_local(local)
        elif self.job is not None or self.group is not None:
            self.source = RecordBuffer(label=self._owner())
            if self.group is None:  # ranged jumps (`:N`, `G`) read one job's output
                self._preview = self.source
            self.table.show(self.source)
            preview = "remote preview: records load as you scroll (d downloads)"
            self._status_note = "; ".join(note for note in (self.initial_note, preview) if note)
            self.load_more()
        self._update_title()

    def _local_paths(self) -> list[Path]:
        from batchtui.core.localresults import local_result_paths

        if self.path is not None:
            return [self.path]
        if self.group is not None:
            return group_result_paths(self.shards)
        assert self.job is not None
        return local_result_paths(self.job)

    def _results_dir(self, job: Job) -> Path:
        """Where `d` downloads: the folder the CLI's `download` and the job list's `d` use."""
        from batchtui.core.downloads import config_results_dir

        return config_results_dir(shell(self).config, job)

    # --- workers ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="results-scan")
    def open_local(self, paths: list[Path]) -> None:
        worker = get_current_worker()
        try:
            # The index is saved beside each file: reopening it later is instant.
            source = ResultSet(paths, persist_index=True)
        except BatchtuiError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        progress = self.progress

        def report(done: int, total: int) -> None:
            progress.post_message(WorkProgress.Update(done, total))
            self.post_message(self.RowsGrew())

        # The opening window first, then the rest once the first page is on screen: the
        # scan holds the GIL in bursts, and a GB of it would slow the first paint down.
        windows = 0

        def after_first_window() -> bool:
            nonlocal windows
            windows += 1
            return windows > 1 or worker.is_cancelled

        painted = threading.Event()
        try:
            source.scan(None, after_first_window)
            self.post_message(self.SourceReady(source, painted))
            painted.wait(FIRST_PAINT_WAIT)
            if source.scan(report, lambda: worker.is_cancelled):
                self.post_message(self.ScanDone())
        except OSError as exc:
            self.post_message(self.Failed(f"{paths[0]}: cannot read: {exc.strerror or exc}"))

    @work(group="results-merge", exclusive=True)
    async def open_owner(self) -> None:
        """A job or group with retries is read as `batchtui results` prints it: merged by
        custom_id (`families.merged_results`); without any, its own output."""
        from batchtui.core.families import has_retries

        registry = shell(self).registry
        target = self.group if self.group is not None else self.job
        assert registry is not None and target is not None
        try:
            retried = await registry.run(has_retries, target)
        except BatchtuiError:
            retried = False  # a group with no shard sent: its own (empty) list says so
        if self._leaving.is_set() or not self.is_attached:
            return  # left while the registry answered: nothing of this screen is there
        if retried and shell(self).service is not None:
            await self._open_merged(target)
        else:
            self._open_own_results()

    async def _open_merged(self, target: Job | JobGroup) -> None:
        from batchtui.core.families import merged_results

        service = shell(self).service
        assert service is not None
        progress = self.progress
        meter = TransferMeter()

        def on_progress(done: int, total: int | None) -> None:
            progress.show_transfer("downloading", done, total, meter.update(done))

        self._status_note = "merging the results of the retries…"
        self._update_title()
        progress.start("merging", None)
        cancel = self._leaving.is_set
        source: MergedSource | None = None
        try:
            merged = await merged_results(service, target, progress=on_progress, cancel=cancel)
            try:
                source = await asyncio.to_thread(MergedSource.build, merged, cancel)
            finally:
                if source is None or self._leaving.is_set():
                    merged.close()
        except (BatchtuiError, OSError) as exc:
            if not self._leaving.is_set():
                self._fail(f"retries not merged: {exc}")
            return
        finally:
            progress.finish()
        if source is None or self._leaving.is_set():
            return
        self.source = self._merged = source
        self.table.show(source)
        self._status_note = "; ".join(merged.notes)
        if merged.requests is not None and merged.requests.path != self.input_path:
            self.input_path = merged.requests.path  # the first job's input has every prompt
            self.index_inputs(self.input_path)
        self._rows_grew()

    @work(thread=True, exclusive=True, group="results-inputs")
    def index_inputs(self, path: Path) -> None:
        worker = get_current_worker()
        try:
            index = LineIndex(path)
            lines = build_custom_id_map(index, cancel=lambda: worker.is_cancelled)
        except (BatchtuiError, OSError) as exc:
            self.post_message(self.Failed(f"prompts not shown: {exc}"))
            return
        if lines is not None:
            self.post_message(self.InputsReady(index, lines))

    @work(thread=True, exclusive=True, group="results-filter")
    def run_filter(self, source: RecordSource, errors_only: bool, text: str) -> None:
        worker = get_current_worker()
        progress = self.progress
        rows = source.matching_rows(
            errors_only=errors_only,
            text=text,
            progress=lambda done, total: progress.post_message(WorkProgress.Update(done, total)),
            cancel=lambda: worker.is_cancelled,
        )
        if not worker.is_cancelled:
            self.post_message(self.FilterDone(rows))

    @work(thread=True, exclusive=True, group="results-search")
    def run_search(
        self, source: RecordSource, pattern: SearchPattern, input_path: Path | None, start: int
    ) -> None:
        """Prompts first (their custom_ids), then every record; the first match at or after
        `start` is announced at once, the whole list at the end."""
        worker = get_current_worker()
        progress = self.progress

        def cancelled() -> bool:
            return worker.is_cancelled

        prompt_ids: set[str] | None = None
        prompt_bytes = 0
        if input_path is not None:
            try:
                index = self._inputs[0] if self._inputs is not None else LineIndex(input_path)
                prompt_bytes = index.size
                total = prompt_bytes + (getattr(source, "size", 0) or 0)
                prompt_ids = prompt_matching_ids(
                    index,
                    pattern,
                    lambda done: progress.post_message(WorkProgress.Update(done, total)),
                    cancelled,
                )
            except (BatchtuiError, OSError) as exc:
                self.post_message(self.Failed(f"prompts not searched: {exc}"))
            if cancelled():
                return

        def report(done: int, total: int) -> None:
            progress.post_message(WorkProgress.Update(prompt_bytes + done, prompt_bytes + total))

        try:
            rows = search_rows(
                source,
                pattern,
                prompt_ids=prompt_ids,
                start_row=start,
                found=lambda row: self.post_message(self.SearchFound(pattern, row)),
                progress=report,
                cancel=cancelled,
            )
        except OSError as exc:
            self.post_message(self.Failed(f"search failed: cannot read: {exc.strerror or exc}"))
            return
        if rows is not None and not cancelled():
            self.post_message(self.SearchDone(pattern, rows))

    @work(group="results-remote")
    async def load_more(self) -> None:
        """Pull the next page of a remote preview, showing records as they arrive."""
        buffer = self.source
        if not isinstance(buffer, RecordBuffer) or buffer.exhausted or self._loading_more:
            return
        if isinstance(buffer, WindowBuffer):
            await self._window_more(buffer)
            return
        service = shell(self).service
        if service is None:
            buffer.exhausted = True
            self._fail("results cannot be read yet: the job service is not ready")
            return
        self._loading_more = True
        try:
            if self._remote is None:
                # A page stops at PREVIEW_PAGE records or PAGE_BYTES of lines: the first
                # page of a many-GB output costs under a megabyte of transfer.
                if self.group is not None:  # every shard's records, as the CLI reads them
                    records = service.iter_group_results(self.group)
                else:
                    assert self.job is not None
                    records = service.iter_results(self.job)
                self._remote = RemotePreview(aiter(records), page_records=PREVIEW_PAGE)
            arrived: list[ResultRecord] = []
            async for record in self._remote.next_page():
                arrived.append(record)
                if len(arrived) >= 20:  # show the first rows before the page is whole
                    buffer.extend(arrived)
                    arrived = []
                    self._rows_grew()
            buffer.extend(arrived)
            buffer.exhausted = self._remote.exhausted
        except BatchtuiError as exc:
            buffer.exhausted = True
            self._fail(str(exc))
        finally:
            self._loading_more = False
        if buffer.exhausted:
            self._status_note = f"all {buffer.count:,} records loaded from the provider"
        self._rows_grew()

    async def _window_more(self, buffer: WindowBuffer) -> None:
        """The records after a window of the remote output, read with Range."""
        if self._seeker is None:
            return
        self._loading_more = True
        try:
            buffer.add(await self._seeker.lines_after(buffer.window, PREVIEW_PAGE))
        except BatchtuiError as exc:
            buffer.exhausted = True
            self._fail(str(exc))
        finally:
            self._loading_more = False
        self._rows_grew()

    async def _open_seeker(self) -> RemoteOutput | None:
        """The job's output for ranged reads; None (and why, in the status line) where it
        cannot be read in parts."""
        if self._seeker is not None:
            return self._seeker
        service = shell(self).service
        assert self.job is not None
        if service is None:
            return None
        try:
            self._seeker = await service.remote_output(self.job)
            if self.index_remote:  # indexed by an earlier scan: exact from the first jump
                await RemoteScan(self._seeker).load_saved()
        except RangeNotHonoured as exc:
            self._no_range = str(exc)
            return None
        return self._seeker

    @work(group="results-index", exclusive=True, exit_on_error=False)
    async def index_remote_output(self, seeker: RemoteOutput) -> None:
        """Stream the remote output once into its line index (windows indexed in threads),
        showing how far; then the window shown is numbered exactly. A failure keeps the ≈
        numbers and says why."""

        def on_progress(done: int, total: int) -> None:
            self._index_note = f"indexing {done * 100 // max(total, 1)}%"
            self._update_title()

        try:
            await RemoteScan(seeker).run(on_progress)
        except BatchtuiError as exc:
            self._index_note = f"indexing stopped (numbers stay ≈): {exc}"
            self._update_title()
            return
        self._index_note = ""
        source = self.source
        stale = isinstance(source, WindowBuffer) and not source.exact and source.offsets
        if stale and seeker is self._seeker:
            assert isinstance(source, WindowBuffer)
            source.renumber(await seeker.line_number(source.offsets[0]))
            self.table.rows_changed()
            self._show_window_note(source)
            self._show_current()
        self._update_title()

    @work(group="results-seek", exclusive=True)
    async def seek(self, row: int | None) -> None:
        """Show the output around record `row` (0-based), or its last page (None), read with
        Range; where the output cannot be read in parts, stream to it and say so."""
        seeker = None if self._no_range else await self._open_seeker()
        try:
            if seeker is not None:
                if row is None:
                    window = await seeker.last_lines(PREVIEW_PAGE)
                else:
                    window = await seeker.lines_near(row, PREVIEW_PAGE)
                self._show_window(WindowBuffer(f"job {self.job.id}" if self.job else "", window))
                running = self._indexing is not None and not self._indexing.is_finished
                if self.index_remote and not seeker.indexed and not running:
                    self._indexing = self.index_remote_output(seeker)
                return
        except RangeNotHonoured as exc:
            self._seeker = None
            self._no_range = str(exc)
        except BatchtuiError as exc:
            self._fail(str(exc))
            return
        why = self._no_range or self._status_note
        await self._stream_to(row)
        self._status_note = why  # the page loads must not hide why this streamed
        self._update_title()

    def _show_window(self, window: WindowBuffer) -> None:
        self.source = window
        self.table.show(window)
        wanted = window.count - 1
        if not window.window.at_end:
            wanted = 0
        self.table.center_on(max(wanted, 0))
        self._show_window_note(window)
        self._show_current()

    def _show_window_note(self, window: WindowBuffer) -> None:
        estimated = "" if window.exact else " (≈: placed by byte offset; d downloads for exact)"
        self._status_note = f"records {window.number(0)}–{window.number(window.count - 1)}"
        self._status_note += estimated
        self._update_title()

    async def _stream_to(self, row: int | None) -> None:
        """Read pages from the start until record `row` (or the end) has arrived."""
        preview = self._preview
        if preview is None:
            return
        if self.source is not preview:
            self.source = preview
            self.table.show(preview)
        while not preview.exhausted and (row is None or preview.count <= row):
            before = preview.count
            await self.load_more().wait()
            if not self.is_mounted:
                return
            if preview.count == before and not preview.exhausted:
                await asyncio.sleep(0.05)  # a page already on its way
        target = preview.count - 1 if row is None else min(row, preview.count - 1)
        self.table.show_source_row(max(target, 0))
        self._update_title()

    @on(CursorView.EndRequested, "#results-table")
    def _end_requested(self, message: CursorView.EndRequested) -> None:
        """`G` on a remote output not all read: its last page, read from the end; `g` in a
        window: back to the pages read from the start."""
        preview = self._preview
        if preview is None or not isinstance(self.source, RecordBuffer) or self._filtering:
            return
        if message.last:
            if not self.source.complete:
                self.seek(None)
        elif self.source is not preview:
            self.source = preview
            self.table.show(preview)
            self.table.cursor = 0
            self._status_note = ""
            self._update_title()

    @work(group="results-download", exclusive=True)
    async def download(self) -> None:
        assert self.job is not None
        job = self.job
        progress = self.progress
        progress.start("downloading", None)
        meter = TransferMeter()

        def on_progress(done: int, total: int | None) -> None:
            progress.show_transfer("downloading", done, total, meter.update(done))

        try:
            service, registry = shell(self).service, shell(self).registry
            assert service is not None and registry is not None
            await service.download(job, self._results_dir(job), progress=on_progress)
            self.job = await registry.get_job(job.id)
        except BatchtuiError as exc:
            self._fail(f"download failed: {exc}")
            return
        finally:
            progress.finish()
        paths = self._local_paths()
        if not paths:
            self._fail(f"job {job.id}: no result files to download")
            return
        await self._close_preview()
        source, row = self.source, self.table.current_source_row()
        if isinstance(source, WindowBuffer) and row is not None:
            self._landing = source.offset(row)  # found by byte: numbered exactly once indexed
        self._seeker = self._preview = None
        self.workers.cancel_group(self, "results-index")  # the download's index is exact
        self._index_note = ""
        self._status_note = f"downloaded to {paths[0].parent}"
        self.notify(self._status_note, title="Download", markup=False)
        self.open_local(paths)

    async def _close_preview(self) -> None:
        preview, self._remote = self._remote, None
        if preview is not None:
            await preview.aclose()

    async def on_unmount(self) -> None:
        self._leaving.set()
        self.workers.cancel_group(self, "results-index")
        await self._close_preview()
        merged, self._merged = self._merged, None
        if merged is not None:
            merged.close()

    @work(group="results-export", exclusive=True)
    async def export(self) -> None:
        from batchtui.core.families import export_results, merged_input_available

        assert self.job is not None
        job = self.job
        out = self._results_dir(job) / "export.csv"
        progress = self.progress
        meter = TransferMeter()

        def on_progress(done: int, total: int | None) -> None:
            progress.show_transfer("downloading", done, total, meter.update(done))

        self._status_note = f"exporting to {out}…"
        self._update_title()
        try:
            service, registry = shell(self).service, shell(self).registry
            assert service is not None and registry is not None
            join = await registry.run(merged_input_available, job)
            summary, _notes = await export_results(
                service, job, out, "csv", join_input=join, progress=on_progress
            )
        except BatchtuiError as exc:
            self._fail(f"export failed: {exc}")
            return
        finally:
            progress.finish()
        self._status_note = f"{summary.rows:,} rows exported to {out}"
        self.notify(self._status_note, title="Export", markup=False)
        self._update_title()

    # --- messages -----------------------------------------------------------------------

    def on_results_screen_source_ready(self, message: SourceReady) -> None:
        self.source = message.source
        self.table.show(self.source)
        size = message.source.size if isinstance(message.source, ResultSet) else None
        self.progress.start("indexing", size)
        self._rows_grew()
        if message.painted is not None:
            self.call_after_refresh(message.painted.set)

    def on_results_screen_rows_grew(self, message: RowsGrew) -> None:
        self._rows_grew()

    def on_results_screen_scan_done(self, message: ScanDone) -> None:
        self.progress.finish()
        self._rows_grew()
        landing, self._landing = self._landing, None
        if landing is not None and isinstance(self.source, ResultSet) and self.source.files:
            line = self.source.files[0].index.line_at(landing)  # the output comes first
            self.table.show_source_row(line)
            self._status_note = f"{self._status_note}; the record shown is number {line + 1:,}"
            self._update_title()

    def on_results_screen_filter_done(self, message: FilterDone) -> None:
        self.progress.finish()
        if message.rows is None:
            return
        current = self.table.current_source_row()
        self.table.show(self.source, message.rows if self._filtering else None)
        if current is None or not self.table.show_source_row(current):
            self.table.cursor = 0
        self._show_current()
        self._update_title()

    def on_results_screen_search_found(self, message: SearchFound) -> None:
        if message.pattern is not self.search or self._moved_to_match:
            return
        if self.table.show_source_row(message.row):
            self._moved_to_match = True
            self._status_note = f"“{message.pattern.text}”: found, still searching…"
            self._show_current()
            self._update_title()

    def on_results_screen_search_done(self, message: SearchDone) -> None:
        if message.pattern is not self.search:
            return
        self.progress.finish()
        self.matches = message.rows
        if self._moved_to_match:
            self._say_place()
            return
        # Not moved yet (nothing at or after the starting row, or it was hidden by the
        # filter): the next shown match from the start, wrapping as less does.
        self._step(backwards=False, current=self._search_start - 1)

    def on_results_screen_inputs_ready(self, message: InputsReady) -> None:
        self._inputs = (message.index, message.lines)
        self._show_current()

    def on_results_screen_failed(self, message: Failed) -> None:
        self.progress.finish()
        self._fail(message.message)

    @on(CursorView.CursorMoved, "#results-table")
    def _cursor_moved(self, message: CursorView.CursorMoved) -> None:
        self._show_current()
        buffer = self.source
        if (
            isinstance(buffer, RecordBuffer)
            and not buffer.exhausted
            and message.row >= self.table.row_count() - PREVIEW_MARGIN
        ):
            self.load_more()

    def _rows_grew(self) -> None:
        if self.source is not None and not self._filtering:
            self.table.rows_changed()
        if self._pending_row is not None and self.table.show_source_row(self._pending_row):
            self._pending_row = None
        if self.detail.record is None and self.table.row_count() > 0:
            self._show_current()
        self._update_title()

    def _fail(self, message: str) -> None:
        self._status_note = message
        self.notify(inert(message, single_line=True), severity="error", timeout=8, markup=False)
        self._update_title()

    # --- what is shown ------------------------------------------------------------------

    @property
    def _filtering(self) -> bool:
        return self.errors_only or bool(self.search_text)

    def _owner(self) -> str:
        if self.group is not None:
            return f"group {self.group.id}"
        return f"job {self.job.id}" if self.job is not None else str(self.path)

    def _label(self) -> str:
        if self.group is not None:
            return f"{self.group.name} ({self.group.id}, {len(self.shards)} shards)"
        if self.job is not None:
            return f"{self.job.name} ({self.job.id})"
        assert self.path is not None
        # The file's name: its full path is in the detail pane, and a long one would push
        # the record count out of an 80-column title.
        return self.path.name

    def _update_title(self) -> None:
        title = Text("Results · ")
        title.append(inert(self._label(), single_line=True))
        source = self.source
        if isinstance(source, WindowBuffer):
            seeker = self._seeker
            total = seeker.estimated_lines() if seeker is not None else None
            about = "" if seeker is not None and seeker.indexed else "≈"
            title.append(f" · {about}{total:,} records" if total else "")
        elif source is not None:
            more = "" if source.complete else "+"
            title.append(f" · {source.count:,}{more} records")
            if self._filtering:
                title.append(f" · {self.table.row_count():,} shown")
        if self._merged is not None:
            retries = self._merged.retries
            title.append(f" · merged with {retries} {'retry' if retries == 1 else 'retries'}")
        self.query_one("#results-title", Static).update(title)
        filters = []
        if self.errors_only:
            filters.append("errors only")
        if self.search_text:
            filters.append(f"containing “{inert(self.search_text, single_line=True)}”")
        status = Text("filter: " + ", ".join(filters) if filters else "")
        for note in (self._status_note, self._index_note):
            if note:
                status.append(("  " if status.plain else "") + inert(note, single_line=True))
        status_line = self.query_one("#results-status", Static)
        status_line.update(status)
        status_line.set_class(bool(status.plain), "-shown")

    def _show_current(self) -> None:
        source = self.source
        row = self.table.current_source_row()
        if source is None or row is None:
            self.detail.show(None)
            return
        record = source.record(row)
        self.detail.show(
            record,
            where=source.where(row),
            prompt=self._prompt_for(record),
            highlight=self.search,
        )

    def _request_line(self, record: ResultRecord) -> tuple[bytes | None, str]:
        """The record's input line, and where it is (or why it is not there)."""
        if self._inputs is None or record.custom_id is None:
            return None, ""
        index, lines = self._inputs
        line = lines.get(record.custom_id)
        if line is None:
            return None, ""
        where = f"{index.path}:{line + 1}"
        try:
            return index.read_line(line), where
        except OSError as exc:
            return None, f"(cannot read {where}: {exc.strerror or exc})"

    def _prompt_for(self, record: ResultRecord) -> str | None:
        raw, where = self._request_line(record)
        if raw is None:
            return where or None
        return request_prompt(raw)

    # --- actions ------------------------------------------------------------------------

    def _open_input(self, input_id: str) -> None:
        for widget in self.query(Input):
            widget.set_class(widget.id == input_id, "-open")
        focus_now(self.query_one(f"#{input_id}", Input))

    def _close_inputs(self) -> bool:
        opened = [widget for widget in self.query(Input) if widget.has_class("-open")]
        for widget in opened:
            widget.remove_class("-open")
        if opened:
            self.table.focus()
        return bool(opened)

    def action_back(self) -> None:
        if self._close_inputs():
            return
        if self.search is not None and self.matches is None:
            self.workers.cancel_group(self, "results-search")
            self.progress.finish()
            self._status_note = f"search for “{self.search.text}” cancelled"
            self.search = None
            self._update_title()
            return
        if len(self.app.screen_stack) <= 1:  # the viewer alone (`batchtui view FILE`)
            self.app.exit()
            return
        self.app.pop_screen()

    def action_toggle_errors(self) -> None:
        self.errors_only = not self.errors_only
        self._apply_filter()

    @opens_input
    def action_search(self) -> None:
        open_in_turn(self, self._open_search)

    def _open_search(self) -> None:
        search = self.query_one("#search-input", Input)
        search.value = self.search.text if self.search is not None else ""
        self._open_input("search-input")

    @opens_input
    def action_filter(self) -> None:
        open_in_turn(self, self._open_filter)

    def _open_filter(self) -> None:
        field = self.query_one("#filter-input", Input)
        field.value = self.search_text
        self._open_input("filter-input")

    def action_search_next(self) -> None:
        self._step(backwards=False)

    def action_search_previous(self) -> None:
        self._step(backwards=True)

    def start_search(self, text: str) -> None:
        """Search for `text` (a regex) from the record under the cursor on."""
        try:
            pattern = SearchPattern.compile(text)
        except SearchError as exc:
            self._fail(str(exc))
            return
        self.workers.cancel_group(self, "results-search")
        self.search = pattern
        self.matches = None
        self._moved_to_match = False
        self.table.highlight = pattern
        source = self.source
        if source is None:
            self._fail("nothing to search yet: the results are still opening")
            return
        current = self.table.current_source_row()
        self._search_start = current if current is not None else 0
        self._status_note = f"searching for “{text}”… (escape cancels)"
        size = getattr(source, "size", None)
        self.progress.start("searching", size)
        self._show_current()
        self._update_title()
        self.run_search(source, pattern, self.input_path, self._search_start)

    def _step(self, *, backwards: bool, current: int | None = None) -> None:
        pattern = self.search
        if pattern is None:
            self.notify("No search yet: press / to search.", markup=False)
            return
        if self.matches is None:
            self._status_note = f"still searching for “{pattern.text}”… (escape cancels)"
            self._update_title()
            return
        if current is None:
            current = self.table.current_source_row()
            current = -1 if current is None else current
        step = next_match(
            self.matches, current, backwards=backwards, visible=self.table.has_source_row
        )
        if step is None:
            hidden = " among the records shown" if self.matches else ""
            if isinstance(self.source, RecordBuffer) and not self.source.complete:
                hidden += " (loaded so far: scroll on, or d to download all)"
            self._fail(f"pattern not found{hidden}: {pattern.text}")
            return
        self.table.show_source_row(step.row)
        self._say_place(wrapped=step.wrapped)

    def _say_place(self, *, wrapped: bool = False) -> None:
        matches = self.matches
        pattern = self.search
        row = self.table.current_source_row()
        if matches is None or pattern is None or row is None:
            return
        import bisect

        place = bisect.bisect_left(matches, row) + 1
        note = f"match {place:,} of {len(matches):,} for “{pattern.text}”"
        if wrapped:
            note += " (wrapped around)"
        if isinstance(self.source, RecordBuffer) and not self.source.complete:
            note += " in the records loaded so far"
        self._status_note = note
        self._show_current()
        self._update_title()

    def action_copy_answer(self) -> None:
        """OSC 52, wrapped for tmux and screen (see `tui.clipboard`)."""
        from batchtui.core.terminal_osc import clipboard_payload
        from batchtui.tui.clipboard import copy_text

        record = self.detail.record
        if record is None:
            self.notify("No record selected.", markup=False)
            return
        text = answer_text(record)
        if not text:
            self.notify("This record has no text to copy.", severity="warning", markup=False)
            return
        self.last_clipboard_write = copy_text(self.app, text)
        _data, cut = clipboard_payload(text)
        what = "answer" if record.ok else "error"
        note = f"copied the {what} of {record.custom_id or 'this record'} (OSC 52)"
        if cut:
            note += f"; cut to the first {len(_data):,} bytes"
        self._status_note = note
        self.notify(inert(note, single_line=True), markup=False)
        self._update_title()

    def action_open_record(self) -> None:
        """The record as pretty JSON in $PAGER (else $EDITOR, else less), the TUI suspended."""
        from textual.app import SuspendNotSupported

        from batchtui.core.record_document import pager_command, record_document, write_document

        record = self.detail.record
        source = self.source
        row = self.table.current_source_row()
        if record is None or source is None or row is None:
            self.notify("No record selected.", markup=False)
            return
        request_line, _where = self._request_line(record)
        document = record_document(record, request_line, source.where(row))
        command = pager_command(os.environ)
        try:
            path = write_document(document, record.custom_id)
        except OSError as exc:
            self._fail(f"cannot write the record for the pager: {exc.strerror or exc}")
            return
        try:
            with self.app.suspend():
                subprocess.run([*command, str(path)], check=False)
        except SuspendNotSupported:
            self._fail("this terminal cannot be handed to a pager (no suspend here)")
        except OSError as exc:
            self._fail(f"cannot run {command[0]}: {exc.strerror or exc} (set $PAGER or $EDITOR)")
        finally:
            path.unlink(missing_ok=True)

    @opens_input
    def action_goto(self) -> None:
        open_in_turn(self, self._open_goto)

    def _open_goto(self) -> None:
        self.query_one("#goto-input", Input).value = ""
        self._open_input("goto-input")

    def action_markdown(self) -> None:
        self.detail.set_mode("text" if self.detail.mode == "markdown" else "markdown")

    def action_raw_json(self) -> None:
        self.detail.set_mode("text" if self.detail.mode == "json" else "json")

    def action_download(self) -> None:
        if self._merged is not None:
            self.notify("Already downloaded: the results and their retries'.", markup=False)
            return
        if self.group is not None:
            shell(self).actions.download_group(self.group.id)
            return
        if self.job is None:
            self.notify("This is a local file: there is nothing to download.", markup=False)
            return
        if shell(self).service is None:
            self.notify(
                "Downloading needs the job service, which is not ready.",
                severity="error",
                markup=False,
            )
            return
        if self._local_paths() and isinstance(self.source, ResultSet):
            self.notify(f"Already downloaded: {self._local_paths()[0]}", markup=False)
            return
        self.download()

    def action_export(self) -> None:
        if self.group is not None:
            shell(self).actions.export_target(self.group.id)
            return
        if self.job is None:
            self.notify(
                "Export works on a job: `batchtui export JOB` (this is a local file).",
                markup=False,
            )
            return
        if shell(self).service is None:
            self.notify(
                "Exporting needs the job service, which is not ready.",
                severity="error",
                markup=False,
            )
            return
        self.export()

    @on(Input.Submitted, "#search-input")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._close_inputs()
        text = event.value
        if not text.strip():
            self.workers.cancel_group(self, "results-search")
            self.progress.finish()
            self.search = None
            self.matches = None
            self.table.highlight = None
            self._status_note = ""
            self._show_current()
            self._update_title()
            return
        self.start_search(text)

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        self._close_inputs()
        self._apply_filter()

    @on(Input.Submitted, "#goto-input")
    def _goto_submitted(self, event: Input.Submitted) -> None:
        self._close_inputs()
        try:
            number = int(event.value)
        except ValueError:
            return
        self.go_to_record(number)

    def go_to_record(self, number: int) -> None:
        """Show record `number` (1-based, as numbered in the file)."""
        if number < 1:
            self.notify("Record numbers start at 1.", severity="warning", markup=False)
            return
        source = self.source
        row = number - 1
        preview = self._preview
        seeking = self.job is not None and isinstance(source, RecordBuffer) and not self._filtering
        if isinstance(source, WindowBuffer) and self._filtering:
            self.notify("Clear the filter to go to a record by number.", markup=False)
            return
        if preview is not None and seeking:
            if row < preview.count or preview.complete:
                if source is not preview:  # back from a window to the pages from the start
                    self.source = source = preview
                    self.table.show(preview)
            elif isinstance(source, WindowBuffer) and 0 <= row - source.first_line < source.count:
                self.table.show_source_row(row - source.first_line)
                return
            else:
                self._status_note = f"reading near record {number:,}…"
                self._update_title()
                self.seek(row)
                return
        if source is None or row >= source.count:
            if source is not None and not source.complete:
                self._pending_row = row
                self.notify(
                    f"Record {number:,} is not read yet: going there when it is.", markup=False
                )
            else:
                count = source.count if source is not None else 0
                self.notify(f"There are {count:,} records.", severity="warning", markup=False)
            return
        if not self.table.show_source_row(row):
            self.notify(
                f"Record {number:,} is hidden by the filter.", severity="warning", markup=False
            )

    def _apply_filter(self) -> None:
        self._update_title()
        if self.source is None:
            return
        if not self._filtering:
            self.workers.cancel_group(self, "results-filter")
            self.progress.finish()
            self.post_message(self.FilterDone(array("q")))
            return
        self.progress.start("filtering", getattr(self.source, "size", None))
        self.run_filter(self.source, self.errors_only, self.search_text)


def open_group_results(app: App[object], snapshot: JobsSnapshot, group_id: str) -> None:
    """Push the viewer of a group's results, every shard's records as one list. The shards
    are read from the registry: the job list's snapshot holds only the rows it shows."""
    group = snapshot.groups.get(group_id)
    if group is None:
        return
    app.run_worker(
        _push_group_results(app, snapshot, group), group="open-group-results", exclusive=True
    )


async def _push_group_results(app: App[object], snapshot: JobsSnapshot, group: JobGroup) -> None:
    registry: AsyncRegistry | None = getattr(app, "registry", None)
    known = list(snapshot.jobs.values())
    try:
        shards = await registry.group_jobs(group.id) if registry is not None else []
    except BatchtuiError as exc:
        app.notify(inert(str(exc), single_line=True), severity="error", markup=False)
        return
    shards = shards or [job for job in known if job.group_id == group.id]
    sent = [shard for shard in shards if shard.remote_id]
    if not sent:
        app.notify(f"{group.id}: no shard was submitted, so no results", markup=False)
        return
    waiting = [shard for shard in sent if not shard.status.may_have_results]
    if waiting:
        app.notify(
            f"{group.id}: shard {waiting[0].shard_index} ({waiting[0].id}) is "
            f"{waiting[0].status.value}: no results yet",
            severity="warning",
            markup=False,
        )
        return
    # Shards with retries are merged by the viewer itself, as `results GROUP` prints them.
    app.push_screen(ResultsScreen(group=group, shards=sent))


def group_result_paths(shards: list[Job]) -> list[Path]:
    """Every shard's result files in shard order, when all of them are on disk; else none
    (the group is then read through the provider, as `batchtui results GROUP` reads it)."""
    from batchtui.core.localresults import local_result_paths, results_on_disk

    ordered = sorted(shards, key=lambda shard: shard.shard_index or 0)
    if not ordered or not all(results_on_disk(shard) for shard in ordered):
        return []
    return [path for shard in ordered for path in local_result_paths(shard)]
