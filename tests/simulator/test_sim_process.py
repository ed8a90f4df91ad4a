"""The simulator as a command: first stdout line, request log, exit codes, restarts."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import httpx
import pytest
from sim_helpers import chat_line, create_batch, read_rows, wait_for_status

from batchtui.simulator.cli import main


def test_first_stdout_line_is_the_base_url_and_requests_are_logged(
    spawn_simulator_process,
) -> None:
    process = spawn_simulator_process()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", process.url)
    assert httpx.get(f"{process.url}/batches").status_code == 200
    assert httpx.get(f"{process.url}/batches/batch_x").status_code == 404
    assert process.stop() == 0  # SIGTERM is a clean stop
    log_lines = process.stderr_text().splitlines()
    assert len(log_lines) == 2
    assert re.fullmatch(r'127\.0\.0\.1 "GET /v1/batches" 200 [\d.]+ms', log_lines[0])
    assert '"GET /v1/batches/batch_x" 404' in log_lines[1]


def test_quiet_logs_nothing(spawn_simulator_process) -> None:
    process = spawn_simulator_process("--quiet")
    httpx.get(f"{process.url}/batches")
    process.stop()
    assert process.stderr_text() == ""


def test_state_survives_a_kill_and_restart(spawn_simulator_process, tmp_path) -> None:
    data_dir = tmp_path / "shared-state"
    first = spawn_simulator_process("--phase-seconds", "0.3", "--speed", "50", data_dir=data_dir)
    with httpx.Client(base_url=first.url) as client:
        batch = create_batch(client, [chat_line(f"r{i}", "persist me") for i in range(5)])
    first.kill()  # mid-validation, no chance to clean up

    second = spawn_simulator_process(data_dir=data_dir)
    assert second.url != "" and second.process.pid != first.process.pid
    with httpx.Client(base_url=second.url) as client:
        done = wait_for_status(client, batch["id"], "completed")
        assert done["created_at"] == batch["created_at"]
        assert client.get(f"/files/{batch['input_file_id']}").status_code == 200
        rows = read_rows(client, done["output_file_id"])
    assert sorted(row["custom_id"] for row in rows) == [f"r{i}" for i in range(5)]


def test_python_dash_m_help_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "batchtui.simulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    for flag in ("--faults", "--no-range", "--flavor", "--expire-after", "--quiet"):
        assert flag in result.stdout


@pytest.mark.parametrize(
    "argv",
    [["--faults", "create:teapot=1"], ["--speed", "0"], ["--flavor", "gemini"]],
)
def test_bad_flags_exit_2_with_a_message(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "batchtui simulate" in capsys.readouterr().err


def test_busy_port_is_one_clear_line(capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"127.0.0.1:{port}" in err
