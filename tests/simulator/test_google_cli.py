"""`batchtui simulate`'s Google flags, as a separate process."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from google_helpers import (
    JWT_BEARER,
    SA_EMAIL,
    claims,
    google_error,
    request_token,
    rsa_key,
    sign_jwt,
    token_for,
    write_service_account,
)


def test_flags_reach_the_google_apis_and_the_key_file_exists_at_start(
    spawn_simulator_process, tmp_path
):
    account = write_service_account(tmp_path / "sa.json", SA_EMAIL, rsa_key())
    process = spawn_simulator_process(
        "--gcp-project",
        "my-proj",
        "--gcs-buckets",
        "b1,b2",
        "--token-lifetime",
        "120",
        "--gcp-service-account",
        str(account),
    )
    root = process.url.removesuffix("/v1")
    own = process.data_dir / "google" / "auth" / "service-account.json"
    assert json.loads(own.read_text())["token_uri"] == root + "/token"
    with httpx.Client(base_url=root, timeout=10) as client:
        assert token_for(client, own)
        refused = request_token(client, "not.a.jwt")
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
        token = token_for(client, account)
        grant = client.post("/token", data={"grant_type": JWT_BEARER, "assertion": "x"})
        assert grant.status_code == 400
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/storage/v1/b/b2").status_code == 200
        google_error(client.get("/storage/v1/b/batchtui-sim-bucket"), 404, "NOT_FOUND")
        jobs = "/v1/projects/my-proj/locations/us-central1/batchPredictionJobs"
        assert client.get(jobs).status_code == 200
        google_error(client.get(jobs.replace("my-proj", "batchtui-sim")), 403, "PERMISSION_DENIED")


def test_token_lifetime_flag_sets_expires_in(spawn_simulator_process, tmp_path):
    account = write_service_account(tmp_path / "sa.json", SA_EMAIL, rsa_key())
    process = spawn_simulator_process(
        "--token-lifetime", "120", "--gcp-service-account", str(account)
    )
    with httpx.Client(base_url=process.url.removesuffix("/v1"), timeout=10) as client:
        answer = request_token(client, sign_jwt(rsa_key(), claims(SA_EMAIL)))
    assert answer.json()["expires_in"] == 120


def test_a_bad_service_account_file_stops_the_simulator(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"client_email": "x@y", "private_key": "not a key"}))
    command = [sys.executable, "-m", "batchtui.simulator", "--port", "0"]
    command += ["--data-dir", str(tmp_path / "d"), "--gcp-service-account", str(bad)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert finished.returncode == 2
    assert "--gcp-service-account" in finished.stderr and "bad.json" in finished.stderr
    assert "not a PEM key" in finished.stderr
