"""The Gemini Developer API's routes under /v1beta (providers.md §4.1, §4.4), API-key auth.

Files are uploaded with Google's resumable protocol only: `POST /upload/v1beta/files` with
`X-Goog-Upload-Protocol: resumable`, `X-Goog-Upload-Command: start` (and optionally
`X-Goog-Upload-Header-Content-Length` / `-Content-Type`) answers the session URL in
`X-Goog-Upload-URL`; then `POST <session URL>` with `X-Goog-Upload-Command: upload`,
`upload, finalize` or `finalize` and `X-Goog-Upload-Offset` (`query` reports
`X-Goog-Upload-Size-Received`, `cancel` drops the session). `X-Goog-Upload-Status` is
`active` until the final answer, `final` with `{"file": {...}}`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from batchtui.simulator.google.errors import GoogleError
from batchtui.simulator.google.gemini_engine import DEFAULT_PAGE_SIZE, file_resource
from batchtui.simulator.google.routing import GoogleRoute, page_size, read_json, root_url, route
from batchtui.simulator.google.sessions import OffsetMismatch
from batchtui.simulator.http_types import Answer, FileAnswer, IncomingRequest, JsonAnswer, RawAnswer

if TYPE_CHECKING:
    from batchtui.simulator.google.apis import GoogleApis

FILE = r"(?P<id>[^/:]+)"
BATCH = r"(?P<id>[^/:]+)"
MODEL = r"(?P<model>[^/:]+)"
CHUNK_GRANULARITY = 8 * 1024 * 1024
MAX_PAGE_SIZE = 1000
INLINE_LIMIT = 20 * 1024 * 1024  # §4.7: inline requests at most ~20 MB


def _commands(request: IncomingRequest) -> set[str]:
    raw = request.header("X-Goog-Upload-Command") or ""
    return {part.strip().lower() for part in raw.split(",") if part.strip()}


def upload_file(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    if "upload_id" in request.query:
        return _continue_upload(apis, request)
    protocol = (request.header("X-Goog-Upload-Protocol") or "").lower()
    if protocol != "resumable" or _commands(request) != {"start"}:
        raise GoogleError(
            400,
            "Upload requests need X-Goog-Upload-Protocol: resumable and "
            "X-Goog-Upload-Command: start (other upload protocols are not simulated).",
        )
    body = read_json(request) or {}
    details = body.get("file") if isinstance(body, dict) else None
    display_name = (
        details.get("displayName", details.get("display_name"))
        if isinstance(details, dict)
        else None
    )
    declared = request.header("X-Goog-Upload-Header-Content-Length")
    upload_id = apis.uploads.start(
        {
            "api": "gemini",
            "display_name": display_name if isinstance(display_name, str) else None,
            "mime_type": request.header("X-Goog-Upload-Header-Content-Type")
            or "application/octet-stream",
            "size": int(declared) if declared and declared.isdigit() else None,
        }
    )
    query = urlencode({"upload_id": upload_id, "upload_protocol": "resumable"})
    headers = {
        "X-Goog-Upload-URL": f"{root_url(request)}/upload/v1beta/files?{query}",
        "X-Goog-Upload-Status": "active",
        "X-Goog-Upload-Chunk-Granularity": str(CHUNK_GRANULARITY),
    }
    return RawAnswer(200, "text/plain", b"", headers)


def _continue_upload(apis: GoogleApis, request: IncomingRequest) -> Answer:
    upload_id = request.query["upload_id"]
    details = apis.uploads.details(upload_id)
    if details is None or details.get("api") != "gemini":
        raise GoogleError(404, "The upload session does not exist or has ended.")
    commands = _commands(request)
    if commands == {"query"}:
        received = apis.uploads.received(upload_id)
        return _status("active", {"X-Goog-Upload-Size-Received": str(received)})
    if commands == {"cancel"}:
        apis.uploads.close(upload_id)
        return _status("cancelled")
    if not commands or not commands <= {"upload", "finalize"}:
        raise GoogleError(400, f"Unknown X-Goog-Upload-Command {sorted(commands)}.")
    received = apis.uploads.received(upload_id)
    if "upload" in commands:
        offset_text = request.header("X-Goog-Upload-Offset") or ""
        if not offset_text.isdigit():
            raise GoogleError(400, "X-Goog-Upload-Offset is required with the upload command.")
        try:
            received = apis.uploads.append(upload_id, int(offset_text), request.iter_body())
        except OffsetMismatch as mismatch:
            raise GoogleError(
                400,
                f"X-Goog-Upload-Offset {offset_text} does not match the "
                f"{mismatch.received} bytes received so far.",
                headers={"X-Goog-Upload-Status": "active"},
            ) from None
    if "finalize" not in commands:
        return _status("active")
    declared = details.get("size")
    if declared is not None and declared != received:
        raise GoogleError(
            400,
            f"The upload was finalized with {received} bytes but "
            f"X-Goog-Upload-Header-Content-Length said {declared}.",
            headers={"X-Goog-Upload-Status": "active"},
        )
    with apis.uploads.part_path(upload_id).open("rb") as handle:
        record = apis.gemini.save_file(
            iter(lambda: handle.read(64 * 1024), b""),
            display_name=details["display_name"],
            mime_type=details["mime_type"],
        )
    apis.uploads.close(upload_id)
    return JsonAnswer(
        200, {"file": file_resource(record, root_url(request))}, {"X-Goog-Upload-Status": "final"}
    )


def _status(status: str, extra: dict[str, str] | None = None) -> RawAnswer:
    return RawAnswer(200, "text/plain", b"", {"X-Goog-Upload-Status": status, **(extra or {})})


def get_file(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    record = apis.gemini.checked_file(match.group("id"))
    return JsonAnswer(200, file_resource(record, root_url(request)))


def list_files(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    size = page_size(request.query.get("pageSize"), 10, 100)
    records, token = apis.gemini.list_files(size, request.query.get("pageToken"))
    body: dict[str, object] = {}
    if records:
        body["files"] = [file_resource(r, root_url(request)) for r in records]
    if token:
        body["nextPageToken"] = token
    return JsonAnswer(200, body)


def delete_file(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    apis.gemini.delete_file(match.group("id"))
    return JsonAnswer(200, {})


def download_file(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    if request.query.get("alt") != "media":
        raise GoogleError(400, "Downloads need the query parameter alt=media.")
    return FileAnswer(apis.gemini.file_path(match.group("id")))


def create_batch(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    body = read_json(request, limit=INLINE_LIMIT)
    return JsonAnswer(200, apis.gemini.create_batch(match.group("model"), body))


def get_batch(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return JsonAnswer(200, apis.gemini.get_batch(match.group("id")))


def list_batches(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    size = page_size(request.query.get("pageSize"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page = apis.gemini.list_batches(size, request.query.get("pageToken"))
    body: dict[str, object] = {"operations": page.operations}
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return JsonAnswer(200, body)


def cancel_batch(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    apis.gemini.cancel_batch(match.group("id"))
    return JsonAnswer(200, {})


def delete_batch(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    apis.gemini.delete_batch(match.group("id"))
    return JsonAnswer(200, {})


ROUTES: tuple[GoogleRoute, ...] = (
    route("POST", "/upload/v1beta/files", "upload", "gemini", upload_file, session_continues=True),
    route("GET", "/v1beta/files", "list", "gemini", list_files),
    route("GET", f"/v1beta/files/{FILE}", "retrieve", "gemini", get_file),
    route("DELETE", f"/v1beta/files/{FILE}", "delete", "gemini", delete_file),
    route("GET", f"/v1beta/files/{FILE}:download", "content", "gemini", download_file),
    route("GET", f"/download/v1beta/files/{FILE}:download", "content", "gemini", download_file),
    route("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", "create", "gemini", create_batch),
    route("GET", "/v1beta/batches", "list", "gemini", list_batches),
    route("GET", f"/v1beta/batches/{BATCH}", "retrieve", "gemini", get_batch),
    route("POST", f"/v1beta/batches/{BATCH}:cancel", "cancel", "gemini", cancel_batch),
    route("DELETE", f"/v1beta/batches/{BATCH}", "delete", "gemini", delete_batch),
)
