"""Probing a profile: one cheap authenticated call that proves its URL, key and proxy."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.providers.base import BatchProvider


async def check_access(provider: BatchProvider) -> float:
    """List one batch, so a wrong key or URL fails at once (not after uploading a file of up
    to 200 MB over a slow link); the seconds the call took."""
    started = time.perf_counter()
    async for _batch in provider.list_batches(limit=1):
        break
    return time.perf_counter() - started


async def probe_profile(profile: Profile, *, debug: bool = False) -> float:
    """`check_access` with a provider built for `profile` alone, closed afterwards."""
    from batchtui.core.providers.kinds import make_provider

    async with make_provider(profile, debug=debug) as provider:
        return await check_access(provider)
