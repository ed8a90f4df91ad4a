"""A 1,000-line OpenAI-format file through the Gemini and Vertex AI kinds, with the real CLI.

`profile add`, `submit`, `watch`, `results --json`: every custom_id comes back. Wrong
credentials, a missing bucket and a quota refusal at create each end in one error line.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from batchtui.simulator import SimulatorHandle

from .conftest import CLI, Run, cli_env, request_line

LINES = 1_000
MODEL = "gemini-2.5-flash"
GEMINI_KEY = "AIza-cli-test-key-0123456789"
PROJECT = "batchtui-sim"
BUCKET = "batchtui-sim-bucket"
EMAIL = "cli-tests@batchtui-sim.iam.gserviceaccount.com"


def custom_id(n: int) -> str:
    # Upper case, and past the 63 characters of a GCP label for some (Vertex's sharp edge).
    return f"Item-{n:04d}" + ("-LONG" * 14 if n % 10 == 0 else "")


@pytest.fixture
def thousand_lines(tmp_path: Path) -> Path:
    path = tmp_path / "requests.jsonl"
    lines = [
        request_line(custom_id(n), "[sim:error] no" if n == 500 else f"Question {n}", MODEL)
        for n in range(LINES)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def service_account(path: Path, email: str = EMAIL, token_uri: str = "unset") -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key": pem,
        "client_email": email,
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def vertex_sim(
    start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> Callable[..., tuple[SimulatorHandle, Path]]:
    """A simulator trusting a freshly generated service account, and that account's key file."""

    def start(**options: object) -> tuple[SimulatorHandle, Path]:
        key_file = service_account(tmp_path / f"sa-{len(list(tmp_path.glob('sa-*')))}.json")
        sim = start_simulator(gcp_service_accounts=[key_file], quiet=True, **options)
        info = json.loads(key_file.read_text())
        info["token_uri"] = f"{sim.root_url}/token"
        key_file.write_text(json.dumps(info))
        return sim, key_file

    return start


def add_vertex_profile(
    cli: CLI, sim: SimulatorHandle, key_file: Path, bucket: str = BUCKET
) -> None:
    added = cli(
        "profile", "add", "vx", "--kind", "vertex",
        "--base-url", sim.root_url, "--storage-url", sim.root_url,
        "--project", PROJECT, "--location", "us-central1",
        "--bucket", bucket, "--credentials", str(key_file), "--timeout", "10",
    )  # fmt: skip
    assert added.code == 0, added.stderr


def add_gemini_profile(cli: CLI, sim: SimulatorHandle) -> None:
    added = cli("profile", "add", "gm", "--kind", "gemini", "--base-url", sim.root_url)
    assert added.code == 0, added.stderr


def run_to_results(cli: CLI, path: Path, profile: str, env: dict[str, str]) -> list[dict]:
    submitted = cli("submit", str(path), "--profile", profile, "--json", env=env)
    assert submitted.code == 0, submitted.stderr
    job = submitted.json()
    watched = cli("watch", job["id"], "--interval", "0.1", env=env, timeout=120)
    assert watched.code == 0, watched.stderr
    assert "completed" in watched.stdout
    results = cli("results", job["id"], "--json", env=env, timeout=120)
    assert results.code == 0, results.stderr
    exported = cli(
        "export", job["id"], "--format", "jsonl", "--join-input", "-o", "-", env=env, timeout=120
    )
    assert exported.code == 0, exported.stderr
    rows = exported.json_lines()
    # One row per custom_id of the input, each joined back to its own prompt.
    assert sorted(row["custom_id"] for row in rows) == sorted(
        record["custom_id"] for record in results.json_lines()
    )
    for row in rows:
        n = int(row["custom_id"][len("Item-") :][:4])
        assert ("[sim:error] no" if n == 500 else f"Question {n}") in json.dumps(row["prompt"])
    return results.json_lines()


def error_line(run: Run) -> str:
    """The one `batchtui: error:` line (submit prints its estimate to stderr first)."""
    errors = [line for line in run.stderr.splitlines() if line.startswith("batchtui: error: ")]
    assert len(errors) == 1, run.stderr
    assert run.stderr.strip().endswith(errors[0]), run.stderr
    return errors[0]


def assert_every_custom_id(records: list[dict]) -> None:
    assert sorted(r["custom_id"] for r in records) == sorted(custom_id(n) for n in range(LINES))
    assert [r["custom_id"] for r in records if not r["ok"]] == [custom_id(500)]
    assert all(r["text"] for r in records if r["ok"])


def test_a_thousand_lines_through_gemini(
    cli: CLI, start_simulator: Callable[..., SimulatorHandle], thousand_lines: Path
) -> None:
    sim = start_simulator(api_key=GEMINI_KEY, quiet=True)
    add_gemini_profile(cli, sim)
    env = cli_env(GEMINI_API_KEY=GEMINI_KEY)
    assert_every_custom_id(run_to_results(cli, thousand_lines, "gm", env))
    [job] = cli("jobs", "--json", env=env).json()
    assert (job["kind"], job["status"]) == ("gemini", "completed")
    assert job["remote_id"].startswith("batches/")
    assert job["request_counts"] == {"total": LINES, "completed": LINES - 1, "failed": 1}


