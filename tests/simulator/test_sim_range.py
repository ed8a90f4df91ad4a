"""Range on every route that serves file bytes, as the real services answer it (RFC 9110
§14): 206 with `Content-Range: bytes A-B/SIZE`, a suffix range from the end, 416 with
`bytes */SIZE` past the end, the whole file for a range-spec that is not valid."""

from __future__ import annotations

from collections.abc import Callable

import google_helpers
import httpx
import pytest
from google_helpers import object_path, put_object, upload_gemini_file
from sim_helpers import upload

google_sim = google_helpers.google_sim  # the fixture

DATA = b"".join(b'{"n": %d}\n' % n for n in range(500))
SIZE = len(DATA)


def check_ranges(get: Callable[[dict[str, str]], httpx.Response]) -> None:
    middle = get({"Range": "bytes=100-199"})
    assert middle.status_code == 206 and middle.content == DATA[100:200]
    assert middle.headers["Content-Range"] == f"bytes 100-199/{SIZE}"
    assert middle.headers["Content-Length"] == "100"

    first = get({"Range": "bytes=0-0"})  # how a client learns the size without HEAD
    assert first.status_code == 206 and first.content == DATA[:1]
    assert first.headers["Content-Range"] == f"bytes 0-0/{SIZE}"

    suffix = get({"Range": "bytes=-64"})
    assert suffix.status_code == 206 and suffix.content == DATA[-64:]
    assert suffix.headers["Content-Range"] == f"bytes {SIZE - 64}-{SIZE - 1}/{SIZE}"

    longer = get({"Range": f"bytes=-{SIZE * 2}"})  # more than the file: all of it
    assert longer.status_code == 206 and longer.content == DATA

    beyond_end = get({"Range": f"bytes={SIZE - 10}-{SIZE * 2}"})
    assert beyond_end.status_code == 206 and beyond_end.content == DATA[-10:]
    assert beyond_end.headers["Content-Range"] == f"bytes {SIZE - 10}-{SIZE - 1}/{SIZE}"

    past = get({"Range": f"bytes={SIZE}-"})
    assert past.status_code == 416
    assert past.headers["Content-Range"] == f"bytes */{SIZE}"

    invalid = get({"Range": "bytes=20-10"})  # last before first: ignored
    assert invalid.status_code == 200 and invalid.content == DATA


def test_openai_files_content(client: httpx.Client) -> None:
    file_id = upload(client, DATA).json()["id"]
    check_ranges(lambda headers: client.get(f"/files/{file_id}/content", headers=headers))


def test_gemini_files_download(google_sim) -> None:
    sim = google_sim()
    name = upload_gemini_file(sim.gemini, DATA)["name"]
    route = f"/download/v1beta/{name}:download"
    check_ranges(lambda headers: sim.gemini.get(route, params={"alt": "media"}, headers=headers))


@pytest.mark.parametrize("prefix", ["", "/download"])
def test_cloud_storage_media(google_sim, prefix: str) -> None:
    sim = google_sim()
    assert put_object(sim.vertex, "out/predictions.jsonl", DATA).status_code == 200
    route = prefix + object_path("out/predictions.jsonl")
    check_ranges(lambda headers: sim.vertex.get(route, params={"alt": "media"}, headers=headers))


def test_a_suffix_range_of_an_empty_file_is_the_empty_file(client: httpx.Client) -> None:
    file_id = upload(client, b"").json()["id"]
    answer = client.get(f"/files/{file_id}/content", headers={"Range": "bytes=-100"})
    assert answer.status_code == 200 and answer.content == b""
    past = client.get(f"/files/{file_id}/content", headers={"Range": "bytes=0-"})
    assert past.status_code == 416 and past.headers["Content-Range"] == "bytes */0"
