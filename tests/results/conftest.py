"""Jobs with real results, from the project's simulator, for the results-at-scale tests."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from batchtui.core.config import Config, Profile, Settings
from batchtui.core.models import Job
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.simulator import SimulatorHandle
from helpers.cli import BATCHTUI, KEY_ENV, env_with_key, request_line
from helpers.service import wait_until_terminal

# Names from `helpers.cli` this package's test modules import from here.
__all__ = ["BATCHTUI", "KEY_ENV"]

PROFILE = "sim"
API_KEY = "sk-test-results-0123456789"


def cli_env() -> dict[str, str]:
    """The environment of a `batchtui` subprocess: the test's paths, the key, UTF-8."""
    return env_with_key(API_KEY)


def embedding_line(custom_id: str, dimensions: int) -> str:
    """A request whose answer is about 20 bytes a dimension: big outputs from few requests."""
    return json.dumps(
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/embeddings",
            "body": {
                "model": "text-embedding-3-small",
                "input": f"text number {custom_id}",
                "dimensions": dimensions,
            },
        }
    )


def write_chat_input(path: Path, count: int, *, failing: set[int] = frozenset()) -> Path:
    lines = [
        request_line(f"req-{n:03d}", "[sim:error] no" if n in failing else f"question {n}")
        for n in range(count)
    ]
    path.write_text("".join(line + "\n" for line in lines))
    return path


def sim_config(url: str, *, download_dir: str | None = None) -> Config:
    profile = Profile(name=PROFILE, kind="openai", base_url=url, api_key=API_KEY, timeout=5)
    return Config(
        path=Path(os.environ["BATCHTUI_CONFIG"]),
        exists=True,
        profiles={PROFILE: profile},
        settings=Settings(download_dir=download_dir),
    )


def quick_retries(profile: Profile) -> OpenAIProvider:
    return OpenAIProvider.from_profile(profile, retry=RetryPolicy(attempts=3, initial_wait=0.01))


async def until_terminal(service: JobService, job: Job, timeout: float = 20.0) -> Job:
    return await wait_until_terminal(service, job, timeout)


@pytest.fixture
def registry() -> Iterator[Registry]:
    with Registry.open_default() as opened:
        yield opened


ServiceFactory = Callable[..., Awaitable[JobService]]


@pytest.fixture
async def make_service(registry: Registry) -> AsyncIterator[ServiceFactory]:
    services: list[JobService] = []

    async def make(simulator: SimulatorHandle, *, download_dir: str | None = None) -> JobService:
        service = JobService(
            sim_config(simulator.url, download_dir=download_dir),
            registry,
            provider_factory=quick_retries,
        )
        services.append(service)
        return service

    yield make
    for service in services:
        await service.aclose()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path: default download folders (`./batchtui-<id>/`) land there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
