"""The registry keeps a bounded amount of what a provider sends.

Each provider string is cut to `stored_string_limit` characters (default 4,096, the cut
marked with `…`) and each provider object (errors, metadata, usage) to
`stored_object_limit` bytes of JSON (default 256 KB). A job whose model is a 200 MB string
costs `jobs` no more memory than one without it (peak RSS of both, measured in this run).
Each oversized field is a row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.models import BatchError, Job, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.registry.codec import DEFAULT_OBJECT_LIMIT, DEFAULT_STRING_LIMIT
from batchtui.core.status import JobStatus

from .conftest import BATCHTUI, Answer, HostileServer, batch_object, cli_env, run_cli

BIG = "x" * (DEFAULT_STRING_LIMIT * 4)


def plain_job(number: int, **fields: Any) -> Job:
    values: dict[str, Any] = {
        "id": f"bt-caps{number:02d}",
        "name": f"job {number}",
        "profile": "p",
        "kind": "openai",
        "tag": f"00000000-0000-0000-0000-{number:012d}",
        "status": JobStatus.IN_PROGRESS,
        "remote_id": f"batch_{number}",
        "model": "gpt-4o-mini",
        "request_counts": RequestCounts(total=10, completed=3),
    }
    values.update(fields)
    return Job.model_validate(values)


STRING_ROWS = [
    "name", "raw_status", "remote_id", "endpoint", "model", "completion_window",
    "input_file_id", "output_file_id", "error_file_id", "last_error", "tag",
]  # fmt: skip


@pytest.mark.parametrize("field", STRING_ROWS)
def test_each_provider_string_is_capped_with_a_mark(tmp_path: Path, field: str) -> None:
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.add_job(plain_job(1, **{field: BIG}))
    stored = getattr(registry.get_job("bt-caps01"), field)
    assert len(stored) == DEFAULT_STRING_LIMIT and stored.endswith("…")
    assert stored[:-1] == BIG[: DEFAULT_STRING_LIMIT - 1]


OBJECT_ROWS: dict[str, dict[str, Any]] = {
    "one long error": {"errors": [BatchError(code=BIG, message=BIG, param=BIG)]},
    "many errors": {"errors": [BatchError(message="m" * 1000, line=n) for n in range(1, 2000)]},
    "long metadata": {"metadata": {BIG: BIG}},
    "many metadata": {"metadata": {f"k{n}": "v" * 1000 for n in range(2000)}},
    "huge usage": {"usage": {"input_tokens": 5, "details": ["d" * 1000] * 2000}},
    "huge result usage": {"result_usage": {"files": ["f" * 1000] * 2000}},
}


@pytest.mark.parametrize("row", OBJECT_ROWS)
def test_each_provider_object_is_capped(tmp_path: Path, row: str) -> None:
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.add_job(plain_job(1, **OBJECT_ROWS[row]))
    job = registry.get_job("bt-caps01")
    for name in OBJECT_ROWS[row]:
        value = getattr(job, name)
        dumped = [e.model_dump() for e in value] if name == "errors" else value
        compact = json.dumps(dumped, ensure_ascii=False, separators=(",", ":"))
        assert len(compact) <= DEFAULT_OBJECT_LIMIT + 200  # the cut note itself
        assert "batchtui_truncated" in json.dumps(dumped) or "…" in json.dumps(
            dumped, ensure_ascii=False
        )


def test_a_hostile_answer_is_stored_capped(hostile_server: HostileServer, tmp_path: Path) -> None:
    registry = Registry(Path(os.environ["BATCHTUI_DATA_DIR"]) / "registry.sqlite3")
    registry.add_job(plain_job(1))
    registry.close()
    run_cli(
        "profile", "add", "p", "--kind", "openai", "--base-url", hostile_server.url,
        "--api-key-env", "BATCHTUI_SECURITY_KEY",
    )  # fmt: skip
    long = "m" * 2_000_000
    hostile_server.answer(
        "GET /v1/batches/batch_1",
        Answer(body=json.dumps(batch_object("batch_1", model=long, status=long)).encode()),
    )
    refreshed = run_cli("status", "bt-caps01", "--refresh", "--json")
    assert refreshed.code == 0, refreshed.err
    shown = json.loads(refreshed.out)
    assert len(shown["model"]) == DEFAULT_STRING_LIMIT and shown["model"].endswith("…")
    size = (Path(os.environ["BATCHTUI_DATA_DIR"]) / "registry.sqlite3").stat().st_size
    assert size < 1_000_000


def test_the_limits_are_settings() -> None:
    config = Path(os.environ["BATCHTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[settings]\nstored_string_limit = 100\nstored_object_limit = 2048\n")
    registry = Registry(Path(os.environ["BATCHTUI_DATA_DIR"]) / "registry.sqlite3")
    registry.add_job(plain_job(1))
    registry.close()
    from batchtui.cli.context import CommandContext

    # The registry a command opens takes the configured limits.
    with CommandContext(argparse.Namespace(debug=False)) as context:
        assert (context.registry.limits.string, context.registry.limits.object) == (100, 2048)
        context.registry.update_job("bt-caps01", last_error="e" * 500, metadata={"k": "v" * 90})
        job = context.registry.get_job("bt-caps01")
        assert len(job.last_error or "") == 100 and (job.last_error or "").endswith("…")


# --- memory ------------------------------------------------------------------------------

MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True)
assert done.returncode == 0, done.stderr
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kb(data_dir: Path, *args: str) -> int:
    """Peak RSS of `batchtui ARGS` on the registry in `data_dir` (a process of its own)."""
    env = cli_env(BATCHTUI_DATA_DIR=str(data_dir))
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(BATCHTUI), *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def test_jobs_memory_does_not_grow_with_a_200_mb_model_string(tmp_path: Path) -> None:
    plain_dir, hostile_dir = tmp_path / "plain", tmp_path / "hostile"
    for data_dir in (plain_dir, hostile_dir):
        data_dir.mkdir()
        registry = Registry(data_dir / "registry.sqlite3")
        registry.add_job(plain_job(1))
        if data_dir is hostile_dir:
            huge = "m" * (200 * 1024 * 1024)
            registry.add_job(plain_job(2, model=huge, name=huge[:1000]))
            del huge
        else:
            registry.add_job(plain_job(2))
        registry.close()

    plain = min(peak_rss_kb(plain_dir, "jobs") for _ in range(2))
    hostile = min(peak_rss_kb(hostile_dir, "jobs") for _ in range(2))

    assert hostile <= plain * 1.2, f"{hostile} KB with the 200 MB model, {plain} KB without"
    listed = run_cli("jobs", "--json", env=cli_env(BATCHTUI_DATA_DIR=str(hostile_dir)))
    assert listed.code == 0, listed.err
    assert all(len(job["model"]) <= DEFAULT_STRING_LIMIT for job in json.loads(listed.out))
