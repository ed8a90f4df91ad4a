"""An unusable endpoint fails the job after a short probe; a silent one after give_up_after,
keeping its answers; cancel stops the runner and keeps its answers."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

from helpers.cli import CLI, KEY_ENV

from .conftest import answers, chat_line, folder_of, submit, wait_for, write_input


def _status(cli: CLI, job: dict) -> dict:
    result = cli("status", job["id"], "--refresh", "--json")
    assert result.code == 0, result.stderr
    return result.json()


def _wait_status(cli: CLI, job: dict, wanted: str, timeout: float = 60) -> dict:
    last: dict = {}

    def reached() -> bool:
        nonlocal last
        last = _status(cli, job)
        return last["status"] == wanted

    wait_for(reached, timeout, f"{job['id']} to be {wanted}")
    return last


def test_a_wrong_key_fails_the_job_at_the_probe(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    sim = start_simulator(api_key="the-right-key")
    direct_profile(sim.url)
    job = submit(cli, write_input(tmp_path / "in.jsonl", 50))
    status = _wait_status(cli, job, "failed")
    assert "401" in status["errors"][0]["message"]
    assert len(sim.server.realtime.arrivals) == 1  # the probe, and nothing after it
    assert sum(answers(folder_of(job)).values()) == 0


def test_an_unknown_model_fails_the_job_at_the_probe(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    sim = start_simulator(models="served-model")
    direct_profile(sim.url)
    job = submit(cli, write_input(tmp_path / "in.jsonl", 50))
    status = _wait_status(cli, job, "failed")
    assert "model_not_found" in status["errors"][0]["message"]
    assert len(sim.server.realtime.arrivals) == 1


def test_a_server_gone_silent_fails_the_job_after_give_up_after_keeping_answers(
    cli: CLI,
    direct_profile: Callable[..., str],
    start_simulator,
    spawn_simulator_process,
    tmp_path: Path,
):
    sim = spawn_simulator_process()
    direct_profile(sim.url, "--concurrency", "2", "--rpm", "1200", "--give-up-after", "3s")
    job = submit(cli, write_input(tmp_path / "in.jsonl", 400))
    folder = folder_of(job)
    wait_for(lambda: sum(answers(folder).values()) >= 20, 30, "some answers")
    sim.kill()  # nothing listens any more: connections are refused
    status = _wait_status(cli, job, "failed", timeout=30)
    assert "answered nothing" in status["errors"][0]["message"]
    kept = answers(folder)
    assert len(kept) >= 20 and set(kept.values()) == {1}
    assert status["request_counts"]["completed"] == len(kept)
    assert not folder.runner_alive()

    # The server is back: resume sends the rest, each line once.
    back = start_simulator()
    cli(
        "profile",
        "add",
        "d",
        "--kind",
        "direct",
        "--base-url",
        back.url,
        "--api-key-env",
        KEY_ENV,
        "--rpm",
        "6000",
        "--replace",
    )
    resumed = cli("resume", job["id"], "--json")
    assert resumed.code == 0, resumed.stderr
    assert resumed.json()["runner_started"] is True
    assert cli("watch", job["id"], "--interval", "0.3", timeout=120).code == 0
    seen = answers(folder)
    assert len(seen) == 400 and set(seen.values()) == {1}
    assert len(back.server.realtime.arrivals) == 400 - len(kept)


def test_nothing_listening_at_a_fresh_start_fails_the_job_at_the_probe(
    cli: CLI, direct_profile: Callable[..., str], tmp_path: Path
):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    direct_profile(f"http://127.0.0.1:{port}/v1")  # gives up after 60 s of silence
    job = submit(cli, write_input(tmp_path / "in.jsonl", 5))
    status = _wait_status(cli, job, "failed", timeout=30)  # long before that
    assert status["errors"][0]["message"].startswith(f"cannot connect to http://127.0.0.1:{port}")


def test_cancel_stops_the_runner_and_keeps_its_answers(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    sim = start_simulator()
    direct_profile(sim.url, "--concurrency", "2", "--rpm", "1200")
    job = submit(cli, write_input(tmp_path / "in.jsonl", 400))
    folder = folder_of(job)
    wait_for(lambda: sum(answers(folder).values()) >= 20, 30, "some answers")
    cancelled = cli("cancel", job["id"])
    assert cancelled.code == 0, cancelled.stderr
    assert not folder.runner_alive()
    sent = len(sim.server.realtime.arrivals)
    status = _status(cli, job)
    assert status["status"] == "cancelled"
    kept = answers(folder)
    assert 20 <= len(kept) < 400 and set(kept.values()) == {1}
    assert status["request_counts"]["completed"] == len(kept)
    results = cli("results", job["id"], "--json")
    assert results.code == 0, results.stderr
    assert len(results.json_lines()) == len(kept)
    # Nothing more is sent, and resume does not bring a cancelled job back.
    assert cli("resume", job["id"]).stdout.strip().endswith("nothing to resume")
    assert len(sim.server.realtime.arrivals) == sent

    # clean deletes the job folder's copies of the input and the answers, and says so.
    cleaned = cli("clean", job["id"], "--json")
    assert cleaned.code == 0, cleaned.stderr
    assert not folder.file("input").exists() and not folder.file("output").exists()
    assert cli("status", job["id"], "--refresh").code == 0  # the job still reads


def test_the_profile_network_policy_bounds_each_answer(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    sim = start_simulator()
    direct_profile(sim.url)
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.write_text(config.read_text() + "max_answer_bytes = 200\nmax_attempts = 3\n")
    path = write_input(tmp_path / "in.jsonl", 3)
    with path.open("a") as lines:
        lines.write(chat_line("broken", "fails [sim:error=500]") + "\n")
    job = submit(cli, path)
    status = _wait_status(cli, job, "completed")
    assert status["request_counts"] == {"total": 4, "completed": 0, "failed": 4}
    rows = {
        json.loads(line)["custom_id"]: json.loads(line)
        for line in folder_of(job).file("error").read_text().splitlines()
    }
    too_large = [row for key, row in rows.items() if key != "broken"]
    assert {row["response"]["body"]["error"]["code"] for row in too_large} == {"answer_too_large"}
    assert rows["broken"]["response"]["status_code"] == 500
    breaking = [a for a in sim.server.realtime.snapshot() if "fails" in json.dumps(a.body)]
    assert len(breaking) == 3  # max_attempts, not the default 10
