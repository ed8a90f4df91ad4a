"""Google's SDK (google-genai) drives the simulator's Gemini API through its own workflow."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from batchtui.simulator import SimulatorHandle

from .conftest import API_KEY, CLI

MODEL = "gemini-2.5-flash"


def write_gemini_lines(path: Path, prompts: dict[str, str]) -> Path:
    lines = [
        {"key": key, "request": {"contents": [{"role": "user", "parts": [{"text": text}]}]}}
        for key, text in prompts.items()
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_the_gemini_sdk_workflow_end_to_end(
    run_sdk: Callable[..., dict[str, Any]],
    start_simulator: Callable[..., SimulatorHandle],
    cli: CLI,
    tmp_path: Path,
) -> None:
    sim = start_simulator(api_key=API_KEY, phase_seconds=0.1, speed=50.0)
    prompts = {f"G-{n}": f"Gemini question {n}" for n in range(4)} | {"G-err": "[sim:error] no"}
    inline = ["Inline one", "Inline two [sim:error]", "Inline three"]
    slow = {f"L-{n}": f"slow {n}" for n in range(500)}
    out = tmp_path / "sdk"
    out.mkdir()
    report = run_sdk(
        "gemini_workflow",
        root_url=sim.root_url,
        api_key=API_KEY,
        model=MODEL,
        input=write_gemini_lines(tmp_path / "in.jsonl", prompts),
        slow_input=write_gemini_lines(tmp_path / "slow.jsonl", slow),
        inline=inline,
        out_dir=out,
    )

    file_batch = report["file_batch"]
    assert file_batch["state"] == "JOB_STATE_SUCCEEDED"
    assert file_batch["display_name"] == "sdk-file" and file_batch["dest_file"]
    lines = (out / "output.jsonl").read_text().splitlines()
    rows = {row["key"]: row for row in map(json.loads, lines)}
    assert set(rows) == set(prompts)
    for key, text in prompts.items():
        if key == "G-err":
            assert "error" in rows[key] or "status" in rows[key], rows[key]
        else:
            parts = rows[key]["response"]["candidates"][0]["content"]["parts"]
            assert text in "".join(part["text"] for part in parts)

    inline_batch = report["inline_batch"]
    assert inline_batch["state"] == "JOB_STATE_SUCCEEDED"
    answers, errors = inline_batch["answers"], inline_batch["errors"]
    assert "Inline one" in answers[0] and "Inline three" in answers[2]
    assert answers[1] is None and errors[1]

    assert len(report["pages"]) >= 3 and all(len(page) == 1 for page in report["pages"][:-1])
    assert [name for page in report["pages"] for name in page] == report["auto_paged"]
    assert len(set(report["auto_paged"])) == 3
    # Gemini has no CANCELLING: the state stays until CANCELLED (providers.md §4.6).
    assert report["cancel"]["next_get"] in (
        "JOB_STATE_PENDING",
        "JOB_STATE_RUNNING",
        "JOB_STATE_CANCELLED",
    )
    assert report["cancel"]["final"] == "JOB_STATE_CANCELLED"
    assert report["delete"] == {"next_get": 404}

    added = cli("profile", "add", "gm", "--kind", "gemini", "--base-url", sim.root_url,
                "--api-key-env", "BATCHTUI_TEST_KEY")  # fmt: skip
    assert added.code == 0, added.stderr
    assert cli("sync", "--profile", "gm").code == 0
    downloaded = cli("download", file_batch["name"], "-o", str(tmp_path / "batchtui"))
    assert downloaded.code == 0, downloaded.stderr
    ours = tmp_path / "batchtui" / "output.jsonl"
    assert ours.read_bytes() == (out / "output.jsonl").read_bytes()
