"""OpenAI's Files and Batch API under /v1, objects exactly as the engine builds them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors.auth import KeyCheck, bearer_token, check_key
from batchtui.simulator.http_types import (
    Answer,
    FileAnswer,
    Handler,
    IncomingRequest,
    JsonAnswer,
    Route,
)
from batchtui.simulator.multipart_upload import read_upload
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.store import Store
from batchtui.simulator.validation import (
    RequestInvalid,
    parse_create_batch,
    parse_upload_fields,
)

ID = r"(?P<id>[^/]+)"


def path_id(match: re.Match[str]) -> str:
    """The id in the URL path, percent-decoded once."""
    return unquote(match.group("id"))


def upload_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    with engine.store.new_blob() as (handle, temp_path):
        form = read_upload(request.header("Content-Type") or "", request.iter_body(), handle)
        purpose, expires_after = parse_upload_fields(form.fields, form.has_file)
        file_object = engine.create_file(
            handle,
            temp_path,
            filename=form.filename,
            size=form.size,
            purpose=purpose,
            expires_after=expires_after,
        )
    return JsonAnswer(200, file_object)


def list_files(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    query = request.query
    return JsonAnswer(
        200,
        engine.list_files(
            purpose=query.get("purpose"),
            limit=query.get("limit"),
            order=query.get("order"),
            after=query.get("after"),
        ),
    )


def get_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return JsonAnswer(200, engine.get_file(path_id(match)))


def delete_file(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return JsonAnswer(200, engine.delete_file(path_id(match)))


def file_content(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return FileAnswer(engine.file_content_path(path_id(match)))


def create_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return JsonAnswer(200, engine.create_batch(parse_create_batch(request.json_body())))


def list_batches(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    query = request.query
    return JsonAnswer(200, engine.list_batches(after=query.get("after"), limit=query.get("limit")))


def get_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return JsonAnswer(200, engine.get_batch(path_id(match)))


def cancel_batch(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    return JsonAnswer(200, engine.cancel_batch(path_id(match)))


def bearer_refusal(request: IncomingRequest, api_key: str | None) -> JsonAnswer | None:
    """OpenAI's 401 when `--api-key` is set and the Bearer key is missing or wrong."""
    check = check_key(bearer_token(request), api_key)
    if check is KeyCheck.ACCEPTED:
        return None
    if check is KeyCheck.WRONG:
        message = "Incorrect API key provided."
    else:
        message = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
    error = RequestInvalid(message, status=401, code="invalid_api_key")
    return JsonAnswer(401, error.envelope())


def _route(method: str, path: str, fault_route: str, handle: Handler) -> Route:
    return Route(method, re.compile(f"/v1{path}"), fault_route, handle)


@dataclass(frozen=True)
class OpenAIFlavor:
    name: str = "openai"
    routes: tuple[Route, ...] = (
        _route("POST", "/files", "upload", upload_file),
        _route("GET", "/files", "list", list_files),
        _route("GET", f"/files/{ID}", "retrieve", get_file),
        _route("DELETE", f"/files/{ID}", "delete", delete_file),
        _route("GET", f"/files/{ID}/content", "content", file_content),
        _route("POST", "/batches", "create", create_batch),
        _route("GET", "/batches", "list", list_batches),
        _route("GET", f"/batches/{ID}", "retrieve", get_batch),
        _route("POST", f"/batches/{ID}/cancel", "cancel", cancel_batch),
    )

    def make_engine(self, options: SimulatorOptions, store: Store) -> SimulatorEngine:
        return SimulatorEngine(options, store)

    def admit(self, request: IncomingRequest, api_key: str | None) -> Answer | None:
        return bearer_refusal(request, api_key)


FLAVOR = OpenAIFlavor()
