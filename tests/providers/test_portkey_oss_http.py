"""PortkeyProvider against the open-source gateway's flavours (`portkey-oss-*`).

Behind a custom host the open-source gateway's `/batches/{id}/output` is always a 500 (it
asks api.openai.com): the provider asks it once and reads `/files/{output_file_id}/content`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import ProviderError
from batchtui.core.formats.results import parse_result_line
from batchtui.core.providers.portkey import PortkeyProvider, output_file_of_route, output_route_id
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle

from .helpers import RetryPolicy
from .test_portkey_openai_http import records_of, run_to_the_end, write_input

UPSTREAM_KEY = "sk-upstream-0123456789abcdef"
SEED = "9"
# Retries would be seen in the count of /output requests; waits kept short.
RETRY = RetryPolicy(attempts=5, initial_wait=0.005, max_wait=0.02, max_retry_after=0.02)


@pytest.fixture
def sim(spawn_simulator_process: Callable[..., Any]) -> Any:
    # A process of its own: its request log (stderr) counts the calls.
    flags = ("--flavor", "portkey-oss-openai", "--api-key", UPSTREAM_KEY)
    return spawn_simulator_process(*flags, "--phase-seconds", "0.05")


def connect(sim: Any, monkeypatch: pytest.MonkeyPatch) -> PortkeyProvider:
    monkeypatch.setenv("PORTKEY_API_KEY", "unused")
    headers = {
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": "http://127.0.0.1:1/v1",
        "Authorization": f"Bearer {UPSTREAM_KEY}",
    }
    profile = Profile(name="oss", kind="portkey", base_url=sim.url, headers=headers)
    provider = PortkeyProvider.from_profile(profile, retry=RETRY)
    assert isinstance(provider, PortkeyProvider)
    return provider


async def test_results_come_from_the_output_file_after_one_refused_route(
    sim: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    prompts = {f"Q-{n}": f"question {n}" for n in range(3)}
    async with connect(sim, monkeypatch) as provider:
        done = await run_to_the_end(provider, write_input(tmp_path / "in.jsonl", prompts))
        [output] = provider.result_files(done)
        before = len(sim.stderr_text())
        records = await records_of(provider, output.file_id)
        path = await provider.download(output.file_id, tmp_path / "output.jsonl")
        log = sim.stderr_text()[before:]
        # A route id stored before the real file id rode along: the batch still names it.
        legacy = await records_of(provider, output_route_id(done.id))
    assert done.status is JobStatus.COMPLETED
    assert output_file_of_route(output.file_id) == done.raw["output_file_id"]
    assert set(records) == set(legacy) == set(prompts) and all(r.ok for r in records.values())
    assert len(path.read_bytes().splitlines()) == len(prompts)
    # Once per read (lines, then the download), never retried.
    assert log.count(f"/batches/{done.id}/output") == 2, log
    assert log.count(f"/files/{done.raw['output_file_id']}/content") == 2, log


async def test_a_client_error_from_the_route_is_not_worked_around(
    start_simulator: Callable[..., SimulatorHandle],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Hosted Portkey answers /output itself; a 404 there is an answer, not a broken route.
    hosted = start_simulator(flavor="portkey-openai", phase_seconds=0.05)
    async with connect(hosted, monkeypatch) as provider:
        route = output_route_id("batch_unknown", "file-unknown")
        with pytest.raises(ProviderError) as raised:
            _ = [line async for line in provider.iter_lines(route)]
    assert raised.value.status_code == 404
    assert "/batches/batch_unknown/output" in str(raised.value)


async def test_an_output_answer_cut_short_goes_on_from_the_file_without_repeats(
    spawn_simulator_process: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Hosted Portkey's route works but answers are cut off half-way (seeded: the first
    # /output answer is one of them).
    sim = spawn_simulator_process(
        "--flavor", "portkey-openai", "--faults", "content:truncated=0.5", "--seed", SEED,
        "--phase-seconds", "0.05",
    )  # fmt: skip
    prompts = {f"Q-{n}": f"question {n} " + "x" * 300 for n in range(40)}
    async with connect(sim, monkeypatch) as provider:
        done = await run_to_the_end(provider, write_input(tmp_path / "in.jsonl", prompts))
        [output] = provider.result_files(done)
        before = len(sim.stderr_text())
        lines = [line async for line in provider.iter_lines(output.file_id)]
        log = sim.stderr_text()[before:]
    route_calls = [line for line in log.splitlines() if f"/batches/{done.id}/output" in line]
    # Asked once, not resumed: the rest came from the file, the lines already given skipped.
    assert len(route_calls) == 1 and "fault=truncated" in route_calls[0], log
    assert f"/files/{done.raw['output_file_id']}/content" in log
    records = [parse_result_line(line) for line in lines if line]
    assert sorted(record.custom_id for record in records) == sorted(prompts)
