"""Run the installed `batchtui` as a subprocess, in the isolated environment of the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BATCHTUI = Path(sys.executable).with_name("batchtui")
KEY_ENV = "BATCHTUI_TEST_KEY"
API_KEY = "sk-test-cli-0123456789abcdef"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines()]

    def one_error_line(self) -> str:
        """The single `batchtui: error: ...` line stderr must hold after a failure."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("batchtui: error: "), self.stderr
        return lines[0]


def cli_env(**extra: str) -> dict[str, str]:
    return {**os.environ, KEY_ENV: API_KEY, "LANG": "C.UTF-8", "LC_ALL": "", **extra}


CLI = Callable[..., Run]


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """`cli("jobs", "--json")` runs `batchtui jobs --json` in tmp_path and returns a `Run`."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
        done = subprocess.run(
            [str(BATCHTUI), *args],
            capture_output=True,
            text=True,
            env=env or cli_env(),
            cwd=tmp_path,
            timeout=timeout,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def sim_profile(cli: CLI) -> Callable[[str], str]:
    """Add profile `sim` pointing at a simulator URL (through `batchtui profile add`)."""

    def add(url: str, name: str = "sim") -> str:
        result = cli(
            "profile",
            "add",
            name,
            "--kind",
            "openai",
            "--base-url",
            url,
            "--api-key-env",
            KEY_ENV,
            "--timeout",
            "10",
        )
        assert result.code == 0, result.stderr
        return name

    return add


def request_line(custom_id: str, prompt: str, model: str = "gpt-4o-mini") -> str:
    return json.dumps(
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": prompt}]},
        }
    )


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "input.jsonl"
    prompts = ["What is 2+2?", "Say hi", "[sim:error] fail this one"]
    path.write_text("".join(request_line(f"req-{n}", p) + "\n" for n, p in enumerate(prompts)))
    return path
