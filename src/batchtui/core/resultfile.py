"""Result records in big local JSONL files, and what a viewer shows of them.

`ResultSet` chains the line indexes (`lineindex.LineIndex`) of a job's output and
error files into one list of rows, parsed lazily; `RecordBuffer` holds records
streamed from a provider when nothing is downloaded. Both answer the same
questions, so a viewer needs no special case. Filtering a whole file (errors only,
text search) looks at bytes before parsing anything: a text search finds the text in
each window with `bytes.find` and parses nothing; "errors only" skips the lines
that are certainly successes without parsing them.
"""

from __future__ import annotations

import json
import re
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

from batchtui.core.lineindex import (
    LRU,
    PROGRESS_INTERVAL,
    WINDOW_BYTES,
    CancelCheck,
    LineIndex,
    ScanProgress,
)
from batchtui.core.models import ResultRecord
from batchtui.core.remote_output import LineWindow

__all__ = [
    "LRU",
    "WINDOW_BYTES",
    "CancelCheck",
    "LineIndex",
    "RecordBuffer",
    "RecordSource",
    "ResultFile",
    "ResultSet",
    "ScanProgress",
    "WindowBuffer",
]

RECORD_CACHE_BYTES = 32 << 20


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


# An OpenAI-format line whose top-level `response` starts with status 200 and whose last
# top-level key is `"error": null` is a success: parsing it would say so. Quotes inside
# JSON strings are escaped, so these byte patterns cannot come from a string's content.
_OK_RESPONSE = (b'"response": {"status_code": 200,', b'"response":{"status_code":200,')
_OK_ENDING = (b'"error": null}', b'"error":null}')


def surely_ok(raw: bytes) -> bool:
    """True only for lines that are certainly successful records (False: parse to know)."""
    line = raw.rstrip()
    return line.endswith(_OK_ENDING) and (_OK_RESPONSE[0] in line or _OK_RESPONSE[1] in line)


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
    return not errors_only or (not surely_ok(raw) and not record().ok)


def lines_with_text(block: bytes, needles: Sequence[bytes]) -> list[int]:
    """0-based numbers of the lines of `block` holding any needle (case-insensitively)."""
    lowered = block.lower()
    found: set[int] = set()
    for needle in needles:
        if not needle:
            continue
        find = lowered.find
        line = 0
        counted_to = 0
        hit = find(needle)
        while hit != -1:
            line += lowered.count(b"\n", counted_to, hit)
            found.add(line)
            line_end = lowered.find(b"\n", hit)
            if line_end == -1:
                break
            counted_to = line_end + 1
            line += 1
            hit = find(needle, counted_to)
    return sorted(found)


class ResultFile:
    """The records of one local results file, parsed lazily and cached."""

    def __init__(
        self,
        path: Path,
        *,
        cache_records: int = 2048,
        persist_index: bool = False,
        persist_min_bytes: int | None = None,
    ) -> None:
        self.path = Path(path)
        options = {} if persist_min_bytes is None else {"persist_min_bytes": persist_min_bytes}
        self.index = LineIndex(self.path, persist=persist_index, **options)
        self._records: LRU[int, ResultRecord] = LRU(
            cache_records, max_weight=RECORD_CACHE_BYTES, weigh=_record_weight
        )

    def record(self, line: int) -> ResultRecord:
        cached = self._records.get(line)
        if cached is None:
            cached = parse_record(self.index.read_line(line))
            self._records.put(line, cached)
        return cached

    def where(self, line: int) -> str:
        return f"{self.path}:{line + 1}"

    def matching_lines(
        self,
        needles: Sequence[bytes],
        errors_only: bool,
        progress: Callable[[int], None] | None = None,
        cancel: CancelCheck | None = None,
    ) -> array | None:
        """Lines passing the filters, in order; None when cancelled. The file is indexed."""
        lines = array("q")
        last_report = 0.0
        for first, block in self.index.iter_blocks():
            if cancel is not None and cancel():
                return None
            if needles:
                candidates: Iterable[int] = lines_with_text(block, needles)
                if not errors_only:
                    lines.extend(first + n for n in candidates)
                else:
                    pieces = block.split(b"\n")
                    lines.extend(
                        first + n for n in candidates if self._is_error(first + n, pieces[n])
                    )
            else:
                pieces = block.split(b"\n")
                if block.endswith(b"\n"):
                    pieces.pop()
                lines.extend(
                    first + n
                    for n, raw in enumerate(pieces)
                    if not surely_ok(raw) and self._is_error(first + n, raw)
                )
            now = time.monotonic()
            if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                last_report = now
                progress(self.index.span(first)[0])
        return lines

    def _is_error(self, line: int, raw: bytes) -> bool:
        record = self._records.get(line) or parse_record(raw)
        return not record.ok

    def close(self) -> None:
        self.index.close()


