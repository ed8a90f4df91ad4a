"""Google's SDKs drive the simulator's Vertex AI and Cloud Storage through a batch workflow."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from batchtui.simulator import SimulatorHandle

from .conftest import CLI

MODEL = "gemini-2.5-flash"
PROJECT = "batchtui-sim"
BUCKET = "batchtui-sim-bucket"


def write_vertex_lines(path: Path, prompts: dict[str, str]) -> Path:
    lines = [
        {"key": key, "request": {"contents": [{"role": "user", "parts": [{"text": text}]}]}}
        for key, text in prompts.items()
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_the_vertex_sdk_workflow_end_to_end(
    run_sdk: Callable[..., dict[str, Any]],
    start_simulator: Callable[..., SimulatorHandle],
    cli: CLI,
    tmp_path: Path,
) -> None:
    sim = start_simulator(phase_seconds=0.1, speed=50.0, gcp_project=PROJECT)
    prompts = {f"V-{n}": f"Vertex question {n}" for n in range(4)} | {"V-err": "[sim:error] no"}
    slow = {f"L-{n}": f"slow {n}" for n in range(300)}
    out = tmp_path / "sdk"
    out.mkdir()
    report = run_sdk(
        "vertex_workflow",
        root_url=sim.root_url,
        credentials=sim.google_credentials(),
        project=PROJECT,
        bucket=BUCKET,
        model=MODEL,
        input=write_vertex_lines(tmp_path / "in.jsonl", prompts),
        slow_input=write_vertex_lines(tmp_path / "slow.jsonl", slow),
        out_dir=out,
    )

    batch = report["batch"]
    assert batch["state"] in ("JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED")
    assert batch["dest"].startswith(f"gs://{BUCKET}/sdk/out/")
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert sorted(row["key"] for row in rows) == sorted(prompts)
    for row in rows:
        if row["key"] != "V-err":
            parts = row["response"]["candidates"][0]["content"]["parts"]
            assert prompts[row["key"]] in "".join(part["text"] for part in parts)

    assert len(report["pages"]) >= 3 and all(len(page) == 1 for page in report["pages"][:-1])
    assert [name for page in report["pages"] for name in page] == report["auto_paged"]
    assert len(set(report["auto_paged"])) == 3
    assert report["cancel"]["next_get"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
    assert report["cancel"]["final"] == "JOB_STATE_CANCELLED"
    assert report["delete"] == {"next_get": 404}

    added = cli(
        "profile", "add", "vx", "--kind", "vertex",
        "--base-url", sim.root_url, "--storage-url", sim.root_url,
        "--project", PROJECT, "--location", "us-central1", "--bucket", BUCKET,
        "--credentials", str(sim.google_credentials()), "--timeout", "10",
    )  # fmt: skip
    assert added.code == 0, added.stderr
    assert cli("sync", "--profile", "vx").code == 0
    adopted = cli("jobs", "--json").json()
    [job] = [j for j in adopted if j["remote_id"].endswith(batch["name"].rsplit("/", 1)[-1])]
    downloaded = cli("download", job["id"], "-o", str(tmp_path / "batchtui"))
    assert downloaded.code == 0, downloaded.stderr
    ours = tmp_path / "batchtui" / "output.jsonl"
    assert ours.read_bytes() == (out / "predictions.jsonl").read_bytes()
