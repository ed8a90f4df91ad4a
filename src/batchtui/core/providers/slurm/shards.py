"""Cutting a job's input into shards (array tasks) and runs (one `vllm run-batch` each)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from batchtui.core.providers.slurm.folder import JobFolder


def write_runs(
    folder: JobFolder, *, max_lines_per_job: int | None, lines_per_run: int | None
) -> list[int]:
    """Write `shard-N/in-NNNN.jsonl` files from the input; returns each shard's line count.

    Blank lines are dropped (vLLM skips them too, and they are no request). The whole input
    as one run of one shard is a link to it, not a copy.
    """
    total = _count_lines(folder.input)
    if not max_lines_per_job and not lines_per_run:
        shard = folder.shard_dir(0)
        shard.mkdir(exist_ok=True)
        run = shard / "in-0000.jsonl"
        if not run.exists():
            run.symlink_to(Path("..") / folder.input.name)
        return [total]
    per_shard = max_lines_per_job or max(total, 1)
    per_run = min(lines_per_run or per_shard, per_shard)
    shard_lines: list[int] = []
    writer: BinaryIO | None = None
    in_shard = in_run = run_index = 0
    try:
        with folder.input.open("rb") as reader:
            for line in reader:
                if not line.strip():
                    continue
                if writer is None or in_run == per_run or in_shard == per_shard:
                    if writer is not None:
                        writer.close()
                    if not shard_lines or in_shard == per_shard:
                        shard_lines.append(0)
                        in_shard = run_index = 0
                        folder.shard_dir(len(shard_lines) - 1).mkdir(exist_ok=True)
                    shard = folder.shard_dir(len(shard_lines) - 1)
                    writer = (shard / f"in-{run_index:04d}.jsonl").open("wb")
                    run_index += 1
                    in_run = 0
                writer.write(line if line.endswith(b"\n") else line + b"\n")
                in_run += 1
                in_shard += 1
                shard_lines[-1] += 1
    finally:
        if writer is not None:
            writer.close()
    return shard_lines or [0]


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
