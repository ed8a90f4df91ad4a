"""The local job registry (SQLite): every batch ever submitted, and its status history.

`Registry` is imported on first use, so that a light submodule (`loop_guard`) can be
imported on the TUI's start-up path without the store and its pydantic models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from batchtui.core.registry.store import Registry

__all__ = ["Registry"]


def __getattr__(name: str) -> Any:
    if name == "Registry":
        from batchtui.core.registry.store import Registry

        return Registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
