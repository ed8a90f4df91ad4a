"""Random access to the lines of big local JSONL files, and the result records in them.

`LineIndex` keeps only where each line ends (8 bytes a line, in an `array('q')`),
found by reading the file in bounded windows, so memory does not grow with line
length and the whole file is never mapped or held. Lines are read on demand with
`os.pread` and kept in a small LRU. The scan runs in a caller's thread, reports
progress, stops when asked, and can be resumed; lines already found are readable
while it runs.

`ResultSet` chains the index of a job's output and error files into one list of
rows; `RecordBuffer` holds records streamed from a provider when nothing is
downloaded. Both answer the same questions, so a viewer needs no special case.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from batchtui.core.errors import InputFileError
from batchtui.core.models import ResultRecord

# (bytes done, bytes total)
ScanProgress = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

WINDOW_BYTES = 1 << 20
PROGRESS_INTERVAL = 0.1

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small least-recently-used map (thread-safe enough for one writer, many readers)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


def _line_ends(chunk: bytes, base: int) -> Iterator[int]:
    """Offsets just past each newline in `chunk`, which starts at file offset `base`.

    Kept apart so a faster finder (numpy, a C helper) can replace it alone.
    """
    find = chunk.find
    index = find(b"\n")
    while index != -1:
        yield base + index + 1
        index = find(b"\n", index + 1)


def _strip_newline(line: bytes) -> bytes:
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    return line


class LineIndex:
    """Where every line of one local file ends, and the lines read on demand.

    Line `n` (0-based) spans `[end(n-1), end(n))`; a last line without a newline
    counts, an empty file has no lines, CR before LF is dropped from what is read.
    The file's size is taken when it is opened: bytes appended later are not seen.
    """

    def __init__(self, path: Path, *, window: int = WINDOW_BYTES, cache_lines: int = 4096) -> None:
        self.path = Path(path)
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise InputFileError(f"{self.path}: cannot open: {exc.strerror or exc}") from None
        self.size = os.fstat(self._fd).st_size
        self._window = max(1, window)
        self._ends = array("q")
        self._scanned = 0
        self._complete = self.size == 0
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self._cache: LRU[int, bytes] = LRU(cache_lines)

    # --- state --------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Lines found so far (all of them once `complete`)."""
        return len(self._ends)

    @property
    def complete(self) -> bool:
        return self._complete

    @property
    def scanned_bytes(self) -> int:
        return self.size if self._complete else self._scanned

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        # Viewers drop an index while a worker may still read it: the last owner closes.
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)

    def __enter__(self) -> LineIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- scanning -----------------------------------------------------------------------

    def scan(self, progress: ScanProgress | None = None, cancel: CancelCheck | None = None) -> bool:
        """Find line ends up to the end of the file; False when cancelled (resumable).

        Safe to call from several threads: a second caller waits for the first, then
        finds the work done.
        """
        while not self._scan_lock.acquire(timeout=0.05):
            if cancel is not None and cancel():
                return False
        try:
            return self._scan_locked(progress, cancel)
        finally:
            self._scan_lock.release()

    def _scan_locked(self, progress: ScanProgress | None, cancel: CancelCheck | None) -> bool:
        position = self._scanned
        last_report = 0.0
        while position < self.size and not self._complete:
            if cancel is not None and cancel():
                return False
            chunk = os.pread(self._fd, min(self._window, self.size - position), position)
            if not chunk:  # truncated under us: what we have is all there is
                break
            found = array("q", _line_ends(chunk, position))
            position += len(chunk)
            with self._lock:
                self._ends.extend(found)
                self._scanned = position
            now = time.monotonic()
            if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                last_report = now
                progress(position, self.size)
        with self._lock:
            if position > (self._ends[-1] if self._ends else 0):
                self._ends.append(position)  # the last line has no newline
            self._scanned = position
            self._complete = True
        if progress is not None:
            progress(self.size, self.size)
        return True

    # --- reading ------------------------------------------------------------------------

    def span(self, line: int) -> tuple[int, int]:
        """Byte range of an indexed line, newline included."""
        with self._lock:
            if not 0 <= line < len(self._ends):
                raise IndexError(f"{self.path}: line {line + 1} is not indexed")
            start = self._ends[line - 1] if line else 0
            return start, self._ends[line]

    def read_line(self, line: int) -> bytes:
        """Line `line` (0-based) without its line ending; IndexError when not indexed yet."""
        cached = self._cache.get(line)
        if cached is not None:
            return cached
        start, end = self.span(line)
        data = _strip_newline(os.pread(self._fd, end - start, start))
        self._cache.put(line, data)
        return data

    def read_lines(self, first: int, stop: int) -> list[bytes]:
        """Indexed lines `first` to `stop - 1`, with one read for those not cached."""
        stop = min(stop, self.line_count)
        if first >= stop:
            return []
        cached = [self._cache.get(n) for n in range(first, stop)]
        if all(line is not None for line in cached):
            return cached  # type: ignore[return-value]
        block_start, _ = self.span(first)
        _, block_end = self.span(stop - 1)
        if block_end - block_start > 4 * self._window:
            return [self.read_line(n) for n in range(first, stop)]
        block = os.pread(self._fd, block_end - block_start, block_start)
        return list(self._split_block(block, block_start, first, stop, cache=True))

    def _split_block(
        self, block: bytes, block_start: int, first: int, stop: int, *, cache: bool
    ) -> Iterator[bytes]:
        ends = self._ends
        line_start = ends[first - 1] if first else 0
        for n in range(first, stop):
            line_end = ends[n]
            data = _strip_newline(block[line_start - block_start : line_end - block_start])
            if cache:
                self._cache.put(n, data)
            yield data
            line_start = line_end

    def iter_lines(self, first: int = 0, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(line number, line) in order, read a window at a time (for whole-file passes).

        Lines are not cached: a pass over the file must not evict what is on screen.
        """
        ends = self._ends
        stop = self.line_count if stop is None else min(stop, self.line_count)
        line = first
        while line < stop:
            block_start = ends[line - 1] if line else 0
            # One window's worth of whole lines, and at least one line however long.
            last = max(line + 1, bisect.bisect_right(ends, block_start + self._window, line, stop))
            block = os.pread(self._fd, ends[last - 1] - block_start, block_start)
            yield from enumerate(
                self._split_block(block, block_start, line, last, cache=False), line
            )
            line = last

    def tail_lines(self, count: int, *, max_bytes: int = 8 * WINDOW_BYTES) -> list[bytes]:
        """The last `count` lines, read backwards from the end like `less` (no index needed).

        Gives fewer lines when they would take more than `max_bytes`.
        """
        if count <= 0 or self.size == 0:
            return []
        end = self.size
        data = b""
        position = end
        while position > 0 and end - position < max_bytes:
            step = min(self._window, position)
            position -= step
            data = os.pread(self._fd, step, position) + data
            body = data[:-1] if data.endswith(b"\n") else data
            if body.count(b"\n") >= count:
                break
        body = data[:-1] if data.endswith(b"\n") else data
        lines = body.split(b"\n")
        if position > 0:
            lines = lines[1:]  # the first piece may be the end of an earlier line
        return [_strip_newline(line) for line in lines[-count:]]


# --- records ---------------------------------------------------------------------------------


def parse_record(raw: bytes) -> ResultRecord:
    """A result line as a record (the formats engine never raises: bad lines are failures)."""
    from batchtui.core.formats.results import parse_result_line

    return parse_result_line(raw)


class RecordSource(Protocol):
    """What a result viewer reads: rows of records, growing until `complete`."""

    @property
    def count(self) -> int: ...

    @property
    def complete(self) -> bool: ...

    grows_by_itself: bool

    def record(self, row: int) -> ResultRecord: ...

    def where(self, row: int) -> str: ...

    def matching_rows(
        self,
        *,
        errors_only: bool,
        text: str,
        progress: ScanProgress | None = None,
        cancel: CancelCheck | None = None,
    ) -> array | None: ...


def text_needles(text: str) -> tuple[bytes, ...]:
    """Lower-cased forms `text` may take inside a JSON line (as is, and JSON-escaped)."""
    lowered = text.lower()
    plain = lowered.encode("utf-8")
    escaped = json.dumps(lowered)[1:-1].encode("ascii")
    return (plain,) if escaped == plain else (plain, escaped)


def line_matches(
    raw: bytes,
    needles: Sequence[bytes],
    errors_only: bool,
    record: Callable[[], ResultRecord],
) -> bool:
    if needles:
        lowered = raw.lower()
        if not any(needle in lowered for needle in needles):
            return False
    return not errors_only or not record().ok


class ResultFile:
    """The records of one local results file, parsed lazily and cached."""

    def __init__(self, path: Path, *, cache_records: int = 2048) -> None:
        self.path = Path(path)
        self.index = LineIndex(self.path)
        self._records: LRU[int, ResultRecord] = LRU(cache_records)

    def record(self, line: int) -> ResultRecord:
        cached = self._records.get(line)
        if cached is None:
            cached = parse_record(self.index.read_line(line))
            self._records.put(line, cached)
        return cached

    def where(self, line: int) -> str:
        return f"{self.path}:{line + 1}"

    def close(self) -> None:
        self.index.close()


class ResultSet:
    """Several results files (output, then errors) read as one list of rows."""

    # Rows appear as the index scan goes, without anyone asking for them.
    grows_by_itself = True

    def __init__(self, paths: Iterable[Path]) -> None:
        self.files: list[ResultFile] = []
        try:
            for path in paths:
                self.files.append(ResultFile(path))
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> int:
        return sum(file.index.size for file in self.files)

    @property
    def count(self) -> int:
        """Rows readable now: a later file's rows appear once the earlier ones are indexed."""
        total = 0
        for file in self.files:
            total += file.index.line_count
            if not file.index.complete:
                break
        return total

    @property
    def complete(self) -> bool:
        return all(file.index.complete for file in self.files)

    def scan(self, progress: ScanProgress | None = None, cancel: CancelCheck | None = None) -> bool:
        total = self.size
        done_before = 0
        for file in self.files:

            def report(done: int, _size: int, base: int = done_before) -> None:
                if progress is not None:
                    progress(base + done, total)

            if not file.index.scan(report, cancel):
                return False
            done_before += file.index.size
        return True

    def locate(self, row: int) -> tuple[ResultFile, int]:
        for file in self.files:
            if row < file.index.line_count:
                return file, row
            row -= file.index.line_count
        raise IndexError(f"row {row} is past the end")

    def record(self, row: int) -> ResultRecord:
        file, line = self.locate(row)
        return file.record(line)

    def raw(self, row: int) -> bytes:
        file, line = self.locate(row)
        return file.index.read_line(line)

    def where(self, row: int) -> str:
        file, line = self.locate(row)
        return file.where(line)

    def matching_rows(
        self,
        *,
        errors_only: bool,
        text: str,
        progress: ScanProgress | None = None,
        cancel: CancelCheck | None = None,
    ) -> array | None:
        """Rows passing the filters, in order; None when cancelled. Scans first if needed."""
        if not self.scan(None, cancel):
            return None
        needles = text_needles(text) if text else ()
        rows = array("q")
        total = self.size
        base_row = 0
        base_bytes = 0
        last_report = 0.0
        for file in self.files:
            for line, raw in file.index.iter_lines():
                if line % 256 == 0:
                    if cancel is not None and cancel():
                        return None
                    now = time.monotonic()
                    if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                        last_report = now
                        progress(base_bytes + file.index.span(line)[0], total)
                if line_matches(
                    raw,
                    needles,
                    errors_only,
                    lambda file=file, line=line, raw=raw: (
                        file._records.get(line) or parse_record(raw)
                    ),
                ):
                    rows.append(base_row + line)
            base_row += file.index.line_count
            base_bytes += file.index.size
        if progress is not None:
            progress(total, total)
        return rows

    def close(self) -> None:
        for file in self.files:
            file.close()


class RecordBuffer:
    """Records streamed from a provider (a remote preview), appended as they arrive."""

    # Rows appear only when the viewer asks for the next page.
    grows_by_itself = False

    def __init__(self, label: str = "remote") -> None:
        self.label = label
        self.records: list[ResultRecord] = []
        self.exhausted = False

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def complete(self) -> bool:
        return self.exhausted

    def extend(self, records: Iterable[ResultRecord]) -> None:
        self.records.extend(records)

    def record(self, row: int) -> ResultRecord:
        return self.records[row]

    def where(self, row: int) -> str:
        return f"{self.label} record {row + 1}"

    def matching_rows(
        self,
        *,
        errors_only: bool,
        text: str,
        progress: ScanProgress | None = None,
        cancel: CancelCheck | None = None,
    ) -> array | None:
        needles = text_needles(text) if text else ()
        rows = array("q")
        for row, record in enumerate(self.records):
            if cancel is not None and cancel():
                return None
            raw = (record.raw or "").encode("utf-8")
            haystack = raw + b"\n" + (record.text or "").encode("utf-8")
            if line_matches(haystack, needles, errors_only, lambda record=record: record):
                rows.append(row)
        return rows


# --- joining results to their input ----------------------------------------------------------

_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def custom_id_of(raw: bytes) -> str | None:
    """The custom_id of a request line, found without parsing the whole line when possible."""
    match = _CUSTOM_ID.search(raw)
    if match is not None:
        try:
            return json.loads(b'"' + match.group(1) + b'"')
        except ValueError:
            pass
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    custom_id = value.get("custom_id") if isinstance(value, dict) else None
    return custom_id if isinstance(custom_id, str) else None


def build_custom_id_map(
    index: LineIndex,
    progress: ScanProgress | None = None,
    cancel: CancelCheck | None = None,
) -> dict[str, int] | None:
    """custom_id -> line of an input file (the first line wins); None when cancelled."""
    if not index.scan(None, cancel):
        return None
    lines: dict[str, int] = {}
    last_report = 0.0
    for line, raw in index.iter_lines():
        if line % 256 == 0:
            if cancel is not None and cancel():
                return None
            now = time.monotonic()
            if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                last_report = now
                progress(index.span(line)[0], index.size)
        custom_id = custom_id_of(raw)
        if custom_id is not None:
            lines.setdefault(custom_id, line)
    if progress is not None:
        progress(index.size, index.size)
    return lines


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict):
                text = part.get("text")
                parts.append(text if isinstance(text, str) else f"[{part.get('type', 'part')}]")
            else:
                parts.append(str(part))
        return "\n".join(parts)
    return "" if content is None else json.dumps(content, ensure_ascii=False)


