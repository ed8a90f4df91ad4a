"""The SLURM output parsers and the result/log readers, on output captured from the test cluster
(tests/data/slurm) and vLLM's own lines; no cluster needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batchtui.core.providers.slurm.folder import JobFolder
from batchtui.core.providers.slurm.logs import (
    current_run_progress,
    engine_failure_cause,
)
from batchtui.core.providers.slurm.queue import (
    parse_sacct,
    parse_scontrol,
    parse_squeue,
)
from batchtui.core.providers.slurm.results import (
    answered_lines,
    count_answers,
    write_result_files,
)
from batchtui.core.providers.slurm.shards import write_runs
from batchtui.core.providers.slurm.states import combine, map_state
from batchtui.core.status import JobStatus

DATA = Path(__file__).resolve().parents[1] / "data" / "slurm"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_squeue_gives_each_array_task_its_state_reason_and_comment() -> None:
    tasks = parse_squeue(read("squeue-mixed.txt"))
    by_key = {(task.job_id, task.task): task for task in tasks}
    assert set(by_key) == {("2", 0), ("2", 1), ("2", 2), ("3", None), ("4", None), ("1", None)}
    assert by_key[("2", 1)].state == "PENDING"
    assert by_key[("2", 1)].reason == "Resources"
    assert by_key[("2", 1)].comment == "batchtui:tag|2"  # the separator inside the comment
    assert by_key[("3", None)].reason == "Priority"
    assert by_key[("3", None)].comment is None  # `(null)`
    running = by_key[("1", None)]
    assert running.state == "RUNNING" and running.reason is None
    assert running.started_at == datetime(2026, 12, 6, 0, 37, 34, tzinfo=UTC)
    assert parse_squeue(read("squeue-empty.txt")) == []


@pytest.mark.parametrize(
    ("name", "state", "status", "exit_code"),
    [
        ("scontrol-running.txt", "RUNNING", JobStatus.IN_PROGRESS, 0),
        ("scontrol-cancelled.txt", "CANCELLED", JobStatus.CANCELLED, 143),
        ("scontrol-timeout.txt", "TIMEOUT", JobStatus.EXPIRED, 143),
        ("scontrol-failed.txt", "FAILED", JobStatus.FAILED, 3),
    ],
)
def test_scontrol_states_map_as_the_kind_promises(
    name: str, state: str, status: JobStatus, exit_code: int
) -> None:
    (task,) = parse_scontrol(read(name))
    assert task.state == state
    assert map_state(task.state) is status
    assert task.exit_code == exit_code


def test_scontrol_of_an_array_names_every_task_under_the_array_id() -> None:
    tasks = parse_scontrol(read("scontrol-array-done.txt"))
    assert sorted((task.job_id, task.task, task.state) for task in tasks) == [
        ("2", 0, "COMPLETED"),
        ("2", 1, "COMPLETED"),
        ("2", 2, "COMPLETED"),
    ]
    pending = parse_scontrol(read("scontrol-array-pending.txt"))
    assert pending[0].state == "PENDING"
    assert pending[0].ended_at is None  # `Unknown`
    assert parse_scontrol("slurm_load_jobs error: Invalid job id specified\n") == []


def test_sacct_states_exit_codes_and_array_tasks() -> None:
    ended = {(task.job_id, task.task): task for task in parse_sacct(read("sacct-ended.txt"))}
    assert map_state(ended[("1", None)].state) is JobStatus.CANCELLED  # `CANCELLED by 0`
    assert map_state(ended[("3", None)].state) is JobStatus.EXPIRED
    assert ended[("4", None)].exit_code == 3
    assert [ended[("2", n)].state for n in range(3)] == ["COMPLETED"] * 3
    # Steps (`2_0.batch`) and a pending range (`2_[0-2]`) are no tasks of their own.
    steps = parse_sacct(read("sacct-with-steps.txt"))
    assert [(task.job_id, task.task) for task in steps] == [("2", 0), ("2", 1), ("2", 2)]
    live = parse_sacct(read("sacct-live.txt"))
    assert [task.job_id for task in live] == ["1", "3", "4"]


def test_array_tasks_add_up_to_one_status() -> None:
    assert combine([JobStatus.COMPLETED, JobStatus.IN_PROGRESS]) is JobStatus.IN_PROGRESS
    assert combine([JobStatus.COMPLETED, JobStatus.EXPIRED]) is JobStatus.EXPIRED
    assert combine([JobStatus.COMPLETED, JobStatus.FAILED]) is JobStatus.FAILED
    assert combine([JobStatus.COMPLETED] * 3) is JobStatus.COMPLETED
    assert map_state("SOMETHING_NEW") is JobStatus.IN_PROGRESS  # never a false ending


def _answer(custom_id: str, status: int = 200, error: object = None) -> bytes:
    body = {"choices": [{"message": {"content": "hi"}}]} if status < 400 else None
    line = {
        "id": "vllm-1",
        "custom_id": custom_id,
        "response": {"status_code": status, "request_id": "r", "body": body},
        "error": error,
    }
    return json.dumps(line).encode()


def _folder(tmp_path: Path, lines: int, **sizes: int | None) -> JobFolder:
    folder = JobFolder(tmp_path / "job")
    folder.path.mkdir()
    folder.input.write_text("".join(f'{{"custom_id": "req-{n}"}}\n' for n in range(lines)))
    write_runs(folder, max_lines_per_job=sizes.get("shard"), lines_per_run=sizes.get("run"))
    return folder


def test_a_torn_last_line_is_dropped_and_answers_stop_at_the_first_unfinished_run(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, 6, run=2)
    shard = folder.shard_dir(0)
    (shard / "out-0000.jsonl").write_bytes(_answer("req-0") + b"\n" + _answer("req-1") + b"\n")
    # vLLM killed while writing run 2: one whole line, one torn.
    (shard / "out-0001.part").write_bytes(_answer("req-2") + b"\n" + _answer("req-3")[:40])
    (shard / "out-0002.jsonl").write_bytes(_answer("req-4") + b"\n")  # not reached: ignored

    ids = [json.loads(line)["custom_id"] for line in answered_lines(folder, 0)]

    assert ids == ["req-0", "req-1", "req-2"]
    assert count_answers(folder, 1).answered == 3


def test_results_split_into_output_and_errors_and_an_engine_death_is_seen(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path, 4)
    dead = {"error": {"message": "EngineCore encountered an issue. See stack trace", "code": 500}}
    answers = [
        _answer("req-0"),
        _answer("req-1", 400, {"error": {"message": "bad"}}),
        _answer("req-2", 200, "an error even with 200"),
        _answer("req-3", 500, dead),
    ]
    (folder.shard_dir(0) / "out-0000.jsonl").write_bytes(b"\n".join(answers) + b"\n")

    summary = write_result_files(folder, 1)

    assert (summary.ok, summary.failed, summary.engine_died) == (1, 3, False)
    assert [json.loads(x)["custom_id"] for x in folder.output.read_text().splitlines()] == ["req-0"]
    assert len(folder.errors.read_text().splitlines()) == 3
    (folder.shard_dir(0) / "out-0000.jsonl").write_bytes(_answer("req-0", 500, dead) + b"\n")
    assert count_answers(folder, 1).engine_died


def test_shards_and_runs_cover_the_input_once_in_order(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 20, shard=7, run=3)
    runs = [[path.name for path in folder.run_inputs(task)] for task in range(3)]
    assert runs == [
        ["in-0000.jsonl", "in-0001.jsonl", "in-0002.jsonl"],
        ["in-0000.jsonl", "in-0001.jsonl", "in-0002.jsonl"],
        ["in-0000.jsonl", "in-0001.jsonl"],
    ]
    lines = [
        json.loads(line)["custom_id"]
        for task in range(3)
        for path in folder.run_inputs(task)
        for line in path.read_text().splitlines()
    ]
    assert lines == [f"req-{n}" for n in range(20)]


VLLM_LOG = """\
(MainProcess pid=1) INFO 12-06 00:30:54 [run_batch.py:828] Reading batch from in.jsonl...
batchtui: run 0001.jsonl starting at 2026-12-06T00:30:50Z
Running batch:   0% Completed | 0/20 [00:00<?, ?req/s]\r
Running batch:  45% Completed | 9/20 [00:05<00:06, 1.6req/s]\r
(EngineCore pid=2) ERROR 12-06 00:31:53 [core.py:1512] EngineCore encountered a fatal error.
(EngineCore pid=2) ERROR 12-06 00:31:53 [core.py:1512] Traceback (most recent call last):
(EngineCore pid=2) ERROR 12-06 00:31:53 [core.py:1512] RuntimeError: Unsupported CPU attention \
configuration: head_dim=16 isa=2 kv_cache_idx=0
(MainProcess pid=1) ERROR 12-06 00:31:53 [async_llm.py:906] vllm.v1.engine.exceptions.\
EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.
"""


def test_the_log_gives_the_current_runs_progress_and_the_engines_cause() -> None:
    assert current_run_progress(VLLM_LOG) == 9
    later = VLLM_LOG + "batchtui: run 0002.jsonl starting at 2026-12-06T00:32:00Z\n"
    assert current_run_progress(later) == 0  # a new run has answered nothing yet
    cause = engine_failure_cause(VLLM_LOG)
    assert cause is not None and cause.startswith("RuntimeError: Unsupported CPU attention")
    assert engine_failure_cause("nothing went wrong\n") is None
