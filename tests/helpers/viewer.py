"""A small app hosting one viewer screen, deterministic result and input lines, and a
wait for workers: shared by the TUI tests.

The app provides the part of `tui.shell.Shell` the viewer screens use (`service`,
`registry`, `config`, `ascii_only`), so they are tested on their own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from batchtui.core.registry import loop_guard
from batchtui.core.registry.async_registry import AsyncRegistry
from batchtui.tui.typeahead import TypeAheadApp

if TYPE_CHECKING:
    from batchtui.tui.screens.results import ResultsScreen

DEFAULT_THEME = "textual-dark"
ANSI_THEME = "ansi-dark"


class ViewerApp(TypeAheadApp):
    """Pushes the screen `make_screen` builds; `service`, `registry`, `config` as the shell has."""

    def __init__(
        self,
        make_screen: Callable[[], Screen],
        *,
        service: Any = None,
        registry: Any = None,
        config: Any = None,
        theme: str = DEFAULT_THEME,
        ascii_only: bool = False,
    ) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.service = service
        # The screens get what the real app gives them: the registry's async face.
        self.registry = AsyncRegistry(registry) if registry is not None else None
        self.config = config
        self.ascii_only = ascii_only
        self.initial_theme = theme
        self.animation_level = "none"

    def on_mount(self) -> None:
        loop_guard.guard(asyncio.get_running_loop())
        self.theme = self.initial_theme
        self.push_screen(self.make_screen())

    def on_unmount(self) -> None:
        loop_guard.unguard(asyncio.get_running_loop())


def result_line(n: int) -> dict[str, Any]:
    """Record n of a deterministic results file: every 7th failed, every 5th cut short."""
    custom_id = f"req-{n:05d}"
    if n % 7 == 3:
        return {
            "id": f"batch_req_{n}",
            "custom_id": custom_id,
            "response": {
                "status_code": 400,
                "request_id": f"req_{n}",
                "body": {
                    "error": {
                        "message": f"Invalid value for 'max_tokens' in request {n}.",
                        "type": "invalid_request_error",
                        "param": "max_tokens",
                        "code": "invalid_value",
                    }
                },
            },
            "error": None,
        }
    finish = "length" if n % 5 == 4 else "stop"
    content = f"Answer {n}: the **capital** of country {n} is city {n * 3}.\n\n- one\n- two"
    return {
        "id": f"batch_req_{n}",
        "custom_id": custom_id,
        "response": {
            "status_code": 200,
            "request_id": f"req_{n}",
            "body": {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "created": 1711475054,
                "model": "gpt-4o-mini",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": finish,
                    }
                ],
                "usage": {"prompt_tokens": 20 + n % 9, "completion_tokens": 15, "total_tokens": 35},
            },
        },
        "error": None,
    }


def input_line(n: int) -> dict[str, Any]:
    return {
        "custom_id": f"req-{n:05d}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "Answer in one sentence."},
                {"role": "user", "content": f"What is the capital of country {n}?"},
            ],
            "max_tokens": 50,
        },
    }


def write_jsonl(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let workers run until `condition()` holds (or fail after `timeout` seconds)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)
    await pilot.pause()


# --- the result viewer on a local file ---


def make_app(path: Path, input_path: Path | None = None, theme: str = DEFAULT_THEME) -> ViewerApp:
    from batchtui.tui.screens.results import ResultsScreen

    return ViewerApp(lambda: ResultsScreen(path=path, input_path=input_path), theme=theme)


def screen_of(app: ViewerApp) -> ResultsScreen:
    from batchtui.tui.screens.results import ResultsScreen

    assert isinstance(app.screen, ResultsScreen)
    return app.screen


async def ready(pilot: Any, *, prompts: bool = False) -> ResultsScreen:
    screen = screen_of(pilot.app)
    await wait_for(
        pilot,
        lambda: (
            screen.source is not None
            and screen.source.complete
            and (not prompts or screen._inputs is not None)
        ),
    )
    return screen


def detail_text(screen: ResultsScreen) -> str:
    from textual.widgets import Static

    from batchtui.tui.widgets.record_view import RecordDetail

    detail = screen.query_one(RecordDetail)
    return "\n".join(str(static.render()) for static in detail.query(Static) if static.display)
