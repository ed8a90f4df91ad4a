"""Vertex AI batchPredictionJobs over real HTTP (providers.md §5.3-5.5, §6 item 16)."""

from __future__ import annotations

import json

import google_helpers
from google_helpers import (
    BUCKET,
    JOBS,
    MODEL,
    PROJECT,
    create_vertex_job,
    google_error,
    jsonl,
    list_names,
    object_path,
    put_object,
    vertex_line,
    vertex_states,
)

from batchtui.simulator.responder import answer_text

NUMBER = "123456789012"

google_sim = google_helpers.google_sim  # the fixture


def _prepare(sim, rows, name="in/requests.jsonl") -> str:
    assert put_object(sim.vertex, name, jsonl(rows)).status_code == 200
    return name


def _prediction_rows(sim, output_dir: str) -> tuple[list[str], list[dict]]:
    prefix = output_dir.removeprefix(f"gs://{BUCKET}/") + "/"
    names = list_names(sim.vertex, prefix)
    rows = []
    for name in names:
        content = sim.vertex.get(object_path(name), params={"alt": "media"}).content
        rows += [json.loads(line) for line in content.splitlines()]
    return names, rows


def test_job_runs_pending_running_succeeded_and_writes_predictions(google_sim):
    sim = google_sim()
    rows = [vertex_line("a", "alpha"), vertex_line("b", "beta")]
    job = create_vertex_job(sim.vertex, _prepare(sim, rows), labels={"team": "x"})
    assert job["name"].startswith(f"projects/{NUMBER}/locations/us-central1/batchPredictionJobs/")
    assert job["state"] == "JOB_STATE_PENDING"
    assert job["labels"] == {"team": "x"}
    for absent in ("startTime", "endTime", "outputInfo", "completionStats", "error"):
        assert absent not in job
    seen = vertex_states(sim.vertex, job["name"], "JOB_STATE_SUCCEEDED")
    assert "JOB_STATE_RUNNING" in [j["state"] for j in seen]
    done = seen[-1]
    assert done["completionStats"] == {
        "successfulCount": "2",
        "failedCount": "0",
        "incompleteCount": "0",
    }
    output_dir = done["outputInfo"]["gcsOutputDirectory"]
    assert output_dir.startswith(f"gs://{BUCKET}/out/prediction-model-")
    assert done["createTime"] not in output_dir  # python-genai#486: never build the path
    names, predictions = _prediction_rows(sim, output_dir)
    assert [name.rsplit("/", 1)[1] for name in names] == ["predictions.jsonl"]
    by_id = {row["request"]["labels"]["custom_id"]: row for row in predictions}
    assert set(by_id) == {"a", "b"}
    row = by_id["a"]
    assert row["status"] == "" and row["processed_time"].endswith("+00:00")
    text = row["response"]["candidates"][0]["content"]["parts"][0]["text"]
    assert text == answer_text("alpha", rows[0]["request"])


def test_failed_rows_make_the_job_partially_succeeded(google_sim):
    sim = google_sim()
    rows = [vertex_line("ok", "fine"), vertex_line("bad", "[sim:error] no")]
    job = create_vertex_job(sim.vertex, _prepare(sim, rows))
    done = vertex_states(sim.vertex, job["name"], "JOB_STATE_PARTIALLY_SUCCEEDED")[-1]
    assert done["completionStats"]["failedCount"] == "1"
    _, predictions = _prediction_rows(sim, done["outputInfo"]["gcsOutputDirectory"])
    failed = [row for row in predictions if row["status"]]
    assert [row["request"]["labels"]["custom_id"] for row in failed] == ["bad"]
    assert "response" not in failed[0]


def test_large_outputs_are_split_over_several_predictions_files(google_sim):
    sim = google_sim(vertex_file_rows=3)
    rows = [vertex_line(f"id-{i}", f"q{i}") for i in range(8)]
    job = create_vertex_job(sim.vertex, _prepare(sim, rows))
    done = vertex_states(sim.vertex, job["name"], "JOB_STATE_SUCCEEDED")[-1]
    names, predictions = _prediction_rows(sim, done["outputInfo"]["gcsOutputDirectory"])
    assert [name.rsplit("/", 1)[1] for name in names] == [
        "predictions_00001.jsonl",
        "predictions_00002.jsonl",
        "predictions_00003.jsonl",
    ]
    assert sorted(row["request"]["labels"]["custom_id"] for row in predictions) == sorted(
        f"id-{i}" for i in range(8)
    )


