"""Cloud Storage's XML API subset gateways use: `PUT/GET/HEAD https://storage.googleapis.com/B/O`.

Portkey's gateway writes Vertex inputs and reads objects and predictions this way (Bearer
token as for the JSON API): `PUT /{bucket}/{object}` stores the body (200, empty, with an
ETag), `GET` answers the bytes (Range supported), `HEAD` the same headers without them
(Content-Length, Last-Modified). A missing object or bucket is GCS's XML error document
(404 NoSuchKey / NoSuchBucket). Object names arrive percent-encoded; `/` may be either way.
These paths have no prefix of their own, so they are served only to requests whose Host is
`storage.googleapis.com` (as a TLS front in front of the simulator passes it on).
"""

from __future__ import annotations

import base64
import re
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import unquote

from batchtui.simulator.google.routing import GoogleRoute, route
from batchtui.simulator.http_types import Answer, FileAnswer, IncomingRequest, RawAnswer

if TYPE_CHECKING:
    from batchtui.simulator.google.apis import GoogleApis

XML_HOST = "storage.googleapis.com"
PATH = r"/(?P<bucket>[a-z0-9][a-z0-9._-]*)/(?P<object>.+)"
XML_TYPE = "application/xml; charset=UTF-8"


def serves(host: str | None) -> bool:
    """Whether a request with this Host header is meant for the XML API."""
    return (host or "").split(":", 1)[0].lower() == XML_HOST


def _error(status: int, code: str, message: str) -> RawAnswer:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return RawAnswer(status, XML_TYPE, body.encode())


def _uri(apis: GoogleApis, match: re.Match[str]) -> str | RawAnswer:
    bucket = match.group("bucket")
    if bucket not in apis.vertex.buckets:
        return _error(404, "NoSuchBucket", "The specified bucket does not exist.")
    return f"gs://{bucket}/{unquote(match.group('object'))}"


def put_object(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    uri = _uri(apis, match)
    if isinstance(uri, RawAnswer):
        return uri
    record = apis.vertex.put_object(
        uri,
        request.iter_body(),
        purpose="upload",
        content_type=request.header("Content-Type"),
    )
    etag = base64.b64encode(str(record["created_at"]).encode()).decode()
    return RawAnswer(200, "text/html; charset=UTF-8", b"", {"ETag": f'"{etag}"'})


def get_object(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    """GET and HEAD: the server sends no body for HEAD."""
    uri = _uri(apis, match)
    if isinstance(uri, RawAnswer):
        return uri
    record = apis.vertex.find_object(uri)
    if record is None:
        return _error(404, "NoSuchKey", "The specified key does not exist.")
    modified = formatdate(record["created_at"], usegmt=True)
    return FileAnswer(apis.vertex.object_path(uri), headers={"Last-Modified": modified})


ROUTES: tuple[GoogleRoute, ...] = (
    route("PUT", PATH, "upload", "storage", put_object),
    route("GET", PATH, "content", "storage", get_object),
    route("HEAD", PATH, "retrieve", "storage", get_object),
)
