"""OpenAI's own SDK (`openai`) through its batch workflow against the simulator's OpenAI API.

Run with the SDK venv's python: `python openai_workflow.py '<json>'` with `base_url`,
`api_key`, `input` and `slow_input` (JSONL files), `out_dir`. Prints one JSON report.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import openai
from openai import OpenAI

ENDPOINT = "/v1/chat/completions"
ENDED = {"completed", "failed", "expired", "cancelled"}
POLLS = 1200  # x 0.05 s: a minute at most


def wait(client: OpenAI, batch_id: str, until: set[str]) -> Any:
    for _ in range(POLLS):
        batch = client.batches.retrieve(batch_id)
        if batch.status in until:
            return batch
        time.sleep(0.05)
    raise SystemExit(f"batch {batch_id} still {batch.status}, waiting for {sorted(until)}")


def main() -> None:
    args = json.loads(sys.argv[1])
    out = Path(args["out_dir"])
    client = OpenAI(base_url=args["base_url"], api_key=args["api_key"], max_retries=0)
    report: dict[str, Any] = {}

    with open(args["input"], "rb") as handle:
        uploaded = client.files.create(file=handle, purpose="batch")
    report["uploaded"] = {"id": uploaded.id, "bytes": uploaded.bytes, "status": uploaded.status}
    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint=ENDPOINT,
        completion_window="24h",
        metadata={"made_by": "openai-sdk"},
    )
    done = wait(client, batch.id, ENDED)
    report["batch"] = {
        "id": done.id,
        "status": done.status,
        "request_counts": done.request_counts.model_dump() if done.request_counts else None,
        "metadata": done.metadata,
        "output_file_id": done.output_file_id,
        "error_file_id": done.error_file_id,
    }
    client.files.content(done.output_file_id).write_to_file(out / "output.jsonl")
    if done.error_file_id:
        client.files.content(done.error_file_id).write_to_file(out / "errors.jsonl")

    # Two more batches, then every batch one per page with the SDK's cursor pager.
    for _ in range(2):
        client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h")
    page = client.batches.list(limit=1)
    pages = [[item.id for item in page.data]]
    while page.has_next_page():
        page = page.get_next_page()
        pages.append([item.id for item in page.data])
    report["pages"] = pages
    report["auto_paged"] = [item.id for item in client.batches.list(limit=1)]

    with open(args["slow_input"], "rb") as handle:
        slow_file = client.files.create(file=handle, purpose="batch")
    slow = client.batches.create(
        input_file_id=slow_file.id, endpoint=ENDPOINT, completion_window="24h"
    )
    cancelled = client.batches.cancel(slow.id)
    report["cancel"] = {
        "answer": cancelled.status,
        "next_get": client.batches.retrieve(slow.id).status,
        "final": wait(client, slow.id, ENDED).status,
    }

    deleted = client.files.delete(slow_file.id)
    try:
        client.files.retrieve(slow_file.id)
        after_delete: Any = "still there"
    except openai.NotFoundError as error:
        after_delete = error.status_code
    report["delete"] = {"deleted": deleted.deleted, "next_get": after_delete}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
