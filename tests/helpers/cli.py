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

BATCHTUI = Path(sys.executable).with_name("batchtui")
KEY_ENV = "BATCHTUI_TEST_KEY"


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


CLI = Callable[..., Run]


def env_with_key(api_key: str, **extra: str) -> dict[str, str]:
    """The environment of a `batchtui` subprocess: the test's paths, the key, UTF-8."""
    return {**os.environ, KEY_ENV: api_key, "LANG": "C.UTF-8", "LC_ALL": "", **extra}


def run_batchtui(args: tuple[str, ...], *, cwd: Path, env: dict[str, str], timeout: float) -> Run:
    done = subprocess.run(
        [str(BATCHTUI), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def add_profile(cli: CLI, url: str, name: str, kind: str, *extra: str) -> str:
    """Add a profile reading its key from KEY_ENV, through `batchtui profile add`."""
    result = cli(
        "profile",
        "add",
        name,
        "--kind",
        kind,
        "--base-url",
        url,
        "--api-key-env",
        KEY_ENV,
        "--timeout",
        "10",
        *extra,
    )
    assert result.code == 0, result.stderr
    return name


def request_line(custom_id: str, prompt: str, model: str = "gpt-4o-mini") -> str:
    """One line of an OpenAI batch input file: a chat completion request."""
    return json.dumps(
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": prompt}]},
        }
    )