def test_a_thousand_lines_through_vertex(
    cli: CLI, vertex_sim, thousand_lines: Path, tmp_path: Path
) -> None:
    sim, key_file = vertex_sim(vertex_file_rows=300, token_lifetime=2)
    add_vertex_profile(cli, sim, key_file)
    shown = cli("profile", "show", "vx").stdout
    assert f"credentials    {key_file}" in shown and "PRIVATE KEY" not in shown
    assert "PRIVATE KEY" not in (Path(os.environ["BATCHTUI_CONFIG"])).read_text()
    records = run_to_results(cli, thousand_lines, "vx", cli_env())
    assert_every_custom_id(records)
    [job] = cli("jobs", "--json").json()
    assert (job["kind"], job["status"], job["raw_status"]) == (
        "vertex",
        "completed",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
    )
    downloaded = cli("download", job["id"], "-o", str(tmp_path / "out"))
    assert downloaded.code == 0, downloaded.stderr
    lines = (tmp_path / "out" / "output.jsonl").read_text().splitlines()
    assert len(lines) == LINES  # four predictions files, concatenated


def test_wrong_gemini_key_is_one_line(
    cli: CLI, start_simulator: Callable[..., SimulatorHandle], thousand_lines: Path
) -> None:
    sim = start_simulator(api_key=GEMINI_KEY, quiet=True)
    add_gemini_profile(cli, sim)
    run = cli("submit", str(thousand_lines), "--profile", "gm", env=cli_env(GEMINI_API_KEY="bad"))
    assert run.code != 0
    line = error_line(run)
    assert "gemini profile 'gm': GET /v1beta/batches: HTTP 400" in line
    assert "API key not valid" in line or "API_KEY_INVALID" in line


def test_wrong_vertex_credentials_are_one_line(
    cli: CLI, vertex_sim, thousand_lines: Path, tmp_path: Path
) -> None:
    sim, _trusted = vertex_sim()
    stranger = service_account(
        tmp_path / "stranger.json", "who@else.iam.gserviceaccount.com", f"{sim.root_url}/token"
    )
    add_vertex_profile(cli, sim, stranger)
    run = cli("submit", str(thousand_lines), "--profile", "vx")
    assert run.code != 0
    line = error_line(run)
    assert f"vertex profile 'vx': token refresh (POST {sim.root_url}/token)" in line
    assert "invalid_grant" in line


def test_missing_bucket_is_one_line(cli: CLI, vertex_sim, thousand_lines: Path) -> None:
    sim, key_file = vertex_sim()
    add_vertex_profile(cli, sim, key_file, bucket="no-such-bucket")
    run = cli("submit", str(thousand_lines), "--profile", "vx")
    assert run.code != 0
    line = error_line(run)
    assert "vertex profile 'vx': upload gs://no-such-bucket/batchtui/" in line
    assert "bucket does not exist" in line


@pytest.mark.parametrize("kind", ["gemini", "vertex"])
def test_quota_refusal_at_create_is_one_line(
    cli: CLI,
    start_simulator: Callable[..., SimulatorHandle],
    vertex_sim,
    thousand_lines: Path,
    kind: str,
) -> None:
    if kind == "gemini":
        sim = start_simulator(faults="create:429=1", quiet=True)
        add_gemini_profile(cli, sim)
        profile, env = "gm", cli_env(GEMINI_API_KEY=GEMINI_KEY)
    else:
        sim, key_file = vertex_sim(faults="create:429=1")
        add_vertex_profile(cli, sim, key_file)
        profile, env = "vx", cli_env()
    run = cli("submit", str(thousand_lines), "--profile", profile, env=env)
    assert run.code != 0
    line = error_line(run)
    assert f"{kind} profile '{profile}': create batch (POST /v1" in line
    assert "HTTP 429 RESOURCE_EXHAUSTED" in line
    [job] = cli("jobs", "--json", env=env).json()
    assert job["status"] == "not_submitted"


def test_profile_add_refuses_vertex_flags_on_other_kinds_and_shared_key_files(
    cli: CLI, tmp_path: Path
) -> None:
    run = cli("profile", "add", "o", "--kind", "openai", "--project", "p")
    assert run.code == 2 and "--project is for profiles of kind vertex" in error_line(run)
    shared = service_account(tmp_path / "shared.json")
    os.chmod(shared, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    run = cli("profile", "add", "v", "--kind", "vertex", "--credentials", str(shared))
    assert run.code == 2 and "chmod 600" in error_line(run)
    missing = cli("profile", "add", "v", "--kind", "vertex", "--credentials", "nope.json")
    assert missing.code == 2 and "no such file" in missing.one_error_line()
    portkey = cli("profile", "add", "pk", "--kind", "portkey", "--bucket", "b")
    assert portkey.code == 0, portkey.stderr
