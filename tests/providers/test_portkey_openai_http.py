"""PortkeyProvider over HTTP against the simulator's `portkey-openai` flavour (§2.2, §6 item 23).

Results of an OpenAI batch behind Portkey come through Portkey's `/batches/{id}/output`, which
returns the output file only: the error file is read through `/files/{id}/content`, and a
batch without output answers its `errors` as JSON (HTTP 200) there, never result lines.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.errors import AuthenticationError, NotFoundError, ProviderError
from batchtui.core.formats.results import parse_result_line
from batchtui.core.models import BatchSpec, RemoteBatch, ResultRecord
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.portkey import PortkeyProvider, output_route_id
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle

from .helpers import CHAT, FAST_RETRY, wait_terminal

KEY = "pk-test-openai-0123456789abcdef"
HEADERS = {"x-portkey-provider": "openai"}

Connect = Callable[..., PortkeyProvider]


@pytest.fixture
def sim(start_simulator: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    return start_simulator(flavor="portkey-openai", api_key=KEY, phase_seconds=0.05)


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch) -> Connect:
    def build(sim: SimulatorHandle, *, key: str = KEY, **fields: Any) -> PortkeyProvider:
        monkeypatch.setenv("PORTKEY_API_KEY", key)
        fields.setdefault("headers", HEADERS)
        profile = Profile(name="gw", kind="portkey", base_url=sim.url, **fields)
        provider = PortkeyProvider.from_profile(profile, retry=FAST_RETRY)
        assert isinstance(provider, PortkeyProvider)
        return provider

    return build


def write_input(path: Path, prompts: dict[str, str]) -> Path:
    lines = [
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": CHAT,
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]},
        }
        for custom_id, text in prompts.items()
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


async def run_to_the_end(
    provider: PortkeyProvider, path: Path, tag: str | None = None
) -> RemoteBatch:
    remote = await provider.upload(path)
    spec = BatchSpec(
        input_file_id=remote.id,
        endpoint=CHAT,
        metadata={TAG_METADATA_KEY: tag or str(uuid.uuid4())},
    )
    created = await provider.create(spec)
    return (await wait_terminal(provider, created.id))[-1]


async def records_of(provider: PortkeyProvider, file_id: str) -> dict[str | None, ResultRecord]:
    records = [parse_result_line(line) async for line in provider.iter_lines(file_id) if line]
    by_id = {record.custom_id: record for record in records}
    assert len(by_id) == len(records), "a custom_id came back twice"
    return by_id


async def test_results_come_through_output_and_failures_from_the_error_file(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    prompts = {f"Q-{n}": f"question {n}" for n in range(4)} | {"Q-bad": "fail [sim:error]"}
    tag = str(uuid.uuid4())
    async with connect(sim) as provider:
        done = await run_to_the_end(provider, write_input(tmp_path / "in.jsonl", prompts), tag)
        files = provider.result_files(done)
        output = await records_of(provider, files[0].file_id)
        errors = await records_of(provider, files[1].file_id)
        out_path = await provider.download(files[0].file_id, tmp_path / "output.jsonl")
        err_path = await provider.download(files[1].file_id, tmp_path / "errors.jsonl")
        error_info = await provider.file_info(files[1].file_id)
        output_info = await provider.file_info(files[0].file_id)
        found = await provider.find_by_tag(tag)
    assert done.status is JobStatus.COMPLETED
    assert (done.request_counts.completed, done.request_counts.failed) == (4, 1)
    assert done.raw["output_file_id"].startswith("file-") and done.error_file_id
    assert [(f.kind, f.file_id) for f in files] == [
        ("output", output_route_id(done.id, done.raw["output_file_id"])),
        ("error", done.error_file_id),
    ]
    # /output holds the successes only; the failure is in the error file alone.
    assert set(output) == set(prompts) - {"Q-bad"} and all(r.ok for r in output.values())
    assert all((r.text or "").startswith("Simulated answer") for r in output.values())
    assert list(errors) == ["Q-bad"] and not errors["Q-bad"].ok
    assert "Simulated failure" in (errors["Q-bad"].error_message or "")
    assert len(out_path.read_bytes().splitlines()) == 4
    assert [json.loads(line)["custom_id"] for line in err_path.read_bytes().splitlines()] == [
        "Q-bad"
    ]
    # The error file is a real file with a size; the output route has none to announce.
    assert error_info is not None and error_info.bytes == err_path.stat().st_size
    assert output_info is None
    assert found is not None and found.id == done.id


async def test_an_interrupted_download_ends_whole_though_portkey_ignores_range(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    prompts = {f"Q-{n}": f"question {n} " + "x" * 200 for n in range(6)} | {"Q-bad": "[sim:error]"}
    async with connect(sim) as provider:
        done = await run_to_the_end(provider, write_input(tmp_path / "in.jsonl", prompts))
        kept: dict[str, tuple[bytes, bytes]] = {}
        for result_file in provider.result_files(done):
            whole = b"".join(
                [line + b"\n" async for line in provider.iter_lines(result_file.file_id)]
            )
            dest = tmp_path / f"{result_file.kind}.jsonl"
            # What an earlier, cut-off download left: the first half, to be resumed.
            dest.with_name(dest.name + ".part").write_bytes(whole[: len(whole) // 2])
            await provider.download(result_file.file_id, dest)
            kept[result_file.kind] = (whole, dest.read_bytes())
    assert set(kept) == {"output", "error"}
    for whole, downloaded in kept.values():
        assert downloaded == whole  # restarted from byte 0, not the file appended to its half
    assert not list(tmp_path.glob("*.part"))


async def test_a_batch_that_failed_validation_has_its_errors_not_result_lines(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"custom_id": "a", "method": "POST"\nnot json at all\n', encoding="utf-8")
    async with connect(sim) as provider:
        done = await run_to_the_end(provider, path)
        route = output_route_id(done.id)
        with pytest.raises(ProviderError) as streamed:
            _ = [line async for line in provider.iter_lines(route)]
        dest = tmp_path / "out" / "output.jsonl"
        dest.parent.mkdir()
        with pytest.raises(ProviderError) as downloaded:
            await provider.download(route, dest)
    assert done.status is JobStatus.FAILED
    assert done.errors and done.errors[0].code == "invalid_json_line"
    assert provider.result_files(done) == []  # nothing to read: the job's errors say why
    # Read anyway, /output answers the errors as JSON (200): a clear error, never rows.
    for raised in (streamed.value, downloaded.value):
        message = str(raised)
        assert message.startswith(f"portkey profile 'gw': GET /batches/{done.id}/output: ")
        assert "the batch has no output" in message and "invalid_json_line" in message
        assert "\n" not in message and KEY not in message
    assert list(dest.parent.iterdir()) == []  # no result file, no .part left behind


async def test_an_all_failed_batch_reads_its_results_from_the_error_file(
    connect: Connect, sim: SimulatorHandle, tmp_path: Path
) -> None:
    prompts = {"x": "[sim:error]", "y": "[sim:error=context_length_exceeded]"}
    async with connect(sim) as provider:
        done = await run_to_the_end(provider, write_input(tmp_path / "in.jsonl", prompts))
        files = provider.result_files(done)
        errors = await records_of(provider, done.error_file_id or "")
        # A stale output route (a registry from before the batch ended) meets /files/null.
        with pytest.raises(NotFoundError) as stale:
            _ = [line async for line in provider.iter_lines(output_route_id(done.id))]
    assert done.status is JobStatus.COMPLETED
    assert done.raw["output_file_id"] is None and done.output_file_id is None
    assert (done.request_counts.completed, done.request_counts.failed) == (0, 2)
    assert [(f.kind, f.file_id) for f in files] == [("error", done.error_file_id)]
    assert set(errors) == set(prompts) and not any(r.ok for r in errors.values())
    assert errors["y"].error_code == "context_length_exceeded"
    assert "No such File object: null" in str(stale.value) and "\n" not in str(stale.value)


async def test_openai_errors_relayed_by_portkey_are_one_clear_line(
    connect: Connect, sim: SimulatorHandle
) -> None:
    async with connect(sim) as provider:
        with pytest.raises(NotFoundError) as missing:
            await provider.retrieve("batch_nope")
    async with connect(sim, key="pk-wrong-key-000") as wrong_key:
        with pytest.raises(AuthenticationError) as denied:
            await wrong_key.retrieve("batch_nope")
    message = str(missing.value)
    assert message.startswith("portkey profile 'gw': GET /batches/batch_nope: HTTP 404")
    assert "No such Batch object: batch_nope" in message and "\n" not in message
    assert "Invalid API Key" in str(denied.value)
    assert "pk-wrong-key-000" not in str(denied.value) and KEY not in message


async def test_a_cancelled_batch_keeps_its_results_readable(
    connect: Connect, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = start_simulator(flavor="portkey-openai", api_key=KEY, phase_seconds=0.4)
    prompts = {f"c{n}": f"question {n}" for n in range(3)}
    async with connect(sim) as provider:
        remote = await provider.upload(write_input(tmp_path / "in.jsonl", prompts))
        created = await provider.create(BatchSpec(input_file_id=remote.id, endpoint=CHAT))
        cancelling = await provider.cancel(created.id)
        done = (await wait_terminal(provider, created.id))[-1]
        records: dict[str | None, ResultRecord] = {}
        for result_file in provider.result_files(done):
            records |= await records_of(provider, result_file.file_id)
    assert cancelling.id == created.id
    assert cancelling.status in (JobStatus.CANCELLING, JobStatus.CANCELLED)
    assert done.status is JobStatus.CANCELLED
    # Every request is accounted for: answered through /output, or unrun in the error file.
    assert set(records) == set(prompts)
    unrun = [r for r in records.values() if not r.ok]
    assert all(r.error_code == "batch_cancelled" for r in unrun)
