"""Submit under faults, one call at a time: what is resent, what is looked for first.

Seeded fault dice make each case exact: the simulator draws once per request of the
faulted route, so `seed` fixes which attempt fails.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtui.core.config import Config, Profile
from batchtui.core.errors import ProviderError
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.registry import Registry
from batchtui.core.service import CREATE_ATTEMPTS, JobService
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle

from .conftest import stored_batches, write_requests


def quick(profile: Profile) -> OpenAIProvider:
    policy = RetryPolicy(initial_wait=0.01, max_retry_after=0.05)  # 429s ask for 1 s
    return OpenAIProvider.from_profile(profile, retry=policy)


def service_for(simulator: SimulatorHandle, registry: Registry, tmp_path: Path) -> JobService:
    profile = Profile(name="sim", base_url=simulator.url, api_key="sk-recovery-0123456789")
    config = Config(path=tmp_path / "config.toml", profiles={"sim": profile})
    return JobService(config, registry, provider_factory=quick)


def seed_failing_first(rate: float, failures: int) -> int:
    """A seed whose first `failures` draws fall under `rate` and the next one over it."""
    for seed in range(10_000):
        dice = random.Random(seed)
        draws = [dice.random() for _ in range(failures + 1)]
        if all(d < rate - 0.05 for d in draws[:failures]) and draws[failures] > rate + 0.05:
            return seed
    raise AssertionError("no such seed")


@pytest.fixture
def registry() -> Iterator[Registry]:
    with Registry.open_default() as opened:
        yield opened


@pytest.mark.parametrize(
    ("fault", "failures", "note"),
    [
        # Refused before acting (429): resent by the HTTP layer, nothing to look for.
        ("429", 3, None),
        # A 500 might have created the batch: looked for by tag, absent, created again.
        ("500", CREATE_ATTEMPTS - 1, "creating again"),
    ],
)
async def test_a_create_that_failed_without_creating_is_sent_again(
    fault: str,
    failures: int,
    note: str | None,
    start_simulator,
    registry: Registry,
    tmp_path: Path,
) -> None:
    simulator = start_simulator(
        faults=f"create:{fault}=0.5", seed=seed_failing_first(0.5, failures)
    )
    source = write_requests(tmp_path / "input.jsonl", 3)
    async with service_for(simulator, registry, tmp_path) as service:
        job = await service.submit(source, "sim")

    [batch] = stored_batches(simulator)
    assert job.remote_id == batch["id"] and job.status is not JobStatus.NOT_SUBMITTED
    assert batch["metadata"][TAG_METADATA_KEY] == job.tag
    notes = [change.note or "" for change in registry.history(job.id)]
    assert sum(1 for text in notes if "creating again" in text) == (failures if note else 0)


async def test_after_the_last_create_attempt_the_job_is_not_submitted(
    start_simulator, registry: Registry, tmp_path: Path
) -> None:
    simulator = start_simulator(faults="create:503=1")
    source = write_requests(tmp_path / "input.jsonl", 3)
    async with service_for(simulator, registry, tmp_path) as service:
        with pytest.raises(ProviderError, match="none was created") as caught:
            await service.submit(source, "sim")
    assert "\n" not in str(caught.value)
    [job] = registry.list_jobs()
    assert job.status is JobStatus.NOT_SUBMITTED
    assert stored_batches(simulator) == []


async def test_answers_lost_after_the_create_are_adopted_never_resent(
    start_simulator, registry: Registry, tmp_path: Path
) -> None:
    # Every create is performed, then its answer is lost (reset) or cut short.
    simulator = start_simulator(faults="create:reset=0.5,create:truncated=1")
    source = write_requests(tmp_path / "input.jsonl", 3)
    async with service_for(simulator, registry, tmp_path) as service:
        jobs = [await service.submit(source, "sim") for _ in range(4)]
    batches = stored_batches(simulator)
    assert len(batches) == 4
    assert sorted(b["id"] for b in batches) == sorted(job.remote_id for job in jobs)
    for job in jobs:
        notes = [change.note or "" for change in registry.history(job.id)]
        assert any(text.startswith("adopted by tag after") for text in notes), notes


async def test_an_upload_whose_answer_was_lost_is_sent_again(
    start_simulator, registry: Registry, tmp_path: Path
) -> None:
    # The first upload is stored, but its answer never arrives: a second one goes.
    simulator = start_simulator(faults="upload:reset=0.5", seed=seed_failing_first(0.5, 1))
    source = write_requests(tmp_path / "input.jsonl", 3)
    async with service_for(simulator, registry, tmp_path) as service:
        job = await service.submit(source, "sim")
    [batch] = stored_batches(simulator)
    assert job.remote_id == batch["id"] and job.input_file_id == batch["input_file_id"]
    uploaded = simulator.server.engine.store.list_files()
    # The lost one stays behind unused: no batch reads it (the price of resending).
    assert len(uploaded) == 2
    stored = simulator.server.engine.store.blob_path(job.input_file_id).read_bytes()
    assert [json.loads(line)["custom_id"] for line in stored.splitlines()] == [
        "req-0",
        "req-1",
        "req-2",
    ]
