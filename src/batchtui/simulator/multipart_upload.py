"""Stream a multipart/form-data upload (POST /files) to disk with python-multipart.

The `file` part goes straight to a sink file chunk by chunk; the other parts (`purpose`,
`expires_after[...]`) are small text fields kept in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from batchtui.simulator.validation import RequestInvalid

MAX_FIELD_BYTES = 64 * 1024
FILE_FIELD = "file"


@dataclass
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str = "upload"
    has_file: bool = False
    size: int = 0


class _FormCollector:
    """python-multipart callbacks that fill an `UploadForm` and write the file part."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.form = UploadForm()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._part_name = ""
        self._to_file = False
        self._value = bytearray()

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._headers = {}
        self._part_name = ""
        self._to_file = False
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.decode("latin-1").lower()] = bytes(self._header_value)
        self._header_name = bytearray()
        self._header_value = bytearray()

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", b""))
        self._part_name = params.get(b"name", b"").decode("utf-8", "replace")
        # Only the first `file` part is kept; a repeated one is read and dropped.
        self._to_file = self._part_name == FILE_FIELD and not self.form.has_file
        if self._to_file:
            self.form.has_file = True
            filename = params.get(b"filename", b"").decode("utf-8", "replace")
            self.form.filename = filename.replace("\\", "/").rsplit("/", 1)[-1] or "upload"

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._to_file:
            self.sink.write(data[start:end])
            self.form.size += end - start
        elif self._part_name != FILE_FIELD:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise RequestInvalid(
                    f"Form field {self._part_name!r} is too long.", param=self._part_name
                )

    def on_part_end(self) -> None:
        if not self._to_file and self._part_name and self._part_name != FILE_FIELD:
            self.form.fields[self._part_name] = self._value.decode("utf-8", "replace")


def read_upload(content_type: str, body: Iterable[bytes], sink: BinaryIO) -> UploadForm:
    """Parse a multipart body, writing the `file` part to `sink`."""
    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise RequestInvalid(
            "POST /files expects a multipart/form-data body with a boundary.",
            param="file",
        )
    collector = _FormCollector(sink)
    parser = MultipartParser(boundary, collector.callbacks())
    try:
        for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as error:
        raise RequestInvalid(f"Malformed multipart body: {error}", param="file") from None
    return collector.form
