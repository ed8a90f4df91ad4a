"""The results-at-scale commands through the installed `batchtui`, against the simulator."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from .conftest import API_KEY, BATCHTUI, KEY_ENV, cli_env, embedding_line, write_chat_input
from .relay import Relay


@pytest.fixture
def run(tmp_path: Path):
    def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BATCHTUI), *args],
            capture_output=True,
            text=True,
            env=cli_env(),
            cwd=tmp_path,
            timeout=60,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run_cli


def add_profile(run, url: str) -> None:
    run("profile", "add", "sim", "--kind", "openai", "--base-url", url, "--api-key-env", KEY_ENV)


def submit_and_wait(run, path: Path) -> dict:
    job = json.loads(run("submit", str(path), "--json").stdout)
    run("watch", job["id"], "--interval", "0.1", check=False)
    return json.loads(run("status", job["id"], "--json").stdout)


def test_a_killed_download_resumes_with_range_and_checks_out(
    spawn_simulator_process, run, tmp_path: Path
) -> None:
    simulator = spawn_simulator_process()
    relay = Relay(int(simulator.url.split(":")[2].split("/")[0]))
    try:
        add_profile(run, relay.url)
        path = tmp_path / "emb.jsonl"
        path.write_text("".join(embedding_line(f"e-{n:03d}", 3000) + "\n" for n in range(60)))
        job = submit_and_wait(run, path)
        assert job["status"] == "completed"

        relay.rate = 400_000  # bytes a second: the 1.7 MB output takes seconds
        dest = tmp_path / f"batchtui-{job['id']}"
        part = dest / ".incoming" / "output.jsonl.part"
        first = subprocess.Popen(
            [str(BATCHTUI), "download", job["id"]],
            cwd=tmp_path,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not (part.exists() and part.stat().st_size > 200_000):
            assert time.monotonic() < deadline and first.poll() is None, "no partial download"
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        kept = part.stat().st_size
        assert not (dest / "output.jsonl").exists()

        relay.rate = None
        second = run("download", job["id"])
        assert "resumed at" in second.stdout.splitlines()[0]
        log = simulator.stderr_text()
        content = f"/files/{job['output_file_id']}/content"
        assert [line for line in log.splitlines() if content in line and '" 206 ' in line]
        output = (dest / "output.jsonl").read_bytes()
        whole = httpx.get(
            f"{simulator.url}{content}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            trust_env=False,
        ).content
        assert output == whole and len(whole) > kept
        digest = hashlib.sha256(whole).hexdigest()
        assert (dest / "output.jsonl.sha256").read_text() == f"{digest}  output.jsonl\n"
        assert f"sha256 {digest}" in second.stdout
        assert not part.exists()
    finally:
        relay.close()


def test_paging_export_retry_and_cost(simulator, run, tmp_path: Path) -> None:
    add_profile(run, simulator.url)
    path = write_chat_input(tmp_path / "input.jsonl", 12, failing={3, 7})
    job = submit_and_wait(run, path)
    job_id = job["id"]
    assert job["usage"]["prompt_tokens"] > 0 and job["usage"]["cost_usd"] > 0
    assert "cost" in run("status", job_id).stdout

    run("download", job_id)
    output = tmp_path / f"batchtui-{job_id}" / "output.jsonl"
    page = run("results", str(output), "--from", "4", "--head", "3", "--json").stdout
    ids = [json.loads(line)["custom_id"] for line in page.splitlines()]
    successes = [f"req-{n:03d}" for n in range(12) if n not in (3, 7)]
    assert ids == successes[4:7]
    # The job reads its two files as one list: output first, then errors.
    tail = run("results", job_id, "--from", "9", "--json").stdout
    assert [json.loads(line)["custom_id"] for line in tail.splitlines()] == [
        successes[9],
        "req-003",
        "req-007",
    ]
    errors = run("results", job_id, "--errors", "--from", "1", "--head", "5", "--json").stdout
    assert [json.loads(line)["custom_id"] for line in errors.splitlines()] == ["req-007"]
    bad = run("results", job_id, "--from", "-1", check=False)
    assert bad.returncode == 2 and "--from -1" in bad.stderr

    exported = run("export", job_id, "--format", "csv", "--join-input")
    csv_path = tmp_path / f"batchtui-{job_id}" / "export.csv"
    assert str(csv_path) in exported.stdout and "12 rows" in exported.stdout
    lines = csv_path.read_text().splitlines()
    assert lines[0].endswith(",response,prompt") and len(lines) == 13

    retried = json.loads(run("retry", job_id, "--json").stdout)
    [entry] = retried
    assert entry["to_retry"] == 2 and entry["failed"] == 2 and entry["succeeded"] == 10
    child = entry["child"]
    assert child["parent_id"] == job_id
    run("watch", child["id"], "--interval", "0.1", check=False)
    status = run("status", job_id).stdout
    assert f"retries     {child['id']}" in status and "cost (all)" in status

    # One row per custom_id across the job and its retry, written to stdout.
    rows = run("export", job_id, "--format", "jsonl", "-o", "-").stdout.splitlines()
    assert sorted(json.loads(row)["custom_id"] for row in rows) == [
        f"req-{n:03d}" for n in range(12)
    ]
    merged = run("results", job_id, "--json").stdout.splitlines()
    assert len(merged) == 12


def test_retry_with_nothing_failed_says_so(simulator, run, tmp_path: Path) -> None:
    add_profile(run, simulator.url)
    job = submit_and_wait(run, write_chat_input(tmp_path / "ok.jsonl", 3))
    done = run("retry", job["id"])
    assert "0 of 3 requests to retry" in done.stdout and "nothing to retry" in done.stdout
    assert json.loads(run("jobs", "--json").stdout)[0]["id"] == job["id"]  # no child


def test_download_dir_setting_is_used(simulator, run, tmp_path: Path) -> None:
    add_profile(run, simulator.url)
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.write_text(
        config.read_text() + '\n[settings]\ndownload_dir = "$SCRATCH_TEST/batchtui"\n'
    )
    os.environ["SCRATCH_TEST"] = str(tmp_path / "scratch")
    try:
        job = submit_and_wait(run, write_chat_input(tmp_path / "in.jsonl", 2))
        printed = run("download", job["id"]).stdout
    finally:
        del os.environ["SCRATCH_TEST"]
    folder = tmp_path / "scratch" / "batchtui" / f"batchtui-{job['id']}"
    assert str(folder / "output.jsonl") in printed
    assert (folder / "output.jsonl.sha256").is_file()
