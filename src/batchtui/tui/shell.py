"""What a screen may use of the app hosting it: the `Shell` protocol, and `shell(node)` to get it.

Screens and widgets depend on this contract, not on the app class: a test hosts one
screen in a small app that provides the same members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.signal import Signal

    from batchtui.core.config import Config
    from batchtui.core.jobs.listing import PageRequest
    from batchtui.core.jobs.monitor import JobsSnapshot
    from batchtui.core.models import Job
    from batchtui.core.registry.async_registry import AsyncRegistry
    from batchtui.core.service import JobService


@dataclass(frozen=True)
class Transfer:
    """A download's progress, published on `Shell.transfer_signal`."""

    label: str
    done: int
    total: int | None
    rate: float | None  # bytes a second, once known
    finished: bool = False


class JobActions(Protocol):
    """The actions screens share (cancel, download, retry, export...): one implementation."""

    def cancel_job(self, job_id: str) -> None: ...
    def cancel_group(self, group_id: str) -> None: ...
    def download_job(self, job_id: str) -> None: ...
    def download_group(self, group_id: str) -> None: ...
    def retry_target(self, target_id: str) -> None: ...
    def export_target(self, target_id: str) -> None: ...
    def copy_job_id(self, job_id: str) -> None: ...
    def refresh_job(self, job_id: str) -> None: ...
    def start_demo(self) -> None: ...
    def cancel_rows(self, row_ids: list[str]) -> None: ...
    def download_rows(self, row_ids: list[str]) -> None: ...
    def housekeep_rows(
        self, verb: str, row_ids: list[str], done: Callable[[list[str]], None]
    ) -> None: ...
    def transfer_progress(self, label: str) -> Callable[[int, int | None], None]: ...


class Shell(Protocol):
    """The app as its screens see it."""

    @property
    def config(self) -> Config | None: ...
    @property
    def registry(self) -> AsyncRegistry | None: ...
    @property
    def service(self) -> JobService | None: ...
    @property
    def snapshot(self) -> JobsSnapshot: ...
    @property
    def active_profile(self) -> str | None: ...
    @property
    def demo_active(self) -> bool: ...
    @property
    def actions(self) -> JobActions: ...

    ascii_only: bool
    jobs_signal: Signal[JobsSnapshot]
    activity_signal: Signal[str]
    transfer_signal: Signal[Transfer]

    def now(self) -> datetime: ...
    def get_job(self, job_id: str | None) -> Job | None: ...
    def open_detail(self, job_id: str) -> None: ...
    def open_results(self, job_id: str | None = None, path: Path | None = None) -> None: ...
    def reload_config(self) -> None: ...
    def use_config(self, config: Config) -> None: ...
    def request_page(self, request: PageRequest) -> None: ...


def shell(node: DOMNode) -> Shell:
    """The hosting app, typed as the contract screens are written against."""
    return cast("Shell", node.app)
