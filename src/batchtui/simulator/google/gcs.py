"""The Cloud Storage JSON API subset batch clients use (providers.md §5.2), Bearer-token auth.

- `GET /storage/v1/b/{bucket}`: the bucket, or 404 "The specified bucket does not exist."
  Buckets are `--gcs-buckets` (default `batchtui-sim-bucket`); they cannot be created.
- `POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=N`: the body is the object.
- `POST ...?uploadType=resumable` (name in the query or a JSON body `{"name"}`) → 200 with
  `Location: <session URI>`; then `PUT <session URI>` with `Content-Range: bytes A-B/TOTAL`
  (or `bytes A-B/*` while the size is unknown, `bytes */TOTAL` to ask what arrived): 308
  with `Range: bytes=0-N` until the last byte, then 200 with the object.
- `POST ...?uploadType=multipart`: a `multipart/related` body, the object's JSON metadata
  (`name`, `contentType`) then its bytes (what google-cloud-storage sends for small files).
- `GET /storage/v1/b/{bucket}/o?prefix=&delimiter=&maxResults=&pageToken=`: objects in name
  order, `prefixes` with a delimiter, `nextPageToken` while more remain.
- `GET /storage/v1/b/{bucket}/o/{object}`: metadata; with `alt=media` (also under
  `/download/storage/v1/...`) the bytes, Range supported. `DELETE` → 204.
Object names in paths are percent-encoded (`/` is `%2F`).
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import json
import re
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode

from batchtui.simulator.flavors.vertex_engine import PROJECT_NUMBER, rfc3339
from batchtui.simulator.google.errors import GoogleError
from batchtui.simulator.google.routing import GoogleRoute, page_size, read_json, root_url, route
from batchtui.simulator.google.sessions import OffsetMismatch
from batchtui.simulator.http_types import Answer, FileAnswer, IncomingRequest, JsonAnswer, RawAnswer

if TYPE_CHECKING:
    from batchtui.simulator.google.apis import GoogleApis

BUCKET = r"(?P<bucket>[a-z0-9][a-z0-9._-]*)"
OBJECT = r"(?P<object>[^/]+)"
MAX_RESULTS = 1000
CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")


def _bucket(apis: GoogleApis, match: re.Match[str]) -> str:
    bucket = match.group("bucket")
    if bucket not in apis.vertex.buckets:
        raise GoogleError(404, "The specified bucket does not exist.", reason="notFound")
    return bucket


def _object_uri(apis: GoogleApis, match: re.Match[str]) -> str:
    return f"gs://{_bucket(apis, match)}/{unquote(match.group('object'))}"


def object_resource(record: dict[str, Any], root: str) -> dict[str, Any]:
    bucket, _, name = record["uri"].removeprefix("gs://").partition("/")
    generation = str(int(record["created_at"] * 1_000_000))
    encoded = quote(name, safe="")
    return {
        "kind": "storage#object",
        "id": f"{bucket}/{name}/{generation}",
        "selfLink": f"{root}/storage/v1/b/{bucket}/o/{encoded}",
        "mediaLink": f"{root}/download/storage/v1/b/{bucket}/o/{encoded}"
        f"?generation={generation}&alt=media",
        "name": name,
        "bucket": bucket,
        "generation": generation,
        "metageneration": "1",
        "contentType": record.get("content_type") or "application/octet-stream",
        "storageClass": "STANDARD",
        "size": str(record["bytes"]),
        "etag": base64.b64encode(generation.encode()).decode(),
        "timeCreated": rfc3339(record["created_at"]),
        "updated": rfc3339(record["created_at"]),
    }


def _found(apis: GoogleApis, uri: str) -> dict[str, Any]:
    record = apis.vertex.find_object(uri)
    if record is None:
        raise GoogleError(404, f"No such object: {uri.removeprefix('gs://')}", reason="notFound")
    return record


def get_bucket(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    bucket = _bucket(apis, match)
    return JsonAnswer(
        200,
        {
            "kind": "storage#bucket",
            "id": bucket,
            "name": bucket,
            "projectNumber": PROJECT_NUMBER,
            "location": "US-CENTRAL1",
            "locationType": "region",
            "storageClass": "STANDARD",
        },
    )


def upload_object(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    bucket = _bucket(apis, match)
    upload_type = request.query.get("uploadType")
    if upload_type == "media":
        name = request.query.get("name")
        if not name:
            raise GoogleError(400, "Required parameter: name", reason="required")
        record = apis.vertex.put_object(
            f"gs://{bucket}/{name}",
            request.iter_body(),
            purpose="upload",
            content_type=request.header("Content-Type"),
        )
        return JsonAnswer(200, object_resource(record, root_url(request)))
    if upload_type == "resumable":
        return _start_resumable(apis, request, bucket)
    if upload_type == "multipart":
        return _multipart_upload(apis, request, bucket)
    raise GoogleError(
        400,
        f"uploadType={upload_type!r} is not simulated: use 'media', 'multipart' or 'resumable'.",
        reason="invalidParameter",
    )


def _multipart_upload(apis: GoogleApis, request: IncomingRequest, bucket: str) -> Answer:
    content_type = request.header("Content-Type") or ""
    body = b"".join(request.iter_body())
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if len(parts) != 2:
        raise GoogleError(
            400, "A multipart upload must be multipart/related: metadata, then media."
        )
    try:
        metadata = json.loads(parts[0].get_payload(decode=True) or b"{}")
    except ValueError:
        raise GoogleError(400, "The metadata part is not JSON.", reason="parseError") from None
    name = request.query.get("name") or (
        metadata.get("name") if isinstance(metadata, dict) else None
    )
    if not isinstance(name, str) or not name:
        raise GoogleError(400, "Required parameter: name", reason="required")
    media = parts[1].get_payload(decode=True) or b""
    record = apis.vertex.put_object(
        f"gs://{bucket}/{name}",
        iter([media]),
        purpose="upload",
        content_type=metadata.get("contentType") or parts[1].get_content_type(),
    )
    return JsonAnswer(200, object_resource(record, root_url(request)))


def _start_resumable(apis: GoogleApis, request: IncomingRequest, bucket: str) -> Answer:
    metadata = read_json(request) or {}
    name = request.query.get("name") or (
        metadata.get("name") if isinstance(metadata, dict) else None
    )
    if not isinstance(name, str) or not name:
        raise GoogleError(400, "Required parameter: name", reason="required")
    content_type = (
        request.header("X-Upload-Content-Type")
        or (metadata.get("contentType") if isinstance(metadata, dict) else None)
        or "application/octet-stream"
    )
    upload_id = apis.uploads.start(
        {"api": "storage", "uri": f"gs://{bucket}/{name}", "content_type": content_type}
    )
    query = urlencode({"uploadType": "resumable", "upload_id": upload_id})
    location = f"{root_url(request)}/upload/storage/v1/b/{bucket}/o?{query}"
    return RawAnswer(200, "text/plain", b"", {"Location": location})


def continue_resumable(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    upload_id = request.query.get("upload_id") or ""
    details = apis.uploads.details(upload_id)
    if details is None or details.get("api") != "storage":
        raise GoogleError(404, "No such upload session.", reason="notFound")
    parsed = CONTENT_RANGE.fullmatch((request.header("Content-Range") or "").strip())
    if parsed is None:
        raise GoogleError(
            400, "Content-Range must be 'bytes A-B/TOTAL', 'bytes A-B/*' or 'bytes */TOTAL'."
        )
    first, last, total_text = parsed.groups()
    total = None if total_text == "*" else int(total_text)
    received = apis.uploads.received(upload_id)
    if first is not None:
        try:
            received = apis.uploads.append(upload_id, int(first), request.iter_body())
        except OffsetMismatch as mismatch:
            raise GoogleError(
                400,
                f"Invalid request: the chunk starts at byte {first} but "
                f"{mismatch.received} bytes were received.",
                reason="invalid",
            ) from None
        if received != int(last) + 1:
            raise GoogleError(
                400, f"Content-Range ends at byte {last} but the chunk ended at {received - 1}."
            )
    if total is None or received < total:
        headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
        return RawAnswer(308, "text/plain", b"", headers)
    if received > total:
        raise GoogleError(400, f"Received {received} bytes, more than the declared {total}.")
    part = apis.uploads.part_path(upload_id)
    with part.open("rb") as handle:
        record = apis.vertex.put_object(
            details["uri"],
            iter(lambda: handle.read(64 * 1024), b""),
            purpose="upload",
            content_type=details["content_type"],
        )
    apis.uploads.close(upload_id)
    return JsonAnswer(200, object_resource(record, root_url(request)))


def list_objects(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    bucket = _bucket(apis, match)
    prefix = request.query.get("prefix", "")
    delimiter = request.query.get("delimiter") or None
    size = page_size(request.query.get("maxResults"), MAX_RESULTS, MAX_RESULTS)
    after = _decode_token(request.query.get("pageToken"))
    names: dict[str, dict[str, Any] | None] = {}  # object name or prefix -> record (None: prefix)
    for record in apis.vertex.store.list_files():
        bucket_of, _, name = str(record.get("uri", "")).removeprefix("gs://").partition("/")
        if bucket_of != bucket or not name.startswith(prefix):
            continue
        if delimiter and delimiter in name[len(prefix) :]:
            cut = name.index(delimiter, len(prefix)) + len(delimiter)
            names.setdefault(name[:cut], None)
        else:
            names[name] = record
    ordered = sorted(key for key in names if after is None or key > after)
    page, more = ordered[:size], len(ordered) > size
    root = root_url(request)
    body: dict[str, Any] = {"kind": "storage#objects"}
    items = [object_resource(names[key], root) for key in page if names[key] is not None]
    prefixes = [key for key in page if names[key] is None]
    if items:
        body["items"] = items
    if prefixes:
        body["prefixes"] = prefixes
    if more:
        body["nextPageToken"] = base64.urlsafe_b64encode(page[-1].encode()).decode()
    return JsonAnswer(200, body)


def _decode_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise GoogleError(400, "Invalid pageToken.", reason="invalid") from None


def get_object(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    uri = _object_uri(apis, match)
    record = _found(apis, uri)
    if request.query.get("alt") == "media":
        return FileAnswer(apis.vertex.object_path(uri))
    return JsonAnswer(200, object_resource(record, root_url(request)))


def download_object(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    uri = _object_uri(apis, match)
    _found(apis, uri)
    return FileAnswer(apis.vertex.object_path(uri))


def delete_object(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    uri = _object_uri(apis, match)
    record = _found(apis, uri)
    apis.vertex.store.delete_file(record["id"])
    return RawAnswer(204, "text/plain", b"")


ROUTES: tuple[GoogleRoute, ...] = (
    route("GET", f"/storage/v1/b/{BUCKET}", "retrieve", "storage", get_bucket),
    route("POST", f"/upload/storage/v1/b/{BUCKET}/o", "upload", "storage", upload_object),
    route(
        "PUT",
        f"/upload/storage/v1/b/{BUCKET}/o",
        "upload",
        "storage",
        continue_resumable,
        session_continues=True,
    ),
    route("GET", f"/storage/v1/b/{BUCKET}/o", "list", "storage", list_objects),
    route("GET", f"/storage/v1/b/{BUCKET}/o/{OBJECT}", "retrieve", "storage", get_object),
    route(
        "GET", f"/download/storage/v1/b/{BUCKET}/o/{OBJECT}", "content", "storage", download_object
    ),
    route("DELETE", f"/storage/v1/b/{BUCKET}/o/{OBJECT}", "delete", "storage", delete_object),
)
