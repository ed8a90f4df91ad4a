"""`batchtui clean` deletes a job's remote files over HTTP (OpenAI files, Gemini files, Cloud
Storage objects) and batchtui's own local copies; running it again finds them gone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from batchtui.simulator import SimulatorHandle

from .conftest import CLI, cli_env, request_line
from .test_google_flows import (  # noqa: F401 - vertex_sim is a fixture
    GEMINI_KEY,
    MODEL,
    add_gemini_profile,
    add_vertex_profile,
    vertex_sim,
)


def _finished(cli: CLI, path: Path, profile: str, env: dict[str, str]) -> dict:
    job_id = cli("submit", str(path), "--profile", profile, "--json", env=env).json()["id"]
    assert cli("watch", job_id, "--quiet", "--interval", "0.1", env=env).code == 0
    return cli("status", job_id, "--json", env=env).json()


def _clean(cli: CLI, job_id: str, env: dict[str, str]) -> dict[str, str]:
    done = cli("clean", job_id, "--json", env=env)
    assert done.code == 0, done.stderr
    [report] = done.json()
    return {item["what"]: item["outcome"] for item in report["files"]}


def test_clean_openai_files(cli: CLI, sim_profile, simulator, input_file: Path) -> None:
    sim_profile(simulator.url)
    job = _finished(cli, input_file, "sim", cli_env())
    assert cli("retry", job["id"], "--dry-run").code == 0  # writes a local retry input
    outcomes = _clean(cli, job["id"], cli_env())
    assert outcomes == {
        "input": "deleted",
        "output": "deleted",
        "error": "deleted",
        "local": "deleted",
    }
    headers = {"Authorization": "Bearer sk-test-cli-0123456789abcdef"}
    for file_id in (job["input_file_id"], job["output_file_id"], job["error_file_id"]):
        gone = httpx.get(f"{simulator.url}/files/{file_id}", headers=headers)
        assert gone.status_code == 404
    again = _clean(cli, job["id"], cli_env())
    assert set(again.values()) == {"already gone"}
    history = cli("status", job["id"], "--json").json()["history"]
    assert any("cleaned" in (row.get("note") or "") for row in history)


def test_clean_a_running_job_is_refused(cli: CLI, sim_profile, start_simulator, input_file) -> None:
    slow = start_simulator(phase_seconds=60)
    sim_profile(slow.url)
    job_id = cli("submit", str(input_file), "--json").json()["id"]
    refused = cli("clean", job_id)
    assert refused.code == 2 and "still running" in refused.one_error_line()


def test_clean_vertex_objects_in_cloud_storage(
    cli: CLI,
    vertex_sim,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    sim, key_file = vertex_sim()
    add_vertex_profile(cli, sim, key_file)
    path = tmp_path / "v.jsonl"
    path.write_text("".join(request_line(f"v{n}", f"q {n}", MODEL) + "\n" for n in range(4)))
    job = _finished(cli, path, "vx", cli_env())
    assert job["input_file_id"].startswith("gs://")
    outcomes = _clean(cli, job["id"], cli_env())
    assert outcomes["input"] == "deleted" and outcomes["output"] == "deleted"
    assert set(_clean(cli, job["id"], cli_env()).values()) <= {"already gone"}


def test_clean_gemini_says_what_it_cannot_delete(
    cli: CLI, start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = start_simulator(api_key=GEMINI_KEY, quiet=True)
    add_gemini_profile(cli, sim)
    env = cli_env(GEMINI_API_KEY=GEMINI_KEY)
    path = tmp_path / "g.jsonl"
    path.write_text("".join(request_line(f"g{n}", f"q {n}", MODEL) + "\n" for n in range(3)))
    job = _finished(cli, path, "gm", env)
    outcomes = _clean(cli, job["id"], env)
    assert outcomes, outcomes
    assert all(
        outcome in ("deleted", "already gone") or outcome.startswith("kept: ")
        for outcome in outcomes.values()
    )
    if job["input_file_id"].startswith("inline"):
        assert "live in the batch" in outcomes["input"]
