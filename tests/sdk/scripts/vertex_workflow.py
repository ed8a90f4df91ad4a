"""Google's SDKs through a Vertex AI batch workflow against the simulator's Vertex AI and Cloud
Storage: `google-genai` (vertexai=True) for the jobs, `google-cloud-storage` for the files,
both authorised by `google-auth` from a service-account key file (its token_uri the simulator).

Run with the SDK venv's python: `python vertex_workflow.py '<json>'` with `root_url`,
`credentials`, `project`, `bucket`, `model`, `input` and `slow_input` (Vertex JSONL),
`out_dir`. Prints one JSON report.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from google import genai
from google.cloud import storage
from google.genai import errors, types
from google.oauth2 import service_account

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
ENDED = {
    "JOB_STATE_SUCCEEDED",
    "JOB_STATE_PARTIALLY_SUCCEEDED",
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
    credentials = service_account.Credentials.from_service_account_file(
        args["credentials"], scopes=SCOPES
    )
    gcs = storage.Client(
        project=args["project"],
        credentials=credentials,
        client_options={"api_endpoint": args["root_url"]},
    )
    client = genai.Client(
        vertexai=True,
        project=args["project"],
        location="us-central1",
        credentials=credentials,
        http_options=types.HttpOptions(base_url=args["root_url"]),
    )
    bucket = gcs.bucket(args["bucket"])
    model = args["model"]
    report: dict[str, Any] = {}

    bucket.blob("sdk/input.jsonl").upload_from_filename(args["input"])
    job = client.batches.create(
        model=model,
        src=f"gs://{args['bucket']}/sdk/input.jsonl",
        config=types.CreateBatchJobConfig(
            display_name="sdk-vertex", dest=f"gs://{args['bucket']}/sdk/out/"
        ),
    )
    done = wait(client, job.name)
    output_folder = done.dest.gcs_uri if done.dest else None
    report["batch"] = {"name": done.name, "state": done.state.name, "dest": output_folder}
    prefix = (output_folder or "").removeprefix(f"gs://{args['bucket']}/").rstrip("/") + "/"
    blobs = sorted(blob.name for blob in gcs.list_blobs(args["bucket"], prefix=prefix))
    report["output_objects"] = blobs
    predictions = [name for name in blobs if name.endswith(".jsonl")]
    (out / "predictions.jsonl").write_bytes(bucket.blob(predictions[0]).download_as_bytes())

    for n in range(2):
        client.batches.create(
            model=model,
            src=f"gs://{args['bucket']}/sdk/input.jsonl",
            config=types.CreateBatchJobConfig(dest=f"gs://{args['bucket']}/sdk/more-{n}/"),
        )
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

    bucket.blob("sdk/slow.jsonl").upload_from_filename(args["slow_input"])
    slow = client.batches.create(
        model=model,
        src=f"gs://{args['bucket']}/sdk/slow.jsonl",
        config=types.CreateBatchJobConfig(dest=f"gs://{args['bucket']}/sdk/slow-out/"),
    )
    client.batches.cancel(name=slow.name)
    report["cancel"] = {
        "next_get": client.batches.get(name=slow.name).state.name,
        "final": wait(client, slow.name).state.name,
    }

    client.batches.delete(name=slow.name)
    try:
        client.batches.get(name=slow.name)
        after_delete: Any = "still there"
    except errors.ClientError as error:
        after_delete = error.code
    report["delete"] = {"next_get": after_delete}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
