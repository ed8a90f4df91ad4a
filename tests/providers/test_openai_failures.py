"""Retries, ambiguous submits, error messages, proxies and debug logging, over real HTTP."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from batchtui.core.errors import (
    AmbiguousSubmitError,
    AuthenticationError,
    NotFoundError,
    ProviderError,
    ProviderUnreachable,
)
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.simulator import SimulatorHandle

from .helpers import API_KEY, CHAT, wait_terminal, write_requests

Connect = Callable[..., OpenAIProvider]
Start = Callable[..., SimulatorHandle]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def exchanges(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The debug log's exchange lines (`GET url -> HTTP 200 in 3ms; ...`)."""
    messages = [r.getMessage() for r in caplog.records if r.name == "batchtui.http"]
    return [message for message in messages if " -> " in message]


async def upload_and_create(provider: OpenAIProvider, tmp_path: Path, tag: str = "t") -> str:
    remote = await provider.upload(write_requests(tmp_path / "in.jsonl", 5))
    spec = BatchSpec(input_file_id=remote.id, endpoint=CHAT, metadata={TAG_METADATA_KEY: tag})
    return (await provider.create(spec)).id


async def test_retrieve_and_list_recover_from_429_500_and_resets(
    start_simulator: Start, connect: Connect, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="batchtui.http")
    faults = "retrieve:500=0.25,retrieve:429=0.2,retrieve:reset=0.2,list:503=0.3,list:reset=0.3"
    sim = start_simulator(faults=faults, seed=7, phase_seconds=0.05)
    async with connect(sim, debug=True) as provider:
        batch_id = await upload_and_create(provider, tmp_path)
        seen = await wait_terminal(provider, batch_id)
        for _ in range(8):
            assert [batch.id async for batch in provider.list_batches()] == [batch_id]
            assert (await provider.retrieve(batch_id)).id == batch_id
    assert seen[-1].raw_status == "completed"
    log = exchanges(caplog)
    # The faults did happen, and were retried through.
    assert any("HTTP 500" in line for line in log)
    assert any("HTTP 429" in line for line in log)
    assert any("HTTP 503" in line for line in log)
    assert any("failed after" in line for line in log)


async def test_file_content_recovers_from_resets_truncation_and_500(
    start_simulator: Start, connect: Connect, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="batchtui.http")
    sim = start_simulator(
        faults="content:truncated=0.4,content:reset=0.2,content:500=0.2",
        seed=3,
        phase_seconds=0.02,
        speed=100_000,
    )
    async with connect(sim, debug=True) as provider:
        remote = await provider.upload(write_requests(tmp_path / "in.jsonl", 200))
        spec = BatchSpec(input_file_id=remote.id, endpoint=CHAT)
        batch = (await wait_terminal(provider, (await provider.create(spec)).id))[-1]
        assert batch.output_file_id
        path = await provider.download(batch.output_file_id, tmp_path / "out.jsonl")
        content = path.read_bytes()
        for attempt in range(4):
            lines = [line async for line in provider.iter_lines(batch.output_file_id)]
            assert lines == content.splitlines()
            again = await provider.download(batch.output_file_id, tmp_path / f"{attempt}.jsonl")
            assert again.read_bytes() == content
    expected = sorted(f"r{index}" for index in range(200))
    assert sorted(json.loads(line)["custom_id"] for line in content.splitlines()) == expected
    log = exchanges(caplog)
    assert any("HTTP 206" in line for line in log), "a truncated body was resumed with Range"
    assert any("HTTP 500" in line for line in log)
    assert any("failed after" in line for line in log)


async def test_a_reset_after_create_is_ambiguous_and_the_tag_finds_the_batch(
    start_simulator: Start, connect: Connect, tmp_path: Path
) -> None:
    tag = str(uuid.uuid4())
    async with connect(start_simulator(faults="create:reset=1")) as provider:
        with pytest.raises(AmbiguousSubmitError) as caught:
            await upload_and_create(provider, tmp_path, tag)
        found = await provider.find_by_tag(tag)
    assert str(caught.value).startswith("openai profile 'sim': POST /batches: outcome unknown")
    assert found is not None and found.metadata[TAG_METADATA_KEY] == tag


