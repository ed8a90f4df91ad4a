"""custom_id -> line of a batch input file, in bounded memory.

Results are joined to their requests by custom_id, never by line order. A dict of
strings would cost about 130 bytes a request; this index keeps two `array('q')`
(the custom_id's hash, the line number) as an open-addressing table at most 60 %
full: 16 bytes a slot, so 27-54 bytes a request (about 27 MB for a million requests),
plus the input's `LineIndex` (16 bytes a line, far less for short lines). Hashes may
collide, so a lookup reads the candidate line back and compares its custom_id: answers
are exact. Python's string hash is salted per process, so the table is never saved.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterator
from pathlib import Path

from batchtui.core.lineindex import PROGRESS_INTERVAL, CancelCheck, LineIndex, ScanProgress
from batchtui.core.resultfile import custom_id_of

_EMPTY = -1
_MAX_LOAD = 0.6


class RequestIndex:
    """Where each custom_id of an input file is; the first line wins on duplicates."""

    def __init__(self, lines: LineIndex) -> None:
        self.lines = lines
        self.path = lines.path
        self.duplicates = 0  # lines whose custom_id an earlier line already had
        self.without_id = 0  # lines with no custom_id (blank, not JSON, no string id)
        self._size = 1024
        self._hashes = array("q", bytes(8 * self._size))
        self._rows = array("q", [_EMPTY]) * self._size
        self._count = 0

    @classmethod
    def build(
        cls,
        path: Path | LineIndex,
        progress: ScanProgress | None = None,
        cancel: CancelCheck | None = None,
    ) -> RequestIndex | None:
        """Index an input file (its lines, then its custom_ids); None when cancelled."""
        lines = path if isinstance(path, LineIndex) else LineIndex(Path(path))
        if not lines.scan(None, cancel):
            return None
        index = cls(lines)
        last_report = 0.0
        for line, raw in lines.iter_lines():
            if line % 1024 == 0:
                if cancel is not None and cancel():
                    return None
                now = time.monotonic()
                if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                    last_report = now
                    progress(lines.span(line)[0], lines.size)
            custom_id = custom_id_of(raw)
            if custom_id is None:
                if raw.strip():
                    index.without_id += 1
                continue
            index._insert(custom_id, line)
        if progress is not None:
            progress(lines.size, lines.size)
        return index

    def __len__(self) -> int:
        return self._count

    def __contains__(self, custom_id: object) -> bool:
        return isinstance(custom_id, str) and self.line_of(custom_id) is not None

    def line_of(self, custom_id: str) -> int | None:
        """The 0-based line of the request with this custom_id, or None."""
        for line in self._candidates(custom_id):
            if custom_id_of(self.lines.read_line(line, cache=False)) == custom_id:
                return line
        return None

    def request(self, custom_id: str) -> bytes | None:
        """The request line (without its newline) with this custom_id, or None."""
        for line in self._candidates(custom_id):
            raw = self.lines.read_line(line, cache=False)
            if custom_id_of(raw) == custom_id:
                return raw
        return None

    def is_first(self, custom_id: str, line: int) -> bool:
        """Whether `line`, whose custom_id is `custom_id`, is the one the index keeps
        (False for a duplicate, without reading anything)."""
        return line in self._candidates(custom_id)

    def close(self) -> None:
        self.lines.close()

    # --- the table ----------------------------------------------------------------------

    def _candidates(self, custom_id: str) -> Iterator[int]:
        key = hash(custom_id)
        mask = self._size - 1
        slot = key & mask
        while True:
            row = self._rows[slot]
            if row == _EMPTY:
                return
            if self._hashes[slot] == key:
                yield row
            slot = (slot + 1) & mask

    def _insert(self, custom_id: str, line: int) -> None:
        key = hash(custom_id)
        if any(
            custom_id_of(self.lines.read_line(row, cache=False)) == custom_id
            for row in self._candidates(custom_id)
        ):
            self.duplicates += 1
            return
        if self._count + 1 > self._size * _MAX_LOAD:
            self._grow()
        self._place(key, line)
        self._count += 1

    def _place(self, key: int, line: int) -> None:
        mask = self._size - 1
        slot = key & mask
        while self._rows[slot] != _EMPTY:
            slot = (slot + 1) & mask
        self._hashes[slot] = key
        self._rows[slot] = line

    def _grow(self) -> None:
        hashes, rows = self._hashes, self._rows
        self._size *= 2
        self._hashes = array("q", bytes(8 * self._size))
        self._rows = array("q", [_EMPTY]) * self._size
        for key, line in zip(hashes, rows, strict=True):
            if line != _EMPTY:
                self._place(key, line)
