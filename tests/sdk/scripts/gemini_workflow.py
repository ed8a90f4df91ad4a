"""Google's SDK (`google-genai`) through its batch workflow against the simulator's Gemini API.

Run with the SDK venv's python: `python gemini_workflow.py '<json>'` with `root_url`,
`api_key`, `model`, `input` and `slow_input` (Gemini batch JSONL), `inline` (prompts),
`out_dir`. Prints
one JSON report.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from google import genai
from google.genai import errors, types

ENDED = {
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_FAILED",
    "JOB_STATE_CANCELLED",
    "JOB_STATE_EXPIRED",
}
POLLS = 1200  # x 0.05 s: a minute at most


def wait(client: genai.Client, name: str) -> types.BatchJob:
    for _ in range(POLLS):
        job = client.batches.get(name=name)
        if job.state is not None and job.state.name in ENDED:
            return job
        time.sleep(0.05)
    raise SystemExit(f"batch {name} still {job.state}")


def main() -> None:
    args = json.loads(sys.argv[1])
    out = Path(args["out_dir"])
    client = genai.Client(
        api_key=args["api_key"],
        http_options=types.HttpOptions(base_url=args["root_url"], api_version="v1beta"),
    )
    model = args["model"]
    report: dict[str, Any] = {}

    uploaded = client.files.upload(
        file=args["input"],
        config=types.UploadFileConfig(display_name="sdk-input", mime_type="jsonl"),
    )
    report["uploaded"] = {"name": uploaded.name, "size": uploaded.size_bytes}
    job = client.batches.create(
        model=model, src=uploaded.name, config=types.CreateBatchJobConfig(display_name="sdk-file")
    )
    done = wait(client, job.name)
    report["file_batch"] = {
        "name": done.name,
        "state": done.state.name,
        "display_name": done.display_name,
        "dest_file": done.dest.file_name if done.dest else None,
    }
    data = client.files.download(file=done.dest.file_name)
    (out / "output.jsonl").write_bytes(data)

    inline_requests = [
        {"contents": [{"parts": [{"text": text}], "role": "user"}]} for text in args["inline"]
    ]
    inline = client.batches.create(
        model=model,
        src=inline_requests,
        config=types.CreateBatchJobConfig(display_name="sdk-inline"),
    )
    inline_done = wait(client, inline.name)
    report["inline_batch"] = {
        "state": inline_done.state.name,
        "answers": [
            response.response.text if response.response else None
            for response in inline_done.dest.inlined_responses
        ],
        "errors": [
            response.error.message if response.error else None
            for response in inline_done.dest.inlined_responses
        ],
    }

    # displayName is required by the API (Google's examples always pass one).
    client.batches.create(model=model, src=uploaded.name, config={"display_name": "sdk-third"})
    pager = client.batches.list(config=types.ListBatchJobsConfig(page_size=1))
    pages = [[job.name for job in pager.page]]
    while True:
        try:
            pages.append([job.name for job in pager.next_page()])
        except IndexError:
            break
    report["pages"] = pages
    report["auto_paged"] = [
        job.name for job in client.batches.list(config=types.ListBatchJobsConfig(page_size=1))
    ]

    slow_file = client.files.upload(
        file=args["slow_input"], config=types.UploadFileConfig(mime_type="jsonl")
    )
    slow = client.batches.create(model=model, src=slow_file.name, config={"display_name": "slow"})
    client.batches.cancel(name=slow.name)
    report["cancel"] = {
        "next_get": client.batches.get(name=slow.name).state.name,
        "final": wait(client, slow.name).state.name,
    }

    client.batches.delete(name=inline.name)
    try:
        client.batches.get(name=inline.name)
        after_delete: Any = "still there"
    except errors.ClientError as error:
        after_delete = error.code
    report["delete"] = {"next_get": after_delete}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
