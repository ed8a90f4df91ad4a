"""The Cloud Storage JSON API subset over real HTTP (providers.md §5.2)."""

from __future__ import annotations

import google_helpers
from google_helpers import (
    BUCKET,
    google_error,
    list_names,
    object_path,
    put_object,
)

UPLOAD = f"/upload/storage/v1/b/{BUCKET}/o"

google_sim = google_helpers.google_sim  # the fixture


def test_media_upload_metadata_download_and_delete(google_sim):
    sim = google_sim()
    created = put_object(sim.vertex, "in/a b/requests.jsonl", b'{"x": 1}\n')
    assert created.status_code == 200, created.text
    resource = created.json()
    assert resource["name"] == "in/a b/requests.jsonl" and resource["bucket"] == BUCKET
    assert resource["size"] == "9" and resource["contentType"] == "application/jsonl"
    assert resource["id"] == f"{BUCKET}/in/a b/requests.jsonl/{resource['generation']}"
    path = object_path("in/a b/requests.jsonl")
    assert "%2F" in path
    assert sim.vertex.get(path).json() == resource
    assert sim.vertex.get(path, params={"alt": "media"}).content == b'{"x": 1}\n'
    download = sim.vertex.get("/download" + path, params={"alt": "media"})
    assert download.content == b'{"x": 1}\n'
    ranged = sim.vertex.get(path, params={"alt": "media"}, headers={"Range": "bytes=2-4"})
    assert ranged.status_code == 206 and ranged.content == b'x":'
    deleted = sim.vertex.delete(path)
    assert deleted.status_code == 204
    google_error(sim.vertex.get(path), 404, "NOT_FOUND")
    google_error(sim.vertex.delete(path), 404, "NOT_FOUND")


def test_a_missing_bucket_is_a_404_in_googles_envelope(google_sim):
    sim = google_sim()
    for answer in (
        sim.vertex.get("/storage/v1/b/no-such-bucket"),
        sim.vertex.get("/storage/v1/b/no-such-bucket/o"),
        put_object(sim.vertex, "x.jsonl", b"{}", bucket="no-such-bucket"),
    ):
        message = google_error(answer, 404, "NOT_FOUND")
        assert message == "The specified bucket does not exist."
        assert answer.json()["error"]["errors"][0]["reason"] == "notFound"
    assert sim.vertex.get(f"/storage/v1/b/{BUCKET}").json()["name"] == BUCKET


def test_buckets_come_from_the_option(google_sim):
    sim = google_sim(gcs_buckets="team-a,team-b")
    assert sim.vertex.get("/storage/v1/b/team-b").status_code == 200
    google_error(sim.vertex.get(f"/storage/v1/b/{BUCKET}"), 404, "NOT_FOUND")


def test_list_by_prefix_with_pages_and_delimiter(google_sim):
    sim = google_sim()
    for name in ("out/d1/p2.jsonl", "out/d1/p1.jsonl", "out/d2/p.jsonl", "in/x.jsonl", "out/top"):
        assert put_object(sim.vertex, name, b"1\n").status_code == 200
    page = sim.vertex.get(f"/storage/v1/b/{BUCKET}/o", params={"prefix": "out/", "maxResults": 2})
    body = page.json()
    assert [item["name"] for item in body["items"]] == ["out/d1/p1.jsonl", "out/d1/p2.jsonl"]
    assert body["nextPageToken"]
    assert list_names(sim.vertex, "out/") == [
        "out/d1/p1.jsonl",
        "out/d1/p2.jsonl",
        "out/d2/p.jsonl",
        "out/top",
    ]
    folders = sim.vertex.get(
        f"/storage/v1/b/{BUCKET}/o", params={"prefix": "out/", "delimiter": "/"}
    ).json()
    assert folders["prefixes"] == ["out/d1/", "out/d2/"]
    assert [item["name"] for item in folders["items"]] == ["out/top"]
    empty = sim.vertex.get(f"/storage/v1/b/{BUCKET}/o", params={"prefix": "none/"}).json()
    assert "items" not in empty


def test_resumable_upload_with_content_range(google_sim):
    sim = google_sim()
    start = sim.vertex.post(
        UPLOAD,
        params={"uploadType": "resumable"},
        json={"name": "big/input.jsonl"},
        headers={"X-Upload-Content-Type": "application/jsonl"},
    )
    assert start.status_code == 200, start.text
    session = start.headers["Location"]
    assert "upload_id=" in session
    data = b"0123456789abcdef"
    first = sim.client.put(session, content=data[:10], headers={"Content-Range": "bytes 0-9/*"})
    assert first.status_code == 308 and first.headers["Range"] == "bytes=0-9"
    status = sim.client.put(session, headers={"Content-Range": "bytes */16"})
    assert status.status_code == 308 and status.headers["Range"] == "bytes=0-9"
    wrong = sim.client.put(session, content=data[4:], headers={"Content-Range": "bytes 4-15/16"})
    google_error(wrong, 400, "INVALID_ARGUMENT")
    last = sim.client.put(session, content=data[10:], headers={"Content-Range": "bytes 10-15/16"})
    assert last.status_code == 200, last.text
    assert last.json()["size"] == "16" and last.json()["contentType"] == "application/jsonl"
    content = sim.vertex.get(object_path("big/input.jsonl"), params={"alt": "media"}).content
    assert content == data


def test_multipart_upload_stores_the_media_under_the_metadata_name(google_sim):
    sim = google_sim()
    data = b'{"a": 1}\r\n{"b": 2}\n'
    body = (
        b"--sep\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
        b'{"name": "multi/in.jsonl", "contentType": "application/jsonl"}\r\n'
        b"--sep\r\nContent-Type: application/jsonl\r\n\r\n" + data + b"\r\n--sep--\r\n"
    )
    stored = sim.vertex.post(
        UPLOAD,
        params={"uploadType": "multipart"},
        content=body,
        headers={"Content-Type": 'multipart/related; boundary="sep"'},
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["name"] == "multi/in.jsonl" and stored.json()["size"] == str(len(data))
    content = sim.vertex.get(object_path("multi/in.jsonl"), params={"alt": "media"}).content
    assert content == data
    malformed = sim.vertex.post(UPLOAD, params={"uploadType": "multipart"}, content=b"--x--")
    assert "multipart/related" in google_error(malformed, 400, "INVALID_ARGUMENT")


def test_objects_survive_a_restart(google_sim, tmp_path):
    data_dir = tmp_path / "shared"
    first = google_sim(data_dir=data_dir)
    put_object(first.vertex, "keep.jsonl", b"kept\n")
    first.handle.stop()
    second = google_sim(data_dir=data_dir)
    assert second.vertex.get(object_path("keep.jsonl"), params={"alt": "media"}).content == (
        b"kept\n"
    )
