"""Virtual views over files too big to hold: only the visible rows are ever rendered.

`CursorView` is a `ScrollView` with a row cursor and vim/page keys; subclasses say
how many rows there are and draw one row. `LineViewer` shows the raw lines of a
`LineIndex` with their numbers (the validate screen's view of an offending line and
its neighbours).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from batchtui.core.resultfile import LineIndex
from batchtui.core.terminal_text import inert


class CursorView(ScrollView, can_focus=True):
    """Rows drawn on demand, a highlighted cursor row, and the keys to move it."""

    DEFAULT_CSS = """
    CursorView {
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        & > .cursor-view--cursor { background: $surface-lighten-2; }
        &:focus > .cursor-view--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .cursor-view--dim { color: $text-muted; }
        /* 16 colours: Textual's ANSI cursor keeps the default foreground, which on the
           white cursor is unreadable wherever that default is light. */
        &:ansi:focus > .cursor-view--cursor { color: ansi_black; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"cursor-view--cursor", "cursor-view--dim"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False),
        Binding("g,home,ctrl+home", "first", "First", show=False),
        Binding("G,end,ctrl+end", "last", "Last", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class CursorMoved(Message):
        def __init__(self, view: CursorView, row: int) -> None:
            super().__init__()
            self.view = view
            self.row = row

        @property
        def control(self) -> CursorView:
            return self.view

    class EndRequested(Message):
        """`g` or `G` was pressed: a view over rows not all loaded (a remote output) may
        fetch that end of its source."""

        def __init__(self, view: CursorView, *, last: bool) -> None:
            super().__init__()
            self.view = view
            self.last = last

        @property
        def control(self) -> CursorView:
            return self.view

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._strips: LRUCache[tuple[int, int, bool], Strip] = LRUCache(1024)
        self._center_when_sized = False

    # --- to override --------------------------------------------------------------------

    def row_count(self) -> int:
        return 0

    def row_text(self, row: int, width: int) -> Text:
        return Text()

    # --- drawing ------------------------------------------------------------------------

    def rows_changed(self) -> None:
        """Call when rows were added, removed or changed: resizes and redraws."""
        self._strips.clear()
        count = self.row_count()
        self.virtual_size = Size(self.scrollable_content_region.width, count)
        if count and self.cursor >= count:
            self.cursor = count - 1
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if row >= self.row_count():
            return Strip.blank(width, self.rich_style)
        selected = row == self.cursor
        key = (row, width, selected)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width, selected)
            self._strips[key] = strip
        return strip

    def _render_row(self, row: int, width: int, selected: bool) -> Strip:
        base = self.rich_style
        cursor: Style | None = None
        if selected:
            cursor = self.get_component_rich_style("cursor-view--cursor")
            base = base + cursor
        try:
            text = self.row_text(row, width)
        except Exception as exc:  # a row that cannot be read must not break the screen
            text = Text(f"(cannot read row {row + 1}: {inert(str(exc), single_line=True)})")
        text.no_wrap = True
        text.overflow = "ellipsis"
        text.truncate(width, overflow="ellipsis", pad=True)
        segments = [
            Segment(
                segment.text, _readable(base + segment.style if segment.style else base, cursor)
            )
            for segment in text.render(self.app.console)
            if segment.text != "\n"
        ]
        return Strip(segments).adjust_cell_length(width, base).simplify()

    def dim_style(self) -> Style:
        return self.get_component_rich_style("cursor-view--dim", partial=True)

    # --- cursor -------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._strips.clear()
        self.refresh()
        self.scroll_to_cursor()
        self.post_message(self.CursorMoved(self, new))

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, max(0, self.row_count() - 1)))

    def scroll_to_cursor(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def center_on(self, row: int) -> None:
        """Move the cursor to `row` and show it in the middle of the view.

        A view not laid out yet (just shown) centres when it gets its size.
        """
        self.cursor = row
        height = self.scrollable_content_region.height
        if height <= 0:
            self._center_when_sized = True
            return
        self._center_when_sized = False
        self.scroll_to(y=max(0, self.cursor - height // 2), animate=False, immediate=True)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += self._page()

    def action_page_up(self) -> None:
        self.cursor -= self._page()

    def action_half_page_down(self) -> None:
        self._move_half_page(+1)

    def action_half_page_up(self) -> None:
        self._move_half_page(-1)

    def _move_half_page(self, direction: int) -> None:
        """As in less and vim: the view and the cursor move together by half a screen."""
        half = max(1, self.scrollable_content_region.height // 2)
        self.cursor += direction * half
        top = max(0, min(self.scroll_offset.y + direction * half, self.max_scroll_y))
        self.scroll_to(y=top, animate=False, immediate=True)
        self.scroll_to_cursor()

    def action_first(self) -> None:
        self.cursor = 0
        self.post_message(self.EndRequested(self, last=False))

    def action_last(self) -> None:
        self.cursor = self.row_count() - 1
        self.post_message(self.EndRequested(self, last=True))

    def on_resize(self) -> None:
        self.rows_changed()
        if self._center_when_sized:
            self.center_on(self.cursor)


class LineViewer(CursorView):
    """The raw lines of a file, numbered, read on demand from a `LineIndex`."""

    DEFAULT_CSS = """
    LineViewer { height: 1fr; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.index: LineIndex | None = None

    def show_index(self, index: LineIndex | None) -> None:
        self.index = index
        self.rows_changed()

    def row_count(self) -> int:
        return self.index.line_count if self.index is not None else 0

    def row_text(self, row: int, width: int) -> Text:
        assert self.index is not None
        number_width = max(4, len(str(self.index.line_count)))
        line = self.index.read_line(row)[: width * 4].decode("utf-8", errors="replace")
        text = Text(f"{row + 1:>{number_width}} ", style=self.dim_style())
        text.append(inert(line, single_line=True))
        return text

    def current_line(self) -> str | None:
        """The whole line under the cursor, decoded and made inert."""
        if self.index is None or self.cursor >= self.index.line_count:
            return None
        return inert(self.index.read_line(self.cursor).decode("utf-8", errors="replace"))


def _readable(style: Style, cursor: Style | None) -> Style:
    """On the cursor row, text left in the terminal's default colour (or the cursor's own
    background colour) takes the cursor's foreground, so it never vanishes at 16 colours."""
    if cursor is None or cursor.color is None:
        return style
    if style.color is None or style.color.is_default or style.color == style.bgcolor:
        return style + Style(color=cursor.color)
    return style
