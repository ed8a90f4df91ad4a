"""Random access to the lines of big local files, in bounded memory, saved for next time.

The index keeps *checkpoints*: (line number, byte offset) of some line starts. A line
is read by finding the checkpoint at or before it, reading from there and skipping
the few lines in between. How checkpoints are placed depends on line length, window
by window:

- long lines (the usual result file: KBs a line): every line start is a checkpoint,
  found with `bytes.find` (memchr, about 10 GB/s) so reading a line is one `pread`;
- short lines (tens of millions of them): a checkpoint every `sparse_gap` bytes, the
  lines between only counted with `bytes.count` (C, about 3 GB/s), so the index stays
  small and building it never loops in Python once per line.

So checkpoints never outnumber `MAX_CHECKPOINTS` (16 bytes each) whatever the file,
and reading any line costs one read of at most `sparse_gap` bytes plus the line.
The file is read in bounded windows with `os.pread` (never mapped whole), in a
caller's thread, with progress, cancellable and resumable; lines found so far are
readable while the scan runs. A finished index is saved beside the file
(`output.jsonl.idx`, written atomically) with the file's size, mtime and a hash of
its first and last 64 KB, so reopening an unchanged file is instant and a changed
one is indexed again.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import struct
import sys
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

from batchtui.core.errors import InputFileError

# (bytes done, bytes total)
ScanProgress = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

WINDOW_BYTES = 4 << 20
# The first window is small so the first page shows before a big read completes.
FIRST_WINDOW_BYTES = 256 << 10
PROGRESS_INTERVAL = 0.1
MAX_CHECKPOINTS = 2_000_000
# Lines shorter than this on average are counted, not each given a checkpoint.
MIN_DENSE_LINE = 256
SPARSE_GAP = 16 << 10
# Reads of several lines larger than this are split into one read a line.
MAX_BLOCK_BYTES = 16 << 20
CACHE_BYTES = 32 << 20
INDEX_SUFFIX = ".idx"
# Smaller files index in milliseconds: no file is left beside them.
PERSIST_MIN_BYTES = 4 << 20
FINGERPRINT_BYTES = 64 << 10

_MAGIC = b"BTLIDX01"
_HEADER = struct.Struct("<8sQqQQQQ32s")  # magic, size, mtime_ns, lines, end, gap, count, hash

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A least-recently-used map bounded by entries and, when `weigh` is given, by weight.

    Thread-safe enough for one writer and many readers.
    """

    def __init__(
        self,
        capacity: int,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] | None = None,
    ) -> None:
        self.capacity = max(1, capacity)
        self.max_weight = max_weight
        self._weigh = weigh
        self._weight = 0
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        weight = self._weigh(value) if self._weigh is not None else 0
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None and self._weigh is not None:
                self._weight -= self._weigh(old)
            self._data[key] = value
            self._weight += weight
            while len(self._data) > self.capacity or (
                self.max_weight is not None and self._weight > self.max_weight and self._data
            ):
                _, evicted = self._data.popitem(last=False)
                if self._weigh is not None:
                    self._weight -= self._weigh(evicted)

    def pop(self, key: K) -> V | None:
        with self._lock:
            value = self._data.pop(key, None)
            if value is not None and self._weigh is not None:
                self._weight -= self._weigh(value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._data)


def strip_newline(line: bytes) -> bytes:
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    return line


def index_path_for(path: Path) -> Path:
    """Where the index of `path` is saved: beside it, `.idx` appended."""
    return path.with_name(path.name + INDEX_SUFFIX)


