"""CONTRACT STUB: the job service the CLI and the TUI both call; the CLI helper implements it.

It ties config, registry and providers together: every rule about submitting,
refreshing, recovering and reading results lives here, once, outside any widget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from batchtui.core.config import Config
from batchtui.core.models import Job, ResultRecord
from batchtui.core.providers.base import ProgressCallback
from batchtui.core.registry import Registry


class JobService:
    def __init__(self, config: Config, registry: Registry, *, debug: bool = False) -> None:
        raise NotImplementedError

    async def submit(
        self,
        path: Path,
        profile: str,
        *,
        name: str | None = None,
        window: str = "24h",
        metadata: dict[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> Job:
        """Validate, record as `submitting`, upload, create (tagged), record the remote batch.

        Never creates a batch twice: after an ambiguous create failure it looks for the tag.
        """
        raise NotImplementedError

    async def refresh(self, job: Job, *, force: bool = False) -> Job:
        """Ask the provider for the job's state (terminal jobs only when `force`)."""
        raise NotImplementedError

    async def reconcile(self, job: Job) -> Job:
        """A job left in `submitting`: adopt the batch carrying its tag, or mark `not_submitted`."""
        raise NotImplementedError

    async def cancel(self, job: Job) -> Job:
        raise NotImplementedError

    async def download(
        self, job: Job, dest_dir: Path, *, progress: ProgressCallback | None = None
    ) -> list[Path]:
        """Output and error files into `dest_dir`, resuming `.part` files; records the paths."""
        raise NotImplementedError

    def iter_results(self, job: Job, *, errors_only: bool = False) -> AsyncIterator[ResultRecord]:
        """Records from the downloaded files, or streamed from the provider when not downloaded."""
        raise NotImplementedError
