"""`kill -9` of a real `batchtui submit` or `download` at each step, then the next start.

`spawn_cli(..., pause_at=<step>)` holds the CLI still at that step (hooks handed to its
job service); the test waits until the step's effect is visible (registry, simulator), kills
the process with SIGKILL, and runs the next command. The registry must then hold every
job once, settled as what really happened: adopted when a batch carries its tag (or, for
LiteLLM, its recorded input file), `not_submitted` when none was created; a download
resumes from its `.part`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from batchtui.core.config import Config, Profile, load_config
from batchtui.core.models import BatchSpec, Job, RemoteBatch
from batchtui.core.providers import make_provider
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle
from batchtui.tui.app import BatchtuiApp

from .conftest import (
    API_KEY,
    CLI,
    KEY_ENV,
    file_sha256,
    served_sha256,
    spawn_cli,
    stored_batches,
    write_requests,
)

WAIT_SECONDS = 30.0


def wait_for(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def kill_9(process: subprocess.Popen[str]) -> None:
    assert process.poll() is None, f"the CLI ended before it was killed: {process.communicate()}"
    process.kill()  # SIGKILL: no cleanup, no finally blocks
    process.communicate(timeout=10)


def only_job() -> Job:
    with Registry.open_default() as registry:
        [job] = registry.list_jobs()
        return job


def job_with_input_file() -> Job | None:
    with Registry.open_default() as registry:
        jobs = registry.list_jobs()
    return jobs[0] if jobs and jobs[0].input_file_id else None


def age(job_id: str, *, by: timedelta) -> None:
    """Make the job look untouched for `by`, as if the next start came that much later."""
    then = datetime.now(UTC) - by
    with Registry(Registry.open_default().path, clock=lambda: then) as past:
        past.update_job(job_id)


def history_notes(job_id: str) -> list[str]:
    with Registry.open_default() as registry:
        return [change.note or "" for change in registry.history(job_id)]


class SlowCreates:
    """Wraps the simulator engine's `create_batch`: the whole request has arrived (an event
    tells the test), then the server takes `seconds` before it creates the batch."""

    def __init__(self, simulator: SimulatorHandle, seconds: float) -> None:
        self.arrived = threading.Event()
        engine = simulator.server.engine
        create = engine.create_batch

        def slow_create(params: Any) -> dict[str, Any]:
            self.arrived.set()
            time.sleep(seconds)
            return create(params)

        engine.create_batch = slow_create  # type: ignore[method-assign]


# --- OpenAI: each step of submit, and a download -------------------------------------------


@pytest.fixture
def openai_sim(start_simulator, cli: CLI, add_profile) -> SimulatorHandle:
    simulator = start_simulator()
    add_profile(simulator.url)
    return simulator


def test_killed_after_upload_is_left_alone_then_marked_not_submitted(
    openai_sim: SimulatorHandle, cli: CLI, tmp_path: Path
) -> None:
    source = write_requests(tmp_path / "input.jsonl", 5)
    process = spawn_cli(tmp_path, "submit", str(source), pause_at="after-upload")
    wait_for(job_with_input_file, "the upload to be recorded")
    kill_9(process)
    job = only_job()
    assert job.status is JobStatus.SUBMITTING and job.remote_id is None

    # Started again at once: the submitter might still be alive elsewhere (another login
    # node), so the job is left submitting; the next submit goes through on its own.
    other = cli("submit", str(write_requests(tmp_path / "other.jsonl", 3)), "--json")
    assert other.code == 0, other.stderr
    assert Registry.open_default().get_job(job.id).status is JobStatus.SUBMITTING

    age(job.id, by=timedelta(minutes=10))
    watched = cli("watch", "--interval", "0.1")
    # Settled before watching: only the other job is left to watch, and it completes.
    assert watched.code == 0, watched.stderr
    settled = Registry.open_default().get_job(job.id)
    assert settled.status is JobStatus.NOT_SUBMITTED
    assert "interrupted" in (settled.last_error or "")
    assert len(stored_batches(openai_sim)) == 1  # only the other job's batch


def test_killed_during_create_adopts_the_batch_the_server_made(
    start_simulator, add_profile, cli: CLI, tmp_path: Path
) -> None:
    simulator = start_simulator()
    slow = SlowCreates(simulator, seconds=1.0)
    add_profile(simulator.url)
    source = write_requests(tmp_path / "input.jsonl", 5)
    process = spawn_cli(tmp_path, "submit", str(source))
    assert slow.arrived.wait(WAIT_SECONDS)
    kill_9(process)  # the server is still working on the create: it will make the batch
    wait_for(lambda: stored_batches(simulator), "the server to finish the create")

    watched = cli("watch", "--interval", "0.1")
    assert watched.code == 0, watched.stderr
    job = only_job()
    [batch] = stored_batches(simulator)
    assert (job.status, job.remote_id) == (JobStatus.COMPLETED, batch["id"])
    assert "adopted by tag (reconcile)" in history_notes(job.id)


def test_killed_after_create_adopts_the_batch(
    openai_sim: SimulatorHandle, cli: CLI, tmp_path: Path
) -> None:
    source = write_requests(tmp_path / "input.jsonl", 5)
    process = spawn_cli(tmp_path, "submit", str(source), pause_at="after-create")
    wait_for(lambda: stored_batches(openai_sim), "the batch to be created")
    kill_9(process)
    assert only_job().remote_id is None  # created, never recorded

    watched = cli("watch", "--interval", "0.1")
    assert watched.code == 0, watched.stderr
    job = only_job()
    [batch] = stored_batches(openai_sim)
    assert (job.status, job.remote_id) == (JobStatus.COMPLETED, batch["id"])


def test_killed_mid_download_resumes(openai_sim: SimulatorHandle, cli: CLI, tmp_path: Path) -> None:
    # Big enough that the first chunks reach the disk before the pause.
    source = write_requests(tmp_path / "input.jsonl", 600)
    submitted = cli("submit", str(source), "--json")
    assert submitted.code == 0, submitted.stderr
    job_id = submitted.json()["id"]
    assert cli("watch", job_id, "--interval", "0.1").code == 0
    out = tmp_path / "out"

    process = spawn_cli(tmp_path, "download", job_id, "-o", str(out), pause_at="mid-download")

    def partial_download() -> list[Path]:
        return [part for part in out.glob("**/*.part") if part.stat().st_size > 0]

    [part] = wait_for(partial_download, "part of the download on disk")
    kill_9(process)
    kept = part.stat().st_size
    assert not (out / "output.jsonl").exists()

    resumed = cli("download", job_id, "-o", str(out))
    assert resumed.code == 0, resumed.stderr
    assert "resumed at" in resumed.stdout
    [batch] = stored_batches(openai_sim)
    assert file_sha256(out / "output.jsonl") == served_sha256(openai_sim, batch["output_file_id"])
    assert (out / "output.jsonl").stat().st_size > kept
    assert not list(out.glob("**/*.part"))


# --- every provider kind: a batch created, the CLI killed before recording it ---------------

GEMINI_KEY = "AIza-crash-test-key-0123456789"


def service_account(path: Path, token_uri: str) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "batchtui-sim",
        "private_key": pem,
        "client_email": "crash-tests@batchtui-sim.iam.gserviceaccount.com",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    os.chmod(path, 0o600)
    return path


def set_up_kind(kind: str, start_simulator, cli: CLI, tmp_path: Path) -> SimulatorHandle:
    """A simulator speaking for `kind`, and profile `p` pointing at it."""
    if kind == "vertex":
        key_file = service_account(tmp_path / "sa.json", "unset")
        simulator = start_simulator(gcp_service_accounts=[key_file])
        service_account_info = json.loads(key_file.read_text())
        service_account_info["token_uri"] = f"{simulator.root_url}/token"
        key_file.write_text(json.dumps(service_account_info))
        args = [
            "--kind", "vertex", "--base-url", simulator.root_url,
            "--storage-url", simulator.root_url, "--project", "batchtui-sim",
            "--location", "us-central1", "--bucket", "batchtui-sim-bucket",
            "--credentials", str(key_file),
        ]  # fmt: skip
    elif kind == "gemini":
        simulator = start_simulator(api_key=GEMINI_KEY)
        args = ["--kind", "gemini", "--base-url", simulator.root_url]
    elif kind == "portkey":
        simulator = start_simulator(flavor="portkey-vertex", api_key=API_KEY)
        args = [
            "--kind", "portkey", "--base-url", simulator.url, "--api-key-env", KEY_ENV,
            "--provider", "@vertexai", "--bucket", "research-bucket",
            "--provider-model", "gemini-2.5-flash",
        ]  # fmt: skip
    elif kind == "litellm":
        simulator = start_simulator(flavor="litellm-vertex", api_key=API_KEY)
        args = [
            "--kind", "litellm", "--base-url", simulator.url, "--api-key-env", KEY_ENV,
            "--custom-llm-provider", "vertex_ai",
        ]  # fmt: skip
    else:
        simulator = start_simulator(api_key=API_KEY)
        args = ["--kind", "openai", "--base-url", simulator.url, "--api-key-env", KEY_ENV]
    added = cli("profile", "add", "p", *args, "--timeout", "10")
    assert added.code == 0, added.stderr
    return simulator


def remote_batches(monkeypatch: pytest.MonkeyPatch) -> list[RemoteBatch]:
    """Every batch profile `p` sees, asked through batchtui's own provider."""
    monkeypatch.setenv(KEY_ENV, API_KEY)
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)

    async def listed() -> list[RemoteBatch]:
        async with make_provider(load_config().profile("p")) as provider:
            return [batch async for batch in provider.list_batches(limit=50)]

    return asyncio.run(listed())


