"""Seeking in a result file that is still on the provider's side, with HTTP Range reads.

`RemoteOutput` reads byte windows of a remote file through a `ByteSource` (the provider's
ranged reads) and turns them into whole lines: a window starting mid-line is resynchronised
on the next newline, the last page comes from a Range counted from the end (`bytes=-N`), a
jump to a percentage or byte offset reads only around it. Windows are cached in memory up
to a bound. Line numbers far from the start are estimated from the bytes and lines seen so
far (`LineWindow.exact` is False: callers show them with "≈") until a download or an index
of the whole file (`index`, see `remote_scan`) makes them exact. A source that answers
Range with the whole file (a gateway that does not pass it through) raises
`RangeNotHonoured` at once, without reading that body: callers then stream from the start
and say so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from batchtui.core.errors import BatchtuiError, ProviderError
from batchtui.core.lineindex import LRU, LineIndex

BLOCK_BYTES = 64 << 10
CACHE_BYTES = 8 << 20
# The most one request asks for, and the most a page may cost: a page that needs more (lines
# of megabytes) stops short rather than pull the whole file.
MAX_REQUEST_BYTES = 1 << 20
MAX_PAGE_BYTES = 1 << 20
# The first read from the end; doubled until the page is whole or MAX_PAGE_BYTES is read.
TAIL_START_BYTES = 64 << 10
# Read from the start to learn the mean line length before a jump by line number.
SAMPLE_BYTES = 256 << 10


@dataclass(frozen=True)
class RangeAnswer:
    """What a ranged read got: `data` starts at byte `start` of a file of `total` bytes.

    `ranged` is False when the server ignored Range (a 200): nothing was read then.
    """

    data: bytes
    start: int
    total: int | None
    ranged: bool = True


class ByteSource(Protocol):
    """Ranged reads of one remote file (see `providers.ranged.HttpByteSource`)."""

    label: str  # names the file in messages

    async def read(self, start: int, end: int) -> RangeAnswer:
        """Bytes `start` to `end - 1` (fewer at the end of the file; none past it)."""
        ...

    async def read_suffix(self, length: int) -> RangeAnswer:
        """The last `length` bytes (the whole file when shorter)."""
        ...

    def stream(self, offset: int) -> AsyncIterator[bytes]:
        """The bytes from `offset` to the end, as they arrive."""
        ...


class RangeNotHonoured(BatchtuiError):
    """The server sent the whole file to a Range request: seeking is not possible there."""


class LineTooLong(BatchtuiError):
    """No line starts or ends within a page's worth of bytes: the lines are too long to seek
    among (the file must be downloaded to be read there)."""


class RemoteOutputError(ProviderError):
    """A ranged answer that contradicts itself or an earlier one (the file's size changed)."""


@dataclass(frozen=True)
class LineWindow:
    """Whole lines read around a place in the file.

    `first_line` is the 0-based number of the first line: exact when `exact`, otherwise
    estimated from the average line length seen so far. `start`/`end` are the byte offsets
    of the first line and just past the last one's newline.
    """

    lines: list[bytes]
    start: int
    end: int
    first_line: int
    exact: bool
    at_end: bool  # the last line of the file is in the window
    offsets: tuple[int, ...] = ()  # where each line starts (to find it again once downloaded)

    @property
    def at_start(self) -> bool:
        return self.start == 0


class RemoteOutput:
    """Random access by byte, fraction or (approximate) line to a remote file."""

    def __init__(
        self,
        source: ByteSource,
        *,
        block_bytes: int = BLOCK_BYTES,
        cache_bytes: int = CACHE_BYTES,
        max_page_bytes: int = MAX_PAGE_BYTES,
        key: str | None = None,
    ) -> None:
        self.source = source
        self.key = key  # names the remote file across sessions (its saved index)
        # The line index of the whole file, once a scan built or loaded it: exact numbers.
        self.index: LineIndex | None = None
        self.block_bytes = max(1, block_bytes)
        self.max_page_bytes = max(self.block_bytes, max_page_bytes)
        self.size: int | None = None
        self.bytes_fetched = 0  # of file bytes received, over every request
        self.requests = 0
        self._blocks: LRU[int, bytes] = LRU(
            max(1, cache_bytes // self.block_bytes) + 1, max_weight=cache_bytes, weigh=len
        )
        # For estimates: whole lines read (their bytes and number), else newlines in blocks.
        self._sampled_lines = 0
        self._sampled_bytes = 0
        self._lines_seen = 0
        self._bytes_seen = 0
        self._counted: set[int] = set()  # blocks already in those figures
        self._prefix: tuple[int, ...] | None = None  # where the first lines start, when read

    # --- sizes and estimates ------------------------------------------------------------

    async def total_size(self) -> int:
        """The file's size, from the first answer or a `bytes=0-0` read."""
        if self.size is None:
            await self._fetch(0, 1)
        assert self.size is not None
        return self.size

    @property
    def indexed(self) -> bool:
        """Line numbers are exact everywhere: a complete index of this file is attached."""
        index = self.index
        return index is not None and index.complete and index.size == self.size

    async def line_number(self, offset: int) -> int:
        """The exact number (0-based) of the line starting at byte `offset` (`indexed`)."""
        assert self.index is not None
        line, start = self.index.checkpoint_at_offset(offset)
        if start >= offset:
            return line
        return line + (await self._read(start, offset)).count(b"\n")

    async def read_bytes(self, start: int, end: int) -> bytes:
        """Bytes `start` to `end - 1` of the file (cached like every read)."""
        return await self._read(start, end)

    @property
    def mean_line_bytes(self) -> float | None:
        """Bytes per line in what was read so far; None before any whole line was seen."""
        if self._sampled_lines:
            return self._sampled_bytes / self._sampled_lines
        if self._lines_seen == 0:
            return None
        return self._bytes_seen / self._lines_seen

    def estimated_lines(self) -> int | None:
        """About how many lines the file has (exactly when `indexed`)."""
        if self.indexed:
            assert self.index is not None
            return self.index.line_count
        mean = self.mean_line_bytes
        if mean is None or self.size is None:
            return None
        return max(1, round(self.size / mean))

    def estimate_line(self, offset: int) -> int:
        """About the number (0-based) of the line starting at byte `offset`."""
        mean = self.mean_line_bytes
        return 0 if mean is None or offset == 0 else round(offset / mean)

    # --- reading lines ------------------------------------------------------------------

    async def lines_at(self, offset: int, count: int) -> LineWindow:
        """`count` whole lines from the first line starting at or after byte `offset`.

        A line cut by `offset` is skipped (the previous byte is read to tell). The window
        stops short after `max_page_bytes` of lines.
        """
        size = await self.total_size()
        offset = max(0, min(offset, size))
        start = offset
        if offset > 0:
            start = await self._next_line_start(offset)
        lines, end, offsets = await self._lines_from(start, count)
        exact = start == 0 or self.indexed
        first = 0 if start == 0 else self.estimate_line(start)
        if start and exact:
            first = await self.line_number(start)
        return LineWindow(lines, start, end, first, exact, end >= size, offsets)

    async def lines_after(self, window: LineWindow, count: int) -> LineWindow:
        """The `count` lines following `window` (numbered on from it)."""
        size = await self.total_size()
        lines, end, offsets = await self._lines_from(window.end, count)
        first, exact = window.first_line + len(window.lines), window.exact
        if not exact and self.indexed:  # the index arrived since `window` was read
            first, exact = await self.line_number(window.end), True
        return LineWindow(lines, window.end, end, first, exact, end >= size, offsets)

    async def lines_at_fraction(self, fraction: float, count: int) -> LineWindow:
        """`count` lines from about `fraction` (0 to 1) of the way into the file."""
        size = await self.total_size()
        return await self.lines_at(int(size * min(max(fraction, 0.0), 1.0)), count)

    async def lines_near(self, line: int, count: int) -> LineWindow:
        """`count` lines from about line `line` (0-based), placed by the mean line length.

        Reads the first window when nothing was read yet, to learn that length.
        """
        if line <= 0:
            return await self.lines_at(0, count)
        if self.indexed:
            return await self._indexed_lines(line, count)
        if self._prefix is None:
            self._prefix = (await self._lines_from(0, 1 << 30, budget=SAMPLE_BYTES))[2]
        if line < len(self._prefix):  # within the lines read from the start: exact
            size = await self.total_size()
            start = self._prefix[line]
            lines, end, offsets = await self._lines_from(start, count)
            return LineWindow(lines, start, end, line, True, end >= size, offsets)
        if not self._sampled_lines:  # lines longer than the sample: one more try
            await self._lines_from(0, 1)
        mean = self.mean_line_bytes
        if mean is None:
            raise self._too_long(0)
        return await self.lines_at(int(line * mean), count)

    async def _indexed_lines(self, line: int, count: int) -> LineWindow:
        """`count` lines from line `line`, found from the index's checkpoint before it."""
        assert self.index is not None
        if line >= self.index.line_count:
            return await self.last_lines(count)
        at, start = self.index.checkpoint_before(line)
        skip = line - at  # lines between the checkpoint and `line` (sparse checkpoints)
        lines, end, offsets = await self._lines_from(start, skip + count)
        first_offset = offsets[skip] if skip < len(offsets) else end
        size = await self.total_size()
        return LineWindow(lines[skip:], first_offset, end, line, True, end >= size, offsets[skip:])

    async def last_lines(self, count: int) -> LineWindow:
        """The last `count` lines, read backwards from the end (a `bytes=-N` first)."""
        if self.size is None:
            answer = await self._suffix(TAIL_START_BYTES)
            self._keep_tail(answer)
            begin, data = answer.start, answer.data
        else:
            begin = max(0, self.size - TAIL_START_BYTES)
            data = await self._read(begin, self.size)
        size = await self.total_size()
        while True:
            body = data[:-1] if data.endswith(b"\n") else data
            if begin == 0 or body.count(b"\n") >= count or size - begin >= self.max_page_bytes:
                break
            begin = max(0, size - min(2 * (size - begin), self.max_page_bytes))
            data = await self._read(begin, size)
        pieces = body.split(b"\n") if data else []
        if begin > 0:
            pieces = pieces[1:]  # may be the end of an earlier line
        lines = pieces[-count:] if count > 0 else []
        if not lines and count > 0 and begin > 0:
            raise self._too_long(begin)
        start = begin + len(body) - (sum(map(len, lines)) + len(lines) - 1) if lines else size
        self._sample(pieces, sum(len(piece) + 1 for piece in pieces))
        exact = start == 0 or self.indexed
        first = 0
        if start:
            first = max((self.estimated_lines() or len(lines)) - len(lines), 0)
        stripped = [_strip_cr(line) for line in lines]
        return LineWindow(stripped, start, size, first, exact, True, _offsets(start, lines))

    async def stream_lines(self, offset: int) -> AsyncIterator[bytes]:
        """Every line from byte `offset` (a line start) to the end, streamed with one request."""
        from batchtui.core.providers.bodies import LineJoiner

        joiner = LineJoiner()
        async for data in self.source.stream(offset):
            self.bytes_fetched += len(data)
            for line in joiner.feed(data):
                yield line
        for line in joiner.finish():
            yield line

    # --- bytes --------------------------------------------------------------------------

    async def _next_line_start(self, offset: int) -> int:
        """The first line start at or after `offset` (> 0): just past a newline."""
        size = await self.total_size()
        position = offset - 1
        while position < size and position - offset < self.max_page_bytes:
            stop = min(size, (position // self.block_bytes + 1) * self.block_bytes)
            data = await self._read(position, stop)
            hit = data.find(b"\n")
            if hit != -1:
                return position + hit + 1
            position = stop
        if position < size:
            raise self._too_long(offset)
        return size

    async def _lines_from(
        self, start: int, count: int, *, budget: int | None = None
    ) -> tuple[list[bytes], int, tuple[int, ...]]:
        """Up to `count` lines from line start `start`, the offset after the last, and
        where each starts."""
        size = await self.total_size()
        budget = self.max_page_bytes if budget is None else budget
        raw: list[bytes] = []
        position = start
        pending = b""
        while len(raw) < count and position < size and position - start < budget:
            mean = self.mean_line_bytes or 1024.0
            stop = position + int((count - len(raw)) * mean * 1.25) + 1
            stop = -(-stop // self.block_bytes) * self.block_bytes  # a whole block
            stop = min(size, stop, position + MAX_REQUEST_BYTES, start + budget)
            pending += await self._read(position, stop)
            position = stop
            *whole, pending = pending.split(b"\n")
            raw.extend(whole)
        del raw[count:]
        end = start + sum(len(line) + 1 for line in raw)
        self._sample(raw, end - start)
        if len(raw) < count and pending and position >= size:
            raw.append(pending)  # the file's last line, without a newline
            end = size
        return [_strip_cr(line) for line in raw], end, _offsets(start, raw)

    async def _read(self, start: int, end: int) -> bytes:
        """Bytes `start` to `end - 1`, from the cache or in as few requests as needed."""
        size = await self.total_size()
        end = min(end, size)
        if start >= end:
            return b""
        block = self.block_bytes
        first, last = start // block, (end - 1) // block
        blocks = {k: self._blocks.get(k) for k in range(first, last + 1)}
        runs: list[list[int]] = []
        for k, data in blocks.items():
            if data is not None:
                continue
            if runs and k == runs[-1][-1] + 1 and (len(runs[-1]) + 1) * block <= MAX_REQUEST_BYTES:
                runs[-1].append(k)
            else:
                runs.append([k])
        for run in runs:
            fetched = await self._fetch(run[0] * block, min(size, (run[-1] + 1) * block))
            for index, k in enumerate(run):
                piece = fetched[index * block : (index + 1) * block]
                blocks[k] = piece
                self._blocks.put(k, piece)
        data = b"".join(blocks[k] or b"" for k in range(first, last + 1))
        return data[start - first * block : end - first * block]

    async def _fetch(self, start: int, end: int) -> bytes:
        """One ranged request for bytes `start` to `end - 1`, checked against what was asked."""
        answer = await self.source.read(start, end)
        self._check(answer, start)
        assert self.size is not None
        if len(answer.data) != max(min(end, self.size) - start, 0):
            raise self._error(
                f"asked for bytes {start}-{end - 1}, got {len(answer.data):,} bytes "
                f"of a {self.size:,}-byte file"
            )
        self._count(start, answer.data)
        return answer.data

    async def _suffix(self, length: int) -> RangeAnswer:
        answer = await self.source.read_suffix(length)
        self._check(answer, None)
        assert self.size is not None
        if answer.start != max(0, self.size - length) or answer.start + len(answer.data) != (
            self.size
        ):
            raise self._error(
                f"asked for the last {length:,} bytes, got bytes {answer.start:,}-"
                f"{answer.start + len(answer.data) - 1:,} of {self.size:,}"
            )
        return answer

    def _check(self, answer: RangeAnswer, start: int | None) -> None:
        self.requests += 1
        if not answer.ranged:
            raise RangeNotHonoured(
                f"{self.source.label}: the server answered a Range request with the whole file "
                "(a gateway that does not pass Range through): streaming from the start instead"
            )
        self.bytes_fetched += len(answer.data)
        if answer.total is None:
            raise self._error("the answer does not give the file's size (Content-Range */?)")
        if self.size is not None and answer.total != self.size:
            raise self._error(
                f"the file's size changed from {self.size:,} to {answer.total:,} bytes "
                "between two reads"
            )
        self.size = answer.total
        if start is not None and answer.start != start and answer.total > start:
            raise self._error(f"asked for bytes from {start:,}, got bytes from {answer.start:,}")

    def _keep_tail(self, answer: RangeAnswer) -> None:
        """Cache the whole blocks a read from the end brought."""
        block = self.block_bytes
        first = -(-answer.start // block)
        for k in range(first, (answer.start + len(answer.data) - 1) // block + 1):
            piece = answer.data[k * block - answer.start : (k + 1) * block - answer.start]
            if piece and (len(piece) == block or k * block + len(piece) == self.size):
                self._blocks.put(k, piece)
                self._count_block(k, piece)

    def _sample(self, lines: list[bytes], length: int) -> None:
        """Whole lines read: the best measure of the mean line length."""
        if lines and self._sampled_lines < 1 << 20:
            self._sampled_lines += len(lines)
            self._sampled_bytes += length

    def _count(self, start: int, data: bytes) -> None:
        for index in range(0, len(data), self.block_bytes):
            k = (start + index) // self.block_bytes
            self._count_block(k, data[index : index + self.block_bytes])

    def _count_block(self, k: int, data: bytes) -> None:
        whole = len(data) == self.block_bytes or k * self.block_bytes + len(data) == self.size
        if not whole or k in self._counted or len(self._counted) > 1 << 16:
            return
        self._counted.add(k)
        self._lines_seen += data.count(b"\n")
        self._bytes_seen += len(data)

    def _too_long(self, offset: int) -> LineTooLong:
        return LineTooLong(
            f"{self.source.label}: no whole line within {self.max_page_bytes:,} bytes from "
            f"byte {offset:,}: lines this long are read after a download"
        )

    def _error(self, detail: str) -> RemoteOutputError:
        return RemoteOutputError(f"{self.source.label}: {detail}", call="ranged read")


def _offsets(start: int, lines: list[bytes]) -> tuple[int, ...]:
    """Where each of `lines` (raw, newline removed) starts, the first at `start`."""
    offsets = []
    for line in lines:
        offsets.append(start)
        start += len(line) + 1
    return tuple(offsets)


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line
