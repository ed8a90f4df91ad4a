"""Portkey → Vertex AI, through the real gateway.

The real open-source gateway (npm, pinned) talks to Google's fixed hostnames
(`us-central1-aiplatform.googleapis.com`, `storage.googleapis.com`, `oauth2.googleapis.com`);
its preload connects those names to a TLS front (a test CA the gateway trusts through
NODE_EXTRA_CA_CERTS) that relays to `batchtui simulate`, whose Vertex AI, Cloud Storage and
OAuth2 token endpoint answer. The gateway mints its own token from the service-account JSON
in `x-portkey-vertex-service-account-json`, as a self-hosted user's would. The installed
`batchtui` is driven as a user would, with a profile made by `batchtui profile add`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers.cli import CLI, KEY_ENV, Run, env_with_key, request_line, run_batchtui
from realparts.portkey import PortkeyGateway, start_portkey
from realparts.simulate import Simulate, running_simulator
from realparts.tls_front import GOOGLE_HOSTNAMES, google_front

pytestmark = pytest.mark.xdist_group("portkey")

__all__ = ["start_portkey"]  # fixture used here

PORTKEY_KEY = "pk-unused-by-the-open-source-gateway"
MODEL = "gemini-2.5-flash"
BUCKET = "batchtui-sim-bucket"
PROJECT = "batchtui-sim"
SPEED = "40"  # requests per second: a handful end at once, hundreds stay running


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[Simulate]:
    flags = ("--models", MODEL, "--gcs-buckets", BUCKET, "--gcp-project", PROJECT)
    with running_simulator(
        tmp_path / "upstream", *flags, "--phase-seconds", "0.2", "--speed", SPEED
    ) as simulate:
        yield simulate


@pytest.fixture
def portkey_to_google(
    tmp_path: Path, upstream: Simulate, start_portkey: Callable[..., PortkeyGateway]
) -> Iterator[PortkeyGateway]:
    with google_front(tmp_path / "ca", upstream.port) as (ca, front):
        yield start_portkey(
            host_map={name: f"127.0.0.1:{front.port}" for name in GOOGLE_HOSTNAMES},
            extra_ca=ca.ca_file,
        )


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Run]:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Run:
        return run_batchtui(
            args, cwd=tmp_path, env=env or env_with_key(PORTKEY_KEY), timeout=timeout
        )

    return run


@pytest.fixture
def profile(cli: CLI, portkey_to_google: PortkeyGateway, upstream: Simulate) -> str:
    # One line of JSON, as a header value must be.
    account = json.dumps(json.loads(upstream.google_credentials_file.read_text()))
    added = cli(
        "profile", "add", "pkv", "--kind", "portkey", "--base-url", portkey_to_google.url,
        "--api-key-env", KEY_ENV, "--provider", "vertex-ai", "--bucket", BUCKET,
        "--provider-model", MODEL,
        "--header", f"x-portkey-vertex-project-id={PROJECT}",
        "--header", "x-portkey-vertex-region=us-central1",
        "--header", f"x-portkey-vertex-service-account-json={account}",
        "--timeout", "10",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    return "pkv"


def write_prompts(path: Path, prompts: dict[str, str], model: str = MODEL) -> Path:
    path.write_text("".join(request_line(cid, text, model) + "\n" for cid, text in prompts.items()))
    return path


def test_a_job_from_upload_to_export_through_the_gateway(
    cli: CLI, profile: str, portkey_to_google: PortkeyGateway, tmp_path: Path
) -> None:
    prompts = {f"V-{n}": f"Vertex question {n}" for n in range(5)}
    prompts["V-err"] = "[sim:error] this one fails"
    source = write_prompts(tmp_path / "prompts.jsonl", prompts)

    submitted = cli("submit", str(source), "--profile", profile, "--json")
    assert submitted.code == 0, submitted.stderr
    job = submitted.json()
    assert job["input_file_id"].startswith("gs%3A%2F%2F" + BUCKET)
    watched = cli("watch", job["id"], "--interval", "0.1")
    assert watched.code == 0, watched.stdout + watched.stderr
    status = cli("status", job["id"], "--json").json()
    assert status["status"] == "completed"
    assert status["request_counts"] == {"total": 6, "completed": 5, "failed": 1}

    results = cli("results", job["id"], "--json")
    assert results.code == 0, results.stderr
    records = {r["custom_id"]: r for r in results.json_lines()}
    assert set(records) == set(prompts)
    for custom_id, text in prompts.items():
        if custom_id == "V-err":
            assert not records[custom_id]["ok"]
            assert "Simulated failure" in json.dumps(records[custom_id]["error"])
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
    output = Path(cli("status", job["id"], "--json").json()["output_path"])
    assert {json.loads(line)["custom_id"] for line in output.read_text().splitlines()} == set(
        prompts
    )

    # Another registry finds the job by the tag in its output folder, through the gateway.
    elsewhere = env_with_key(
        PORTKEY_KEY,
        BATCHTUI_DATA_DIR=str(tmp_path / "elsewhere" / "data"),
        BATCHTUI_STATE_DIR=str(tmp_path / "elsewhere" / "state"),
    )
    synced = cli("sync", "--profile", profile, "--json", env=elsewhere)
    assert synced.code == 0, synced.stderr
    adopted = cli("jobs", "--json", env=elsewhere).json()
    tags = [(j["remote_id"], j["metadata"]["batchtui_tag"]) for j in adopted]
    assert tags == [(job["remote_id"], job["metadata"]["batchtui_tag"])]
    assert portkey_to_google.outside_connections() == []
    assert portkey_to_google.blocked_names() == []  # every Google name went to the front


def test_cancel_through_the_gateway(
    cli: CLI, profile: str, portkey_to_google: PortkeyGateway, tmp_path: Path
) -> None:
    prompts = {f"L-{n}": f"long batch {n}" for n in range(800)}  # twenty seconds of work
    job = cli(
        "submit", str(write_prompts(tmp_path / "long.jsonl", prompts)), "--profile", profile,
        "--json",
    ).json()  # fmt: skip

    cancelled = cli("cancel", job["id"])
    assert cancelled.code == 0, cancelled.stderr
    watched = cli("watch", job["id"], "--interval", "0.1")
    assert watched.code == 1, watched.stdout + watched.stderr  # ended, but not completed
    assert cli("status", job["id"], "--json").json()["status"] == "cancelled"
    assert portkey_to_google.outside_connections() == []


def test_a_batch_vertex_refuses_says_why(
    cli: CLI, profile: str, portkey_to_google: PortkeyGateway, tmp_path: Path
) -> None:
    source = write_prompts(tmp_path / "bad.jsonl", {"a": "hi", "b": "there"}, "gemini-nope")
    submitted = cli("submit", str(source), "--profile", profile, "--json")
    assert submitted.code == 1 and submitted.stdout == ""
    # The estimate and price notes come first; then the one error line.
    message = submitted.stderr.strip().splitlines()[-1]
    assert message.startswith("batchtui: error: "), submitted.stderr
    assert "gemini-nope" in message and "was not found" in message, message
    assert portkey_to_google.outside_connections() == []
