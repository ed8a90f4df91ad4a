"""doctor, run inside a real tmux, says whether notifications can pass through it."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

from helpers.cli import BATCHTUI
from realparts.provision import ensure_apt


def _doctor_in_tmux(socket: str, out: Path) -> dict[str, dict]:
    env = " ".join(
        f"{name}={os.environ[name]}"
        for name in ("BATCHTUI_CONFIG", "BATCHTUI_DATA_DIR", "BATCHTUI_STATE_DIR")
    )
    command = f"env {env} {BATCHTUI} doctor --json > {out}; tmux -L {socket} wait-for -S done"
    subprocess.run(["tmux", "-L", socket, "new-window", "-d", command], check=True, timeout=10)
    subprocess.run(["tmux", "-L", socket, "wait-for", "done"], check=True, timeout=60)
    findings = json.loads(out.read_text())
    return {item["name"]: item for item in findings if item["section"] == "tmux"}


def test_allow_passthrough_reported_with_its_fix(tmp_path: Path) -> None:
    ensure_apt(["tmux"], commands=["tmux"])
    socket = f"bt-doctor-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "sleep 120"],
        check=True,
        timeout=10,
    )
    try:
        subprocess.run(["tmux", "-L", socket, "set", "-g", "allow-passthrough", "off"], check=True)
        off = _doctor_in_tmux(socket, tmp_path / "off.json")
        assert off["allow-passthrough"]["value"] == "off"
        assert "notifications" in off["allow-passthrough"]["advice"]
        assert "tmux set -g allow-passthrough on" in off["allow-passthrough"]["advice"]

        subprocess.run(["tmux", "-L", socket, "set", "-g", "allow-passthrough", "on"], check=True)
        time.sleep(0.1)
        on = _doctor_in_tmux(socket, tmp_path / "on.json")
        assert on["allow-passthrough"]["value"] == "on" and on["allow-passthrough"]["advice"] == ""
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