class LineIndex:
    """Where the lines of one local file start, and the lines read on demand (or, made
    `unbacked`, of a remote file fed to it window by window, its lines read elsewhere).

    Line `n` (0-based) ends just after the `n+1`-th newline; a last line without a
    newline counts, an empty file has no lines, CR before LF is dropped from what is
    read. The file's size is taken when it is opened: bytes appended later are not seen.
    With `persist`, a complete index of a file of at least `persist_min_bytes` is saved
    beside it, and a saved one matching the file is loaded instead of scanning.
    """

    def __init__(
        self,
        path: Path,
        *,
        window: int = WINDOW_BYTES,
        cache_lines: int = 4096,
        cache_bytes: int = CACHE_BYTES,
        persist: bool = False,
        persist_min_bytes: int = PERSIST_MIN_BYTES,
        min_dense_line: int = MIN_DENSE_LINE,
        sparse_gap: int = SPARSE_GAP,
    ) -> None:
        self.path = Path(path)
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise InputFileError(f"{self.path}: cannot open: {exc.strerror or exc}") from None
        stat = os.fstat(self._fd)
        self._setup(
            stat.st_size,
            stat.st_mtime_ns,
            window=window,
            cache_lines=cache_lines,
            cache_bytes=cache_bytes,
            persist=persist,
            persist_min_bytes=persist_min_bytes,
            min_dense_line=min_dense_line,
            sparse_gap=sparse_gap,
        )

    @classmethod
    def unbacked(cls, label: str, size: int, *, fingerprint: bytes | None = None) -> LineIndex:
        """An index of a file that is not on disk (a remote output streamed once), built
        window by window with `feed`, saved and loaded like any other. Its lines are read
        by the caller, from the checkpoints (`checkpoint_before`), not by this object.
        `fingerprint` (see `fingerprint_of`) is what a saved index must match to load."""
        index = cls.__new__(cls)
        index.path = Path(label)
        index._fd = -1
        index._setup(size, 0, persist=True, persist_min_bytes=0)
        index._fingerprint = fingerprint
        return index

    def _setup(
        self,
        size: int,
        mtime_ns: int,
        *,
        window: int = WINDOW_BYTES,
        cache_lines: int = 4096,
        cache_bytes: int = CACHE_BYTES,
        persist: bool = False,
        persist_min_bytes: int = PERSIST_MIN_BYTES,
        min_dense_line: int = MIN_DENSE_LINE,
        sparse_gap: int = SPARSE_GAP,
    ) -> None:
        self.size = size
        self._mtime_ns = mtime_ns
        self._fingerprint: bytes | None = None
        self._dense = True  # whether the next window gives each line a checkpoint
        self._window = max(1, window)
        self._min_dense_line = max(1, min_dense_line, self.size // MAX_CHECKPOINTS)
        self._gap = max(1, sparse_gap, self.size // MAX_CHECKPOINTS)
        self.persist = persist
        self.persist_min_bytes = persist_min_bytes
        self.loaded_from_disk = False
        # Checkpoint k: line `_cp_line[k]` starts at byte `_cp_off[k]`. Line 0 at 0 is one.
        self._cp_line = array("q", [0] if self.size else [])
        self._cp_off = array("q", [0] if self.size else [])
        self._lines = 0  # newlines found
        self._end = 0  # offset just past the last newline found
        self._next_cp = 0  # in sparse mode, the next checkpoint is the first line at/after this
        self._scanned = 0
        self._complete = self.size == 0
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self._cache: LRU[int, bytes] = LRU(cache_lines, max_weight=cache_bytes, weigh=len)

    # --- state --------------------------------------------------------------------------

    @property
    def line_count(self) -> int:
        """Lines found so far (all of them once `complete`)."""
        if self._complete and self.size > self._end:
            return self._lines + 1  # the last line has no newline
        return self._lines

    @property
    def complete(self) -> bool:
        return self._complete

    @property
    def scanned_bytes(self) -> int:
        return self.size if self._complete else self._scanned

    @property
    def checkpoint_count(self) -> int:
        return len(self._cp_off)

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
        """Find the lines up to the end of the file; False when cancelled (resumable).

        Safe to call from several threads: a second caller waits for the first, then
        finds the work done.
        """
        while not self._scan_lock.acquire(timeout=0.05):
            if cancel is not None and cancel():
                return False
        try:
            if self.persist and self._scanned == 0 and not self._complete and self.load():
                if progress is not None:
                    progress(self.size, self.size)
                return True
            done = self._scan_locked(progress, cancel)
            if done and self.persist and not self.loaded_from_disk:
                self.save()
            return done
        finally:
            self._scan_lock.release()

    def _scan_locked(self, progress: ScanProgress | None, cancel: CancelCheck | None) -> bool:
        position = self._scanned
        last_report = 0.0
        buffer = bytearray(self._window)
        while position < self.size and not self._complete:
            if cancel is not None and cancel():
                return False
            view = memoryview(buffer)[: self.window_at(position)]
            got = os.preadv(self._fd, [view], position)
            if got <= 0:  # truncated under us: what we have is all there is
                break
            self.feed(buffer, got)
            position += got
            now = time.monotonic()
            if progress is not None and now - last_report >= PROGRESS_INTERVAL:
                last_report = now
                progress(position, self.size)
        self.finish(position)
        if progress is not None:
            progress(self.size, self.size)
        return True

    def window_at(self, position: int) -> int:
        """How many bytes the window starting at `position` holds: a scan of the file and a
        stream of it (`feed`) cut the same windows, so both build the same index."""
        wanted = min(self._window, self.size - position)
        return min(wanted, FIRST_WINDOW_BYTES) if position == 0 else wanted

    def feed(self, buffer: bytes | bytearray, length: int) -> None:
        """Index the next window, `buffer[:length]`, which starts where the last one ended
        (`scanned_bytes`) and is `window_at` that place long unless it ends the file."""
        lines_before = self._lines
        index_window(self, buffer, length, self._scanned, self._dense)
        # Long lines get a checkpoint each; short ones are only counted.
        self._dense = (self._lines - lines_before) * self._min_dense_line <= length

    def finish(self, position: int | None = None, *, fingerprint: bytes | None = None) -> None:
        """Every window was fed (or the file ended early at `position`): the index is whole.
        An unbacked index is given the `fingerprint` of the bytes it was fed."""
        with self._lock:
            self._scanned = self.size if position is None else position
            self._complete = True
            if fingerprint is not None:
                self._fingerprint = fingerprint

    def _add_window(
        self, lines: int, end: int, scanned: int, next_cp: int, cp_line: array, cp_off: array
    ) -> None:
        """Publish what one window found, all at once, for readers in other threads."""
        with self._lock:
            self._cp_line.extend(cp_line)
            self._cp_off.extend(cp_off)
            self._lines = lines
            self._end = end
            self._next_cp = next_cp
            self._scanned = scanned

    # --- saving and loading -------------------------------------------------------------

    def fingerprint(self) -> bytes:
        """A hash of the file's size and its first and last 64 KB (see `fingerprint_of`)."""
        if self._fd < 0:
            return self._fingerprint or b""
        start, stop = fingerprint_tail(self.size)
        head = os.pread(self._fd, FINGERPRINT_BYTES, 0)
        return fingerprint_of(self.size, head, os.pread(self._fd, stop - start, start))

    def checkpoint_before(self, line: int) -> tuple[int, int]:
        """(line number, byte offset) of the last checkpoint at or before line `line`."""
        with self._lock:
            k = max(bisect.bisect_right(self._cp_line, line) - 1, 0)
            return self._cp_line[k], self._cp_off[k]

    def checkpoint_at_offset(self, offset: int) -> tuple[int, int]:
        """(line number, byte offset) of the last checkpoint at or before byte `offset`."""
        with self._lock:
            k = max(bisect.bisect_right(self._cp_off, offset) - 1, 0)
            return self._cp_line[k], self._cp_off[k]

    def layout(self) -> tuple[int, int, int, bytes, bytes]:
        """What the index found: (newlines, end of the last, gap, checkpoint lines, their
        offsets), to compare two indexes of the same bytes."""
        with self._lock:
            return (
                self._lines,
                self._end,
                self._gap,
                self._cp_line.tobytes(),
                self._cp_off.tobytes(),
            )

    def save(self, path: Path | None = None) -> bool:
        """Write the complete index beside the file (atomically); False when not worth it
        or the directory is not writable (the index then lives for this session only)."""
        if not self._complete or self.size < self.persist_min_bytes:
            return False
        from batchtui.core.fsutil import atomic_write_bytes

        with self._lock:
            count = len(self._cp_off)
            header = _HEADER.pack(
                _MAGIC,
                self.size,
                self._mtime_ns,
                self._lines,
                self._end,
                self._gap,
                count,
                self.fingerprint(),
            )
            cp_line, cp_off = array("q", self._cp_line), array("q", self._cp_off)
        if sys.byteorder == "big":
            cp_line.byteswap()
            cp_off.byteswap()
        try:
            atomic_write_bytes(
                path or index_path_for(self.path),
                header + cp_line.tobytes() + cp_off.tobytes(),
                mode=None,
            )
        except OSError:
            return False
        return True

    def load(self, path: Path | None = None) -> bool:
        """Take a saved index when it matches the file as opened; False otherwise."""
        try:
            data = (path or index_path_for(self.path)).read_bytes()
        except OSError:
            return False
        if len(data) < _HEADER.size:
            return False
        magic, size, mtime_ns, lines, end, gap, count, fingerprint = _HEADER.unpack_from(data)
        body = memoryview(data)[_HEADER.size :]
        if (
            magic != _MAGIC
            or size != self.size
            or mtime_ns != self._mtime_ns
            or len(body) != 16 * count
            or not 0 <= end <= size
            or fingerprint != self.fingerprint()
        ):
            return False
        cp_line, cp_off = array("q"), array("q")
        cp_line.frombytes(body[: 8 * count])
        cp_off.frombytes(body[8 * count :])
        if sys.byteorder == "big":
            cp_line.byteswap()
            cp_off.byteswap()
        if count and (cp_off[0] != 0 or cp_line[0] != 0 or cp_off[-1] > size):
            return False
        with self._lock:
            self._cp_line, self._cp_off = cp_line, cp_off
            self._lines, self._end, self._gap = lines, end, gap
            self._scanned = size
            self._complete = True
        self.loaded_from_disk = True
        return True

    # --- reading ------------------------------------------------------------------------

    def _block_of(self, first: int, stop: int) -> tuple[int, int, int]:
        """(line number at, start, end) of the smallest checkpoint-aligned byte range
        holding lines `first` to `stop - 1`."""
        with self._lock:
            count = self.line_count
            if not 0 <= first < stop <= count:
                raise IndexError(f"{self.path}: line {stop} is not indexed")
            k = bisect.bisect_right(self._cp_line, first) - 1
            j = bisect.bisect_left(self._cp_line, stop, k + 1)
            if j < len(self._cp_off):
                end = self._cp_off[j]
            else:
                end = self.size if self._complete else self._end
            return self._cp_line[k], self._cp_off[k], end

    def _read_block(self, first: int, stop: int) -> tuple[int, list[bytes]]:
        """Lines `first` to `stop - 1` (newlines removed), read from their checkpoint."""
        at, start, end = self._block_of(first, stop)
        block = os.pread(self._fd, end - start, start)
        head = 0
        for _ in range(first - at):  # lines between the checkpoint and `first`
            head = block.index(b"\n", head) + 1
        pieces = (
            block[head:].split(b"\n", stop - first) if head else block.split(b"\n", stop - first)
        )
        return first, pieces

    def bounds(self, line: int) -> tuple[int, int]:
        """A byte range holding line `line`, newline included, found without reading.

        Exact for lines of 256 bytes or more (each starts a checkpoint); for shorter
        ones, the checkpoint span around them (a few KB at most).
        """
        _at, start, end = self._block_of(line, line + 1)
        return start, end

    def size_bound(self, line: int) -> int:
        """An upper bound of line `line`'s length (see `bounds`)."""
        start, end = self.bounds(line)
        return end - start

    def line_at(self, offset: int) -> int:
        """The number (0-based) of the line holding byte `offset` of the indexed part: a
        place found by byte in the remote file, numbered exactly once downloaded."""
        with self._lock:
            k = max(bisect.bisect_right(self._cp_off, offset) - 1, 0)
            line, start = self._cp_line[k], self._cp_off[k]
        if offset <= start:
            return line
        return line + os.pread(self._fd, offset - start, start).count(b"\n")

    def span(self, line: int) -> tuple[int, int]:
        """Byte range of an indexed line, newline included."""
        at, start, end = self._block_of(line, line + 1)
        block = os.pread(self._fd, end - start, start)
        position = 0
        for _ in range(line - at):
            position = block.index(b"\n", position) + 1
        stop = block.find(b"\n", position)
        return start + position, start + (len(block) if stop == -1 else stop + 1)

    def read_line(self, line: int, *, cache: bool = True) -> bytes:
        """Line `line` (0-based) without its line ending; IndexError when not indexed yet."""
        cached = self._cache.get(line)
        if cached is not None:
            return cached
        at, pieces = self._read_block(line, line + 1)
        data = _strip_cr(pieces[line - at])
        if cache:
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
        _, start, end = self._block_of(first, stop)
        if end - start > MAX_BLOCK_BYTES:
            return [self.read_line(n) for n in range(first, stop)]
        at, pieces = self._read_block(first, stop)
        lines = [_strip_cr(piece) for piece in pieces[first - at : stop - at]]
        for n, data in enumerate(lines, first):
            self._cache.put(n, data)
        return lines

    def iter_lines(
        self, first: int = 0, stop: int | None = None, *, keep_ends: bool = False
    ) -> Iterator[tuple[int, bytes]]:
        """(line number, line) in order, read a window at a time (for whole-file passes).

        Lines are not cached: a pass over the file must not evict what is on screen.
        With `keep_ends` lines keep their bytes exactly, line ending included.
        """
        for block_first, block in self.iter_blocks(first, stop):
            pieces = block.split(b"\n")
            last = len(pieces) - 1
            if keep_ends:
                for n, piece in enumerate(pieces):
                    if n < last:
                        yield block_first + n, piece + b"\n"
                    elif piece:  # the file's last line, without a newline
                        yield block_first + n, piece
            else:
                if not pieces[last]:
                    pieces.pop()
                for n, piece in enumerate(pieces, block_first):
                    yield n, _strip_cr(piece)

    def iter_blocks(self, first: int = 0, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(number of the first line, bytes of whole lines from it) covering lines `first`
        to `stop - 1`, in windows of about `window` bytes (more when a line is longer)."""
        stop = self.line_count if stop is None else min(stop, self.line_count)
        line = first
        while line < stop:
            with self._lock:
                k = bisect.bisect_right(self._cp_line, line) - 1
                at, start = self._cp_line[k], self._cp_off[k]
                # The furthest checkpoint within a window, but at least the next one,
                # and none past the first at or after `stop`.
                j = max(k + 1, bisect.bisect_right(self._cp_off, start + self._window, k + 1) - 1)
                j = min(j, bisect.bisect_left(self._cp_line, stop, k + 1))
                if j < len(self._cp_off):
                    end, upto = self._cp_off[j], self._cp_line[j]
                else:
                    end = self.size if self._complete else self._end
                    upto = self.line_count
            block = os.pread(self._fd, end - start, start)
            head = 0
            for _ in range(line - at):
                head = block.index(b"\n", head) + 1
            tail = len(block)
            if upto > stop:
                tail = head
                for _ in range(stop - line):
                    tail = block.index(b"\n", tail) + 1
                upto = stop
            yield line, block[head:tail] if head or tail < len(block) else block
            line = upto

    def tail_lines(self, count: int, *, max_bytes: int = 8 << 20) -> list[bytes]:
        """The last `count` lines, read backwards from the end like `less` (no index needed).

        Gives fewer lines when they would take more than `max_bytes`.
        """
        if count <= 0 or self.size == 0:
            return []
        step_size = min(self._window, 256 << 10)
        pieces: list[bytes] = []
        newlines = 0
        position = self.size
        while position > 0 and self.size - position < max_bytes:
            step = min(step_size, position)
            position -= step
            chunk = os.pread(self._fd, step, position)
            pieces.append(chunk)
            newlines += chunk.count(b"\n")
            # One more newline than lines wanted: the line before them is then whole.
            if newlines > count:
                break
        data = b"".join(reversed(pieces))
        body = data[:-1] if data.endswith(b"\n") else data
        lines = body.split(b"\n")
        if position > 0:
            lines = lines[1:]  # the first piece may be the end of an earlier line
        return [_strip_cr(line) for line in lines[-count:]]


def _strip_cr(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\r") else line


def fingerprint_tail(size: int) -> tuple[int, int]:
    """The byte range of a `size`-byte file hashed after its first 64 KB (may be empty)."""
    return min(size, max(FINGERPRINT_BYTES, size - FINGERPRINT_BYTES)), size


def fingerprint_of(size: int, head: bytes, tail: bytes) -> bytes:
    """The hash a saved index is matched by: the size, the first 64 KB (`head`) and the
    bytes of `fingerprint_tail(size)` (`tail`)."""
    digest = hashlib.blake2b(digest_size=32)
    digest.update(size.to_bytes(8, "little"))
    digest.update(head[:FINGERPRINT_BYTES])
    if tail:
        digest.update(tail)
    return digest.digest()


def index_window(index: LineIndex, buffer: bytearray, length: int, base: int, dense: bool) -> None:
    """Find the lines of one window (`buffer[:length]`, at file offset `base`) and publish
    them.

    Dense: each newline's next byte becomes a checkpoint. When the lines turn out too
    short for that (more than `length / min_dense_line` of them), the rest of the
    window is counted sparsely: one checkpoint every `gap` bytes.
    """
    find = buffer.find
    count = buffer.count
    lines = index._lines
    next_cp = index._next_cp
    gap = index._gap
    cp_line = array("q")
    cp_off = array("q")
    position = 0  # newlines before this (window-relative) offset are counted
    last_newline = -1
    if dense:
        limit = length // index._min_dense_line + 1
        found = cp_off
        hit = find(b"\n", 0, length)
        while hit != -1:
            found.append(base + hit + 1)
            if len(found) > limit:
                break
            hit = find(b"\n", hit + 1, length)
        if found:
            cp_line.extend(range(lines + 1, lines + 1 + len(found)))
            lines += len(found)
            last_newline = found[-1] - base - 1
            position = last_newline + 1
            next_cp = base + position + gap
        if hit == -1:
            end = base + last_newline + 1 if last_newline >= 0 else index._end
            index._add_window(lines, end, base + length, next_cp, cp_line, cp_off)
            return
    while True:
        target = max(position, next_cp - base)
        if target >= length:
            lines += count(b"\n", position, length)
            break
        hit = find(b"\n", target, length)
        if hit == -1:
            lines += count(b"\n", position, length)
            break
        if find(b"\n", position, hit) != -1:
            lines += count(b"\n", position, hit)
        lines += 1
        cp_line.append(lines)
        cp_off.append(base + hit + 1)
        position = hit + 1
        next_cp = base + position + gap
    last = buffer.rfind(b"\n", 0, length)
    end = base + last + 1 if last != -1 else index._end
    index._add_window(lines, end, base + length, next_cp, cp_line, cp_off)
