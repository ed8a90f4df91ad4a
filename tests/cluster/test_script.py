"""The sbatch script: what the README shows is what batchtui writes, it is valid bash, and
nothing a user names can step out of its comment line."""

from __future__ import annotations

import subprocess
from pathlib import Path

from batchtui.core.providers.slurm import script
from batchtui.core.providers.slurm.folder import JobFolder
from batchtui.core.providers.slurm.settings import SlurmSettings

README = Path(__file__).resolve().parents[2] / "README.md"
FOLDER = JobFolder(Path("/scratch/alice/batchtui/batchtui-jobs/20261206-101500-3fa2c1"))
TAG = "0b8e5f0e-8c5d-4f7e-9a51-2d7f3c9e1a44"
# The profile of the README's cluster section.
SETTINGS = SlurmSettings(
    work_dir=Path("/scratch/alice/batchtui"),
    model="/models/Qwen2.5-7B-Instruct",
    served_model_name="qwen-7b",
    partition="gpu",
    account="proj42",
    gres="gpu:1",
    time="04:00:00",
    cpus=8,
    mem="32G",
    lines_per_run=5000,
    setup="module load cuda/12.4; source ~/vllm/bin/activate",
    vllm_args=("--max-model-len", "8192"),
)


def _readme_script() -> str:
    text = README.read_text()
    start = text.index("## On a SLURM cluster")
    begin = text.index("```bash\n", start) + len("```bash\n")
    return text[begin : text.index("```\n", begin)]


def test_the_readme_shows_the_script_batchtui_writes() -> None:
    rendered = script.render(SETTINGS, FOLDER, name="reviews.jsonl", tag=TAG, tasks=1)
    assert _readme_script() == rendered


def test_the_script_is_valid_bash_for_a_job_and_for_an_array(tmp_path: Path) -> None:
    for tasks in (1, 3):
        path = tmp_path / f"job-{tasks}.sbatch"
        path.write_text(script.render(SETTINGS, FOLDER, name="n", tag=TAG, tasks=tasks))
        checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    assert "#SBATCH --array=0-2" in path.read_text()
    assert "log/task-%a.log" in path.read_text()


def test_a_job_name_cannot_add_lines_to_the_script() -> None:
    hostile = "x\nrm -rf ~ #\r\x1b[2J"
    text = script.render(SETTINGS, FOLDER, name=hostile, tag=TAG, tasks=1)
    assert not any(line.startswith("rm ") for line in text.splitlines())
    assert "\x1b" not in text and "\r" not in text
    assert script.job_name(hostile).startswith("batchtui-x_rm")
