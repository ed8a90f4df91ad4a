"""Keys typed right after a key that opens an input land in that input, in order, none lost.

Textual routes each key to the widget focused when the key arrives, and runs a plain binding
only once the key has bubbled up from that widget; `Widget.focus` then waits its turn in the
app's queue. By the time a plain `/` binding has opened its input, the rest of a fast burst
(`/foo` typed over SSH, delivered by tmux in one read, or pasted) has gone to the list
underneath and fired its keys there (`e` opened the pager, `d` downloaded). So a key that opens
an input is a priority binding (`input_key`, as tab is): it runs as the key arrives, before
the next key is routed, and its action gives the input the focus at once (`focus_now`) or
pushes the screen and waits until it is mounted with a focus (`open_screen`). Its action is
decorated with `opens_input`, so the same key is typed as text while a field has the focus.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea

Action = TypeVar("Action", bound=Callable[..., Any])


def input_key(
    key: str, action: str, description: str, *, id: str, tooltip: str = "", show: bool = True
) -> Binding:
    """The binding of a key that opens an input: runs as the key arrives (priority)."""
    return Binding(key, action, description, show=show, priority=True, id=id, tooltip=tooltip)


def typing_in_a_field(app: App[Any]) -> bool:
    """Whether the focus is in a text field, where a printable key is text, not a command."""
    return isinstance(app.focused, (Input, TextArea))


def opens_input(action: Action) -> Action:
    """An `input_key` binding's action: stands down while a field has the focus, so the key
    is typed there (a priority binding would otherwise take `/` out of a search for `a/b`)."""

    @functools.wraps(action)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        if typing_in_a_field(self.app):
            raise SkipAction()
        return action(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def focus_now(field: Widget) -> None:
    """Give `field` the focus before the next key is routed (`Widget.focus` waits behind it)."""
    field.screen.set_focus(field)


async def open_screen(
    app: App[Any], screen: Screen[Any], callback: Callable[[Any], Any] | None = None
) -> None:
    """Push `screen` and return once it is mounted and focused: awaited in an `input_key`
    action, the keys after the opening key reach the screen's field, none before it exists.

    The screen focuses its field in `on_mount` with `focus_now`; one that does not gets its
    first focusable widget here (Textual's own auto-focus would come after the next keys).
    """
    await app.push_screen(screen, callback)
    if screen.focused is None:
        screen.focus_next()
