"""Files routes: upload, retrieve, list, delete, content with Range."""

from __future__ import annotations

import httpx
import pytest
from sim_helpers import assert_matches_spec, upload

CONTENT = b'{"a": 1}\n{"b": 2}\n' * 10


def test_upload_returns_a_spec_file_object_and_stores_the_bytes(client: httpx.Client) -> None:
    response = upload(client, CONTENT, filename="my input.jsonl")
    assert response.status_code == 200
    file_object = response.json()
    assert_matches_spec(file_object, "OpenAIFile")
    assert file_object["id"].startswith("file-")
    assert file_object["bytes"] == len(CONTENT)
    assert file_object["filename"] == "my input.jsonl"
    assert file_object["purpose"] == "batch"
    # purpose=batch files expire after 30 days by default
    assert file_object["expires_at"] == file_object["created_at"] + 30 * 24 * 3600

    assert client.get(f"/files/{file_object['id']}").json() == file_object
    content = client.get(f"/files/{file_object['id']}/content")
    assert content.status_code == 200
    assert content.content == CONTENT


def test_upload_streams_a_large_file_to_disk(client: httpx.Client, simulator) -> None:
    big = b'{"x": "' + b"y" * 1000 + b'"}\n'
    content = big * 3000  # ~3 MB, many parser chunks
    file_object = upload(client, content).json()
    assert file_object["bytes"] == len(content)
    assert (simulator.data_dir / "blobs" / file_object["id"]).read_bytes() == content
    leftovers = list((simulator.data_dir / "blobs").glob(".upload-*"))
    assert leftovers == []


def test_upload_with_chunked_body_is_accepted(client: httpx.Client) -> None:
    boundary = "simboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.jsonl"\r\n'
            f"Content-Type: application/jsonl\r\n\r\n"
        ).encode()
        + CONTENT
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks():
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = client.post(
        "/files",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["bytes"] == len(CONTENT)
    assert client.get(f"/files/{response.json()['id']}/content").content == CONTENT


def test_upload_honours_expires_after(client: httpx.Client) -> None:
    file_object = upload(
        client,
        CONTENT,
        purpose="user_data",
        filename="notes.txt",
        **{"expires_after[anchor]": "created_at", "expires_after[seconds]": "3600"},
    ).json()
    assert file_object["expires_at"] == file_object["created_at"] + 3600


@pytest.mark.parametrize(
    ("fields", "filename", "param"),
    [
        ({"purpose": ""}, "a.jsonl", "purpose"),
        ({"purpose": "batch_output"}, "a.jsonl", "purpose"),
        ({"purpose": "batch"}, "a.csv", "file"),
        (
            {"purpose": "batch", "expires_after[anchor]": "created_at"},
            "a.jsonl",
            "expires_after.seconds",
        ),
    ],
)
def test_bad_uploads_get_400_in_the_error_envelope(
    client: httpx.Client, fields: dict[str, str], filename: str, param: str, simulator
) -> None:
    response = client.post("/files", files={"file": (filename, CONTENT)}, data=fields)
    assert response.status_code == 400
    assert_matches_spec(response.json(), "ErrorResponse")
    assert response.json()["error"]["param"] == param
    assert list((simulator.data_dir / "blobs").iterdir()) == []


def test_upload_without_file_part_is_400(client: httpx.Client) -> None:
    response = client.post("/files", data={"purpose": "batch"}, files={"other": ("x", b"1")})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


def test_upload_that_is_not_multipart_is_400(client: httpx.Client) -> None:
    response = client.post("/files", json={"purpose": "batch"})
    assert response.status_code == 400
    assert_matches_spec(response.json(), "ErrorResponse")


def test_list_files_filters_orders_and_paginates(client: httpx.Client) -> None:
    ids = [upload(client, CONTENT, filename=f"f{i}.jsonl").json()["id"] for i in range(3)]
    other = upload(client, b"hello", filename="n.txt", purpose="user_data").json()["id"]

    everything = client.get("/files").json()
    assert_matches_spec(everything, "ListFilesResponse")
    assert [f["id"] for f in everything["data"]] == [other, *reversed(ids)]
    assert everything["has_more"] is False
    assert everything["first_id"] == other
    assert everything["last_id"] == ids[0]

    batch_only = client.get("/files", params={"purpose": "batch", "order": "asc"}).json()
    assert [f["id"] for f in batch_only["data"]] == ids

    page = client.get("/files", params={"order": "asc", "limit": 2}).json()
    assert [f["id"] for f in page["data"]] == ids[:2]
    assert page["has_more"] is True
    rest = client.get("/files", params={"order": "asc", "limit": 2, "after": page["last_id"]})
    assert [f["id"] for f in rest.json()["data"]] == [ids[2], other]
    assert rest.json()["has_more"] is False


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "10001"}, {"order": "up"}])
def test_list_files_rejects_bad_parameters(client: httpx.Client, params: dict[str, str]) -> None:
    response = client.get("/files", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == next(iter(params))


def test_delete_file_then_it_is_gone(client: httpx.Client) -> None:
    file_id = upload(client, CONTENT).json()["id"]
    deleted = client.delete(f"/files/{file_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": file_id, "object": "file", "deleted": True}
    assert_matches_spec(deleted.json(), "DeleteFileResponse")
    for response in (
        client.get(f"/files/{file_id}"),
        client.get(f"/files/{file_id}/content"),
        client.delete(f"/files/{file_id}"),
    ):
        assert response.status_code == 404
        assert_matches_spec(response.json(), "ErrorResponse")
        assert file_id in response.json()["error"]["message"]


def test_ids_that_look_like_paths_are_not_found(client: httpx.Client) -> None:
    assert client.get("/files/..%2Fbatches").status_code == 404
    assert client.get("/files/.hidden").status_code == 404


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [("bytes=5-", 5, None), ("bytes=5-14", 5, 14), ("bytes=-10", None, None)],
)
def test_content_honours_range(
    client: httpx.Client, range_header: str, start: int | None, end: int | None
) -> None:
    file_id = upload(client, CONTENT).json()["id"]
    response = client.get(f"/files/{file_id}/content", headers={"Range": range_header})
    assert response.status_code == 206
    size = len(CONTENT)
    if start is None:
        expected, first, last = CONTENT[-10:], size - 10, size - 1
    else:
        last = size - 1 if end is None else end
        expected, first = CONTENT[start : last + 1], start
    assert response.content == expected
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response.headers["Content-Length"] == str(len(expected))


def test_content_range_past_the_end_is_416(client: httpx.Client) -> None:
    file_id = upload(client, CONTENT).json()["id"]
    response = client.get(f"/files/{file_id}/content", headers={"Range": f"bytes={len(CONTENT)}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_no_range_option_sends_the_whole_file(start_simulator) -> None:
    handle = start_simulator(no_range=True)
    with httpx.Client(base_url=handle.url) as client:
        file_id = upload(client, CONTENT).json()["id"]
        response = client.get(f"/files/{file_id}/content", headers={"Range": "bytes=5-"})
    assert response.status_code == 200
    assert response.content == CONTENT
    assert "Content-Range" not in response.headers
    assert "Accept-Ranges" not in response.headers


def test_unknown_route_and_wrong_method(client: httpx.Client) -> None:
    missing = client.get("/nothing-here")
    assert missing.status_code == 404
    assert_matches_spec(missing.json(), "ErrorResponse")
    wrong_method = client.put("/files")
    assert wrong_method.status_code == 405
