"""A 1,000-line OpenAI file through each Google API as batchtui's own converter and result
parser see it: every custom_id comes back (the issue's "done when", at the wire level)."""

from __future__ import annotations

import json
from pathlib import Path

import google_helpers
from google_helpers import (
    BUCKET,
    MODEL,
    create_vertex_job,
    gemini_states,
    list_names,
    object_path,
    put_object,
    upload_gemini_file,
    vertex_states,
)

from batchtui.core.formats.convert import convert_file
from batchtui.core.formats.results import iter_result_records

LINES = 1000

google_sim = google_helpers.google_sim  # the fixture


def _openai_file(path: Path) -> set[str]:
    ids = {f"req-{i:04d}/Mixed_Case" for i in range(LINES)}
    with path.open("w") as handle:
        for i, custom_id in enumerate(sorted(ids)):
            text = "[sim:error] fail" if i % 100 == 7 else f"question {i}"
            body = {"model": MODEL, "messages": [{"role": "user", "content": text}]}
            line = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions"}
            handle.write(json.dumps({**line, "body": body}) + "\n")
    return ids


def test_gemini_file_batch_round_trip(google_sim, tmp_path):
    sim = google_sim(speed=20_000)
    ids = _openai_file(tmp_path / "in.jsonl")
    convert_file(tmp_path / "in.jsonl", tmp_path / "gemini.jsonl", to="gemini")
    uploaded = upload_gemini_file(sim.gemini, (tmp_path / "gemini.jsonl").read_bytes(), 64 * 1024)
    body = {"batch": {"displayName": "rt", "inputConfig": {"fileName": uploaded["name"]}}}
    name = sim.gemini.post(f"/v1beta/models/{MODEL}:batchGenerateContent", json=body).json()["name"]
    done = gemini_states(sim.gemini, name, "BATCH_STATE_SUCCEEDED")[-1]
    file_id = done["metadata"]["output"]["responsesFile"].removeprefix("files/")
    content = sim.gemini.get(f"/v1beta/files/{file_id}:download", params={"alt": "media"}).content
    records = list(iter_result_records(content.splitlines()))
    assert {r.custom_id for r in records} == ids
    assert sum(not r.ok for r in records) == 10
    assert all(r.text for r in records if r.ok)


def test_vertex_job_round_trip_over_several_files(google_sim, tmp_path):
    sim = google_sim(speed=20_000)
    ids = _openai_file(tmp_path / "in.jsonl")
    convert_file(tmp_path / "in.jsonl", tmp_path / "vertex.jsonl", to="vertex")
    data = (tmp_path / "vertex.jsonl").read_bytes()
    assert put_object(sim.vertex, "batchtui/in.jsonl", data).status_code == 200
    job = create_vertex_job(sim.vertex, "batchtui/in.jsonl")
    done = vertex_states(sim.vertex, job["name"], "JOB_STATE_PARTIALLY_SUCCEEDED")[-1]
    prefix = done["outputInfo"]["gcsOutputDirectory"].removeprefix(f"gs://{BUCKET}/") + "/"
    names = list_names(sim.vertex, prefix)
    assert len(names) == 3  # 400 rows a file by default
    lines = []
    for name in names:
        lines += sim.vertex.get(object_path(name), params={"alt": "media"}).content.splitlines()
    records = list(iter_result_records(lines))
    assert {r.custom_id for r in records} == ids
    assert sum(not r.ok for r in records) == 10
