"""Portkey's gateway in front of OpenAI (providers.md §2.2, §6 item 23).

Built from the reference and Portkey's open-source gateway (src/providers/openai/*):

- Admission as for any Portkey target (`portkey_gateway`); the provider must be `openai` or
  a Model Catalog slug `@openai...`: this gateway forwards to nothing else.
- `/v1/files*` and `/v1/batches*` pass through to the OpenAI engine, objects unchanged. An
  OpenAI error (non-200 with an `error`) comes back as Portkey's OpenAIErrorResponseTransform
  makes it: the message prefixed `openai error: `, a top-level `"provider": "openai"`.
- `GET /v1/batches/{id}/output` (getBatchOutput.ts) does `GET /batches/{id}` upstream, then
  streams `GET /files/{output_file_id}/content`: the output file only, never the error file.
  Without an output file but with `errors` (a batch that failed validation), it answers the
  `errors` object as compact JSON with HTTP 200, `text/plain;charset=UTF-8` (a JS Response
  made from a string). Otherwise the id is put in the URL as JavaScript prints it: a null id
  (an all-failed `completed` batch, one still running) asks for `/files/null/content`, and an
  unknown batch (whose error body has no such field) for `/files/undefined/content`; OpenAI's
  404 comes back as it is, since no transform is applied to this route.
- Portkey sends OpenAI its own headers only, so a client's `Range` never reaches it: file
  bodies come whole with a 200, though OpenAI's `Accept-Ranges` is passed back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors import openai
from batchtui.simulator.flavors.portkey_gateway import portkey_refusal
from batchtui.simulator.http_types import (
    Answer,
    FileAnswer,
    Handler,
    IncomingRequest,
    JsonAnswer,
    RawAnswer,
    Route,
)
from batchtui.simulator.options import SimulatorOptions
from batchtui.simulator.store import Store
from batchtui.simulator.validation import RequestInvalid

PROVIDER = "openai"
CATALOG_PREFIX = "@openai"
UNROUTED = (
    "Invalid provider passed: the simulated gateway forwards to OpenAI only "
    f"(x-portkey-provider: {PROVIDER} or a {CATALOG_PREFIX}... slug)"
)
# What `new Response(string)` is sent with when no content-type is given.
JS_STRING_CONTENT_TYPE = "text/plain;charset=UTF-8"


def routes_to_openai(provider: str) -> bool:
    return provider == PROVIDER or provider.startswith(CATALOG_PREFIX)


def relayed(answer: Answer) -> Answer:
    """An OpenAI answer as Portkey relays it on its pass-through routes."""
    if isinstance(answer, FileAnswer):
        return replace(answer, honour_range=False)
    return openai_error_transform(answer)


def openai_error_transform(answer: Answer) -> Answer:
    """OpenAIErrorResponseTransform: how Portkey relays an OpenAI error."""
    if not isinstance(answer, JsonAnswer) or answer.status == 200:
        return answer
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    if not isinstance(error, dict):
        return answer
    body = {
        "error": {
            "message": f"{PROVIDER} error: {error.get('message')}",
            "type": error.get("type"),
            "param": error.get("param"),
            "code": error.get("code"),
        },
        "provider": PROVIDER,
    }
    return JsonAnswer(answer.status, body, answer.headers)


def _passed_through(handle: Handler) -> Handler:
    """An OpenAI route as Portkey forwards it: the answer, its errors transformed."""

    def relay(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
        try:
            answer = handle(engine, request, match)
        except RequestInvalid as error:
            answer = JsonAnswer(error.status, error.envelope())
        return relayed(answer)

    return relay


def batch_output(engine: SimulatorEngine, request: IncomingRequest, match: re.Match[str]) -> Answer:
    """OpenAIGetBatchOutputRequestHandler, step by step."""
    try:
        details: dict[str, Any] = engine.get_batch(openai.path_id(match))
    except RequestInvalid as error:
        details = error.envelope()  # read as if it were the batch: every field is undefined
    output_file_id = details.get("output_file_id")
    if not output_file_id and details.get("errors"):
        text = json.dumps(details["errors"], separators=(",", ":"), ensure_ascii=False)
        return RawAnswer(200, JS_STRING_CONTENT_TYPE, text.encode())
    try:
        path = engine.file_content_path(_output_id_as_js_prints(details))
        return FileAnswer(path, honour_range=False)
    except RequestInvalid as error:
        return JsonAnswer(error.status, error.envelope())


def _output_id_as_js_prints(details: dict[str, Any]) -> str:
    """`${batchDetails.output_file_id}`: the id, `null`, or `undefined` when there is no field."""
    if "output_file_id" not in details:
        return "undefined"
    value = details["output_file_id"]
    return "null" if value is None else str(value)


def _route(method: str, path: str, fault_route: str, handle: Handler) -> Route:
    return Route(method, re.compile(f"/v1{path}"), fault_route, handle)


@dataclass(frozen=True)
class PortkeyOpenAIFlavor:
    name: str = "portkey-openai"
    routes: tuple[Route, ...] = (
        *(
            Route(route.method, route.pattern, route.fault_route, _passed_through(route.handle))
            for route in openai.FLAVOR.routes
        ),
        _route("GET", f"/batches/{openai.ID}/output", "content", batch_output),
    )

    def make_engine(self, options: SimulatorOptions, store: Store) -> SimulatorEngine:
        return openai.FLAVOR.make_engine(options, store)

    def admit(self, request: IncomingRequest, api_key: str | None) -> Answer | None:
        return portkey_refusal(request, api_key, routes_to=routes_to_openai, unrouted=UNROUTED)


FLAVOR = PortkeyOpenAIFlavor()
