"""Helpers for the provider tests: input files, polling, fast retries."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from batchtui.core.models import RemoteBatch
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider

# Retries as many as in production but without the waiting (Retry-After: 1 is capped too).
FAST_RETRY = RetryPolicy(attempts=10, initial_wait=0.005, max_wait=0.02, max_retry_after=0.02)
API_KEY = "sk-test-0123456789abcdef"
CHAT = "/v1/chat/completions"


def write_requests(path: Path, count: int, *, padding: int = 0) -> Path:
    """A valid chat-completions input file of `count` requests (`r0`, `r1`...)."""
    lines = []
    for index in range(count):
        request = {
            "custom_id": f"r{index}",
            "method": "POST",
            "url": CHAT,
            "body": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": f"question {index} " + "x" * padding}],
            },
        }
        lines.append(json.dumps(request))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def wait_terminal(
    provider: OpenAIProvider, batch_id: str, *, timeout: float = 15.0
) -> list[RemoteBatch]:
    """Poll until the batch is terminal; every observation, in order."""
    seen: list[RemoteBatch] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        batch = await provider.retrieve(batch_id)
        seen.append(batch)
        if batch.status.is_terminal:
            return seen
        await asyncio.sleep(0.03)
    raise AssertionError(f"batch {batch_id} not terminal after {timeout}s: {seen[-1].status}")
