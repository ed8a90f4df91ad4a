"""Seeking in a remote file through each provider's real route, bytes counted by a loopback
relay in front of the simulator: the last page and jumps to 50% and 90% read only around
their place, for OpenAI files content, Gemini files download and a Cloud Storage object."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from batchtui.core.config import Profile
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.gemini import GeminiProvider
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.providers.ranged import ConcatenatedByteSource
from batchtui.core.providers.vertex import VertexProvider
from batchtui.core.remote_output import ByteSource, RemoteOutput
from providers.google_helpers import (
    BUCKET,
    MODEL,
    PROJECT,
    TAG,
    start_google_simulator,
    wait_until_terminal,
    write_openai_file,
    write_service_account,
)
from providers.helpers import CHAT, FAST_RETRY

from .relay import Relay

MB = 1 << 20
LINES = 4000


def result_lines() -> bytes:
    """About 8 MB of OpenAI-shaped result lines of uneven length (1.5 to 2.5 KB)."""
    rows = []
    for n in range(LINES):
        body = {"choices": [{"message": {"content": "w" * (1500 + (n * 37) % 1000)}}]}
        row = {"custom_id": f"r-{n:05d}", "response": {"status_code": 200, "body": body}}
        rows.append(json.dumps(row).encode() + b"\n")
    return b"".join(rows)


def custom_ids(lines: list[bytes]) -> list[str]:
    return [json.loads(line)["custom_id"] for line in lines]


async def check_seeks(source: ByteSource, data: bytes, relay: Relay) -> None:
    """The last page, 50% and 90%: right lines, whole lines, within the byte bounds."""
    output = RemoteOutput(source)
    all_lines = data.split(b"\n")[:-1]

    before = relay.to_client
    tail = await output.last_lines(20)
    assert custom_ids(tail.lines) == [f"r-{n:05d}" for n in range(LINES - 20, LINES)]
    assert tail.at_end and not tail.exact and tail.end == len(data)
    assert sum(map(len, tail.lines)) <= relay.to_client - before <= MB  # counted, and bounded
    assert abs(tail.first_line - (LINES - 20)) <= LINES // 20  # ≈, within 5%

    for fraction in (0.5, 0.9):
        before = relay.to_client
        window = await output.lines_at_fraction(fraction, 50)
        assert relay.to_client - before <= 2 * MB
        place = int(len(data) * fraction)
        assert data[window.start - 1 : window.start] == b"\n"  # resynchronised on a line start
        assert 0 <= window.start - place <= 2600  # the first line starting after the offset
        assert data[window.start : window.end].split(b"\n")[:-1] == window.lines
        true_first = data.count(b"\n", 0, window.start)
        assert all_lines[true_first] == window.lines[0]
        assert abs(window.first_line - true_first) <= LINES // 20

    before = relay.to_client
    near = await output.lines_near(3000, 10)
    assert not near.exact  # far past the lines read from the start: placed by the mean
    assert abs(int(custom_ids(near.lines)[0][2:]) - 3000) <= LINES // 20
    assert relay.to_client - before <= 2 * MB
    assert output.bytes_fetched < len(data) / 2
    early = await output.lines_near(40, 2)  # within the first lines read: exact
    assert early.exact and custom_ids(early.lines) == ["r-00040", "r-00041"]


@pytest.fixture
def relays():
    made: list[Relay] = []

    def make(port: int) -> Relay:
        made.append(Relay(port))
        return made[-1]

    yield make
    for relay in made:
        relay.close()


def port_of(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


async def test_openai_files_content(simulator, relays, tmp_path: Path) -> None:
    relay = relays(port_of(simulator.url))
    data = result_lines()
    path = tmp_path / "results.jsonl"
    path.write_bytes(data)
    profile = Profile(name="s", kind="openai", base_url=relay.url, api_key="sk-t", timeout=5)
    async with OpenAIProvider.from_profile(profile, retry=FAST_RETRY) as provider:
        uploaded = await provider.upload(path)
        source = await provider.byte_source(uploaded.id)
        assert source is not None
        await check_seeks(source, data, relay)


async def test_gemini_files_download(start_simulator, relays, monkeypatch) -> None:
    simulator = start_simulator()
    data = result_lines()
    with httpx.Client(base_url=simulator.root_url, headers={"x-goog-api-key": "k"}) as client:
        started = client.post(
            "/upload/v1beta/files",
            json={"file": {"displayName": "results"}},
            headers={
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": str(len(data)),
                "X-Goog-Upload-Header-Content-Type": "application/jsonl",
            },
        )
        done = client.post(
            started.headers["X-Goog-Upload-URL"],
            content=data,
            headers={"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"},
        )
        name = done.json()["file"]["name"]
    relay = relays(port_of(simulator.root_url + "/"))
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    profile = Profile(name="g", kind="gemini", base_url=f"http://127.0.0.1:{relay.port}")
    async with GeminiProvider.from_profile(profile, retry=FAST_RETRY) as provider:
        source = await provider.byte_source(name)
        assert source is not None
        await check_seeks(source, data, relay)


async def test_cloud_storage_object(start_simulator, relays, tmp_path: Path) -> None:
    key_file = write_service_account(
        tmp_path / "sa.json", email="t@batchtui-sim.iam.gserviceaccount.com", token_uri="unset"
    )
    simulator = start_google_simulator(start_simulator, key_file)
    relay = relays(port_of(simulator.root_url + "/"))
    profile = Profile(
        name="v",
        kind="vertex",
        base_url=simulator.root_url,
        storage_url=f"http://127.0.0.1:{relay.port}",
        project=PROJECT,
        bucket=BUCKET,
        credentials=str(key_file),
    )
    data = result_lines()
    async with VertexProvider.from_profile(profile, retry=FAST_RETRY) as provider:
        await provider.storage.send_raw(
            "POST",
            f"/upload/storage/v1/b/{quote(BUCKET, safe='')}/o",
            call="upload",
            params={"uploadType": "media", "name": "out/predictions.jsonl"},
            headers={"Content-Type": "application/jsonl"},
            content=data,
        )
        source = await provider.byte_source(f"gs://{BUCKET}/out/predictions.jsonl")
        assert source is not None
        await check_seeks(source, data, relay)


async def test_a_vertex_output_of_several_shards_reads_as_its_download(
    start_simulator, relays, tmp_path: Path
) -> None:
    key_file = write_service_account(
        tmp_path / "sa.json", email="t@batchtui-sim.iam.gserviceaccount.com", token_uri="unset"
    )
    simulator = start_google_simulator(start_simulator, key_file, vertex_file_rows=50)
    relay = relays(port_of(simulator.root_url + "/"))
    profile = Profile(
        name="v",
        kind="vertex",
        base_url=simulator.root_url,
        storage_url=f"http://127.0.0.1:{relay.port}",
        project=PROJECT,
        bucket=BUCKET,
        credentials=str(key_file),
    )
    ids = [f"c-{n:03d}" for n in range(130)]
    source_file = write_openai_file(tmp_path / "in.jsonl", ids)
    async with VertexProvider.from_profile(profile, retry=FAST_RETRY) as provider:
        uploaded = await provider.upload(source_file)
        spec = BatchSpec(
            input_file_id=uploaded.id,
            endpoint=CHAT,
            model=MODEL,
            metadata={TAG_METADATA_KEY: TAG},
            name="t",
        )
        batch = await wait_until_terminal(provider, (await provider.create(spec)).id)
        assert batch.output_file_id is not None
        data = (await provider.download(batch.output_file_id, tmp_path / "o.jsonl")).read_bytes()
        source = await provider.byte_source(batch.output_file_id)
        assert isinstance(source, ConcatenatedByteSource) and len(source.parts) == 3
        output = RemoteOutput(source, block_bytes=4096)
        lines = data.split(b"\n")[:-1]
        tail = await output.last_lines(5)
        assert tail.lines == lines[-5:] and tail.end == len(data)
        middle = await output.lines_at_fraction(0.5, 60)  # across a shard's end
        first = data.count(b"\n", 0, middle.start)
        assert middle.lines == lines[first : first + 60] and first + 60 > 100
        assert [line async for line in output.stream_lines(middle.start)] == lines[first:]
