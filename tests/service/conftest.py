"""A JobService on the test's own registry, talking real HTTP to an in-thread simulator."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from batchtui.core.config import Config, Profile
from batchtui.core.models import Job
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.simulator import SimulatorHandle
from helpers.cli import request_line
from helpers.service import wait_until_terminal as wait_job_end

PROFILE = "sim"
API_KEY = "sk-test-service-0123456789"


def write_input(path: Path, prompts: list[str]) -> Path:
    path.write_text("".join(request_line(f"req-{n}", p) + "\n" for n, p in enumerate(prompts)))
    return path


def config_for(url: str, *, api_key: str = API_KEY) -> Config:
    profile = Profile(name=PROFILE, kind="openai", base_url=url, api_key=api_key, timeout=5)
    return Config(
        path=Path(os.environ["BATCHTUI_CONFIG"]), exists=True, profiles={PROFILE: profile}
    )


def quick_retries(profile: Profile) -> OpenAIProvider:
    """The real provider with short backoffs, so fault tests stay fast."""
    return OpenAIProvider.from_profile(profile, retry=RetryPolicy(attempts=5, initial_wait=0.01))


def remote_batches(simulator: SimulatorHandle) -> list[dict]:
    """Every batch the simulator holds, asked over HTTP like any client would."""
    answer = httpx.get(
        f"{simulator.url}/batches",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
        trust_env=False,
    )
    answer.raise_for_status()
    return answer.json()["data"]


async def wait_until_terminal(service: JobService, job: Job, timeout: float = 15.0) -> Job:
    return await wait_job_end(service, job, timeout)


@pytest.fixture
def registry() -> Iterator[Registry]:
    with Registry.open_default() as opened:
        yield opened


ServiceFactory = Callable[..., Awaitable[JobService]]


@pytest.fixture
async def make_service(registry: Registry) -> AsyncIterator[ServiceFactory]:
    services: list[JobService] = []

    async def make(simulator: SimulatorHandle, **options: object) -> JobService:
        api_key = str(options.pop("api_key", API_KEY))
        options.setdefault("provider_factory", quick_retries)
        service = JobService(config_for(simulator.url, api_key=api_key), registry, **options)
        services.append(service)
        return service

    yield make
    for service in services:
        await service.aclose()


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    return write_input(tmp_path / "input.jsonl", ["What is 2+2?", "Say hi", "[sim:error] boom"])
