"""OpenAI's SDK drives the simulator's OpenAI API through its own batch workflow."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from batchtui.simulator import SimulatorHandle
from helpers.cli import request_line

from .conftest import API_KEY, CLI, KEY_ENV


def write_lines(path: Path, prompts: dict[str, str]) -> Path:
    path.write_text("".join(request_line(cid, text) + "\n" for cid, text in prompts.items()))
    return path


def test_the_openai_sdk_workflow_end_to_end(
    run_sdk: Callable[..., dict[str, Any]],
    start_simulator: Callable[..., SimulatorHandle],
    cli: CLI,
    tmp_path: Path,
) -> None:
    sim = start_simulator(api_key=API_KEY, phase_seconds=0.1, speed=50.0)
    prompts = {f"S-{n}": f"SDK question {n}" for n in range(4)} | {"S-err": "[sim:error] no"}
    slow = {f"L-{n}": f"slow {n}" for n in range(500)}  # ten seconds: cancelled long before
    out = tmp_path / "sdk"
    out.mkdir()
    report = run_sdk(
        "openai_workflow",
        base_url=sim.url,
        api_key=API_KEY,
        input=write_lines(tmp_path / "in.jsonl", prompts),
        slow_input=write_lines(tmp_path / "slow.jsonl", slow),
        out_dir=out,
    )

    batch = report["batch"]
    assert batch["status"] == "completed" and batch["metadata"] == {"made_by": "openai-sdk"}
    assert batch["request_counts"] == {"total": 5, "completed": 4, "failed": 1}
    rows = [json.loads(line) for line in (out / "output.jsonl").read_text().splitlines()]
    assert sorted(row["custom_id"] for row in rows) == sorted(set(prompts) - {"S-err"})
    for row in rows:
        content = row["response"]["body"]["choices"][0]["message"]["content"]
        assert prompts[row["custom_id"]] in content

    # Three batches (and the slow one), one per page: walked with the SDK's pager.
    assert len(report["pages"]) >= 3 and all(len(page) == 1 for page in report["pages"][:-1])
    assert [item for page in report["pages"] for item in page] == report["auto_paged"]
    assert batch["id"] in report["auto_paged"] and len(set(report["auto_paged"])) == 3

    assert report["cancel"]["answer"] in ("cancelling", "cancelled")
    assert report["cancel"]["next_get"] in ("cancelling", "cancelled")
    assert report["cancel"]["final"] == "cancelled"
    assert report["delete"] == {"deleted": True, "next_get": 404}

    # batchtui finds the SDK's batch and downloads the very same bytes.
    added = cli("profile", "add", "sim", "--kind", "openai", "--base-url", sim.url,
                "--api-key-env", KEY_ENV)  # fmt: skip
    assert added.code == 0, added.stderr
    assert cli("sync", "--profile", "sim").code == 0
    downloaded = cli("download", batch["id"], "-o", str(tmp_path / "batchtui"))
    assert downloaded.code == 0, downloaded.stderr
    ours = tmp_path / "batchtui"
    assert (ours / "output.jsonl").read_bytes() == (out / "output.jsonl").read_bytes()
    assert (ours / "errors.jsonl").read_bytes() == (out / "errors.jsonl").read_bytes()
