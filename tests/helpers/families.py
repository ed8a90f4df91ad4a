"""A job and two retries with their files on disk, and a job service that needs no network to
read them: what `batchtui results` and the viewer merge.

Input req-1..req-6. The job: req-1 and req-4 answered, req-2, req-3 failed, req-6 expired,
req-5 no line at all. Retry 1: req-2 and req-6 answered, req-3 failed again. Retry 2:
req-3 answered. Merged: five answers (req-2 and req-6 from retry 1, req-3 from retry 2)
and req-5 without any result.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.config import Config, Profile
from batchtui.core.models import Job
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.core.status import JobStatus

PROFILE = "demo"
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CUSTOM_IDS = [f"req-{n}" for n in range(1, 7)]


def answer_line(custom_id: str, text: str) -> str:
    body = {
        "id": f"chatcmpl-{custom_id}",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
    response = {"status_code": 200, "request_id": custom_id, "body": body}
    return json.dumps(
        {"id": f"r-{custom_id}", "custom_id": custom_id, "response": response, "error": None}
    )


def failure_line(custom_id: str, message: str, code: str = "server_error") -> str:
    error = {"code": code, "message": message}
    return json.dumps(
        {"id": f"r-{custom_id}", "custom_id": custom_id, "response": None, "error": error}
    )


def request_line(custom_id: str) -> str:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"ask {custom_id}"}]}
    return json.dumps(
        {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _job(number: int, output: Path, input_path: Path, parent_id: str | None) -> Job:
    return Job(
        id=f"bt-fam{number}",
        name="family" if parent_id is None else f"family (retry {number})",
        profile=PROFILE,
        kind="openai",
        tag=f"00000000-0000-0000-0003-{number:012d}",
        status=JobStatus.COMPLETED,
        remote_id=f"batch_fam{number}",
        output_file_id=f"file-fam{number}",
        output_path=output,
        input_path=input_path,
        parent_id=parent_id,
        created_at=START + timedelta(minutes=number),
        updated_at=START + timedelta(minutes=number),
    )


def family_jobs(folder: Path) -> tuple[Job, Job, Job]:
    """The job and its two retries (not in a registry), every file written under `folder`."""
    source = _write(folder / "input.jsonl", [request_line(custom_id) for custom_id in CUSTOM_IDS])
    job = _write(
        folder / "job" / "output.jsonl",
        [
            answer_line("req-1", "A1 from the job"),
            failure_line("req-2", "overloaded"),
            failure_line("req-3", "overloaded"),
            answer_line("req-4", "A4 from the job"),
            failure_line("req-6", "the batch expired first", code="batch_expired"),
        ],
    )
    retry1 = _write(
        folder / "retry1" / "output.jsonl",
        [
            answer_line("req-2", "A2 from retry one"),
            failure_line("req-3", "overloaded again"),
            answer_line("req-6", "A6 from retry one"),
        ],
    )
    retry2 = _write(folder / "retry2" / "output.jsonl", [answer_line("req-3", "A3 from retry two")])
    parent = _job(0, job, source, None)
    return (
        parent,
        _job(1, retry1, folder / "retry-1.jsonl", parent.id),
        _job(2, retry2, folder / "retry-2.jsonl", parent.id),
    )


def add_family(registry: Registry, folder: Path) -> tuple[Job, Job, Job]:
    """The job and its two retries, in the registry, every file written under `folder`."""
    family = family_jobs(folder)
    for member in family:
        registry.add_job(member, note="submitted")
    return family


def write_results(path: Path, lines: list[str]) -> Path:
    return _write(path, lines)


def offline_service(registry: Registry, config_path: Path) -> JobService:
    """A job service whose profile points nowhere: enough to read files already on disk."""
    profile = Profile(name=PROFILE, kind="openai", base_url="http://127.0.0.1:9/v1", api_key="k")
    config = Config(path=config_path, exists=True, profiles={PROFILE: profile})
    return JobService(config, registry)
