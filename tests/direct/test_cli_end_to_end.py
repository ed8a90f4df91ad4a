"""A 1,000-line file through a direct profile under 30% faults, with the real command:
every custom_id answered once, seen by results and export like any batch's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from batchtui.core.providers.http import RetryPolicy
from helpers.cli import CLI

from .conftest import answers, chat_line, folder_of, submit, write_input

# 30% of realtime requests fail: 429 (Retry-After 1), 500, and connections reset after
# the answer was computed (so the server did the work but the client never saw it).
FAULTS = "realtime:429=0.1,realtime:500=0.1112,realtime:reset=0.125"


@pytest.mark.slow
def test_thousand_lines_under_faults_end_with_one_answer_each(
    cli: CLI, direct_profile: Callable[..., str], start_simulator, tmp_path: Path
):
    sim = start_simulator(faults=FAULTS, seed=7)
    direct_profile(sim.url, "--concurrency", "16")
    path = write_input(tmp_path / "in.jsonl", 998)
    with path.open("a") as lines:  # a line the server always fails, and one it refuses
        lines.write(chat_line("r998", "this one breaks [sim:error=500]") + "\n")
        lines.write(chat_line("r999", "this one is refused [sim:error=400]") + "\n")

    job = submit(cli, path)
    assert job["status"] == "in_progress"
    watched = cli("watch", job["id"], "--interval", "0.5", timeout=300)
    assert watched.code == 0, watched.stderr

    seen = answers(folder_of(job))
    assert set(seen) == {f"r{n}" for n in range(1000)}
    assert set(seen.values()) == {1}
    arrivals = sim.server.realtime.arrival_times()
    assert len(arrivals) > 1000  # the faults were met and retried
    status = cli("status", job["id"], "--json").json()
    assert status["status"] == "completed"
    assert status["request_counts"]["completed"] + status["request_counts"]["failed"] == 1000

    records = cli("results", job["id"], "--json")
    assert records.code == 0, records.stderr
    rows = records.json_lines()
    assert sorted(row["custom_id"] for row in rows) == sorted(f"r{n}" for n in range(1000))
    ok = [row for row in rows if row["ok"]]
    assert len(ok) == 998
    assert all(row["text"].startswith("Simulated answer to: question") for row in ok)
    failed = {row["custom_id"]: row for row in rows if not row["ok"]}
    assert failed["r998"]["status_code"] == 500  # after the HTTP policy's attempts
    assert failed["r999"]["status_code"] == 400  # at once: the server refused the line
    breaking = [a for a in sim.server.realtime.snapshot() if "breaks" in json.dumps(a.body)]
    assert len(breaking) >= RetryPolicy().attempts

    export = tmp_path / "export.jsonl"
    exported = cli("export", job["id"], "-o", str(export), "--join-input")
    assert exported.code == 0, exported.stderr
    exported_rows = [json.loads(line) for line in export.read_text().splitlines()]
    assert len(exported_rows) == 1000
    assert len({row["custom_id"] for row in exported_rows}) == 1000
