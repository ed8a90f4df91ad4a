"""Jobs run to their end on the project's simulator, and the viewer on them: for the
result viewer's tests of outputs not downloaded yet."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from batchtui.core.config import Config, Profile
from batchtui.core.models import Job
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.service import JobService
from batchtui.tui.screens.results import ResultsScreen
from helpers.viewer import ViewerApp

PROFILE = "sim"


def quick_retries(profile: Profile) -> OpenAIProvider:
    return OpenAIProvider.from_profile(profile, retry=RetryPolicy(attempts=2, initial_wait=0.01))


def sim_config(url: str) -> Config:
    profile = Profile(name=PROFILE, kind="openai", base_url=url, api_key="sk-test-tui", timeout=5)
    return Config(
        path=Path(os.environ["BATCHTUI_CONFIG"]), exists=True, profiles={PROFILE: profile}
    )


async def finished_job(service: JobService, tmp_path: Path, prompts: list[str]) -> Job:
    path = tmp_path / "input.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "custom_id": f"req-{n}",
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": p}]},
                }
            )
            + "\n"
            for n, p in enumerate(prompts)
        )
    )
    job = await service.submit(path, PROFILE)
    deadline = asyncio.get_running_loop().time() + 15
    while not job.is_terminal:
        assert asyncio.get_running_loop().time() < deadline, f"stuck in {job.status}"
        await asyncio.sleep(0.05)
        job = await service.refresh(job)
    return job


def viewer(service: JobService, job: Job) -> ViewerApp:
    return ViewerApp(lambda: ResultsScreen(job=job), service=service, registry=service.registry)