def test_a_paused_job_shows_paused_then_runs(google_sim):
    sim = google_sim(phase_seconds=0.2)
    job = create_vertex_job(sim.vertex, _prepare(sim, [vertex_line("a", "x")]), "x [sim:pause]")
    assert job["state"] == "JOB_STATE_PAUSED"
    seen = [j["state"] for j in vertex_states(sim.vertex, job["name"], "JOB_STATE_SUCCEEDED")]
    order = [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]
    assert order[:2] == ["JOB_STATE_PAUSED", "JOB_STATE_PENDING"]
    assert order[-1] == "JOB_STATE_SUCCEEDED"


def test_cancel_goes_through_cancelling(google_sim):
    sim = google_sim(phase_seconds=0.2, speed=5)
    job = create_vertex_job(
        sim.vertex, _prepare(sim, [vertex_line(str(i), "x") for i in range(40)])
    )
    vertex_states(sim.vertex, job["name"], "JOB_STATE_RUNNING")
    assert sim.vertex.post(f"/v1/{job['name']}:cancel").json() == {}
    seen = [j["state"] for j in vertex_states(sim.vertex, job["name"], "JOB_STATE_CANCELLED")]
    assert "JOB_STATE_CANCELLING" in seen
    assert sim.vertex.post(f"/v1/{job['name']}:cancel").status_code == 200  # already cancelled
    deleted = sim.vertex.delete(f"/v1/{job['name']}")
    assert deleted.status_code == 200
    assert deleted.json()["done"] is True and "/operations/" in deleted.json()["name"]
    google_error(sim.vertex.get(f"/v1/{job['name']}"), 404, "NOT_FOUND")


def test_cancel_of_an_ended_job_is_refused(google_sim):
    sim = google_sim()
    job = create_vertex_job(sim.vertex, _prepare(sim, [vertex_line("a", "x")]))
    vertex_states(sim.vertex, job["name"], "JOB_STATE_SUCCEEDED")
    google_error(sim.vertex.post(f"/v1/{job['name']}:cancel"), 400, "INVALID_ARGUMENT")


def test_deleting_a_running_job_is_refused(google_sim):
    sim = google_sim(phase_seconds=1)
    job = create_vertex_job(sim.vertex, _prepare(sim, [vertex_line("a", "x")]))
    google_error(sim.vertex.delete(f"/v1/{job['name']}"), 400, "FAILED_PRECONDITION")
    assert sim.vertex.get(f"/v1/{job['name']}").status_code == 200


def test_list_pages_filters_and_keeps_to_its_location(google_sim):
    sim = google_sim()
    name = _prepare(sim, [vertex_line("a", "x")])
    jobs = [create_vertex_job(sim.vertex, name, f"j{i}") for i in range(3)]
    for job in jobs:
        vertex_states(sim.vertex, job["name"], "JOB_STATE_SUCCEEDED")
    first = sim.vertex.get(JOBS, params={"pageSize": 2}).json()
    assert [j["displayName"] for j in first["batchPredictionJobs"]] == ["j2", "j1"]
    rest = sim.vertex.get(JOBS, params={"pageToken": first["nextPageToken"]}).json()
    assert [j["displayName"] for j in rest["batchPredictionJobs"]] == ["j0"]
    by_number = sim.vertex.get(JOBS.replace(PROJECT, NUMBER)).json()
    assert len(by_number["batchPredictionJobs"]) == 3
    succeeded = sim.vertex.get(JOBS, params={"filter": 'state="JOB_STATE_SUCCEEDED"'}).json()
    assert len(succeeded["batchPredictionJobs"]) == 3
    assert sim.vertex.get(JOBS, params={"filter": "state=JOB_STATE_RUNNING"}).json() == {}
    google_error(sim.vertex.get(JOBS, params={"filter": "labels.a=b"}), 400, "INVALID_ARGUMENT")
    elsewhere = JOBS.replace("us-central1", "europe-west4")
    assert sim.vertex.get(elsewhere).json() == {}
    number = jobs[0]["name"].rsplit("/", 1)[1]
    google_error(sim.vertex.get(f"{elsewhere}/{number}"), 404, "NOT_FOUND")


