"""Failures: exit codes, one clear line on stderr, no key in sight, the registry intact."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from batchtui.core.models import Job
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.registry import Registry

from .conftest import API_KEY, BATCHTUI, CLI, KEY_ENV, cli_env


def remote_batches(simulator) -> list[dict]:
    answer = httpx.get(
        f"{simulator.url}/batches",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {API_KEY}"},
        trust_env=False,
    )
    return answer.json()["data"]


def registry_jobs(cli: CLI) -> list[dict]:
    listed = cli("jobs", "--json")
    assert listed.code == 0, listed.stderr
    return listed.json()


def test_malformed_file_names_file_and_line(cli: CLI, sim_profile, simulator, tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions"}\n{oops\n')
    sim_profile(simulator.url)

    validated = cli("validate", str(bad))
    assert validated.code == 1
    assert f"{bad}:1: " in validated.stdout and f"{bad}:2: " in validated.stdout
    assert cli("validate", str(bad), "--json").json()["ok"] is False

    submitted = cli("submit", str(bad), "--profile", "sim")
    assert submitted.code == 1
    assert f"{bad}:1:" in submitted.one_error_line()
    assert registry_jobs(cli) == []
    assert remote_batches(simulator) == []


def test_wrong_key_is_one_line_without_the_key(
    cli: CLI, sim_profile, start_simulator, input_file: Path
) -> None:
    simulator = start_simulator(api_key="sk-the-right-key-000000")
    sim_profile(simulator.url)

    for args in (("submit", str(input_file), "--profile", "sim"), ("profile", "test", "sim")):
        result = cli(*args)
        assert result.code == 1
        line = result.one_error_line()
        assert "401" in line
        assert API_KEY not in result.stdout + result.stderr
    assert registry_jobs(cli) == []


@pytest.mark.slow  # the HTTP layer retries a refused connection with backoff before giving up
def test_stopped_simulator_cannot_connect(
    cli: CLI, sim_profile, simulator, input_file: Path
) -> None:
    sim_profile(simulator.url)
    simulator.stop()

    result = cli("submit", str(input_file), "--profile", "sim")

    assert result.code == 1
    assert "cannot connect" in result.one_error_line()
    assert registry_jobs(cli) == []


@pytest.mark.slow  # real retry backoffs
def test_faults_are_recovered_transparently(
    cli: CLI, sim_profile, start_simulator, input_file: Path
) -> None:
    simulator = start_simulator(faults="retrieve:500=0.3,content:reset=0.2", seed=4)
    sim_profile(simulator.url)

    job = cli("submit", str(input_file), "--json").json()
    assert cli("watch", job["id"], "--interval", "0.1").code == 0
    results = cli("results", job["id"], "--json")
    assert results.code == 0, results.stderr
    assert sorted(r["custom_id"] for r in results.json_lines()) == ["req-0", "req-1", "req-2"]
    assert cli("download", job["id"]).code == 0


def test_create_reset_adopts_the_batch_by_tag(
    cli: CLI, sim_profile, start_simulator, input_file: Path
) -> None:
    simulator = start_simulator(faults="create:reset=1")
    sim_profile(simulator.url)

    submitted = cli("submit", str(input_file), "--json")

    assert submitted.code == 0, submitted.stderr
    [batch] = remote_batches(simulator)
    assert submitted.json()["remote_id"] == batch["id"]
    [job] = registry_jobs(cli)
    assert job["status"] != "submitting"


def _leftover(tag: str, age: timedelta, input_file_id: str | None = "file-x") -> Job:
    then = datetime.now(UTC) - age
    with Registry.open_default() as now_registry:
        path = now_registry.path
    with Registry(path, clock=lambda: then) as registry:
        return registry.add_job(
            Job(
                id=registry.new_job_id(),
                name="killed",
                profile="sim",
                kind="openai",
                tag=tag,
                input_file_id=input_file_id,
                created_at=then,
                updated_at=then,
            )
        )


def test_submitting_job_left_behind_is_reconciled(
    cli: CLI, sim_profile, simulator, input_file: Path
) -> None:
    sim_profile(simulator.url)
    tag = str(uuid.uuid4())
    # The killed submit got as far as creating its batch (metadata via the CLI's own flags
    # cannot carry the reserved tag, so create it over HTTP like the provider would).
    uploaded = httpx.post(
        f"{simulator.url}/files",
        headers={"Authorization": f"Bearer {API_KEY}"},
        files={"file": ("input.jsonl", input_file.read_bytes(), "application/jsonl")},
        data={"purpose": "batch"},
        trust_env=False,
    ).json()
    created = httpx.post(
        f"{simulator.url}/batches",
        headers={"Authorization": f"Bearer {API_KEY}"},
        json={
            "input_file_id": uploaded["id"],
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "metadata": {TAG_METADATA_KEY: tag},
        },
        trust_env=False,
    ).json()
    adoptable = _leftover(tag, timedelta(seconds=3))
    abandoned = _leftover(str(uuid.uuid4()), timedelta(minutes=30))

    shown = cli("status", adoptable.id, "--json")
    assert shown.code == 0, shown.stderr
    assert shown.json()["remote_id"] == created["id"]
    assert shown.json()["status"] != "submitting"

    # Any command touching the profile settles the rest before doing its own work: watch
    # then follows at most the adopted job, the abandoned one having ended.
    watched = cli("watch", "--interval", "0.1")
    assert watched.code == 0, watched.stderr
    assert abandoned.id not in watched.stdout
    settled = cli("status", abandoned.id, "--json").json()
    assert settled["status"] == "not_submitted" and "interrupted" in settled["last_error"]
    assert len(remote_batches(simulator)) == 1


def test_unknown_profile_unset_key_and_bad_flags_exit_2(
    cli: CLI, sim_profile, simulator, input_file: Path
) -> None:
    sim_profile(simulator.url)

    unknown = cli("submit", str(input_file), "--profile", "nope")
    assert unknown.code == 2 and "unknown profile 'nope'" in unknown.one_error_line()
    assert cli("jobs", "--profile", "nope").code == 2

    unset = cli("submit", str(input_file), "--profile", "sim", env=cli_env(**{KEY_ENV: ""}))
    assert unset.code == 2 and KEY_ENV in unset.one_error_line()

    for args in (("jobs", "--bogus"), ("watch", "--interval", "soon"), ("frobnicate",)):
        bad = cli(*args)
        assert bad.code == 2
        bad.one_error_line()
    assert cli("status", "bt-nothere").code == 2
    assert registry_jobs(cli) == []


def test_ctrl_c_on_watch_exits_130(
    cli: CLI, sim_profile, start_simulator, input_file: Path, tmp_path: Path
) -> None:
    simulator = start_simulator(phase_seconds=60)
    sim_profile(simulator.url)
    job_id = cli("submit", str(input_file), "--json").json()["id"]

    watch = subprocess.Popen(
        [str(BATCHTUI), "watch", job_id, "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
    )
    assert watch.stderr is not None
    first = watch.stderr.readline()  # the job's current status: watch is polling now
    assert job_id in first
    time.sleep(0.3)
    watch.send_signal(signal.SIGINT)
    _, rest = watch.communicate(timeout=15)

    assert watch.returncode == 130
    assert "Traceback" not in rest
    assert rest.strip().splitlines()[-1] == "batchtui: error: interrupted"
    [job] = registry_jobs(cli)
    assert job["id"] == job_id and job["status"] == "validating"
