"""Keys typed right after a key that opens an input land in that input, in order, none lost.

Textual routes each key to the widget focused when the key arrives, and runs a plain binding
only once the key has bubbled up from that widget to the app; `Widget.focus` then waits its
turn in the app's queue. By the time a plain `/` binding had opened its input, the rest of a
fast burst (`/foo` typed over SSH, delivered by tmux in one read, or pasted) had gone to the
list underneath and fired its keys there (`e` opened the pager, `d` downloaded).

So a key that opens an input is a priority binding (as tab is): it acts as it arrives. Its
action (`opens_input`, which lets the key be typed as text while a field has the focus) calls
`open_in_turn`: the app (a `TypeAheadApp`) holds the keys arriving after it, the input opens
once the keys typed before it have acted on the list (a chain of callbacks that follows them
up the same queues), and the held keys are then routed to the input, in order. A
`PromptInput`'s enter works the same way, so `/foo<enter>n` searches for `foo` and the `n`
goes to the list again.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from textual import events
from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

Action = TypeVar("Action", bound=Callable[..., Any])
Result = TypeVar("Result")


class TypeAheadApp(App[Result]):
    """An app that can hold the keys arriving while an input is on its way (`open_in_turn`)."""

    _held_keys: list[events.Event] | None = None
    routing_key: events.Key | None = None  # the key being routed (its priority bindings run)

    async def on_event(self, event: events.Event) -> None:
        held = self._held_keys
        keyboard = isinstance(event, events.Key | events.Paste) and not event.is_forwarded
        if held is not None and keyboard:
            held.append(event)
            return
        await self._route(event)

    async def _route(self, event: events.Event) -> None:
        self.routing_key = event if isinstance(event, events.Key) else None
        try:
            await super().on_event(event)
        finally:
            self.routing_key = None

    def hold_keys(self) -> None:
        if self._held_keys is None:
            self._held_keys = []

    async def release_keys(self) -> None:
        """Route the held keys as if they arrived now; one may open an input and hold again."""
        held, self._held_keys = self._held_keys or [], None
        for index, event in enumerate(held):
            if self._held_keys is not None:
                self._held_keys[:0] = held[index:]
                return
            await self._route(event)


def typing_in_a_field(app: App[Any]) -> bool:
    """Whether the focus is in a text field, where a printable key is text, not a command."""
    from textual.widgets import TextArea  # only the profile form has one: loaded with it

    return isinstance(app.focused, Input | TextArea)


def opens_input(action: Action) -> Action:
    """The action of a key that opens an input (a priority binding: it acts as the key
    arrives). A printable key stands down while a field has the focus, so it is typed there
    (a priority `/` would otherwise cut a search for `a/b` short)."""

    @functools.wraps(action)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        app = self.app
        key = getattr(app, "routing_key", None)
        if typing_in_a_field(app) and (key is None or key.is_printable):
            raise SkipAction()
        return action(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def focus_now(field: Widget) -> None:
    """Give `field` the focus before the next key is routed (`Widget.focus` waits behind it)."""
    field.screen.set_focus(field)


def open_in_turn(screen: Screen[Any], opener: Callable[[], Any]) -> None:
    """Run `opener` (which shows and focuses an input, or awaits `open_screen`) once the keys
    typed before the opening key have acted, and route the keys typed after it to what it
    focused. In an app that cannot hold keys, `opener` runs in the app's turn, keys unheld."""
    app = screen.app
    if not isinstance(app, TypeAheadApp):
        app.call_later(opener)
        return
    app.hold_keys()
    _after_queued_keys(app.focused or screen, opener)


def _after_queued_keys(start: DOMNode, then: Callable[[], Any]) -> None:
    """Run `then` in the app, then release the held keys, once every key routed to `start`
    has bubbled up to the app: a callback hops up the same queues, behind those keys."""
    app = start.app
    assert isinstance(app, TypeAheadApp)

    async def finish() -> None:
        try:
            result = then()
            if inspect.isawaitable(result):
                await result
        finally:
            await app.release_keys()

    def hop(node: DOMNode) -> None:
        parent = node.parent  # the path a key bubbles along: widget, its parents, screen, app
        if node is app or parent is None:
            app.call_later(finish)
        elif not parent.call_later(hop, parent):
            app.call_later(finish)  # a closing node: nothing more will come from there

    if not start.call_later(hop, start):
        app.call_later(finish)


async def open_screen(
    app: App[Any], screen: Screen[Any], callback: Callable[[Any], Any] | None = None
) -> None:
    """Push `screen` and return once it is mounted and focused (the opener of `open_in_turn`
    for a screen with an input: the held keys then reach its field).

    The screen focuses its field in `on_mount` with `focus_now`; one that does not gets its
    first focusable widget here (Textual's own auto-focus would come after the held keys).
    """
    await app.push_screen(screen, callback)
    if screen.focused is None:
        screen.focus_next()


class PromptInput(Input):
    """An input a key opens: enter submits what was typed before it, and the keys after it
    go where the submission leaves the focus (back to the list), not into the closing input."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit_in_turn", "Submit", show=False, priority=True, id="prompt.submit"),
    ]

    def action_submit_in_turn(self) -> None:
        app = self.app
        if not isinstance(app, TypeAheadApp):
            raise SkipAction()  # Input's own enter, as it arrives in turn
        app.hold_keys()

        async def submit_then_follow() -> None:
            # Here, in this input's queue, the keys typed before enter have been inserted.
            try:
                await self.action_submit()
            finally:
                _after_queued_keys(self, lambda: None)  # behind the Submitted message

        if not self.call_later(submit_then_follow):
            app.call_later(app.release_keys)
