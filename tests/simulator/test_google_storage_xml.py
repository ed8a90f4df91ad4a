"""Cloud Storage's XML API (`/{bucket}/{object}` on storage.googleapis.com) over real HTTP."""

from __future__ import annotations

import google_helpers
from google_helpers import BUCKET

google_sim = google_helpers.google_sim  # the fixture

XML_HOST = {"Host": "storage.googleapis.com"}


def test_put_get_and_head_an_object_as_the_xml_api_does(google_sim):
    sim = google_sim()
    path = f"/{BUCKET}/in%2Fa%20b.jsonl"
    stored = sim.vertex.put(path, content=b'{"x": 1}\n', headers=XML_HOST)
    assert stored.status_code == 200 and stored.content == b"" and stored.headers["ETag"]
    # The JSON API sees the same object.
    listed = sim.vertex.get(f"/storage/v1/b/{BUCKET}/o", params={"prefix": "in/"}).json()
    assert [item["name"] for item in listed["items"]] == ["in/a b.jsonl"]
    got = sim.vertex.get(f"/{BUCKET}/in/a b.jsonl", headers=XML_HOST)
    assert got.status_code == 200 and got.content == b'{"x": 1}\n'
    head = sim.vertex.head(path, headers=XML_HOST)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == "9" and head.headers["Last-Modified"]
    assert head.headers["Date"]


def test_missing_objects_and_buckets_are_xml_errors(google_sim):
    sim = google_sim()
    missing = sim.vertex.get(f"/{BUCKET}/nothing.jsonl", headers=XML_HOST)
    assert missing.status_code == 404 and b"<Code>NoSuchKey</Code>" in missing.content
    no_bucket = sim.vertex.put("/other-bucket/x", content=b"x", headers=XML_HOST)
    assert no_bucket.status_code == 404 and b"<Code>NoSuchBucket</Code>" in no_bucket.content


def test_only_the_storage_host_reaches_the_xml_api(google_sim):
    sim = google_sim()
    refused = sim.vertex.put(f"/{BUCKET}/x.jsonl", content=b"x")  # the simulator's own host
    assert refused.status_code == 404
    assert sim.vertex.get(f"/storage/v1/b/{BUCKET}/o").json().get("items") is None
    unsigned = sim.vertex.put(
        f"/{BUCKET}/x.jsonl", content=b"x", headers={**XML_HOST, "Authorization": ""}
    )
    assert unsigned.status_code == 401