def request_prompt(raw: bytes) -> str:
    """The prompt of one request line, as text ("role: content" per chat message)."""
    try:
        request = json.loads(raw)
    except ValueError as exc:
        return f"(input line is not JSON: {exc})"
    body = request.get("body") if isinstance(request, dict) else None
    if not isinstance(body, dict):
        return "(input line has no body)"
    if isinstance(body.get("messages"), list):
        lines = []
        for message in body["messages"]:
            if isinstance(message, dict):
                role = message.get("role", "?")
                lines.append(f"{role}: {_content_text(message.get('content'))}")
        return "\n".join(lines)
    for key in ("input", "prompt"):
        if key in body:
            prompt = _content_text(body[key])
            instructions = body.get("instructions")
            return f"system: {instructions}\nuser: {prompt}" if instructions else prompt
    return json.dumps(body, ensure_ascii=False)


# --- what a viewer shows ----------------------------------------------------------------------


def record_outcome(record: ResultRecord, *, ascii_only: bool = False) -> str:
    """Glyph and word for a record, never colour alone: `✔ ok`, `✖ error` (`+ ok`, `x error`)."""
    if record.ok:
        return "+ ok" if ascii_only else "✔ ok"
    return "x error" if ascii_only else "✖ error"


def record_tokens(record: ResultRecord) -> str:
    """Tokens used, as `prompt+completion` when both are known, else the total, else ``."""
    if record.prompt_tokens is not None and record.completion_tokens is not None:
        return f"{record.prompt_tokens}+{record.completion_tokens}"
    return "" if record.total_tokens is None else str(record.total_tokens)


def record_gist(record: ResultRecord) -> str:
    """The first words worth reading: the answer, or what went wrong."""
    if record.ok:
        return record.text or ""
    parts = [part for part in (record.error_code, record.error_message) if part]
    if record.status_code is not None:
        parts.insert(0, f"HTTP {record.status_code}")
    return ": ".join(parts)
