"""Vertex BatchPredictionJobs (reference §5.3, §5.4) as RemoteBatch, and the create body."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.models import BatchSpec
from batchtui.core.providers.base import TAG_METADATA_KEY
from batchtui.core.providers.google_wire import VERTEX_STATE_MAP, parse_vertex_job
from batchtui.core.providers.vertex import StorageObject, VertexProvider, parse_bucket
from batchtui.core.status import JobStatus

TAG = "0f8fad5b-d9cb-469f-a165-70867728950e"

# §5.3's response example.
JOB: dict[str, Any] = {
    "name": "projects/123456/locations/us-central1/batchPredictionJobs/3814889423749775360",
    "displayName": "my-job",
    "model": "publishers/google/models/gemini-2.5-flash",
    "modelVersionId": "1",
    "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": ["gs://bucket/in/r.jsonl"]}},
    "outputConfig": {
        "predictionsFormat": "jsonl",
        "gcsDestination": {"outputUriPrefix": f"gs://bucket/batchtui/{TAG}/output/"},
    },
    "state": "JOB_STATE_SUCCEEDED",
    "createTime": "2025-01-01T00:00:00.000000Z",
    "startTime": "2025-01-01T00:01:00Z",
    "endTime": "2025-01-01T01:00:00Z",
    "updateTime": "2025-01-01T01:00:00Z",
    "completionStats": {"successfulCount": "9", "failedCount": "1", "incompleteCount": "0"},
    "outputInfo": {"gcsOutputDirectory": "gs://bucket/out/prediction-model-2025-01-01T00:00:00Z"},
}


def test_finished_job_maps_counts_times_and_the_output_folder() -> None:
    batch = parse_vertex_job(JOB)
    assert batch.id == JOB["name"]
    assert batch.status is JobStatus.COMPLETED
    assert batch.model == "gemini-2.5-flash"
    assert batch.input_file_id == "gs://bucket/in/r.jsonl"
    # The folder Vertex reports, never one built from createTime (§6 item 16).
    assert batch.output_file_id == "gs://bucket/out/prediction-model-2025-01-01T00:00:00Z/"
    counts = batch.request_counts
    assert (counts.total, counts.completed, counts.failed) == (10, 9, 1)
    assert batch.timestamps["in_progress_at"] is not None
    assert batch.timestamps["completed_at"] is not None
    # No label, no tag in the name: the tag is read from the output folder chosen at create.
    assert batch.metadata[TAG_METADATA_KEY] == TAG


def test_running_job_without_stats_or_output_yet() -> None:
    job = copy.deepcopy(JOB)
    job["state"] = "JOB_STATE_RUNNING"
    for absent in ("completionStats", "outputInfo", "endTime"):
        del job[absent]
    batch = parse_vertex_job(job)
    assert batch.status is JobStatus.IN_PROGRESS
    assert batch.output_file_id is None
    assert batch.request_counts.total == 0


def test_label_tag_and_failure_error() -> None:
    job = copy.deepcopy(JOB)
    job.update(
        state="JOB_STATE_FAILED",
        labels={TAG_METADATA_KEY: TAG, "team": "nlp"},
        error={"code": 3, "message": "Failed to read gs://bucket/in/r.jsonl", "details": []},
    )
    del job["outputConfig"]
    batch = parse_vertex_job(job)
    assert batch.status is JobStatus.FAILED
    assert batch.metadata == {TAG_METADATA_KEY: TAG, "team": "nlp"}
    assert batch.errors[0].message == "Failed to read gs://bucket/in/r.jsonl"
    assert batch.timestamps["failed_at"] is not None


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("JOB_STATE_UNSPECIFIED", JobStatus.PENDING),
        ("JOB_STATE_QUEUED", JobStatus.PENDING),
        ("JOB_STATE_PENDING", JobStatus.PENDING),
        ("JOB_STATE_RUNNING", JobStatus.IN_PROGRESS),
        ("JOB_STATE_UPDATING", JobStatus.IN_PROGRESS),
        ("JOB_STATE_PAUSED", JobStatus.PAUSED),
        ("JOB_STATE_CANCELLING", JobStatus.CANCELLING),
        ("JOB_STATE_CANCELLED", JobStatus.CANCELLED),
        ("JOB_STATE_SUCCEEDED", JobStatus.COMPLETED),
        ("JOB_STATE_PARTIALLY_SUCCEEDED", JobStatus.COMPLETED),
        ("JOB_STATE_FAILED", JobStatus.FAILED),
        ("JOB_STATE_EXPIRED", JobStatus.EXPIRED),
    ],
)
def test_every_state_of_the_reference_table(state: str, status: JobStatus) -> None:
    job = copy.deepcopy(JOB)
    job["state"] = state
    batch = parse_vertex_job(job)
    assert batch.status is status
    assert batch.raw_status == state  # PARTIALLY_SUCCEEDED stays visible as the raw state


def test_terminal_states_are_the_references() -> None:
    terminal = {s for s, status in VERTEX_STATE_MAP.items() if status.is_terminal}
    assert terminal == {
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
    }


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("my-bucket", ("my-bucket", "")),
        ("gs://my-bucket/", ("my-bucket", "")),
        ("gs://my-bucket/team/a/", ("my-bucket", "team/a/")),
        ("my-bucket/team", ("my-bucket", "team/")),
    ],
)
def test_bucket_setting(setting: str, expected: tuple[str, str]) -> None:
    assert parse_bucket(setting) == expected


def test_object_routes_encode_the_whole_name() -> None:
    target = StorageObject.parse("gs://b/batchtui/x y/predictions.jsonl")
    assert target.media_route == "/storage/v1/b/b/o/batchtui%2Fx%20y%2Fpredictions.jsonl?alt=media"
    assert StorageObject.parse("gs://b/dir/").is_folder


def test_create_body_tags_the_job_three_ways(tmp_path: Path) -> None:
    provider = VertexProvider.from_profile(
        Profile(name="v", kind="vertex", project="p", bucket="gs://bkt/team", model="m")
    )
    body = provider.create_body(
        BatchSpec(
            input_file_id="gs://bkt/team/batchtui/u/input.jsonl",
            endpoint="/v1/chat/completions",
            model="gemini-2.5-flash",
            metadata={TAG_METADATA_KEY: TAG},
            name="nightly",
        )
    )
    assert body["model"] == "publishers/google/models/gemini-2.5-flash"
    assert body["inputConfig"]["gcsSource"]["uris"] == ["gs://bkt/team/batchtui/u/input.jsonl"]
    prefix = body["outputConfig"]["gcsDestination"]["outputUriPrefix"]
    assert prefix == f"gs://bkt/team/batchtui/{TAG}/output/"
    assert body["labels"] == {TAG_METADATA_KEY: TAG}
    assert body["displayName"] == f"batchtui-{TAG} nightly"
    # The round trip: what Vertex echoes back finds the tag again.
    echoed = {**JOB, **{k: body[k] for k in ("displayName", "labels", "outputConfig")}}
    assert parse_vertex_job(echoed).metadata[TAG_METADATA_KEY] == TAG
