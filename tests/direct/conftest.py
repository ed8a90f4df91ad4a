"""Direct jobs driven through the real `batchtui` command against the simulator's realtime
endpoints; every runner a test started is killed at teardown, so none outlives it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from batchtui.core.providers.direct.folder import JobFolder, jobs_root
from helpers.cli import CLI, KEY_ENV, Run, env_with_key, run_batchtui

API_KEY = "sk-test-direct-0123456789"
# A runner left behind by a failing test stops by itself after this.
TEST_GIVE_UP = "60s"


def cli_env(**extra: str) -> dict[str, str]:
    return env_with_key(API_KEY, **extra)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CLI]:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
        return run_batchtui(args, cwd=tmp_path, env=env or cli_env(), timeout=timeout)

    yield run
    kill_runners()


def kill_runners() -> None:
    root = jobs_root()
    if not root.is_dir():
        return
    for entry in root.iterdir():
        with contextlib.suppress(Exception):
            folder = JobFolder(root, entry.name)
            beat = folder.read_heartbeat()
            if beat is not None and folder.runner_alive():
                os.kill(beat.pid, signal.SIGKILL)


@pytest.fixture
def direct_profile(cli: CLI) -> Callable[..., str]:
    """`direct_profile(url, *flags, name="d")`: a direct profile through `profile add`."""

    def add(url: str, *flags: str, name: str = "d") -> str:
        result = cli(
            "profile",
            "add",
            name,
            "--kind",
            "direct",
            "--base-url",
            url,
            "--api-key-env",
            KEY_ENV,
            "--timeout",
            "10",
            *(("--give-up-after", TEST_GIVE_UP) if "--give-up-after" not in flags else ()),
            *flags,
        )
        assert result.code == 0, result.stderr
        return name

    return add


def chat_line(custom_id: str, prompt: str, *, url: str = "/v1/chat/completions") -> str:
    body = {"model": "m", "messages": [{"role": "user", "content": prompt}], "max_tokens": 8}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})


def write_input(path: Path, count: int, *, prefix: str = "r") -> Path:
    path.write_text(
        "".join(
            chat_line(f"{prefix}{n}", f"question number {n} please") + "\n" for n in range(count)
        )
    )
    return path


def submit(cli: CLI, path: Path, profile: str = "d") -> dict:
    result = cli("submit", str(path), "--profile", profile, "--json")
    assert result.code == 0, result.stderr
    return result.json()


def folder_of(job: dict) -> JobFolder:
    return JobFolder(jobs_root(), job["remote_id"])


def answers(folder: JobFolder) -> Counter[str]:
    """How many times each custom_id appears in output.jsonl and errors.jsonl, in whole
    lines: a runner may be writing the last one while this reads."""
    seen: Counter[str] = Counter()
    for kind in ("output", "error"):
        path = folder.file(kind)
        if path.exists():
            data = path.read_bytes()
            for line in data[: data.rfind(b"\n") + 1].splitlines():
                seen[json.loads(line)["custom_id"]] += 1
    return seen


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
