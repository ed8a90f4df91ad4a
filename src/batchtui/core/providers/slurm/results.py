"""A job's answers: the complete lines its runs wrote, split into output and error files.

vLLM writes a run's answers when the run ends, one JSON line each, in input order. A run cut
short may leave a file ending in a torn line: complete lines are kept, the torn one dropped,
and only complete lines count as answered. `vllm run-batch` exits 0 even when its engine
died, writing every request as a 500 `EngineCore encountered an issue`: `ResultSummary`
says so, so the job is reported failed rather than completed.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from batchtui.core.providers.slurm.folder import JobFolder, run_output, run_partial

ENGINE_DEAD_MARK = "EngineCore encountered an issue"


def complete_lines(path: Path) -> Iterator[bytes]:
    """The file's lines that end in a newline (without it); a torn last line is dropped."""
    try:
        handle = path.open("rb")
    except OSError:
        return
    with handle:
        for line in handle:
            if line.endswith(b"\n"):
                stripped = line.rstrip(b"\r\n")
                if stripped.strip():
                    yield stripped


def answered_lines(folder: JobFolder, task: int) -> Iterator[bytes]:
    """A shard's answers so far, in input order: whole runs, then a cut-short run's prefix."""
    for run in folder.run_inputs(task):
        finished = run_output(run)
        if finished.exists():
            yield from complete_lines(finished)
            continue
        yield from complete_lines(run_partial(run))
        return


def is_error_line(line: bytes) -> bool:
    """An error answer: an `error` object, a status_code >= 400, or not an answer at all."""
    try:
        data = json.loads(line)
    except ValueError:
        return True
    if not isinstance(data, dict):
        return True
    if data.get("error"):
        return True
    response = data.get("response")
    status = response.get("status_code") if isinstance(response, dict) else None
    return not isinstance(status, int) or status >= 400


@dataclass
class ResultSummary:
    ok: int = 0
    failed: int = 0
    engine_dead: int = 0  # error lines saying vLLM's engine had died

    @property
    def answered(self) -> int:
        return self.ok + self.failed

    @property
    def engine_died(self) -> bool:
        """Every answer is the engine's 500: vLLM ran but answered nothing."""
        return self.answered > 0 and self.engine_dead == self.answered


def count_answers(folder: JobFolder, tasks: int) -> ResultSummary:
    summary = ResultSummary()
    for task in range(tasks):
        for line in answered_lines(folder, task):
            _count(summary, line)
    return summary


def _count(summary: ResultSummary, line: bytes) -> bool:
    if is_error_line(line):
        summary.failed += 1
        if ENGINE_DEAD_MARK.encode() in line:
            summary.engine_dead += 1
        return False
    summary.ok += 1
    return True


def write_result_files(folder: JobFolder, tasks: int) -> ResultSummary:
    """output.jsonl and errors.jsonl from every shard's answers, each renamed into place whole."""
    summary = ResultSummary()
    suffix = secrets.token_hex(3)
    output_part = folder.output.with_name(f".{folder.output.name}.{suffix}")
    errors_part = folder.errors.with_name(f".{folder.errors.name}.{suffix}")
    with output_part.open("wb") as output, errors_part.open("wb") as errors:
        for task in range(tasks):
            for line in answered_lines(folder, task):
                target = output if _count(summary, line) else errors
                target.write(line + b"\n")
    os.replace(output_part, folder.output)
    os.replace(errors_part, folder.errors)
    return summary
