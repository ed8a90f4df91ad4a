"""batchtui's `litellm` kind through the real LiteLLM proxy to Vertex AI.

The proxy talks to Google's own hostnames; inside its process they resolve to a TLS front
of `batchtui simulate` (realparts.tls_front). LiteLLM 1.108 without a database refuses to
serve the prediction files, so batchtui reads them from Cloud Storage with the profile's
Google credentials.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.cli import CLI, add_profile, env_with_key, request_line
from realparts.litellm import (
    MASTER_KEY,
    VERTEX_DEPLOYMENT,
    VERTEX_MODEL,
    LiteLLMProxy,
    add_litellm_profile,
    gateway_cli,
    google_flags,
    litellm_gateway,
)

pytestmark = pytest.mark.xdist_group("litellm")
__all__ = ["gateway_cli", "litellm_gateway"]  # fixtures used by name

PROMPTS = {
    "Alpha-1": "What is the capital of France?",
    "beta/2": "Name a prime number",
    "Gamma 3 with a long custom id that Vertex labels cannot hold whole, so LiteLLM splits it": (
        "Say hello in Italian"
    ),
}
FAILING = {"delta-4": "[sim:error] this request fails"}
UNKNOWN_COUNTS = {"total": None, "completed": None, "failed": None}


def write_input(path: Path, prompts: dict[str, str], model: str = VERTEX_MODEL) -> Path:
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


def counts_of(cli: CLI, job_id: str) -> object:
    return {job["id"]: job for job in cli("jobs", "--json").json()}[job_id]["request_counts"]


def test_a_job_goes_from_upload_to_export_reading_results_from_cloud_storage(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "vertex", "vertex_ai", *google_flags(litellm_gateway))
    source = write_input(tmp_path / "prompts.jsonl", {**PROMPTS, **FAILING})

    job_id = submit(cli, source, "vertex")
    status = watch(cli, job_id)
    assert status["status"] == "completed"
    assert str(status["input_file_id"]).startswith("gs://batchtui-sim-bucket/litellm-vertex-files/")
    assert str(status["output_file_id"]).endswith("/predictions.jsonl")
    # LiteLLM reports no request counts for Vertex: unknown, not 0/0, until results are read.
    assert status["request_counts"] == UNKNOWN_COUNTS
    assert "unknown" in cli("jobs").stdout
    head = cli("results", job_id, "--json", "--head", "1")
    assert head.code == 0 and len(head.json_lines()) == 1
    assert counts_of(cli, job_id) == UNKNOWN_COUNTS  # a partial read counts nothing

    downloaded = cli("download", job_id, "-o", str(tmp_path / "out"))
    assert downloaded.code == 0, downloaded.stderr
    assert counts_of(cli, job_id) == {"total": 4, "completed": 3, "failed": 1}

    records = {r["custom_id"]: r for r in cli("results", job_id, "--json").json_lines()}
    assert set(records) == {*PROMPTS, *FAILING}  # exact ids, from LiteLLM's base32 labels
    for custom_id, prompt in PROMPTS.items():
        assert records[custom_id]["ok"] and prompt in records[custom_id]["text"]
        assert records[custom_id]["usage"]["total_tokens"] > 0
    assert not records["delta-4"]["ok"]

    exported = cli("export", job_id, "--format", "jsonl", "-o", str(tmp_path / "export.jsonl"))
    assert exported.code == 0, exported.stderr
    rows = {
        row["custom_id"]: row
        for row in map(json.loads, (tmp_path / "export.jsonl").read_text().splitlines())
    }
    assert set(rows) == {*PROMPTS, *FAILING}
    for custom_id, prompt in PROMPTS.items():
        assert prompt in rows[custom_id]["response"]


def test_results_count_the_requests_the_first_time_they_are_read_in_full(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "vertex", "vertex_ai", *google_flags(litellm_gateway))
    job_id = submit(cli, write_input(tmp_path / "in.jsonl", PROMPTS), "vertex")
    assert watch(cli, job_id)["request_counts"] == UNKNOWN_COUNTS
    streamed = cli("results", job_id, "--json")  # not downloaded: streamed from the bucket
    assert streamed.code == 0 and len(streamed.json_lines()) == 3
    assert counts_of(cli, job_id) == {"total": 3, "completed": 3, "failed": 0}
    refreshed = cli("status", job_id, "--refresh", "--json")  # the proxy still reports none
    assert refreshed.code == 0, refreshed.stderr
    assert counts_of(cli, job_id) == {"total": 3, "completed": 3, "failed": 0}


def test_without_google_credentials_one_line_says_what_to_configure(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "bare", "vertex_ai")
    job_id = submit(cli, write_input(tmp_path / "in.jsonl", PROMPTS), "bare")
    assert watch(cli, job_id)["status"] == "completed"
    for command in (("results", job_id), ("download", job_id, "-o", str(tmp_path / "out"))):
        refused = cli(*command)
        assert refused.code == 2
        line = refused.one_error_line()
        assert "the LiteLLM proxy does not serve Vertex AI results" in line
        assert "--credentials FILE" in line
    assert not (tmp_path / "out" / "output.jsonl").exists()


def test_model_encoded_ids_are_read_through_the_proxy(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    """Routed by model (`x-litellm-model`), the proxy hands out ids it can serve itself:
    no Google credentials are needed, and batchtui reads them like any file id."""
    cli = gateway_cli
    header = f"x-litellm-model={VERTEX_DEPLOYMENT}"
    add_profile(cli, litellm_gateway.url, "routed", "litellm", "--header", header)
    job_id = submit(cli, write_input(tmp_path / "in.jsonl", {**PROMPTS, **FAILING}), "routed")
    status = watch(cli, job_id)
    assert str(status["output_file_id"]).startswith("file-")  # not a gs:// URI
    assert status["request_counts"] == UNKNOWN_COUNTS
    records = {r["custom_id"]: r for r in cli("results", job_id, "--json").json_lines()}
    assert set(records) == {*PROMPTS, *FAILING}
    for custom_id, prompt in PROMPTS.items():
        assert records[custom_id]["ok"] and prompt in records[custom_id]["text"]
    assert counts_of(cli, job_id) == {"total": 4, "completed": 3, "failed": 1}
    # LiteLLM converts the rows on the way out: its file object's size is not the content's.
    downloaded = cli("download", job_id, "-o", str(tmp_path / "out"))
    assert downloaded.code == 0, downloaded.stderr
    assert len((tmp_path / "out" / "output.jsonl").read_text().splitlines()) == 4


def test_cancel_through_the_proxy(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "vertex", "vertex_ai", *google_flags(litellm_gateway))
    job_id = submit(cli, write_input(tmp_path / "in.jsonl", PROMPTS), "vertex")
    cancelled = cli("cancel", job_id)
    assert cancelled.code == 0, cancelled.stderr
    assert watch(cli, job_id)["status"] == "cancelled"
    again = cli("cancel", job_id)
    assert again.code == 1 and "has already ended" in again.one_error_line()


def test_sync_adopts_a_batch_made_elsewhere(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "vertex", "vertex_ai", *google_flags(litellm_gateway))
    job_id = submit(cli, write_input(tmp_path / "in.jsonl", PROMPTS), "vertex")
    remote_id = cli("status", job_id, "--json").json()["remote_id"]
    other_env = env_with_key(MASTER_KEY, BATCHTUI_DATA_DIR=str(tmp_path / "other-data"))
    assert cli("jobs", "--json", env=other_env).json() == []
    synced = cli("sync", "--profile", "vertex", "--json", env=other_env)
    assert synced.code == 0, synced.stderr
    adopted = {job["remote_id"]: job for job in cli("jobs", "--json", env=other_env).json()}
    assert remote_id in adopted
    assert adopted[remote_id]["kind"] == "litellm"


def test_a_batch_vertex_refuses_is_one_line_with_one_status(
    litellm_gateway: LiteLLMProxy, gateway_cli: CLI, tmp_path: Path
) -> None:
    """Vertex serves no such model: LiteLLM keeps Vertex's 404 and its code is "404"."""
    cli = gateway_cli
    add_litellm_profile(cli, litellm_gateway, "vertex", "vertex_ai", *google_flags(litellm_gateway))
    source = write_input(tmp_path / "in.jsonl", PROMPTS, model="gemini-unserved")
    refused = cli("submit", str(source), "--profile", "vertex")
    assert refused.code == 1
    line = refused.stderr.strip().splitlines()[-1]  # after the estimate's notes
    assert line.startswith("batchtui: error: litellm profile 'vertex': POST /batches: HTTP 404: ")
    assert "Client error '404 Not Found'" in line and "HTTP 404 404" not in line
    assert "gemini-unserved" in line
    assert cli("jobs", "--json").json()[0]["status"] == "not_submitted"
