"""Result records on screen: a virtual one-line-per-record table and a detail pane.

The table reads rows from a `RecordSource` (a local `ResultSet` or a streamed
`RecordBuffer`), optionally through a filter's list of rows; a record is parsed only
when its row is drawn. Every provider string is shown as a `Text` with control
characters removed, never interpreted as markup.
"""

from __future__ import annotations

import contextlib
import json
from array import array
from typing import ClassVar, Literal

from rich.highlighter import JSONHighlighter
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from batchtui.core.models import ResultRecord
from batchtui.core.result_search import SearchPattern
from batchtui.core.resultfile import (
    RecordSource,
    record_gist,
    record_outcome,
    record_tokens,
)
from batchtui.core.terminal_text import inert
from batchtui.tui.widgets.line_viewer import CursorView

DetailMode = Literal["text", "markdown", "json"]

# Pretty-printing a huge line would stall the screen; beyond this the raw line is cut.
MAX_DETAIL_CHARS = 200_000

# A search match: reversed, so it stands out at any colour depth and on the cursor row.
MATCH_STYLE = Style(reverse=True, bold=True)

ID_WIDTH = 16
OUTCOME_WIDTH = 8
FINISH_WIDTH = 9
TOKENS_WIDTH = 9


class RecordTable(CursorView):
    """One summary line per record: number, custom_id, outcome, finish reason, tokens, gist."""

    DEFAULT_CSS = """
    RecordTable {
        height: 1fr;
        & > .record-table--ok { color: $text-success; }
        & > .record-table--error { color: $text-error; text-style: bold; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "cursor-view--cursor",
        "cursor-view--dim",
        "record-table--ok",
        "record-table--error",
    }

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source: RecordSource | None = None
        self.rows: array | None = None
        self.ascii_only = ascii_only
        self.follow_end = False
        self._highlight: SearchPattern | None = None

    @property
    def highlight(self) -> SearchPattern | None:
        """The search pattern whose matches are shown reversed in each row's answer."""
        return self._highlight

    @highlight.setter
    def highlight(self, pattern: SearchPattern | None) -> None:
        self._highlight = pattern
        self._strips.clear()
        self.refresh()

    def show(self, source: RecordSource | None, rows: array | None = None) -> None:
        self.source = source
        self.rows = rows
        self.rows_changed()

    def rows_changed(self) -> None:
        super().rows_changed()
        if self.follow_end:
            self.cursor = self.row_count() - 1
            self.follow_end = self._still_growing()

    def on_key(self) -> None:
        self.follow_end = False  # any key but `G` (handled after this) stops following

    def action_last(self) -> None:
        # Pressed while the file is still being indexed: keep going to the end as it grows.
        super().action_last()
        self.follow_end = self._still_growing()

    def _still_growing(self) -> bool:
        source = self.source
        return source is not None and source.grows_by_itself and not source.complete

    def row_count(self) -> int:
        if self.source is None:
            return 0
        return len(self.rows) if self.rows is not None else self.source.count

    def source_row(self, row: int) -> int:
        return self.rows[row] if self.rows is not None else row

    def current_source_row(self) -> int | None:
        return self.source_row(self.cursor) if self.row_count() else None

    def has_source_row(self, source_row: int) -> bool:
        """Whether the filter (if any) shows the source row."""
        if self.rows is None:
            return 0 <= source_row < self.row_count()
        import bisect

        position = bisect.bisect_left(self.rows, source_row)
        return position < len(self.rows) and self.rows[position] == source_row

    def show_source_row(self, source_row: int) -> bool:
        """Move the cursor to a source row; False when the filter hides it."""
        if self.rows is None:
            if source_row >= self.row_count():
                return False
            self.center_on(source_row)
            return True
        import bisect

        position = bisect.bisect_left(self.rows, source_row)
        if position < len(self.rows) and self.rows[position] == source_row:
            self.center_on(position)
            return True
        return False

    @staticmethod
    def header_text(width: int) -> Text:
        return Text(
            f"{'#':>5} {'custom_id':<{ID_WIDTH}} {'outcome':<{OUTCOME_WIDTH}} "
            f"{'finish':<{FINISH_WIDTH}} {'tokens':>{TOKENS_WIDTH}} answer or error"
        )

    def row_text(self, row: int, width: int) -> Text:
        assert self.source is not None
        source_row = self.source_row(row)
        record = self.source.record(source_row)
        outcome_class = "record-table--ok" if record.ok else "record-table--error"
        number = getattr(self.source, "number", None)  # a window of a remote output: ≈N
        label = number(source_row) if number is not None else str(source_row + 1)
        text = Text(f"{label:>5} ", style=self.dim_style())
        custom_id = inert(record.custom_id or "-", single_line=True)
        if len(custom_id) > ID_WIDTH:
            custom_id = custom_id[: ID_WIDTH - 1] + "…"
        text.append(f"{custom_id:<{ID_WIDTH}} ")
        text.append(
            f"{record_outcome(record, ascii_only=self.ascii_only):<{OUTCOME_WIDTH}}",
            style=self.get_component_rich_style(outcome_class, partial=True),
        )
        finish = inert(record.finish_reason or "", single_line=True)[:FINISH_WIDTH]
        text.append(f" {finish:<{FINISH_WIDTH}} {record_tokens(record):>{TOKENS_WIDTH}} ")
        gist = Text(inert(record_gist(record)[: width * 2], single_line=True))
        text.append_text(highlight_matches(gist, self._highlight))
        return text


