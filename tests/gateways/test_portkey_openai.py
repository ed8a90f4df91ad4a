"""Portkey → an OpenAI-format server (`x-portkey-custom-host`), through the real gateway.

The real open-source gateway (npm, pinned) sits in front of `batchtui simulate` as the
OpenAI-compatible server; the installed `batchtui` is driven as a user would, with a profile
made by `batchtui profile add`. The gateway's `/batches/{id}/output` ignores the custom host
(it asks api.openai.com, which the preload answers as an unknown name), so results, download
and export prove that the provider reads the real output file after that one failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from helpers.cli import CLI, KEY_ENV, Run, env_with_key, request_line, run_batchtui
from realparts.portkey import PortkeyGateway, portkey, start_portkey
from realparts.simulate import Simulate, running_simulator

pytestmark = pytest.mark.xdist_group("portkey")

__all__ = ["portkey", "start_portkey"]  # fixtures used here

UPSTREAM_KEY = "sk-upstream-behind-portkey-0123"
PORTKEY_KEY = "pk-unused-by-the-open-source-gateway"
MODEL = "gpt-4o-mini"
# Requests finished per second: a handful end at once, hundreds stay running to be cancelled.
SPEED = "40"


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Simulate]:
    flags = ("--api-key", UPSTREAM_KEY, "--models", MODEL, "--phase-seconds", "0.2")
    with running_simulator(tmp_path / "upstream", *flags, "--speed", SPEED) as simulate:
        yield simulate


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Run]:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Run:
        return run_batchtui(
            args, cwd=tmp_path, env=env or env_with_key(PORTKEY_KEY), timeout=timeout
        )

    return run


@pytest.fixture
def profile(cli: CLI, portkey: PortkeyGateway, upstream: Simulate) -> str:
    added = cli(
        "profile", "add", "pk", "--kind", "portkey", "--base-url", portkey.url,
        "--api-key-env", KEY_ENV, "--provider", "openai",
        "--header", f"x-portkey-custom-host={upstream.url}",
        # Without it the gateway sends `Authorization: Bearer undefined` upstream.
        "--header", f"Authorization=Bearer {UPSTREAM_KEY}",
        "--timeout", "10",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    return "pk"


def write_prompts(path: Path, prompts: dict[str, str], model: str = MODEL) -> Path:
    path.write_text("".join(request_line(cid, text, model) + "\n" for cid, text in prompts.items()))
    return path


def upstream_file(upstream: Simulate, file_id: str) -> bytes:
    answer = httpx.get(
        f"{upstream.url}/files/{file_id}/content",
        headers={"Authorization": f"Bearer {UPSTREAM_KEY}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.content


def test_a_job_from_upload_to_export_through_the_gateway(
    cli: CLI, profile: str, portkey: PortkeyGateway, upstream: Simulate, tmp_path: Path
) -> None:
    prompts = {f"Q-{n}": f"Question number {n} for the gateway" for n in range(5)}
    prompts["Q-err"] = "[sim:error] this one fails"
    source = write_prompts(tmp_path / "prompts.jsonl", prompts)

    submitted = cli("submit", str(source), "--profile", profile, "--json")
    assert submitted.code == 0, submitted.stderr
    job = submitted.json()
    watched = cli("watch", job["id"], "--interval", "0.1")
    assert watched.code == 0, watched.stdout + watched.stderr
    status = cli("status", job["id"], "--json").json()
    assert status["status"] == "completed"
    assert status["request_counts"] == {"total": 6, "completed": 5, "failed": 1}
    # The real output file id is kept beside the gateway's route.
    real_output = upstream_batch(upstream, job["remote_id"])["output_file_id"]
    assert real_output and real_output in status["output_file_id"]

    results = cli("results", job["id"], "--json")
    assert results.code == 0, results.stderr
    # Read from the real file after one refused /output (no retries of the route).
    assert portkey.blocked_names() == ["api.openai.com"]
    records = {r["custom_id"]: r for r in results.json_lines()}
    assert set(records) == set(prompts)
    for custom_id, text in prompts.items():
        if custom_id == "Q-err":
            assert not records[custom_id]["ok"]
            assert "Simulated failure" in records[custom_id]["error"]["message"]
        else:
            assert records[custom_id]["ok"], records[custom_id]
            assert text in records[custom_id]["text"]

    exported_path = tmp_path / "export.jsonl"
    exported = cli("export", job["id"], "--join-input", "-o", str(exported_path))
    assert exported.code == 0, exported.stderr
    lines = exported_path.read_text().splitlines()
    rows = {row["custom_id"]: row for row in map(json.loads, lines)}
    assert set(rows) == set(prompts)
    for custom_id, record in records.items():
        # Each answer beside its own prompt, joined back by custom_id.
        assert prompts[custom_id] in json.dumps(rows[custom_id]["prompt"])
        if record["ok"]:
            assert rows[custom_id]["response"] == record["text"]

    downloaded = cli("download", job["id"], "-o", str(tmp_path / "out"))
    assert downloaded.code == 0, downloaded.stderr
    status = cli("status", job["id"], "--json").json()
    output = Path(status["output_path"]).read_bytes()
    assert output == upstream_file(upstream, real_output)
    errors = Path(status["error_path"]).read_bytes()
    assert errors == upstream_file(upstream, status["error_file_id"])

    # Another machine's registry finds the batch again through the gateway and reads it.
    elsewhere = env_with_key(
        PORTKEY_KEY,
        BATCHTUI_DATA_DIR=str(tmp_path / "elsewhere" / "data"),
        BATCHTUI_STATE_DIR=str(tmp_path / "elsewhere" / "state"),
    )
    synced = cli("sync", "--profile", profile, "--json", env=elsewhere)
    assert synced.code == 0, synced.stderr
    adopted = cli("jobs", "--json", env=elsewhere).json()
    assert [j["remote_id"] for j in adopted] == [job["remote_id"]]
    again = cli("results", adopted[0]["id"], "--json", env=elsewhere)
    assert again.code == 0, again.stderr
    assert {r["custom_id"]: r["text"] for r in again.json_lines()} == {
        cid: r["text"] for cid, r in records.items()
    }
    assert portkey.outside_connections() == []


def upstream_batch(upstream: Simulate, batch_id: str) -> dict:
    answer = httpx.get(
        f"{upstream.url}/batches/{batch_id}",
        headers={"Authorization": f"Bearer {UPSTREAM_KEY}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def test_cancel_through_the_gateway(
    cli: CLI, profile: str, portkey: PortkeyGateway, upstream: Simulate, tmp_path: Path
) -> None:
    prompts = {f"L-{n}": f"long batch {n}" for n in range(800)}  # twenty seconds of work
    source = write_prompts(tmp_path / "long.jsonl", prompts)
    job = cli("submit", str(source), "--profile", profile, "--json").json()

    cancelled = cli("cancel", job["id"])
    assert cancelled.code == 0, cancelled.stderr
    watched = cli("watch", job["id"], "--interval", "0.1")
    assert watched.code == 1, watched.stdout + watched.stderr  # ended, but not completed
    status = cli("status", job["id"], "--json").json()
    assert status["status"] == "cancelled"
    assert upstream_batch(upstream, job["remote_id"])["status"] == "cancelled"
    assert status["request_counts"]["completed"] < len(prompts)
    assert portkey.outside_connections() == []


def test_a_batch_that_fails_validation_says_why(
    cli: CLI, profile: str, portkey: PortkeyGateway, tmp_path: Path
) -> None:
    source = write_prompts(tmp_path / "bad.jsonl", {"a": "hi", "b": "there"}, "gpt-unknown")
    job = cli("submit", str(source), "--profile", profile, "--json").json()
    watched = cli("watch", job["id"], "--interval", "0.1")
    assert watched.code == 1, watched.stdout + watched.stderr  # ended, but not completed
    status = cli("status", job["id"], "--json").json()
    assert status["status"] == "failed"
    assert "gpt-unknown" in json.dumps(status)

    results = cli("results", job["id"], "--json")
    assert results.code == 1 and results.stdout == ""
    message = results.one_error_line()
    assert "gpt-unknown" in message, message
    assert portkey.outside_connections() == []
