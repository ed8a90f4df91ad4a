"""Less-like search over result records: a regex (smart case) in answers, errors and prompts.

A record matches when the pattern is found in its custom_id, its answer (or error
message), or the prompt of its request in the input file. Whole files are searched
window by window, cancellably, with progress in bytes. A pattern that is a plain
ASCII word is first looked for in the raw bytes, so only the lines holding it are
parsed; any other regex parses every line.
"""

from __future__ import annotations

import bisect
import re
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from batchtui.core.lineindex import PROGRESS_INTERVAL, CancelCheck, ScanProgress
from batchtui.core.merged_source import MergedSource
from batchtui.core.models import ResultRecord
from batchtui.core.resultfile import (
    LineIndex,
    RecordBuffer,
    RecordSource,
    ResultSet,
    custom_id_of,
    parse_record,
    record_gist,
    request_prompt,
)

# Characters with a meaning in a regex: a pattern without them is a literal.
_REGEX_SPECIAL = frozenset("()[]{}?*+|^$\\.")
# Characters JSON may write escaped: a literal holding one may differ in the raw line.
_JSON_ESCAPED = frozenset('"\\/')
# Highlighting stops after this many matches in one text (an answer can be huge).
MAX_SPANS = 500
# A search looks for a cancel request every this many lines.
CANCEL_EVERY = 16

FoundCallback = Callable[[int], None]


class SearchError(ValueError):
    """A pattern that cannot be searched for; the message is one line."""


@dataclass(frozen=True)
class SearchPattern:
    """What the user typed, compiled: case-insensitive unless it has an upper-case letter."""

    text: str
    regex: re.Pattern[str]
    # The raw-bytes pre-check of a literal pattern, lower-cased; None: every line is parsed.
    needle: bytes | None

    @classmethod
    def compile(cls, text: str) -> SearchPattern:
        if not text:
            raise SearchError("empty search pattern")
        ignore_case = not any(char.isupper() for char in text)
        flags = re.IGNORECASE if ignore_case else 0
        try:
            regex = re.compile(text, flags | re.MULTILINE)
        except re.error as exc:
            where = f" at position {exc.pos + 1}" if exc.pos is not None else ""
            raise SearchError(f"invalid regular expression {text!r}: {exc.msg}{where}") from None
        except (RecursionError, OverflowError):
            raise SearchError(f"regular expression {text!r} is too complex") from None
        # Always case-insensitive (a superset: the parsed text decides), and looked for with
        # `bytes.find` in a lower-cased window: re's IGNORECASE search is 10x slower.
        needle = text.lower().encode("ascii") if _plain_ascii_literal(text) else None
        return cls(text, regex, needle)

    def search(self, text: str | None) -> bool:
        return bool(text) and self.regex.search(text) is not None  # type: ignore[arg-type]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the pattern matches in `text` (non-empty matches, at most `MAX_SPANS`)."""
        found: list[tuple[int, int]] = []
        for match in self.regex.finditer(text):
            if match.end() > match.start():
                found.append(match.span())
                if len(found) >= MAX_SPANS:
                    break
        return found

    def matches_record(self, record: ResultRecord) -> bool:
        return self.search(record.custom_id) or self.search(answer_text(record))


def _plain_ascii_literal(text: str) -> bool:
    return all(
        " " <= char <= "~" and char not in _REGEX_SPECIAL and char not in _JSON_ESCAPED
        for char in text
    )


def answer_text(record: ResultRecord) -> str:
    """What the viewer shows as a record's body: the answer, or what went wrong."""
    return (record.text or "") if record.ok else record_gist(record)


# --- prompts ------------------------------------------------------------------------------


def prompt_matching_ids(
    index: LineIndex,
    pattern: SearchPattern,
    progress: Callable[[int], None] | None = None,
    cancel: CancelCheck | None = None,
) -> set[str] | None:
    """custom_ids of the input lines whose prompt matches; None when cancelled."""
    if not index.scan(None, cancel):
        return None
    found: set[str] = set()
    for first, block in index.iter_blocks():
        if cancel is not None and cancel():
            return None
        for _line, raw in _candidate_lines(block, pattern):
            if pattern.search(request_prompt(raw)):
                custom_id = custom_id_of(raw)
                if custom_id is not None:
                    found.add(custom_id)
        if progress is not None:
            progress(index.span(first)[0] + len(block))
    return found


def _candidate_lines(block: bytes, pattern: SearchPattern) -> Iterator[tuple[int, bytes]]:
    """(0-based number, bytes) of the lines of `block` that may match: those holding the
    pattern's needle, or every line when it has none."""
    needle = pattern.needle
    if needle is None:
        pieces = block.split(b"\n")
        if block.endswith(b"\n"):
            pieces.pop()
        yield from enumerate(pieces)
        return
    lowered = block.lower()
    line = 0
    counted_to = 0
    hit = lowered.find(needle)
    while hit != -1:
        line += block.count(b"\n", counted_to, hit)
        start = block.rfind(b"\n", counted_to, hit) + 1 or counted_to
        end = block.find(b"\n", hit)
        if end == -1:
            yield line, block[start:]
            return
        yield line, block[start:end]
        counted_to = end + 1
        line += 1
        hit = lowered.find(needle, counted_to)


# --- results --------------------------------------------------------------------------------


