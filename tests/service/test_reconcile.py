"""Jobs left in `submitting` by a killed submit: adopted by tag, or given up after the grace."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.models import BatchSpec, Job
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

from .conftest import PROFILE, config_for, quick_retries, remote_batches


def leftover_job(registry: Registry, *, tag: str, input_file_id: str | None, age: timedelta) -> Job:
    """A `submitting` job whose last sign of life was `age` ago, as a killed CLI leaves it."""
    then = datetime.now(UTC) - age
    with Registry(registry.path, clock=lambda: then) as past:
        return past.add_job(
            Job(
                id=past.new_job_id(),
                name="left behind",
                profile=PROFILE,
                kind="openai",
                tag=tag,
                input_file_id=input_file_id,
                created_at=then,
                updated_at=then,
            )
        )


async def create_tagged_batch(simulator, input_file: Path, tag: str) -> str:
    """What the killed process managed to do: upload and create, without recording it."""
    async with quick_retries(config_for(simulator.url).profile(PROFILE)) as provider:
        remote_file = await provider.upload(input_file)
        batch = await provider.create(
            BatchSpec(
                input_file_id=remote_file.id,
                endpoint="/v1/chat/completions",
                metadata={TAG_METADATA_KEY: tag},
            )
        )
    return batch.id


async def test_a_batch_carrying_the_tag_is_adopted_whatever_the_age(
    simulator, make_service, registry: Registry, input_file: Path
) -> None:
    tag = str(uuid.uuid4())
    batch_id = await create_tagged_batch(simulator, input_file, tag)
    job = leftover_job(registry, tag=tag, input_file_id="file-x", age=timedelta(seconds=1))
    service = await make_service(simulator)

    adopted = await service.reconcile(job)

    assert adopted.remote_id == batch_id
    assert adopted.status not in (JobStatus.SUBMITTING, JobStatus.NOT_SUBMITTED)
    assert registry.get_job(job.id).remote_id == batch_id
    assert len(remote_batches(simulator)) == 1


async def test_stale_job_without_a_batch_becomes_not_submitted(
    simulator, make_service, registry: Registry
) -> None:
    job = leftover_job(
        registry, tag=str(uuid.uuid4()), input_file_id="file-x", age=timedelta(minutes=10)
    )
    service = await make_service(simulator)

    settled = await service.reconcile(job)

    assert settled.status is JobStatus.NOT_SUBMITTED
    assert "interrupted" in (settled.last_error or "")
    assert registry.history(job.id)[-1].status is JobStatus.NOT_SUBMITTED


async def test_young_job_without_a_batch_is_left_to_its_live_submitter(
    simulator, make_service, registry: Registry
) -> None:
    job = leftover_job(
        registry, tag=str(uuid.uuid4()), input_file_id="file-x", age=timedelta(seconds=5)
    )
    service = await make_service(simulator)

    assert (await service.reconcile(job)).status is JobStatus.SUBMITTING
    assert len(registry.history(job.id)) == 1


async def test_young_job_still_uploading_is_not_even_looked_up(
    simulator, make_service, registry: Registry
) -> None:
    job = leftover_job(registry, tag=str(uuid.uuid4()), input_file_id=None, age=timedelta(0))
    service = await make_service(simulator)
    simulator.stop()  # any remote call would now fail

    assert (await service.reconcile(job)).status is JobStatus.SUBMITTING


async def test_grace_is_at_least_twice_the_http_timeout(simulator, make_service, registry) -> None:
    service = await make_service(simulator, submit_grace=timedelta(seconds=1))
    job = leftover_job(registry, tag="t", input_file_id=None, age=timedelta(seconds=8))
    # The profile's timeout is 5 s: a create sent 8 s ago may still be in flight.
    assert service.grace_for(job) == timedelta(seconds=10)
    assert not service.is_stale(job)