def _record_weight(record: ResultRecord) -> int:
    return len(record.raw) + len(record.text or "") + 200


class ResultSet:
    """Several results files (output, then errors) read as one list of rows.

    With `persist_index` each file's finished index is saved beside it (see `LineIndex`).
    """

    # Rows appear as the index scan goes, without anyone asking for them.
    grows_by_itself = True

    def __init__(
        self,
        paths: Iterable[Path],
        *,
        persist_index: bool = False,
        persist_min_bytes: int | None = None,
    ) -> None:
        self.files: list[ResultFile] = []
        try:
            for path in paths:
                self.files.append(
                    ResultFile(
                        path, persist_index=persist_index, persist_min_bytes=persist_min_bytes
                    )
                )
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

    def raw(self, row: int, *, cache: bool = True) -> bytes:
        file, line = self.locate(row)
        return file.index.read_line(line, cache=cache)

    def where(self, row: int) -> str:
        file, line = self.locate(row)
        return file.where(line)

    def iter_raw(self, cancel: CancelCheck | None = None) -> Iterable[tuple[int, bytes]]:
        """(row, raw line) of every row in order, read a window at a time. Scans first."""
        if not self.scan(None, cancel):
            return
        base = 0
        for file in self.files:
            for line, raw in file.index.iter_lines():
                yield base + line, raw
            base += file.index.line_count

    def records(self, cancel: CancelCheck | None = None) -> Iterable[ResultRecord]:
        """Every record in order, parsed as read (not cached). Scans first."""
        for _row, raw in self.iter_raw(cancel):
            yield parse_record(raw)

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
        for file in self.files:

            def report(done: int, base: int = base_bytes) -> None:
                if progress is not None:
                    progress(base + done, total)

            lines = file.matching_lines(needles, errors_only, report, cancel)
            if lines is None:
                return None
            rows.extend(base_row + line for line in lines)
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

    def raw(self, row: int, *, cache: bool = True) -> bytes:
        return self.records[row].raw.encode("utf-8")

    def iter_raw(self, cancel: CancelCheck | None = None) -> Iterable[tuple[int, bytes]]:
        for row, record in enumerate(self.records):
            if cancel is not None and cancel():
                return
            yield row, record.raw.encode("utf-8")

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


class WindowBuffer(RecordBuffer):
    """Records read around a place in a remote output (a jump by number, its last page),
    numbered from the window's first line: approximately (≈) unless `exact`."""

    def __init__(self, label: str, window: LineWindow) -> None:
        super().__init__(label)
        self.window = window
        self.first_line = window.first_line
        self.exact = window.exact
        self.offsets: list[int] = []
        self.add(window)

    def add(self, window: LineWindow) -> None:
        """The lines of `window` (the one read after the last) as records."""
        self.window = window
        for line, offset in zip(window.lines, window.offsets, strict=True):
            if line.strip():
                self.records.append(parse_record(line))
                self.offsets.append(offset)
        self.exhausted = window.at_end

    def offset(self, row: int) -> int:
        """Where row `row`'s line starts in the remote file."""
        return self.offsets[row]

    def renumber(self, first_line: int) -> None:
        """Number the rows exactly from `first_line` (the line of the first row), once an
        index of the whole file tells where they are."""
        self.first_line, self.exact = first_line, True

    def number(self, row: int) -> str:
        """Row `row`'s record number (1-based) as shown: "≈15,003" when estimated."""
        return f"{'' if self.exact else '≈'}{self.first_line + row + 1}"

    def where(self, row: int) -> str:
        if self.exact:
            return f"{self.label} record {self.number(row)}"
        return f"{self.label} record {self.number(row)} (placed by byte offset: approximate)"


# --- joining results to their input ----------------------------------------------------------

_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def custom_id_of(raw: bytes) -> str | None:
    """The custom_id of a request line, found without parsing the whole line when possible."""
    match = _CUSTOM_ID.search(raw)
    if match is not None:
        value = match.group(1)
        try:
            if b"\\" not in value:  # nothing escaped: the bytes are the id
                return value.decode("utf-8")
            return json.loads(b'"' + value + b'"')
        except ValueError:
            pass
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
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
    except RecursionError:
        return "(input line is nested too deeply to show)"
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
