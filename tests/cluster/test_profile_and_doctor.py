"""A slurm profile through `profile add`/`show`, and what `doctor` says of it (no cluster)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers.cli import Run, run_batchtui


def _cli(tmp_path: Path, *args: str, path: str | None = None) -> Run:
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": ""}
    if path is not None:
        env["PATH"] = path
    return run_batchtui(args, cwd=tmp_path, env=env, timeout=60)


def test_a_slurm_profile_keeps_its_flags_and_doctor_checks_the_commands(tmp_path: Path) -> None:
    added = _cli(
        tmp_path,
        *("profile", "add", "hpc", "--kind", "slurm", "--work-dir", "/scratch/me/bt"),
        *("--model", "/models/m", "--gres", "gpu:1", "--time", "04:00:00", "--cpus", "8"),
        *("--max-lines-per-job", "1000", "--setup", "module load cuda"),
        *("--vllm-arg=--max-model-len", "--vllm-arg=8192", "--sbatch-arg=--constraint=a100"),
    )
    assert added.code == 0, added.stderr
    shown = _cli(tmp_path, "profile", "show", "hpc").stdout
    assert "work_dir" in shown and "/scratch/me/bt" in shown
    assert "['--max-model-len', '8192']" in shown

    bare = str(Path(os.__file__).parent)  # a PATH with no SLURM commands on it
    doctor = _cli(tmp_path, "doctor", "--json", path=bare)
    assert doctor.code == 0, doctor.stderr
    (finding,) = [f for f in json.loads(doctor.stdout) if f["name"] == "hpc"]
    assert "not on PATH" in finding["value"] and "sbatch" in finding["value"]


def test_a_slurm_flag_on_another_kind_is_refused_in_one_line(tmp_path: Path) -> None:
    refused = _cli(tmp_path, "profile", "add", "p", "--kind", "openai", "--gres", "gpu:1")
    assert refused.code != 0
    assert refused.stderr.count("\n") == 1
    assert "--gres is for profiles of kind slurm" in refused.stderr
