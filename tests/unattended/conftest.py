"""CLI fixtures for the unattended-use tests (shared with tests/cli through helpers.cli)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.cli import CLI, Run, add_profile, env_with_key, request_line, run_batchtui

API_KEY = "sk-test-unattended-0123456789"


def cli_env(**extra: str) -> dict[str, str]:
    return env_with_key(API_KEY, **extra)


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
        return run_batchtui(args, cwd=tmp_path, env=env or cli_env(), timeout=timeout)

    return run


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "input.jsonl"
    path.write_text("".join(request_line(f"req-{n}", f"prompt {n}") + "\n" for n in range(3)))
    return path


@pytest.fixture
def profile(cli: CLI, simulator) -> str:
    return add_profile(cli, simulator.url, "sim", "openai")
