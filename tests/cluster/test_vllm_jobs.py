"""Real `vllm run-batch` jobs on the real cluster, from submit to results, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster.bed import Bed, chat_lines, read_jsonl, terminal

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

    out = tmp_path / "results"
    bed.ok("download", job, "-o", str(out))
    answers = {row["custom_id"]: row for row in read_jsonl(out / "output.jsonl")}
    assert sorted(answers) == sorted(f"req-{n}" for n in range(20))
    for row in answers.values():
        assert row["response"]["status_code"] == 200
        assert row["response"]["body"]["choices"][0]["message"]["content"]
