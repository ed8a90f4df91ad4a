"""Request pacing for a runner: RPM and TPM limits, and the server's `x-ratelimit-*` headers.

Each limit is paced evenly (a leaky bucket with no burst): at `--rpm 600` one request may
start 100 ms after the one before it, so no second of the run sees more than the limit
allows, retries included (every attempt reaches the server and counts). Token cost is the request's
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
        self.next_free = 0.0  # monotonic time the next start may happen

    def took(self, units: float, at: float) -> None:
        """`units` started at `at`: the next start waits for them to drain. Counted from
        the real start, never from a missed slot, so a late wake-up (a busy machine) is
        never made up for with a burst."""
        self.next_free = at + units * self.seconds_per_unit


class Limiter:
    """Shared by a runner's workers: `await limiter.wait(tokens)` before every attempt."""

    def __init__(self, *, rpm: int | None, tpm: int | None) -> None:
        self.requests = Pace(rpm) if rpm else None
        self.tokens = Pace(tpm) if tpm else None
        self.paused_until = 0.0
        # Starts are handed out one at a time, in the order workers asked.
        self._turn = asyncio.Lock()

    @property
    def counts_tokens(self) -> bool:
        return self.tokens is not None

    async def wait(self, tokens: int = 0) -> None:
        if self.requests is None and self.tokens is None and not self.paused_until:
            return
        async with self._turn:
            while True:
                now = time.monotonic()
                start = self.paused_until
                for pace in (self.requests, self.tokens):
                    if pace is not None:
                        start = max(start, pace.next_free)
                if start <= now:
                    break
                await asyncio.sleep(start - now)  # then look again: a header may have paused
            if self.requests is not None:
                self.requests.took(1, now)
            if self.tokens is not None and tokens:
                self.tokens.took(tokens, now)

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
