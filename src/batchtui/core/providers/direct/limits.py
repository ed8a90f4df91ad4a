"""Request pacing for a runner: RPM and TPM limits, and the server's `x-ratelimit-*` headers.

Each limit is paced evenly (a leaky bucket with no burst): at `--rpm 600` one request may
start every 100 ms, so no second of the run sees more than the limit allows, retries
included (every attempt reaches the server and counts). Token cost is the request's
offline estimate (input plus its output cap). When the server says a quota is spent
(`x-ratelimit-remaining-requests: 0`), nothing starts until its reset time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from batchtui.core.errors import ConfigError
from batchtui.core.providers.direct.settings import parse_duration

# A reset the server announces beyond this is capped: the runner re-reads headers anyway.
MAX_HEADER_PAUSE = 60.0


class Pace:
    """One evenly paced limit of `per_minute` units."""

    def __init__(self, per_minute: float) -> None:
        self.seconds_per_unit = 60.0 / per_minute
        self.next_free = 0.0  # monotonic time the next unit may start

    def reserve(self, units: float, earliest: float) -> float:
        """Take `units` at the first moment from `earliest` allowed; that moment."""
        start = max(self.next_free, earliest)
        self.next_free = start + units * self.seconds_per_unit
        return start


class Limiter:
    """Shared by a runner's workers: `await limiter.wait(tokens)` before every attempt."""

    def __init__(self, *, rpm: int | None, tpm: int | None) -> None:
        self.requests = Pace(rpm) if rpm else None
        self.tokens = Pace(tpm) if tpm else None
        self.paused_until = 0.0

    @property
    def counts_tokens(self) -> bool:
        return self.tokens is not None

    async def wait(self, tokens: int = 0) -> None:
        now = time.monotonic()
        start = max(self.paused_until, now)
        # Reserved at once (no await between): concurrent workers queue in order.
        if self.requests is not None:
            start = self.requests.reserve(1, start)
        if self.tokens is not None and tokens:
            start = self.tokens.reserve(tokens, start)
        if start > now:
            await asyncio.sleep(start - now)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pause when the server reports a spent quota (OpenAI and vLLM-router headers)."""
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            if remaining is None:
                continue
            try:
                spent = float(remaining) <= 0
            except ValueError:
                continue
            if not spent:
                continue
            reset = headers.get(f"x-ratelimit-reset-{kind}") or "1s"
            try:
                pause = min(parse_duration(reset), MAX_HEADER_PAUSE)
            except ConfigError:
                pause = 1.0
            self.paused_until = max(self.paused_until, time.monotonic() + pause)
