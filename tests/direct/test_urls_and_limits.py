"""A line's url against the base URL, and the pacing of RPM and TPM limits."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from batchtui.core.errors import ConfigError, InputFileError
from batchtui.core.providers.direct.limits import Limiter
from batchtui.core.providers.direct.settings import parse_duration
from batchtui.core.providers.direct.urls import resolve_url


@pytest.mark.parametrize(
    ("base", "line", "expected"),
    [
        ("http://h:8000/v1", "/v1/chat/completions", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/", "/v1/chat/completions", "http://h:8000/v1/chat/completions"),
        ("http://h:8000", "/v1/completions", "http://h:8000/v1/completions"),
        ("http://h:8000/v1", "/chat/completions", "http://h:8000/v1/chat/completions"),
        ("http://h/openai/v1", "/v1/embeddings", "http://h/openai/v1/embeddings"),
        ("http://h/openai", "/v1/responses", "http://h/openai/v1/responses"),
        ("http://h:11434/v1", "v1/embeddings", "http://h:11434/v1/embeddings"),
    ],
)
def test_line_url_joins_the_base_url_without_a_second_v1(base: str, line: str, expected: str):
    assert resolve_url(base, line) == expected
    assert "/v1/v1/" not in resolve_url(base, line)


@pytest.mark.parametrize(
    "line", ["http://elsewhere/v1/chat/completions", "//elsewhere/v1/x", "/v1/batches", "/v1/files"]
)
def test_other_hosts_and_other_routes_are_refused(line: str):
    with pytest.raises(InputFileError, match="url"):
        resolve_url("http://h:8000/v1", line)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("90s", 90), ("1h30m", 5400), ("6m0s", 360), ("250ms", 0.25), ("45", 45)],
)
def test_durations(text: str, seconds: float):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["soon", "30 minutes", "-5", "5x"])
def test_bad_durations_name_the_setting(text: str):
    with pytest.raises(ConfigError, match="give_up_after"):
        parse_duration(text, setting="give_up_after")


async def _starts(limiter: Limiter, count: int, tokens: int = 0) -> list[float]:
    started: list[float] = []

    async def one() -> None:
        await limiter.wait(tokens)
        started.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(count)))
    return started


async def test_rpm_spaces_starts_evenly():
    starts = await _starts(Limiter(rpm=1200, tpm=None), 21)  # one every 50 ms
    # Each start 50 ms after the one before it, however late a worker woke up: no burst.
    for before, after in itertools.pairwise(starts):
        assert after - before >= 0.05 - 0.002


async def test_tpm_spaces_starts_by_their_cost():
    starts = await _starts(Limiter(rpm=None, tpm=60_000), 11, tokens=50)  # 50 ms of tokens each
    assert starts[-1] - starts[0] >= 10 * 0.05 - 0.01


async def test_a_spent_quota_header_pauses_every_start():
    limiter = Limiter(rpm=None, tpm=None)
    limiter.observe({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "300ms"})
    began = time.monotonic()
    await limiter.wait()
    assert time.monotonic() - began >= 0.28
    paused_until = limiter.paused_until
    limiter.observe({"x-ratelimit-remaining-requests": "12", "x-ratelimit-reset-requests": "9s"})
    assert limiter.paused_until == paused_until  # quota left: no pause
