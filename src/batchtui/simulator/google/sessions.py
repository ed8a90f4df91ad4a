"""Resumable upload sessions, kept on disk so an upload survives a simulator restart.

Both Google upload protocols (the Gemini Files API's `X-Goog-Upload-*` headers, Cloud
Storage's `uploadType=resumable` with `Content-Range`) start a session, append bytes at an
offset the client states, and finish; only their headers differ, so this holds the common
part: `<dir>/<id>.json` (what the session is for) and `<dir>/<id>.part` (the bytes so far).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from batchtui.core.fsutil import atomic_write_bytes
from batchtui.core.paths import ensure_private_dir


class OffsetMismatch(Exception):
    """The client sent bytes for an offset other than the bytes received so far."""

    def __init__(self, received: int) -> None:
        super().__init__(f"{received} bytes received so far")
        self.received = received


class UploadSessions:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        ensure_private_dir(directory)
        self._lock = threading.Lock()

    def start(self, details: dict[str, Any]) -> str:
        upload_id = "sim-" + secrets.token_urlsafe(24)
        self._part(upload_id).touch(mode=0o600)
        atomic_write_bytes(self._meta(upload_id), json.dumps(details).encode())
        return upload_id

    def details(self, upload_id: str) -> dict[str, Any] | None:
        if not upload_id.startswith("sim-") or "/" in upload_id:
            return None
        try:
            return json.loads(self._meta(upload_id).read_bytes())
        except FileNotFoundError:
            return None

    def received(self, upload_id: str) -> int:
        return self._part(upload_id).stat().st_size

    def append(self, upload_id: str, offset: int, chunks: Iterator[bytes]) -> int:
        """Append a chunk stated to start at `offset`; returns the bytes received in total."""
        with self._lock:
            received = self.received(upload_id)
            if offset != received:
                raise OffsetMismatch(received)
            with self._part(upload_id).open("ab") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
                return handle.tell()

    def part_path(self, upload_id: str) -> Path:
        return self._part(upload_id)

    def close(self, upload_id: str) -> None:
        for path in (self._meta(upload_id), self._part(upload_id)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _meta(self, upload_id: str) -> Path:
        return self.directory / f"{upload_id}.json"

    def _part(self, upload_id: str) -> Path:
        return self.directory / f"{upload_id}.part"
