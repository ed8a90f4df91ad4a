"""A small app hosting one viewer screen, and deterministic data for it.

The app provides the part of `tui.shell.Shell` the viewer screens use (`service`,
`registry`, `config`, `ascii_only`), so they are tested on their own. Every test here
runs with the registry's loop guard on: a blocking registry call on the event loop fails it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Input

from batchtui.core.registry import loop_guard
from batchtui.core.registry.async_registry import AsyncRegistry
from batchtui.tui.typeahead import TypeAheadApp

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


@pytest.fixture(autouse=True)
def _no_blocking_registry_calls() -> Iterator[None]:
    """A sync registry call on a running app's event loop fails the test, even when the
    app caught the error and only reported it."""
    loop_guard.enable()
    try:
        yield
        assert not loop_guard.violations, loop_guard.violations[0]
    finally:
        loop_guard.enable(False)


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    # A blinking cursor makes snapshots depend on timing.
    monkeypatch.setattr(Input, "cursor_blink", False)


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


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "output.jsonl", [result_line(n) for n in range(1, 61)])


@pytest.fixture
def inputs_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "input.jsonl", [input_line(n) for n in range(1, 61)])


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
