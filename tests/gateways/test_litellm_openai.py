"""batchtui's `litellm` kind through the real LiteLLM proxy to an OpenAI-format upstream.

The upstream is `batchtui simulate`; the proxy is LiteLLM from PyPI (realparts.litellm).
Every step is the `batchtui` command a user would type.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.cli import CLI, env_with_key, request_line
from realparts.litellm import (
    MASTER_KEY,
    LiteLLMProxy,
    add_litellm_profile,
    checked_proxy,
    gateway_cli,
    litellm_gateway,
)

pytestmark = pytest.mark.xdist_group("litellm")
__all__ = ["gateway_cli", "litellm_gateway"]  # fixtures used by name

PROMPTS = {
    "alpha-1": "What is the capital of France?",
    "Beta/2": "Name a prime number",
    "gamma 3": "Say hello in Italian",
}
FAILING = {"delta-4": "[sim:error] this request fails"}


def write_input(path: Path, prompts: dict[str, str], model: str = "gpt-4o-mini") -> Path:
    path.write_text("".join(request_line(cid, text, model) + "\n" for cid, text in prompts.items()))
    return path


def submit(cli: CLI, path: Path, profile: str) -> str:
    submitted = cli("submit", str(path), "--profile", profile, "--json")
    assert submitted.code == 0, submitted.stderr
    return submitted.json()["id"]


def watch(cli: CLI, job_id: str) -> dict[str, object]:
    """`watch` until the job ends (exit 1 when it did not complete); its status."""
    watched = cli("watch", job_id, "--interval", "0.3")
    assert watched.code in (0, 1), watched.stdout + watched.stderr
    status = cli("status", job_id, "--json").json()
    assert (watched.code == 0) == (status["status"] == "completed"), watched.stderr
    return status


def test_a_job_goes_from_upload_to_export_through_the_proxy(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "proxy", "openai")
    source = write_input(tmp_path / "prompts.jsonl", {**PROMPTS, **FAILING})

    assert cli("validate", str(source), "--profile", "proxy").code == 0
    job_id = submit(cli, source, "proxy")
    status = watch(cli, job_id)
    assert status["status"] == "completed"
    assert status["request_counts"] == {"total": 4, "completed": 3, "failed": 1}
    assert str(status["input_file_id"]).startswith("file-")  # the upstream's own file id

    records = {r["custom_id"]: r for r in cli("results", job_id, "--json").json_lines()}
    assert set(records) == {*PROMPTS, *FAILING}
    for custom_id, prompt in PROMPTS.items():
        assert records[custom_id]["ok"] and prompt in records[custom_id]["text"]
    failed = records["delta-4"]
    assert not failed["ok"] and failed["error"]["status_code"] == 400

    downloaded = cli("download", job_id, "-o", str(tmp_path / "out"))
    assert downloaded.code == 0, downloaded.stderr
    assert (tmp_path / "out" / "output.jsonl").is_file()

    exported = cli("export", job_id, "--format", "jsonl", "-o", str(tmp_path / "export.jsonl"))
    assert exported.code == 0, exported.stderr
    rows = {
        row["custom_id"]: row
        for row in map(json.loads, (tmp_path / "export.jsonl").read_text().splitlines())
    }
    assert set(rows) == {*PROMPTS, *FAILING}
    for custom_id, prompt in PROMPTS.items():
        assert prompt in rows[custom_id]["response"]


def test_cancel_through_the_proxy(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "proxy", "openai")
    job_id = submit(cli, write_input(tmp_path / "in.jsonl", PROMPTS), "proxy")
    cancelled = cli("cancel", job_id)
    assert cancelled.code == 0, cancelled.stderr
    assert watch(cli, job_id)["status"] == "cancelled"


def test_sync_adopts_a_batch_made_elsewhere(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "proxy", "openai")
    job_id = submit(cli, write_input(tmp_path / "in.jsonl", PROMPTS), "proxy")
    remote_id = cli("status", job_id, "--json").json()["remote_id"]
    # Another machine's registry: the same profile, none of its jobs.
    other_env = env_with_key(MASTER_KEY, BATCHTUI_DATA_DIR=str(tmp_path / "other-data"))
    assert cli("jobs", "--json", env=other_env).json() == []
    synced = cli("sync", "--profile", "proxy", "--json", env=other_env)
    assert synced.code == 0, synced.stderr
    adopted = cli("jobs", "--json", env=other_env).json()
    assert remote_id in {job["remote_id"] for job in adopted}


def test_watch_lists_the_running_jobs_through_the_proxy_instead_of_a_get_each(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    """Four running jobs of one profile: `watch` asks GET /v1/batches (one page answers for
    all four), and GET /v1/batches/ID only for the last one left running; the upstream's
    request log is the witness."""
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "proxy", "openai")
    jobs = [submit(cli, write_input(tmp_path / f"in{n}.jsonl", PROMPTS), "proxy") for n in range(4)]
    log = litellm_gateway.upstream.log_file
    before = log.stat().st_size
    watched = cli("watch", *jobs, "--interval", "0.3")
    assert watched.code == 0, watched.stderr
    with log.open("rb") as lines:
        lines.seek(before)
        requests = lines.read().decode(errors="replace").splitlines()
    batch_calls = [line.split('"')[1] for line in requests if '"GET /v1/batches' in line]
    assert batch_calls and batch_calls[0].startswith("GET /v1/batches?"), batch_calls
    # A GET of one batch only once it runs alone (a list page would not be cheaper).
    assert len({call for call in batch_calls if "?" not in call}) <= 1, batch_calls


def test_a_batch_that_fails_validation(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    """The upstream serves gpt-4o-mini only: the batch is created, then fails validation."""
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "proxy", "openai")
    source = write_input(tmp_path / "in.jsonl", PROMPTS, model="gpt-unserved")
    job_id = submit(cli, source, "proxy")
    assert watch(cli, job_id)["status"] == "failed"
    refused = cli("download", job_id, "-o", str(tmp_path / "out"))
    assert refused.code == 1
    line = refused.one_error_line()
    assert f"job {job_id} failed without any result file" in line and "gpt-unserved" in line


def test_result_bodies_written_as_json_strings_show_their_answers(
    gateway_cli: CLI, tmp_path: Path
) -> None:
    """Some OpenAI-compatible batch servers write `response.body` as a JSON string."""
    cli = gateway_cli
    with checked_proxy(tmp_path / "gateway", "--json-string-bodies") as proxy:
        add_litellm_profile(cli, proxy, "proxy", "openai")
        job_id = submit(cli, write_input(tmp_path / "in.jsonl", PROMPTS), "proxy")
        assert watch(cli, job_id)["status"] == "completed"
        downloaded = cli("download", job_id, "-o", str(tmp_path / "out"))
        assert downloaded.code == 0, downloaded.stderr
    first = json.loads((tmp_path / "out" / "output.jsonl").read_text().splitlines()[0])
    assert isinstance(first["response"]["body"], str)  # as the server wrote it
    records = {r["custom_id"]: r for r in cli("results", job_id, "--json").json_lines()}
    for custom_id, prompt in PROMPTS.items():
        record = records[custom_id]
        assert record["ok"] and prompt in record["text"]
        assert record["finish_reason"] == "stop" and record["usage"]["total_tokens"] > 0
