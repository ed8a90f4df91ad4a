"""What a command needs: config, registry and the job service, opened lazily, closed once."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

from batchtui.core.terminal_text import inert

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.models import Job
    from batchtui.core.registry import Registry
    from batchtui.core.registry.codec import StorageLimits
    from batchtui.core.service import JobService

T = TypeVar("T")


class CommandContext:
    """`reads_only`: the command stores no job, so the registry opens without reading
    config.toml for the caps on stored provider text (a listing starts sooner)."""

    def __init__(self, args: argparse.Namespace, *, reads_only: bool = False) -> None:
        self.args = args
        self.reads_only = reads_only
        self.debug: bool = bool(getattr(args, "debug", False))
        self._config: Config | None = None
        self._registry: Registry | None = None

    def __enter__(self) -> CommandContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from batchtui.core.config import load_config

            self._config = load_config()
        return self._config

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from batchtui.core.registry import Registry

            limits = None if self.reads_only else self._storage_limits()
            self._registry = Registry.open_default(limits=limits)
        return self._registry

    def _storage_limits(self) -> StorageLimits | None:
        """The configured caps on stored provider text; the defaults when the config cannot
        be read (its problem is reported where the config is needed, not here)."""
        from batchtui.core.errors import ConfigError
        from batchtui.core.registry.codec import StorageLimits

        try:
            settings = self.config.settings
        except ConfigError:
            return None
        return StorageLimits(settings.stored_string_limit, settings.stored_object_limit)

    def service(self) -> JobService:
        """A fresh service; use it as `async with` so its provider connections are closed."""
        from batchtui.core.jobs.hooks import NO_HOOKS
        from batchtui.core.service import JobService

        hooks = getattr(self.args, "job_hooks", None) or NO_HOOKS
        return JobService(self.config, self.registry, debug=self.debug, hooks=hooks)

    def profile_name(self, given: str | None) -> str:
        """`--profile`, else `settings.default_profile`, else the only profile configured."""
        from batchtui.core.errors import ConfigError, UsageError

        meant = self.config.meant_profile(given)
        if meant is not None:
            return meant
        problem = self.config.default_profile_problem()
        if problem:
            raise ConfigError(problem)
        known = ", ".join(sorted(self.config.profiles)) or "none configured"
        raise UsageError(
            f"no profile given: pass --profile P (known: {known}) "
            f"or set default_profile in [settings] of {self.config.path}"
        )

    def find_job(self, ref: str) -> Job:
        return self.registry.find_job(ref)


def run_async(coroutine: Awaitable[T]) -> T:
    """Run a command's async part; Ctrl-C cancels it cleanly and surfaces as KeyboardInterrupt."""

    import asyncio

    from batchtui.core.providers.netpolicy import notices_to

    async def main() -> T:
        return await coroutine

    # Long waits and lists cut short are said on stderr, one warning line each.
    with notices_to(warn):
        return asyncio.run(main())


def warn(message: str) -> None:
    sys.stderr.write(f"batchtui: warning: {inert(message, single_line=True)}\n")


async def reconcile_leftovers(service: JobService, profile: str | None = None) -> None:
    """Settle jobs a killed submit left in `submitting` (cheap: nothing to do when none)."""
    leftovers = await service.settle_leftovers(profile=profile)
    for job, error in leftovers.failed:
        warn(f"job {job.id} is still submitting; could not check it: {error}")
