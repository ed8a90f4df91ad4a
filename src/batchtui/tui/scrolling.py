"""`g`/`G` and half pages (`ctrl+u`/`ctrl+d`) on whatever a screen scrolls: a table moves its
cursor, a line view its cursor line, anything else its scroll position."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import DataTable

from batchtui.tui.widgets.line_viewer import CursorView


def half_height(widget: Widget) -> int:
    return max(1, widget.scrollable_content_region.height // 2)


def half_page(widget: Widget, direction: int) -> None:
    """Half a page down (`direction` 1) or up (-1)."""
    rows = direction * half_height(widget)
    if isinstance(widget, DataTable):
        if widget.row_count:
            last = widget.row_count - 1
            widget.move_cursor(row=min(max(widget.cursor_row + rows, 0), last))
    elif isinstance(widget, CursorView):
        widget.cursor = min(max(widget.cursor + rows, 0), max(widget.row_count() - 1, 0))
    else:
        widget.scroll_relative(y=rows, animate=False)


def to_edge(widget: Widget, *, end: bool) -> None:
    """The first (`end` False) or last line."""
    if isinstance(widget, DataTable):
        if widget.row_count:
            widget.move_cursor(row=widget.row_count - 1 if end else 0)
    elif isinstance(widget, CursorView):
        widget.action_last() if end else widget.action_first()
    elif end:
        widget.scroll_end(animate=False)
    else:
        widget.scroll_home(animate=False)
