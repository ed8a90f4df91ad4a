"""The local job registry (SQLite): every batch ever submitted, and its status history."""

from batchtui.core.registry.store import Registry

__all__ = ["Registry"]
