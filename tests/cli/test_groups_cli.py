"""120,000 dataset rows to one job group of three shards, followed through the CLI.

The real 50,000-request limit is kept, so these run a few seconds: marked slow.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from .conftest import CLI

pytestmark = pytest.mark.slow


def write_rows(path: Path, count: int) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([f"r{n}", f"review {n}"] for n in range(count))
    return path


def compose(cli: CLI, dataset: Path) -> Path:
    done = cli(
        "compose", str(dataset), "--template", "Label: {text}", "--model", "gpt-4o-mini",
        "--id-column", "id", "--max-tokens", "3",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert "job group of 3 shards of about 40,000 requests" in done.stdout
    return dataset.with_name(f"{dataset.stem}.requests.jsonl")


def test_120k_rows_become_a_group_of_three_shards_and_read_as_one(
    cli: CLI, sim_profile, start_simulator, tmp_path: Path
) -> None:
    simulator = start_simulator(speed=10_000_000, phase_seconds=0.05)
    sim_profile(simulator.url)
    requests = compose(cli, write_rows(tmp_path / "reviews.csv", 120_000))

    submitted = cli("submit", str(requests), "--json", timeout=120)
    assert submitted.code == 0, submitted.stderr
    group = submitted.json()
    assert group["type"] == "group" and group["id"].startswith("bg-")
    assert group["shard_count"] == 3 and group["input_lines"] == 120_000
    assert [shard["shard_index"] for shard in group["shards"]] == [1, 2, 3]
    assert all(shard["remote_id"] and shard["group_id"] == group["id"] for shard in group["shards"])
    assert (
        sum(shard["estimated_input_tokens"] for shard in group["shards"])
        == (group["estimated_input_tokens"])
    )
    assert "split: over OpenAI's limits" in submitted.stderr

    table = cli("jobs").stdout.splitlines()
    assert len(table) == 2 and table[1].startswith(group["id"])  # one row for the group
    [listed] = cli("jobs", "--json").json()
    assert listed["id"] == group["id"] and len(listed["shards"]) == 3

    watched = cli("watch", group["id"], "--interval", "0.2", timeout=120)
    assert watched.code == 0, watched.stderr
    status = cli("status", group["id"])
    assert status.stdout.splitlines()[0].split()[1] == "completed"  # piped: no glyph
    assert "120000/120000" in status.stdout

    downloaded = cli("download", group["id"], "-o", "out", timeout=120)
    assert downloaded.code == 0, downloaded.stderr
    outputs = sorted((tmp_path / "out").glob("*/output.jsonl"))
    assert [path.parent.name for path in outputs] == ["shard-01", "shard-02", "shard-03"]
    ids = [json.loads(line)["custom_id"] for path in outputs for line in path.open("rb")]
    assert len(ids) == len(set(ids)) == 120_000
    # `results` reads the group as one file: shard 1's first records come first.
    head = cli("results", group["id"][:5], "--head", "2", "--json").json_lines()
    assert [record["custom_id"] for record in head] == ["r0", "r1"]
    nothing = cli("cancel", group["id"])
    assert nothing.code == 1 and "no running shard" in nothing.one_error_line()


def test_a_shard_failing_midway_is_one_clear_line_and_every_shard_stays_tracked(
    cli: CLI, sim_profile, start_simulator, tmp_path: Path
) -> None:
    # Seed 174 draws 0.8, then 0.44, 0.02, 0.36, 0.23, 0.24 for the creates: shard 1 is
    # created, shard 2 gets a 500 on each of its 5 attempts.
    simulator = start_simulator(faults="create:500=0.5", seed=174, phase_seconds=30)
    sim_profile(simulator.url)
    requests = tmp_path / "many.jsonl"
    with requests.open("w") as handle:
        for n in range(50_001):
            handle.write(
                f'{{"custom_id":"r{n}","method":"POST","url":"/v1/chat/completions",'
                f'"body":{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"q{n}"}}]}}}}\n'
            )

    failed = cli("submit", str(requests), timeout=120)

    assert failed.code == 1
    # The estimate came first (before anything was sent), then one line for the failure.
    assert failed.stderr.startswith("batchtui: estimate: ")
    [error] = [line for line in failed.stderr.splitlines() if "error" in line]
    assert error == failed.stderr.splitlines()[-1]
    assert "shard 2 of 2 failed: create batch: " in error
    assert "shard 1 submitted and running" in error and "submit again" not in error
    [group] = cli("jobs", "--json").json()
    first, second = group["shards"]
    assert first["remote_id"] and first["status"] == "validating"
    assert second["status"] == "not_submitted" and "500" in second["last_error"]
    assert group["status"] == "validating"
    shown = cli("status", group["id"]).stdout
    assert " not_submitted " in shown and "✗" not in shown and "shard 2:" in shown

    cancelled = cli("cancel", group["id"])
    assert cancelled.code == 0, cancelled.stderr
    assert cancelled.stdout.startswith(f"cancel requested for {first['id']} (shard 1 of")