@pytest.mark.parametrize("kind", ["openai", "portkey", "litellm", "gemini", "vertex"])
def test_every_kind_finds_its_batch_after_a_kill(
    kind: str, start_simulator, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up_kind(kind, start_simulator, cli, tmp_path)
    source = tmp_path / "input.jsonl"
    lines = [
        json.dumps(
            {
                "custom_id": f"r-{n}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "gemini-2.5-flash",
                    "messages": [{"role": "user", "content": f"Say {n}"}],
                },
            }
        )
        for n in range(4)
    ]
    source.write_text("\n".join(lines) + "\n")
    env = {"GEMINI_API_KEY": GEMINI_KEY}
    process = spawn_cli(
        tmp_path, "submit", str(source), "--profile", "p", pause_at="after-create", **env
    )
    wait_for(lambda: remote_batches(monkeypatch), "the batch to be created")
    kill_9(process)
    assert only_job().remote_id is None

    watched = cli(
        "watch",
        "--interval",
        "0.1",
        env={**os.environ, KEY_ENV: API_KEY, **env},
    )
    assert watched.code == 0, watched.stdout + watched.stderr
    job = only_job()
    [batch] = remote_batches(monkeypatch)
    assert (job.status, job.remote_id) == (JobStatus.COMPLETED, batch.id)
    assert "adopted by tag (reconcile)" in history_notes(job.id)


