"""A CLI-like process for the concurrency tests: run as a script, not collected by pytest.

`python registry_writer.py URL SECONDS SHARED_JOB_ID REPORT` submits small batches to the
simulator at URL through the job service and refreshes them, and between submits marks the
shared (completed) job with a history note and a metadata key through `apply_remote`,
for SECONDS; then writes what it did to REPORT (JSON). Any exception (e.g. "database is
locked") ends it with a traceback and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from batchtui.core.config import Config, Profile
from batchtui.core.models import RemoteBatch
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.core.status import JobStatus

LINE = {
    "custom_id": "only",
    "method": "POST",
    "url": "/v1/chat/completions",
    "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
}


async def main(url: str, seconds: float, shared_id: str, report: Path) -> None:
    profile = Profile(name="sim", base_url=url, api_key="sk-writer-0123456789", poll_interval=1)
    config = Config(path=Path(os.environ["BATCHTUI_CONFIG"]), profiles={"sim": profile})
    source = report.with_suffix(".jsonl")
    source.write_text(json.dumps(LINE) + "\n")
    submitted: list[str] = []
    marks: list[str] = []
    deadline = time.monotonic() + seconds
    with Registry.open_default() as registry:
        async with JobService(config, registry) as service:
            while time.monotonic() < deadline:
                job = await service.submit(source, "sim", name=f"writer {len(submitted)}")
                submitted.append(job.id)
                await service.refresh(job)
                mark = f"writer-{len(marks)}"
                registry.update_job(shared_id, note=mark)
                registry.apply_remote(
                    shared_id,
                    RemoteBatch(
                        id="batch_shared",
                        status=JobStatus.COMPLETED,
                        raw_status="completed",
                        metadata={mark: "seen"},
                    ),
                )
                marks.append(mark)
    report.write_text(json.dumps({"submitted": submitted, "marks": marks}))


if __name__ == "__main__":
    url, seconds, shared_id, report = sys.argv[1:5]
    asyncio.run(main(url, float(seconds), shared_id, Path(report)))