class RecordDetail(VerticalScroll, can_focus=True):
    """The record under the cursor: header, its prompt when known, the answer or the raw JSON."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    RecordDetail {
        height: 1fr;
        border-top: solid $primary-muted;
        padding: 0 1;
        & > #detail-head { color: $text-muted; }
        & > #detail-prompt { color: $text-muted; margin-bottom: 1; }
        & > .-hidden { display: none; }
    }
    """

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self.mode: DetailMode = "text"
        self._record: ResultRecord | None = None
        self._where = ""
        self._prompt: str | None = None
        self._highlight: SearchPattern | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-head")
        yield Static(id="detail-prompt", classes="-hidden")
        yield Static(id="detail-body")

    def show(
        self,
        record: ResultRecord | None,
        *,
        where: str = "",
        prompt: str | None = None,
        mode: DetailMode | None = None,
        highlight: SearchPattern | None = None,
    ) -> None:
        self._record = record
        self._where = where
        self._prompt = prompt
        self._highlight = highlight
        if mode is not None:
            self.mode = mode
        self._refresh_content()

    @property
    def record(self) -> ResultRecord | None:
        return self._record

    def action_half_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self.scrollable_content_region.height // 2, animate=False)

    def action_half_page_up(self) -> None:
        self.scroll_to(y=self.scroll_y - self.scrollable_content_region.height // 2, animate=False)

    def set_mode(self, mode: DetailMode) -> None:
        self.mode = mode
        self._refresh_content()

    def _refresh_content(self) -> None:
        head = self.query_one("#detail-head", Static)
        prompt_widget = self.query_one("#detail-prompt", Static)
        body = self.query_one("#detail-body", Static)
        record = self._record
        if record is None:
            head.update(Text("No record selected."))
            prompt_widget.set_class(True, "-hidden")
            body.update(Text())
            self._show_markdown(None)
            return
        head.update(self._head_text(record))
        prompt_widget.set_class(self._prompt is None or self.mode == "json", "-hidden")
        if self._prompt is not None:
            prompt = highlight_matches(capped_text(self._prompt), self._highlight)
            prompt_widget.update(Text("Prompt\n", style="bold") + prompt)
        if self.mode == "json":
            body.set_class(False, "-hidden")
            body.update(pretty_json(record.raw))
            self._show_markdown(None)
        elif self.mode == "markdown" and record.ok and record.text:
            body.set_class(True, "-hidden")
            self._show_markdown(inert(record.text[:MAX_DETAIL_CHARS]))
        else:
            body.set_class(False, "-hidden")
            body.update(self._body_text(record, self._highlight))
            self._show_markdown(None)
        self.scroll_home(animate=False)

    def _head_text(self, record: ResultRecord) -> Text:
        text = Text()
        text.append(inert(record.custom_id or "(no custom_id)", single_line=True), style="bold")
        text.append("  ")
        text.append(record_outcome(record, ascii_only=self.ascii_only))
        if record.status_code is not None:
            text.append(f"  HTTP {record.status_code}")
        if record.finish_reason:
            text.append(f"  finish: {inert(record.finish_reason, single_line=True)}")
        tokens = record_tokens(record)
        if tokens:
            text.append(f"  tokens: {tokens}")
        mode_word = {"text": "text", "markdown": "markdown", "json": "raw JSON"}[self.mode]
        text.append(f"\n{inert(self._where, single_line=True)}  ({mode_word})")
        return text

    @staticmethod
    def _body_text(record: ResultRecord, highlight: SearchPattern | None = None) -> Text:
        if record.ok:
            if not record.text:
                return Text("(empty answer)")
            return highlight_matches(capped_text(record.text), highlight)
        text = Text("Error\n", style="bold")
        gist = record_gist(record)
        if not gist:
            text.append("(no error message)")
        else:
            text.append_text(highlight_matches(capped_text(gist), highlight))
        return text

    def _show_markdown(self, markdown: str | None) -> None:
        existing = self.query("#detail-markdown")
        if markdown is None:
            existing.remove()
            return
        from textual.widgets import Markdown  # loaded only when asked for

        if existing:
            existing.first(Markdown).update(markdown)
        else:
            self.mount(Markdown(markdown, id="detail-markdown"))


def highlight_matches(text: Text, pattern: SearchPattern | None) -> Text:
    """`text` with every match of `pattern` (in what is shown) reversed."""
    if pattern is not None:
        for start, end in pattern.spans(text.plain):
            text.stylize(MATCH_STYLE, start, end)
    return text


def capped_text(value: str) -> Text:
    """`value` inert, cut at `MAX_DETAIL_CHARS` with a note saying so (a model's answer can be
    hundreds of MB: wrapping all of it would stall the screen and take gigabytes)."""
    text = Text(inert(value[:MAX_DETAIL_CHARS]))
    _note_cut(text, len(value))
    return text


def _note_cut(text: Text, length: int) -> None:
    if length > MAX_DETAIL_CHARS:
        text.append(f"\n… cut at {MAX_DETAIL_CHARS:,} of {length:,} characters", style="italic")


def pretty_json(raw: str) -> Text:
    """The raw line indented when it is JSON, highlighted, control characters removed."""
    shown = raw[:MAX_DETAIL_CHARS]
    with contextlib.suppress(ValueError, RecursionError):
        shown = json.dumps(json.loads(shown), indent=2, ensure_ascii=False)
    text = Text(inert(shown))
    JSONHighlighter().highlight(text)
    _note_cut(text, len(raw))
    return text