def test_list_filters_on_create_time_as_vertex_documents(google_sim):
    sim = google_sim()
    name = _prepare(sim, [vertex_line("a", "x")])
    jobs = [create_vertex_job(sim.vertex, name, f"j{i}") for i in range(3)]
    middle = jobs[1]["createTime"]

    def listed(text: str) -> list[str]:
        answer = sim.vertex.get(JOBS, params={"filter": text}).json()
        return [job["displayName"] for job in answer.get("batchPredictionJobs", [])]

    assert listed(f'create_time>="{middle}"') == ["j2", "j1"]
    assert listed(f"create_time<{middle}") == ["j0"]
    assert listed(f'create_time>="{middle}" AND state="JOB_STATE_FAILED"') == []
    assert listed('create_time>="2000-01-01T00:00:00Z"') == ["j2", "j1", "j0"]
    bad_time = sim.vertex.get(JOBS, params={"filter": 'create_time>="yesterday"'})
    google_error(bad_time, 400, "INVALID_ARGUMENT")


def test_create_refusals_name_the_problem(google_sim):
    sim = google_sim(models=MODEL)
    name = _prepare(sim, [vertex_line("a", "x")])
    wrong_project = sim.vertex.get(JOBS.replace(PROJECT, "someone-else"))
    assert "someone-else" in google_error(wrong_project, 403, "PERMISSION_DENIED")
    no_bucket = create_body(name, output="gs://missing-bucket/out/")
    message = google_error(sim.vertex.post(JOBS, json=no_bucket), 400, "FAILED_PRECONDITION")
    assert "missing-bucket" in message
    no_object = create_body("in/none.jsonl")
    google_error(sim.vertex.post(JOBS, json=no_object), 400, "INVALID_ARGUMENT")
    other_model = {**create_body(name), "model": "publishers/google/models/gemini-0"}
    google_error(sim.vertex.post(JOBS, json=other_model), 404, "NOT_FOUND")
    bigquery = {**create_body(name), "inputConfig": {"instancesFormat": "bigquery"}}
    google_error(sim.vertex.post(JOBS, json=bigquery), 400, "INVALID_ARGUMENT")
    nameless = {k: v for k, v in create_body(name).items() if k != "displayName"}
    google_error(sim.vertex.post(JOBS, json=nameless), 400, "INVALID_ARGUMENT")


def create_body(input_name: str, output: str = f"gs://{BUCKET}/out/") -> dict:
    return {
        "displayName": "j",
        "model": f"publishers/google/models/{MODEL}",
        "inputConfig": {
            "instancesFormat": "jsonl",
            "gcsSource": {"uris": [f"gs://{BUCKET}/{input_name}"]},
        },
        "outputConfig": {
            "predictionsFormat": "jsonl",
            "gcsDestination": {"outputUriPrefix": output},
        },
    }


def test_an_invalid_input_file_fails_the_job_with_an_error(google_sim):
    sim = google_sim()
    assert put_object(sim.vertex, "in/bad.jsonl", b"[1, 2]\n").status_code == 200
    job = create_vertex_job(sim.vertex, "in/bad.jsonl")
    failed = vertex_states(sim.vertex, job["name"], "JOB_STATE_FAILED")[-1]
    assert failed["error"]["code"] == 3 and "line 1" in failed["error"]["message"]
    assert "outputInfo" not in failed


def test_quota_fault_on_create_is_resource_exhausted(google_sim):
    sim = google_sim(faults="create:429=1")
    refused = sim.vertex.post(JOBS, json=create_body(_prepare(sim, [vertex_line("a", "x")])))
    google_error(refused, 429, "RESOURCE_EXHAUSTED")
    assert sim.vertex.get(JOBS).json() == {}


def test_a_job_carries_on_after_a_restart(google_sim, tmp_path):
    data_dir = tmp_path / "shared"
    first = google_sim(data_dir=data_dir, phase_seconds=0.3)
    job = create_vertex_job(first.vertex, _prepare(first, [vertex_line("a", "x")]))
    first.handle.stop()
    second = google_sim(data_dir=data_dir, phase_seconds=0.3)
    done = vertex_states(second.vertex, job["name"], "JOB_STATE_SUCCEEDED")[-1]
    _, predictions = _prediction_rows(second, done["outputInfo"]["gcsOutputDirectory"])
    assert [row["request"]["labels"]["custom_id"] for row in predictions] == ["a"]