async def test_the_tui_settles_leftovers_on_start(start_simulator, tmp_path: Path) -> None:
    """A submit killed after create, then the TUI opened: it adopts the batch at once."""
    simulator = start_simulator(phase_seconds=30)
    profile = Profile(name="sim", base_url=simulator.url, api_key=API_KEY, poll_interval=1)
    config = Config(path=tmp_path / "config.toml", profiles={"sim": profile})
    source = write_requests(tmp_path / "input.jsonl", 3)
    tag = str(uuid.uuid4())
    async with OpenAIProvider.from_profile(profile) as api:
        uploaded = await api.upload(source)
        batch = await api.create(
            BatchSpec(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                metadata={TAG_METADATA_KEY: tag},
            )
        )
    registry = Registry.open_default()
    job = registry.add_job(
        Job(
            id=registry.new_job_id(),
            name="left behind",
            profile="sim",
            kind="openai",
            tag=tag,
            input_file_id=uploaded.id,
        )
    )
    app = BatchtuiApp(config=config, registry=registry, refresh_seconds=0.2)
    async with app.run_test() as pilot:
        deadline = time.monotonic() + 10
        while registry.get_job(job.id).remote_id is None:
            assert time.monotonic() < deadline, "the TUI left the job submitting"
            await pilot.pause(0.1)
        shown = app.get_job(job.id)
        while shown is None or shown.remote_id is None:
            assert time.monotonic() < deadline, "the TUI never showed the adopted batch"
            await pilot.pause(0.1)
            shown = app.get_job(job.id)
    assert registry.get_job(job.id).remote_id == batch.id
    registry.close()
