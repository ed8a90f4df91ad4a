"""Request counts taken from the results where the provider reports none (LiteLLM to Vertex)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchtui.core.models import Job, RemoteBatch, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.result_counts import count_files, keep_counts, keep_counts_of_files
from batchtui.core.status import JobStatus


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with Registry(tmp_path / "registry.sqlite3") as opened:
        yield opened


def remote(status: JobStatus, counts: RequestCounts) -> RemoteBatch:
    return RemoteBatch(id="4340252701519254726", status=status, raw_status=status.value,
                       request_counts=counts)  # fmt: skip


def add_job(registry: Registry, status: JobStatus, counts: RequestCounts) -> Job:
    job = Job(id="bt-vtx001", name="n", profile="p", kind="litellm", tag=str(uuid.uuid4()))
    registry.add_job(job)
    registry.apply_remote(job.id, remote(status, counts))
    return registry.get_job(job.id)


def results_file(path: Path, outcomes: list[bool]) -> Path:
    rows = []
    for number, ok in enumerate(outcomes):
        body = {"choices": [{"message": {"content": f"answer {number}"}}]}
        response = {"status_code": 200 if ok else 400, "body": body}
        rows.append(json.dumps({"custom_id": f"q{number}", "response": response, "error": None}))
    path.write_text("\n".join(rows) + "\n\n")  # a blank line is no record
    return path


def test_unknown_counts_survive_the_registry_and_are_not_zeros(registry: Registry) -> None:
    job = add_job(registry, JobStatus.IN_PROGRESS, RequestCounts.unknown())
    assert job.request_counts == RequestCounts.unknown() and not job.request_counts.known
    assert registry.history(job.id)[-1].request_counts is None  # not a row of zeros


def test_the_first_full_read_counts_them_and_a_refresh_keeps_them(
    registry: Registry, tmp_path: Path
) -> None:
    job = add_job(registry, JobStatus.COMPLETED, RequestCounts.unknown())
    path = results_file(tmp_path / "output.jsonl", [True, True, False])
    assert count_files([path]) == RequestCounts(total=3, completed=2, failed=1)
    updated = keep_counts_of_files(registry, job.id, [path])
    assert updated is not None
    assert registry.get_job(job.id).request_counts == RequestCounts(total=3, completed=2, failed=1)
    # The proxy still reports none: what was counted stays.
    registry.apply_remote(job.id, remote(JobStatus.COMPLETED, RequestCounts.unknown()))
    assert registry.get_job(job.id).request_counts.total == 3
    # Counted once: a later read of other files changes nothing.
    other = results_file(tmp_path / "other.jsonl", [True])
    assert keep_counts_of_files(registry, job.id, [other]) is None
    assert registry.get_job(job.id).request_counts.total == 3


def test_counts_a_provider_reports_are_never_replaced(registry: Registry, tmp_path: Path) -> None:
    reported = RequestCounts(total=5, completed=5, failed=0)
    job = add_job(registry, JobStatus.COMPLETED, reported)
    path = results_file(tmp_path / "output.jsonl", [True])
    assert keep_counts_of_files(registry, job.id, [path]) is None
    assert keep_counts(registry, job.id, RequestCounts(total=1, completed=1)) is None
    assert registry.get_job(job.id).request_counts == reported


def test_a_running_job_is_not_counted_from_partial_files(
    registry: Registry, tmp_path: Path
) -> None:
    job = add_job(registry, JobStatus.IN_PROGRESS, RequestCounts.unknown())
    path = results_file(tmp_path / "output.jsonl", [True])
    assert keep_counts_of_files(registry, job.id, [path]) is None
    assert not registry.get_job(job.id).request_counts.known
