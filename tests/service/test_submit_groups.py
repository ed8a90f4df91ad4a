"""Files over the provider's limits: split into shards, submitted and followed as one group."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batchtui.core.config import Config, Profile
from batchtui.core.errors import InputFileError
from batchtui.core.formats import limits as limits_module
from batchtui.core.formats.limits import Limits
from batchtui.core.registry import Registry
from batchtui.core.service import GroupSubmission, GroupSubmitError, InvalidInputFile, JobService
from batchtui.core.status import JobStatus

from .conftest import (
    API_KEY,
    PROFILE,
    quick_retries,
    remote_batches,
    wait_until_terminal,
    write_input,
)

# 10 requests a batch (9 with the margin): 20 requests make 3 shards of 7, 7 and 6.
SMALL = Limits(name="Small", max_requests=10, max_file_bytes=1_000_000, max_line_bytes=10_000)


@pytest.fixture(autouse=True)
def small_openai_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits_module, "OPENAI_LIMITS", SMALL)


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    return write_input(tmp_path / "big.jsonl", [f"question {n}" for n in range(20)])


async def test_a_big_file_goes_as_a_group_of_shards(
    simulator, make_service, registry: Registry, big_file: Path
) -> None:
    service = await make_service(simulator)
    plan = service.plan_submit(big_file, PROFILE)
    assert plan.shard_count == 3 and plan.input_tokens > 0

    submitted = await service.submit_file(big_file, PROFILE, plan=plan, metadata={"team": "x"})

    assert isinstance(submitted, GroupSubmission)
    group, shards = submitted.group, submitted.shards
    assert (group.shard_count, group.input_lines, group.input_path) == (3, 20, big_file.resolve())
    assert group.estimated_input_tokens == plan.input_tokens
    assert [shard.input_lines for shard in shards] == [7, 7, 6]
    assert sum(shard.estimated_input_tokens or 0 for shard in shards) == plan.input_tokens
    assert registry.group_jobs(group.id) == shards
    assert all(shard.remote_id and shard.status is not JobStatus.SUBMITTING for shard in shards)
    for shard in shards:
        assert shard.input_path is not None and shard.input_path.is_file()
        assert Path(os.environ["BATCHTUI_DATA_DIR"]) in shard.input_path.parents
    batches = remote_batches(simulator)
    assert len(batches) == 3 and len({b["metadata"]["batchtui_tag"] for b in batches}) == 3
    assert all(batch["metadata"]["team"] == "x" for batch in batches)

    for shard in shards:
        await wait_until_terminal(service, shard)
    records = [record async for record in service.iter_group_results(group)]
    assert sorted(record.custom_id for record in records) == sorted(f"req-{n}" for n in range(20))

    paths = await service.download_group(group, big_file.parent / "out")
    assert sorted(p.parent.name for p in paths) == ["shard-01", "shard-02", "shard-03"]


async def test_no_split_refuses_with_the_reason_and_the_way_out(
    simulator, make_service, registry: Registry, big_file: Path
) -> None:
    service = await make_service(simulator)
    with pytest.raises(InputFileError) as caught:
        await service.submit_file(big_file, PROFILE, split=False)
    message = str(caught.value)
    assert message.startswith(f"{big_file}:11: file has 20 requests; Small takes at most 10")
    assert "--no-split" in message and "job group of 3 shards" in message
    assert registry.list_jobs() == [] and remote_batches(simulator) == []
    with pytest.raises(InputFileError, match="submit it as a group"):
        await service.submit(big_file, PROFILE, plan=service.plan_submit(big_file, PROFILE))


async def test_a_bad_line_blocks_even_when_the_file_would_be_split(
    simulator, make_service, registry: Registry, big_file: Path
) -> None:
    big_file.write_text(big_file.read_text() + "{broken\n")
    service = await make_service(simulator)
    with pytest.raises(InvalidInputFile, match=r"big\.jsonl:21: not valid JSON"):
        await service.submit_file(big_file, PROFILE)
    assert registry.list_jobs() == []


async def test_a_shard_failing_midway_leaves_every_shard_tracked(
    start_simulator, make_service, registry: Registry, big_file: Path
) -> None:
    # Seed 174 draws 0.8, then 0.44, 0.02, 0.36, 0.23, 0.24: the first create succeeds, the
    # second gets a 500 on each of its 5 attempts (each followed by a tag lookup: nothing).
    simulator = start_simulator(faults="create:500=0.5", seed=174)
    service = await make_service(simulator)

    with pytest.raises(GroupSubmitError) as caught:
        await service.submit_file(big_file, PROFILE)

    group = caught.value.group
    first, second, third = registry.group_jobs(group.id)
    assert first.remote_id is not None and not first.is_terminal
    assert second.status is JobStatus.NOT_SUBMITTED and "500" in (second.last_error or "")
    assert third.status is JobStatus.NOT_SUBMITTED
    assert "shard 2 of 3 failed first" in (third.last_error or "")
    message = str(caught.value)
    assert message.startswith(f"group {group.id}: shard 2 of 3 failed:")
    assert "shard 1 submitted and running" in message and "not_submitted" in message
    assert "\n" not in message and API_KEY not in message
    assert len(remote_batches(simulator)) == 1
    assert registry.list_groups() == [group]


async def test_headroom_warning_and_recorded_estimates(
    simulator, registry: Registry, input_file: Path
) -> None:
    profile = Profile(
        name=PROFILE, base_url=simulator.url, api_key=API_KEY, timeout=5, enqueued_token_limit=10
    )
    config = Config(path=Path(os.environ["BATCHTUI_CONFIG"]), profiles={PROFILE: profile})
    async with JobService(config, registry, provider_factory=quick_retries) as service:
        plan = service.plan_submit(input_file, PROFILE)
        [warning] = plan.warnings()
        assert "over the limit on its own" in warning and "token_limit_exceeded" in warning
        assert plan.cost is not None and plan.cost.priced_as == "gpt-4o-mini"
        ready: list[bool] = []
        job = await service.submit(
            input_file, PROFILE, plan=plan, on_ready=lambda: ready.append(True)
        )
        assert ready == [True]  # a warning never blocks
        assert job.estimated_input_tokens == plan.input_tokens > 0
        again = service.plan_submit(input_file, PROFILE)
        assert again.headroom is not None and again.headroom.in_flight_tokens == plan.input_tokens


async def test_cancel_group_cancels_every_running_shard(
    start_simulator, make_service, registry: Registry, big_file: Path
) -> None:
    simulator = start_simulator(phase_seconds=30)
    service = await make_service(simulator)
    submitted = await service.submit_file(big_file, PROFILE)
    assert isinstance(submitted, GroupSubmission)

    cancelled = await service.cancel_group(submitted.group)

    assert all(shard.status in (JobStatus.CANCELLING, JobStatus.CANCELLED) for shard in cancelled)
    assert len(cancelled) == 3
