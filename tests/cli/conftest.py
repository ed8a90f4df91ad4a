"""Run the installed `batchtui` as a subprocess, in the isolated environment of the test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers.cli import (
    BATCHTUI,
    CLI,
    KEY_ENV,
    Run,
    add_profile,
    env_with_key,
    request_line,
    run_batchtui,
)

# Names from `helpers.cli` this package's test modules import from here.
__all__ = ["BATCHTUI", "CLI", "KEY_ENV", "Run", "request_line"]

API_KEY = "sk-test-cli-0123456789abcdef"


def cli_env(**extra: str) -> dict[str, str]:
    return env_with_key(API_KEY, **extra)


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """`cli("jobs", "--json")` runs `batchtui jobs --json` in tmp_path and returns a `Run`."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
        return run_batchtui(args, cwd=tmp_path, env=env or cli_env(), timeout=timeout)

    return run


@pytest.fixture
def sim_profile(cli: CLI) -> Callable[[str], str]:
    """Add profile `sim` pointing at a simulator URL (through `batchtui profile add`)."""

    def add(url: str, name: str = "sim") -> str:
        return add_profile(cli, url, name, "openai")

    return add


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "input.jsonl"
    prompts = ["What is 2+2?", "Say hi", "[sim:error] fail this one"]
    path.write_text("".join(request_line(f"req-{n}", p) + "\n" for n, p in enumerate(prompts)))
    return path
