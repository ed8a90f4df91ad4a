"""A job's whole life through each gateway flavour, driven by the installed `batchtui`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .conftest import API_KEY, CLI, KEY_ENV, request_line

GATEWAYS = {
    "portkey-vertex": [
        "--kind",
        "portkey",
        "--provider",
        "@vertexai",
        "--bucket",
        "research-bucket",
        "--provider-model",
        "gemini-2.5-flash",
    ],
    "litellm-vertex": ["--kind", "litellm", "--custom-llm-provider", "vertex_ai"],
    "portkey-openai": ["--kind", "portkey", "--provider", "openai"],
}


@pytest.mark.parametrize("flavor", GATEWAYS)
def test_validate_submit_watch_results_download_through_a_gateway(
    flavor: str, cli: CLI, start_simulator, tmp_path: Path
) -> None:
    sim = start_simulator(flavor=flavor, api_key=API_KEY)
    # LiteLLM serves no Vertex results: batchtui reads them from Cloud Storage itself.
    google = (
        ["--credentials", str(sim.google_credentials()), "--storage-url", sim.root_url]
        if flavor == "litellm-vertex"
        else []
    )
    added = cli(
        "profile", "add", "gw", "--base-url", sim.url, "--api-key-env", KEY_ENV,
        *GATEWAYS[flavor], *google,
    )  # fmt: skip
    assert added.code == 0, added.stderr
    prompts = {f"Q-{n}-Mixed-Case": f"Question number {n}" for n in range(5)}
    prompts["Q-err"] = "[sim:error] this one fails"
    source = tmp_path / "prompts.jsonl"
    lines = [request_line(cid, text, model="gemini-2.5-flash") for cid, text in prompts.items()]
    source.write_text("\n".join(lines) + "\n")
    before = datetime.now(UTC)

    assert cli("validate", str(source), "--profile", "gw").code == 0
    submitted = cli("submit", str(source), "--profile", "gw", "--json")
    assert submitted.code == 0, submitted.stderr
    job = submitted.json()
    watched = cli("watch", job["id"], "--interval", "0.1")
    assert watched.code == 0, watched.stdout + watched.stderr

    status = cli("status", job["id"], "--json").json()
    assert status["status"] == "completed"
    created = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=5) <= created <= datetime.now(UTC)
    remote_times = status["remote_timestamps"]
    assert "created_at" in remote_times
    for name, value in remote_times.items():
        # Milliseconds misread as seconds would land thousands of years ahead.
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        expected = created + (timedelta(hours=24) if name == "expires_at" else timedelta())
        assert abs(when - expected) < timedelta(minutes=5), (name, value)
    counts = {"total": 6, "completed": 5, "failed": 1}
    if flavor == "litellm-vertex":  # LiteLLM reports no counts for Vertex jobs
        assert status["request_counts"] == dict.fromkeys(counts)
    else:
        assert status["request_counts"] == counts

    records = {r["custom_id"]: r for r in cli("results", job["id"], "--json").json_lines()}
    assert set(records) == set(prompts)
    assert not records["Q-err"]["ok"]
    for custom_id, text in prompts.items():
        if custom_id != "Q-err":
            assert records[custom_id]["ok"], records[custom_id]
            assert text in records[custom_id]["text"]

    downloaded = cli("download", job["id"], "-o", str(tmp_path / "out"))
    assert downloaded.code == 0, downloaded.stderr
    local = cli("results", job["id"], "--json").json_lines()
    assert {record["custom_id"] for record in local} == set(prompts)
    # Counted from the results once read in full, where the gateway counted nothing.
    assert cli("status", job["id"], "--json").json()["request_counts"] == counts


def test_gateway_shortcuts_land_where_the_gateway_reads_them(cli: CLI) -> None:
    from batchtui.core.config import load_config

    portkey = cli(
        "profile", "add", "uni", "--kind", "portkey", "--provider", "@vertexai",
        "--bucket", "b1", "--provider-model", "gemini-2.5-flash",
    )  # fmt: skip
    litellm = cli(
        "profile", "add", "proxy", "--kind", "litellm", "--base-url", "http://127.0.0.1:4000",
        "--custom-llm-provider", "vertex_ai",
    )  # fmt: skip
    assert portkey.code == 0 and litellm.code == 0, portkey.stderr + litellm.stderr
    config = load_config()
    assert config.profile("uni").headers == {
        "x-portkey-provider": "@vertexai",
        "x-portkey-vertex-storage-bucket-name": "b1",
        "x-portkey-provider-model": "gemini-2.5-flash",
    }
    assert config.profile("proxy").extra_body == {"custom_llm_provider": "vertex_ai"}

    wrong = cli("profile", "add", "plain", "--kind", "openai", "--bucket", "b1")
    assert wrong.code == 2
    assert (
        "--bucket is for profiles of kind portkey or litellm or vertex, not openai"
        in wrong.one_error_line()
    )