class _LineTest:
    """Whether one raw result line matches, in its answer or through its prompt."""

    def __init__(self, pattern: SearchPattern, prompt_ids: set[str]) -> None:
        self.pattern = pattern
        self.prompt_ids = prompt_ids

    def by_record(self, record: ResultRecord) -> bool:
        if self.pattern.matches_record(record):
            return True
        return bool(self.prompt_ids) and record.custom_id in self.prompt_ids

    def by_prompt_only(self, raw: bytes) -> bool:
        """A line the pre-check ruled out for its answer: only its prompt can match."""
        if not self.prompt_ids or not raw.strip():
            return False
        custom_id = custom_id_of(raw)
        if custom_id is None:  # Gemini and Vertex lines name it otherwise
            custom_id = parse_record(raw).custom_id
        return custom_id in self.prompt_ids


def search_rows(
    source: RecordSource,
    pattern: SearchPattern,
    *,
    prompt_ids: set[str] | None = None,
    start_row: int = 0,
    found: FoundCallback | None = None,
    progress: ScanProgress | None = None,
    cancel: CancelCheck | None = None,
) -> array | None:
    """Rows of `source` whose record matches, in order; None when cancelled.

    `found` is called once, as soon as the first match at or after `start_row` is known,
    so a viewer can go there before the whole file is searched.
    """
    test = _LineTest(pattern, prompt_ids or set())
    announce = _FirstFound(start_row, found)
    if isinstance(source, ResultSet):
        rows = _search_result_set(source, test, announce, progress, cancel)
    elif isinstance(source, RecordBuffer):
        rows = _search_buffer(source, test, announce, cancel)
    elif isinstance(source, MergedSource):
        rows = _search_merged(source, test, announce, cancel)
    else:
        raise TypeError(f"cannot search a {type(source).__name__}")
    return rows


class _FirstFound:
    def __init__(self, start_row: int, callback: FoundCallback | None) -> None:
        self.start_row = start_row
        self.callback = callback

    def offer(self, row: int) -> None:
        if self.callback is not None and row >= self.start_row:
            self.callback(row)
            self.callback = None


def _search_buffer(
    buffer: RecordBuffer, test: _LineTest, announce: _FirstFound, cancel: CancelCheck | None
) -> array | None:
    rows = array("q")
    for row, record in enumerate(list(buffer.records)):
        if row % 256 == 0 and cancel is not None and cancel():
            return None
        if test.by_record(record):
            rows.append(row)
            announce.offer(row)
    return rows


def _search_merged(
    source: MergedSource, test: _LineTest, announce: _FirstFound, cancel: CancelCheck | None
) -> array | None:
    """A job merged with its retries: each row's winning line, pre-checked as a file's are."""
    rows = array("q")
    needle = test.pattern.needle
    for row in range(source.count):
        if row % CANCEL_EVERY == 0 and cancel is not None and cancel():
            return None
        raw = source.raw(row)
        if raw and needle is not None and needle not in raw.lower():
            matched = test.by_prompt_only(raw)
        else:
            matched = test.by_record(source.record(row))
        if matched:
            rows.append(row)
            announce.offer(row)
    return rows


def _search_result_set(
    results: ResultSet,
    test: _LineTest,
    announce: _FirstFound,
    progress: ScanProgress | None,
    cancel: CancelCheck | None,
) -> array | None:
    if not results.scan(None, cancel):
        return None
    rows = array("q")
    total = results.size
    base_row = 0
    base_bytes = 0
    last_report = 0.0
    for file in results.files:
        index = file.index
        for first, block in index.iter_blocks():
            if cancel is not None and cancel():
                return None
            for line in _matching_lines(block, test, cancel):
                row = base_row + first + line
                rows.append(row)
                announce.offer(row)
            now = time.monotonic()
            if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                last_report = now
                progress(base_bytes + index.span(first)[0] + len(block), total)
        base_row += index.line_count
        base_bytes += index.size
    if cancel is not None and cancel():
        return None
    if progress is not None:
        progress(total, total)
    return rows


def _matching_lines(block: bytes, test: _LineTest, cancel: CancelCheck | None) -> Iterator[int]:
    """0-based numbers of the lines of `block` that match, in order; stops early when
    cancelled (a slow regex over a window of short lines must not hold the search)."""
    if not test.prompt_ids:  # only the lines holding the needle can match
        for count, (line, raw) in enumerate(_candidate_lines(block, test.pattern)):
            if count % CANCEL_EVERY == 0 and cancel is not None and cancel():
                return
            if raw.strip() and test.by_record(parse_record(raw)):
                yield line
        return
    candidates = dict(_candidate_lines(block, test.pattern))
    pieces = block.split(b"\n")
    if block.endswith(b"\n"):
        pieces.pop()
    for line, raw in enumerate(pieces):
        if line % CANCEL_EVERY == 0 and cancel is not None and cancel():
            return
        if line in candidates:
            matched = bool(raw.strip()) and test.by_record(parse_record(raw))
        else:
            matched = test.by_prompt_only(raw)
        if matched:
            yield line


# --- moving between matches -----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """Where `n`/`N` goes: the row, its 1-based place among the matches, and whether the
    search wrapped past the end (or the start)."""

    row: int
    place: int
    wrapped: bool


def next_match(
    rows: Sequence[int],
    current: int,
    *,
    backwards: bool = False,
    visible: Callable[[int], bool] | None = None,
) -> Step | None:
    """The match after (or before) row `current`, wrapping around; None when no match
    (or none `visible`)."""
    count = len(rows)
    if count == 0:
        return None
    if backwards:
        start = bisect.bisect_left(rows, current) - 1
        order = [(start - step) % count for step in range(count)]
    else:
        start = bisect.bisect_right(rows, current)
        order = [(start + step) % count for step in range(count)]
    for position in order:
        row = rows[position]
        if visible is None or visible(row):
            wrapped = row <= current if not backwards else row >= current
            return Step(row, position + 1, wrapped)
    return None
