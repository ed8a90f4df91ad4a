"""Real `vllm run-batch` jobs on the real cluster, from submit to results, through the CLI."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from batchtui.cli.json_shapes import SHAPES
from cluster.bed import Bed, chat_lines, read_jsonl, terminal
from realparts.vllm import tiny_model

pytestmark = [pytest.mark.xdist_group("cluster"), pytest.mark.slow]


def test_a_file_split_into_an_array_runs_to_completed_with_progress_on_the_way(
    bed: Bed, tmp_path: Path
) -> None:
    profile = bed.add_profile("cluster", "--max-lines-per-job", "7")
    source = tmp_path / "in.jsonl"
    # Longer answers further down, so answers arrive over a while, not all at once.
    source.write_text(chat_lines(20, max_tokens=lambda n: 16 + 24 * n))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")["id"]

    seen: list[dict] = []
    final = bed.wait(job, terminal, seen=seen)

    assert final["status"] == "completed", final
    assert final["request_counts"] == {"total": 20, "completed": 20, "failed": 0}
    assert final["raw_status"] == "COMPLETED 3"  # three array tasks
    progress = {s["request_counts"]["completed"] for s in seen if s["status"] == "in_progress"}
    assert any(0 < done < 20 for done in progress), progress
    script = Path(final["metadata"]["slurm_job_folder"]) / "job.sbatch"
    assert "#SBATCH --array=0-2" in script.read_text()
    assert "#SBATCH --gres=gpu:1" in script.read_text()

    logs = bed.ok("logs", job, "--json")
    jsonschema.validate(logs, SHAPES["logs"])
    assert logs["script"] == str(script)
    assert len(logs["logs"]) == 3  # one per array task
    assert all(any("Running batch" in line for line in log["tail"]) for log in logs["logs"])
    assert "Running batch" in bed.ok("logs", job, "--follow")  # ended: prints and returns

    out = tmp_path / "results"
    bed.ok("download", job, "-o", str(out))
    answers = {row["custom_id"]: row for row in read_jsonl(out / "output.jsonl")}
    assert sorted(answers) == sorted(f"req-{n}" for n in range(20))
    for row in answers.values():
        assert row["response"]["status_code"] == 200
        assert row["response"]["body"]["choices"][0]["message"]["content"]


def test_a_job_cut_off_by_its_time_limit_keeps_its_answers_and_retries_only_the_rest(
    bed: Bed, tmp_path: Path
) -> None:
    # Runs of 120 lines: the first (short answers) ends well before the limit; the second
    # (long answers, one at a time) is still generating when SLURM ends the job. A two
    # minute limit, not one: vLLM's start alone takes a minute on a loaded 2-core machine.
    base = ("--time", "2", "--lines-per-run", "120", "--vllm-arg=--max-num-seqs=1")
    profile = bed.add_profile("cluster", *base)
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(160, max_tokens=lambda n: 8 if n < 120 else 1500))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")["id"]

    final = bed.wait(job, terminal)

    assert final["status"] == "expired", final
    assert final["raw_status"] == "TIMEOUT"
    answered = final["request_counts"]["completed"]
    assert 120 <= answered < 160, final
    out = tmp_path / "parent"
    bed.ok("download", job, "-o", str(out))
    kept = [row["custom_id"] for row in read_jsonl(out / "output.jsonl")]
    assert kept == [f"req-{n}" for n in range(answered)]  # an in-order prefix of real answers

    # The user raises the limit, then retries: the child runs exactly the unanswered lines.
    bed.add_profile(profile, "--replace", "--time", "10")
    plans = bed.ok("retry", job, "--json")
    child = plans[0]["child"]["id"]
    retried = [row["custom_id"] for row in read_jsonl(Path(plans[0]["retry_input"]))]
    assert retried == [f"req-{n}" for n in range(answered, 160)]
    done = bed.wait(child, terminal)
    assert done["status"] == "completed", done
    assert done["request_counts"]["completed"] == 160 - answered

    merged = tmp_path / "merged.jsonl"
    bed.ok("export", job, "--format", "jsonl", "-o", str(merged))
    ids = [row["custom_id"] for row in read_jsonl(merged)]
    assert sorted(ids) == sorted(f"req-{n}" for n in range(160))


def test_a_job_cancelled_while_running_ends_cancelled(bed: Bed, tmp_path: Path) -> None:
    profile = bed.add_profile("cluster")
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(5))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")["id"]
    bed.wait(job, lambda status: status["status"] == "in_progress")

    bed.ok("cancel", job)
    final = bed.wait(job, terminal, deadline=120)

    assert final["status"] == "cancelled", final
    assert final["raw_status"] == "CANCELLED"


def test_an_engine_that_dies_fails_the_job_with_its_cause(bed: Bed, tmp_path: Path) -> None:
    # vLLM's CPU attention refuses a head size of 16: the engine dies at the first step,
    # `vllm run-batch` still exits 0 and writes every request as a 500.
    profile = bed.add_profile("cluster", model=tiny_model(head_dim=16))
    source = tmp_path / "in.jsonl"
    source.write_text(chat_lines(4))
    job = bed.ok("submit", str(source), "--profile", profile, "--json")["id"]

    final = bed.wait(job, terminal)

    assert final["status"] == "failed", final
    assert final["raw_status"] == "COMPLETED"  # what SLURM says: the script exited 0
    message = final["errors"][0]["message"]
    assert "vLLM's engine failed" in message
    assert "head_dim=16" in message
