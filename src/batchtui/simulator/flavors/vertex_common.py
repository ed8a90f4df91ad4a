"""Pieces both Vertex gateway flavours use: reading an OpenAI batch upload, id encodings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from batchtui.simulator.engine import SimulatorEngine
from batchtui.simulator.flavors.vertex_engine import VertexEngine
from batchtui.simulator.http_types import IncomingRequest
from batchtui.simulator.multipart_upload import read_upload


def vertex(engine: SimulatorEngine) -> VertexEngine:
    if not isinstance(engine, VertexEngine):
        raise TypeError("a Vertex gateway flavour needs the VertexEngine (see make_engine)")
    return engine


def encode_uri_component(text: str) -> str:
    """JavaScript's encodeURIComponent (Portkey builds its ids with it)."""
    return quote(text, safe="!~*'()")


@dataclass(frozen=True)
class OpenAIUpload:
    fields: dict[str, str]
    filename: str
    has_file: bool
    lines: list[bytes]  # the file part, split into lines (newline kept)


def read_openai_upload(engine: VertexEngine, request: IncomingRequest) -> OpenAIUpload:
    """Spool a multipart upload to a temporary blob, then give back its fields and lines."""
    with engine.store.new_blob() as (handle, temp_path):
        form = read_upload(request.header("Content-Type") or "", request.iter_body(), handle)
        handle.flush()
        lines = Path(temp_path).read_bytes().splitlines(keepends=True)
    return OpenAIUpload(form.fields, form.filename, form.has_file, lines)


def parse_json_line(raw: bytes) -> Any:
    """The JSON value of one line, or None when it is not JSON."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def jsonl_bytes(items: list[dict[str, Any]]) -> Iterator[bytes]:
    for item in items:
        yield json.dumps(item, separators=(",", ":")).encode() + b"\n"
