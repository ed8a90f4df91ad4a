"""`results GROUP --from N / --tail N` read only the shard(s) holding those records (placed by
the shards' record counts; bytes counted by a loopback relay in front of the simulator),
and a job with retries merged in says why it reads everything rather than seek."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchtui.core.families import plan_retry, submit_retry
from batchtui.core.formats.limits import Limits
from batchtui.core.models import RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.service import JobService

from .conftest import (
    PROFILE,
    embedding_line,
    quick_retries,
    sim_config,
    until_terminal,
    write_chat_input,
)
from .relay import Relay
from .test_cli import add_profile, run

__all__ = ["run"]  # the fixture

RECORDS = 60  # four shards of 15
DIMENSIONS = 4000
SHARD_BYTES = 15 * 4000 * 8  # at least this much per shard of output (about 9.5 a dimension)


def ids(stdout: str) -> list[str]:
    return [json.loads(line)["custom_id"] for line in stdout.splitlines()]


@pytest.fixture
def relay(simulator):
    made = Relay(int(simulator.url.split(":")[2].split("/")[0]))
    yield made
    made.close()


@pytest.fixture
async def group(relay, run, tmp_path: Path, monkeypatch) -> str:
    """A finished group of four shards of 15 embedding records, none downloaded."""
    from batchtui.core.formats import limits as limits_module

    add_profile(run, relay.url)  # the CLI's profile: the same relay
    small = Limits(name="Small", max_requests=16, max_file_bytes=10_000_000, max_line_bytes=10**5)
    monkeypatch.setattr(limits_module, "OPENAI_LIMITS", small)
    path = tmp_path / "emb.jsonl"
    path.write_text(
        "".join(embedding_line(f"e-{n:03d}", DIMENSIONS) + "\n" for n in range(RECORDS))
    )
    with Registry.open_default() as registry:
        async with JobService(
            sim_config(relay.url), registry, provider_factory=quick_retries
        ) as service:
            submission = await service.submit_group(service.plan_submit(path, PROFILE))
            assert len(submission.shards) == 4
            for shard in submission.shards:
                done = await until_terminal(service, shard)
                assert done.request_counts.completed == 15 and done.output_path is None
    return submission.group.id


async def test_from_and_tail_read_only_the_shards_that_hold_them(run, relay, group) -> None:
    before = relay.to_client
    everything = run("results", group, "--json")
    assert ids(everything.stdout) == [f"e-{n:03d}" for n in range(RECORDS)]
    streamed = relay.to_client - before  # the baseline: every shard's output
    one_shard = streamed / 4

    before = relay.to_client
    first_of_shard_2 = run("results", group, "--from", "15", "--head", "1", "--json")
    assert ids(first_of_shard_2.stdout) == ["e-015"]  # placed exactly by the counts
    assert relay.to_client - before <= one_shard / 2

    before = relay.to_client
    near = run("results", group, "--from", "50", "--head", "2", "--json")
    assert ids(near.stdout) == ["e-050", "e-051"]  # within the first lines read of shard 4
    assert relay.to_client - before < one_shard  # its first 256 KB and the lines asked

    before = relay.to_client
    deep = run("results", group, "--from", "56", "--head", "2", "--json")
    got = ids(deep.stdout)
    assert len(got) == 2 and int(got[1][2:]) == int(got[0][2:]) + 1
    assert abs(int(got[0][2:]) - 56) <= 2  # past them: placed by byte offset in shard 4
    assert "record 11 of shard 4" in deep.stderr and "≈" in deep.stderr
    assert relay.to_client - before < one_shard

    before = relay.to_client
    rest = run("results", group, "--from", "33", "--json")  # to the end: shards 3 and 4
    assert ids(rest.stdout) == [f"e-{n:03d}" for n in range(33, RECORDS)]
    assert relay.to_client - before < 2.5 * one_shard

    before = relay.to_client
    tail = run("results", group, "--tail", "3", "--json")
    assert ids(tail.stdout) == ["e-057", "e-058", "e-059"]
    assert relay.to_client - before < one_shard / 2
    assert "shard 4" in tail.stderr

    before = relay.to_client
    across = run("results", group, "--tail", "20", "--json")  # shard 4 whole, 5 of shard 3
    assert ids(across.stdout) == [f"e-{n:03d}" for n in range(40, RECORDS)]
    assert relay.to_client - before < 2 * one_shard
    assert "shard 4" in across.stderr and "shard 3" in across.stderr


async def test_an_index_a_scan_saved_makes_the_seek_exact(run, relay, group) -> None:
    from batchtui.core.remote_scan import RemoteScan

    with Registry.open_default() as registry:
        async with JobService(
            sim_config(relay.url), registry, provider_factory=quick_retries
        ) as service:
            last = service.shards(registry.get_group(group))[-1]
            await RemoteScan(await service.remote_output(last)).run()  # as the viewer does
    deep = run("results", group, "--from", "56", "--head", "2", "--json")
    assert ids(deep.stdout) == ["e-056", "e-057"]
    assert "≈" not in deep.stderr
    tail = run("results", group, "--tail", "2", "--json")
    assert ids(tail.stdout) == ["e-058", "e-059"]
    assert "from record 13 of 15" in tail.stderr  # numbered exactly


async def test_a_shard_without_counts_is_read_through_and_said(run, relay, group) -> None:
    with Registry.open_default() as registry:
        shard = registry.group_jobs(group)[1]
        registry.update_job(shard.id, request_counts=RequestCounts(total=15, known=False))
    before = relay.to_client
    deep = run("results", group, "--from", "50", "--head", "2", "--json")
    assert ids(deep.stdout) == ["e-050", "e-051"]  # read through: exact
    assert "shard 2" in deep.stderr and "no known record count" in deep.stderr
    assert len(deep.stderr.splitlines()) == 1
    assert relay.to_client - before > 3 * SHARD_BYTES  # it did read the shards before it

    # Counts are needed before the record only: one in the first shard still seeks.
    near = run("results", group, "--from", "3", "--head", "1", "--json")
    assert ids(near.stdout) == ["e-003"] and not near.stderr


async def test_failures_in_error_files_keep_the_groups_order(
    run, relay, tmp_path, monkeypatch
) -> None:
    """Each shard's records are its output's, then its error file's: --from and --tail land
    where the full listing has them."""
    from batchtui.core.formats import limits as limits_module

    add_profile(run, relay.url)
    small = Limits(name="Small", max_requests=10, max_file_bytes=10**6, max_line_bytes=10**4)
    monkeypatch.setattr(limits_module, "OPENAI_LIMITS", small)
    path = write_chat_input(tmp_path / "input.jsonl", 20, failing={3, 10, 15, 18})
    with Registry.open_default() as registry:
        async with JobService(
            sim_config(relay.url), registry, provider_factory=quick_retries
        ) as service:
            submission = await service.submit_group(service.plan_submit(path, PROFILE))
            shards = [await until_terminal(service, shard) for shard in submission.shards]
    assert len(shards) == 3 and all(shard.error_file_id for shard in shards)
    group = submission.group.id
    everything = ids(run("results", group, "--json").stdout)
    assert sorted(everything) == [f"req-{n:03d}" for n in range(20)]
    assert everything[-2:] == ["req-015", "req-018"]  # the last shard's failures come last
    for start in range(0, 20, 3):
        page = run("results", group, "--from", str(start), "--head", "3", "--json")
        assert ids(page.stdout) == everything[start : start + 3], start
    for count in (1, 2, 3, 8):
        tail = run("results", group, "--tail", str(count), "--json")
        assert ids(tail.stdout) == everything[-count:], count


async def test_retries_merged_in_say_why_they_read_everything(
    run, relay, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # planning a retry downloads the parent's results here
    add_profile(run, relay.url)
    path = write_chat_input(tmp_path / "input.jsonl", 12, failing={4, 11})
    with Registry.open_default() as registry:
        async with JobService(
            sim_config(relay.url), registry, provider_factory=quick_retries
        ) as service:
            parent = await until_terminal(service, await service.submit(path, PROFILE))
            child = await submit_retry(service, await plan_retry(service, parent))
            await until_terminal(service, child)
    tail = run("results", parent.id, "--tail", "2", "--json")
    assert ids(tail.stdout) == ["req-010", "req-011"]  # merged: one per request, in order
    assert "retries merged in" in tail.stderr and "reading every try" in tail.stderr
    deep = run("results", parent.id, "--from", "4", "--head", "1", "--json")
    assert ids(deep.stdout) == ["req-004"]
    assert "retries merged in" in deep.stderr
    plain = run("results", parent.id, "--json")
    assert "retries merged in" not in plain.stderr
