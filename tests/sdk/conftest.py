"""The official SDKs (openai, google-genai, google-cloud-storage) in a venv of their own, and a
runner for the small workflow scripts in `scripts/` that drive the simulator with them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import CLI, KEY_ENV, Run, env_with_key, run_batchtui
from realparts.provision import ensure_venv

SDK_PINS = ["openai==3.63.0", "google-genai==3.6.1", "google-cloud-storage==3.17.1"]
SCRIPTS = Path(__file__).parent / "scripts"
API_KEY = "sk-sdk-conformance-0123456789"
SCRIPT_TIMEOUT = 180

__all__ = ["API_KEY", "CLI", "KEY_ENV", "Run"]


@pytest.fixture(scope="session")
def sdk_python() -> Path:
    venv = ensure_venv(
        "sdks",
        [SDK_PINS],
        check=["-c", "import openai, google.genai, google.cloud.storage"],
    )
    return venv / "bin" / "python"


@pytest.fixture
def run_sdk(sdk_python: Path) -> Callable[..., dict[str, Any]]:
    """`run_sdk("openai_workflow", base_url=..., ...)` -> the script's JSON report."""

    def run(script: str, **arguments: Any) -> dict[str, Any]:
        done = subprocess.run(
            [str(sdk_python), str(SCRIPTS / f"{script}.py"), json.dumps(arguments, default=str)],
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        )
        assert done.returncode == 0, f"{script} failed:\n{done.stderr[-4000:]}"
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """The installed `batchtui`, as in tests/cli, reading its key from KEY_ENV."""

    def run(*args: str, timeout: float = 90) -> Run:
        return run_batchtui(args, cwd=tmp_path, env=env_with_key(API_KEY), timeout=timeout)

    return run