async def test_a_500_on_create_is_ambiguous_and_a_429_is_not(
    start_simulator: Start, connect: Connect, tmp_path: Path
) -> None:
    tag = str(uuid.uuid4())
    async with connect(start_simulator(faults="create:500=1")) as provider:
        with pytest.raises(AmbiguousSubmitError, match="HTTP 500"):
            await upload_and_create(provider, tmp_path, tag)
        # The simulator's 500 acts before the call: reconciling finds nothing to adopt.
        assert await provider.find_by_tag(tag) is None
    async with connect(start_simulator(faults="create:429=1")) as provider:
        with pytest.raises(ProviderError) as caught:
            await upload_and_create(provider, tmp_path)
    assert not isinstance(caught.value, AmbiguousSubmitError)
    assert caught.value.status_code == 429 and caught.value.retryable
    assert caught.value.retry_after == 1.0


async def test_wrong_key_is_an_authentication_error_without_the_key(
    start_simulator: Start, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="batchtui.http")
    sim = start_simulator(api_key="sk-the-right-key-42")
    headers = {"X-Custom-Token": "tok-hidden-value", "OpenAI-Organization": "org-visible"}
    async with connect(sim, key=API_KEY, debug=True, headers=headers) as provider:
        with pytest.raises(AuthenticationError) as caught:
            await provider.retrieve("batch_abc")
    message = str(caught.value)
    assert message == (
        "openai profile 'sim': GET /batches/batch_abc: "
        "HTTP 401 invalid_api_key: Incorrect API key provided."
    )
    assert API_KEY not in repr(caught.value.args) and API_KEY not in caplog.text
    assert '"authorization": "<redacted>"' in caplog.text
    assert "tok-hidden-value" not in caplog.text and "org-visible" in caplog.text
    assert f"GET {sim.url}/batches/batch_abc -> HTTP 401" in caplog.text


async def test_the_key_is_redacted_even_when_the_server_echoes_it(
    simulator: SimulatorHandle, connect: Connect
) -> None:
    # The simulator echoes an unknown URL path in its 404 message.
    async with connect(simulator) as provider:
        with pytest.raises(NotFoundError) as caught:
            await provider.retrieve(API_KEY)
    assert API_KEY not in str(caught.value)
    assert "<redacted>" in str(caught.value)


async def test_connection_refused_is_unreachable(connect: Connect) -> None:
    port = closed_port()
    provider = connect(
        f"http://127.0.0.1:{port}/v1", retry=RetryPolicy(attempts=2, initial_wait=0.001)
    )
    async with provider:
        with pytest.raises(ProviderUnreachable) as caught:
            await provider.retrieve("batch_abc")
    assert str(caught.value) == (
        f"openai profile 'sim': GET /batches/batch_abc: "
        f"cannot connect to http://127.0.0.1:{port}/v1 (connection refused)"
    )


async def test_an_html_proxy_page_is_a_clear_error(start_simulator: Start, connect: Connect):
    async with connect(start_simulator(faults="retrieve:html=1")) as provider:
        with pytest.raises(ProviderError) as caught:
            await provider.retrieve("batch_abc")
    assert str(caught.value) == (
        "openai profile 'sim': GET /batches/batch_abc: the server answered with an HTML page "
        "(HTTP 502), probably a proxy or gateway error"
    )


async def test_truncated_json_is_a_clear_error(start_simulator: Start, connect: Connect) -> None:
    async with connect(start_simulator(faults="list:truncated=1")) as provider:
        with pytest.raises(ProviderError) as caught:
            _ = [batch async for batch in provider.list_batches()]
    message = str(caught.value)
    assert message.startswith(
        "openai profile 'sim': GET /batches: the server sent an answer that is not valid JSON"
    )
    assert "\n" not in message and "Traceback" not in message


async def test_an_answer_of_the_wrong_shape_is_a_clear_error(
    simulator: SimulatorHandle, connect: Connect, tmp_path: Path
) -> None:
    class FilesAsBatches(OpenAIProvider):
        batches_route = "/files"  # a File object where a Batch is expected

    async with connect(simulator) as provider:
        remote = await provider.upload(write_requests(tmp_path / "in.jsonl", 2))
    async with connect(simulator, provider_class=FilesAsBatches) as confused:
        with pytest.raises(ProviderError) as caught:
            await confused.retrieve(remote.id)
    assert str(caught.value) == (
        f"openai profile 'sim': GET /files/{remote.id}: "
        "unexpected answer: batch object lacks required field 'endpoint'"
    )


async def test_loopback_never_goes_through_the_proxy(
    simulator: SimulatorHandle, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, bogus)
    # The variables are live: a plain client honouring them cannot reach the simulator.
    async with httpx.AsyncClient(trust_env=True) as plain:
        with pytest.raises((httpx.ProxyError, httpx.ConnectError)):
            await plain.get(f"{simulator.url}/batches")
    async with connect(simulator) as provider:
        assert [batch async for batch in provider.list_batches()] == []
