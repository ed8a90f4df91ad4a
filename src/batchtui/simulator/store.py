"""The simulator's state on disk: one JSON file per object, file contents as blobs.

Layout under the data dir::

    files/<file_id>.json         the File object plus its creation sequence number
    blobs/<file_id>              the file's bytes
    batches/<batch_id>.json      the batch's recorded facts (see `lifecycle.Timeline`)
    batches/<batch_id>.plan.json per-request outcome and token counts, in input order
    batches/<batch_id>.rows.jsonl each request's result row, in input order

Every write goes to a temporary file beside the target and is renamed over it, so a reader
(or a restart after a crash) only ever sees whole objects. A batch's own JSON is written last
when it is created: the batch exists exactly when that file does.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from batchtui.core.fsutil import atomic_write_bytes
from batchtui.core.paths import ensure_private_dir


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.files_dir = data_dir / "files"
        self.blobs_dir = data_dir / "blobs"
        self.batches_dir = data_dir / "batches"
        for directory in (data_dir, self.files_dir, self.blobs_dir, self.batches_dir):
            ensure_private_dir(directory)  # uploaded prompts are the user's data
        self._seq_lock = threading.Lock()
        self._last_seq = 0

    def next_seq(self) -> int:
        """A number that orders objects by creation, also across restarts."""
        with self._seq_lock:
            self._last_seq = max(self._last_seq + 1, time.time_ns())
            return self._last_seq

    # -- files -------------------------------------------------------------------------------

    def blob_path(self, file_id: str) -> Path:
        return self.blobs_dir / file_id

    @contextlib.contextmanager
    def new_blob(self) -> Iterator[tuple[BinaryIO, Path]]:
        """A temporary blob to stream into; removed unless `commit_blob` moved it."""
        fd, name = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=self.blobs_dir)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle, path
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def commit_blob(self, handle: BinaryIO, temp_path: Path, file_id: str) -> None:
        handle.flush()
        os.fsync(handle.fileno())
        os.replace(temp_path, self.blob_path(file_id))

    def write_blob(self, file_id: str, chunks: Iterator[bytes]) -> int:
        """Write a generated file's bytes atomically; returns the size."""
        size = 0
        with self.new_blob() as (handle, temp_path):
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            self.commit_blob(handle, temp_path, file_id)
        return size

    def save_file(self, file_object: dict[str, Any], seq: int) -> None:
        record = {"file": file_object, "seq": seq}
        self._write_json(self.files_dir / f"{file_object['id']}.json", record)

    def get_file(self, file_id: str) -> dict[str, Any] | None:
        record = self._read_json(self.files_dir / f"{_safe(file_id)}.json")
        return None if record is None else record["file"]

    def list_files(self) -> list[dict[str, Any]]:
        """Every File object, oldest first."""
        records = [
            record
            for path in self.files_dir.glob("*.json")
            if (record := self._read_json(path)) is not None
        ]
        records.sort(key=lambda record: record["seq"])
        return [record["file"] for record in records]

    def delete_file(self, file_id: str) -> bool:
        record_path = self.files_dir / f"{_safe(file_id)}.json"
        try:
            record_path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(FileNotFoundError):
            self.blob_path(_safe(file_id)).unlink()
        return True

    # -- batches -----------------------------------------------------------------------------

    def rows_path(self, batch_id: str) -> Path:
        return self.batches_dir / f"{batch_id}.rows.jsonl"

    def save_batch(self, record: dict[str, Any]) -> None:
        self._write_json(self.batches_dir / f"{record['id']}.json", record)

    def get_batch(self, batch_id: str) -> dict[str, Any] | None:
        return self._read_json(self.batches_dir / f"{_safe(batch_id)}.json")

    def list_batches(self) -> list[dict[str, Any]]:
        """Every batch record, oldest first."""
        records = [
            record
            for path in self.batches_dir.glob("batch_*.json")
            if not path.name.endswith(".plan.json")
            and (record := self._read_json(path)) is not None
        ]
        records.sort(key=lambda record: record["seq"])
        return records

    def save_plan(self, batch_id: str, plan: dict[str, Any]) -> None:
        self._write_json(self.batches_dir / f"{batch_id}.plan.json", plan)

    def load_plan(self, batch_id: str) -> dict[str, Any] | None:
        return self._read_json(self.batches_dir / f"{batch_id}.plan.json")

    def write_rows(self, batch_id: str, rows: Iterator[dict[str, Any]]) -> None:
        encoded = (json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in rows)
        path = self.rows_path(batch_id)
        with self.new_blob() as (handle, temp_path):
            for line in encoded:
                handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(temp_path, path)

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _write_json(path: Path, value: Any) -> None:
        atomic_write_bytes(path, json.dumps(value, separators=(",", ":")).encode(), mode=0o600)

    @staticmethod
    def _read_json(path: Path) -> Any:
        try:
            return json.loads(path.read_bytes())
        except FileNotFoundError:
            return None


def _safe(object_id: str) -> str:
    """Ids come from URLs: never let one name a path outside the store."""
    if not object_id or "/" in object_id or "\\" in object_id or object_id.startswith("."):
        return "-invalid-"
    return object_id
