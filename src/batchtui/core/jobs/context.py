"""What every job use case works with: config, registry, open providers, hooks, and the
registry writes they share (adopt a batch, mark a job not submitted)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from batchtui.core.config import Config, Profile
from batchtui.core.jobs.hooks import NO_HOOKS, JobHooks
from batchtui.core.models import Job, RemoteBatch
from batchtui.core.providers.base import BatchProvider
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

SUBMIT_GRACE = timedelta(minutes=2)

T = TypeVar("T")

# Builds a profile's provider (default: `make_provider`); tests pass a faster retry policy.
ProviderFactory = Callable[[Profile], BatchProvider]


@dataclass
class JobContext:
    config: Config
    registry: Registry
    debug: bool = False
    submit_grace: timedelta = SUBMIT_GRACE
    provider_factory: ProviderFactory | None = None
    hooks: JobHooks = NO_HOOKS
    providers: dict[str, BatchProvider] = field(default_factory=dict)

    async def provider(self, profile_name: str) -> BatchProvider:
        """The open provider of a profile, built once per service (reads the API key)."""
        provider = self.providers.get(profile_name)
        if provider is None:
            profile = self.config.profile(profile_name)
            if self.provider_factory is not None:
                provider = self.provider_factory(profile)
            else:
                from batchtui.core.providers.kinds import make_provider

                provider = make_provider(profile, debug=self.debug)
            await provider.__aenter__()
            self.providers[profile_name] = provider
        return provider

    async def aclose(self) -> None:
        providers, self.providers = list(self.providers.values()), {}
        for provider in providers:
            await provider.__aexit__(None, None, None)

    async def in_thread(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A registry call, off the event loop: another process (or an NFS server) may hold
        the file locked for seconds, and the TUI must keep answering keys meanwhile. The
        registry serializes calls itself, so threads are safe."""
        return await asyncio.to_thread(call, *args, **kwargs)

    def adopt(self, job: Job, batch: RemoteBatch, *, note: str) -> Job:
        """Take over a batch found by tag; the note explains the history's jump."""
        self.registry.update_job(job.id, last_error=None, note=note)
        job, _changed = self.registry.apply_remote(job.id, batch)
        return job

    def mark_not_submitted(self, job: Job, reason: str) -> Job:
        return self.registry.update_job(
            job.id, status=JobStatus.NOT_SUBMITTED, last_error=reason, note=reason
        )


def describe(error: BaseException) -> str:
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        return "interrupted"
    return str(error) or type(error).__name__
