"""The background scan that makes a remote output's line numbers exact: streamed once into
the line index a download builds, saved so the next open is exact at once.

A `RemoteScan` streams the output through its `RemoteOutput`'s source (the profile's
deadlines, proxies, retries and ceilings, as every remote read), cuts the stream into the
windows `LineIndex.scan` reads a local file in, and indexes each in a thread: so the index
equals the downloaded file's, memory stays within one window, and the event loop only
waits. Cancelled (the viewer closed) it keeps where it got: the next scan of the same
output in this process resumes from that byte. A finished index is saved under the data
directory, named by the output's key, and matched on load by the hash of the remote
file's size, first and last 64 KB, read with two ranged reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

from batchtui.core.errors import BatchtuiError, ProviderError
from batchtui.core.lineindex import (
    FINGERPRINT_BYTES,
    LRU,
    LineIndex,
    fingerprint_of,
    fingerprint_tail,
)
from batchtui.core.remote_output import RemoteOutput

# Saved indexes kept (the most recently written): most are a few MB at most.
KEPT_INDEXES = 64

# (bytes indexed, bytes in the file)
ScanProgress = Callable[[int, int], None]


class RemoteScanError(ProviderError):
    """The stream ended before the file's size, or ran past it."""


@dataclass
class _Progress:
    """What a scan found so far: the index of the windows done and the bytes the final
    hash needs (the first 64 KB, the last 64 KB indexed)."""

    index: LineIndex
    head: bytes = b""
    tail: bytes = b""
    busy: bool = False  # a scan is using it
    in_flight: int = 0  # windows handed to a thread and not indexed yet

    def add(self, window: bytes) -> None:
        """Index one window (in a worker thread)."""
        try:
            if self.index.scanned_bytes == 0:
                self.head = window[:FINGERPRINT_BYTES]
            self.index.feed(window, len(window))
            self.tail = (self.tail + window[-FINGERPRINT_BYTES:])[-FINGERPRINT_BYTES:]
        finally:
            self.in_flight -= 1


# Scans left unfinished in this process, by output key, to resume from where they stopped.
# Two at most: an index holds at most 32 MB of checkpoints (`lineindex.MAX_CHECKPOINTS`).
_UNFINISHED: LRU[str, _Progress] = LRU(2)


def unfinished_bytes(key: str) -> int:
    """How far a stopped scan of the output named `key` got in this process: the byte the
    next scan resumes at (0: none to resume)."""
    state = _UNFINISHED.get(key)
    return 0 if state is None else state.index.scanned_bytes


def prune_saved_indexes(directory: Path, keep: int = KEPT_INDEXES) -> int:
    """Delete all but the `keep` most recently written indexes in `directory`; how many
    went. An index is cheap to build again; a folder of them must not grow forever."""
    try:
        found = [(entry.stat().st_mtime_ns, entry) for entry in directory.glob("*.idx")]
    except OSError:
        return 0
    found.sort(key=lambda item: item[0], reverse=True)
    removed = 0
    for _mtime, entry in found[keep:]:
        with contextlib.suppress(OSError):
            entry.unlink()
            removed += 1
    return removed


def saved_index_path(key: str) -> Path:
    """Where the index of the remote output named `key` is saved."""
    from batchtui.core.paths import data_dir

    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return data_dir() / "remote-index" / f"{digest}.idx"


async def remote_fingerprint(output: RemoteOutput) -> bytes:
    """The hash a saved index is matched by, from two ranged reads of the remote file."""
    size = await output.total_size()
    head = await output.read_bytes(0, FINGERPRINT_BYTES)
    start, stop = fingerprint_tail(size)
    return fingerprint_of(size, head, await output.read_bytes(start, stop))


class RemoteScan:
    """Builds (or loads) the line index of one remote output and gives it to the output."""

    def __init__(self, output: RemoteOutput, *, save_to: Path | None = None) -> None:
        self.output = output
        self.save_to = save_to
        if save_to is None and output.key:
            self.save_to = saved_index_path(output.key)
        self.bytes_streamed = 0  # file bytes this scan received
        self.resumed_from = 0  # the byte it started streaming at

    async def load_saved(self) -> bool:
        """Take the saved index of this output when it matches the remote file now."""
        if self.save_to is None or not self.save_to.is_file():
            return False
        size = await self.output.total_size()
        index = LineIndex.unbacked(
            self.output.source.label, size, fingerprint=await remote_fingerprint(self.output)
        )
        if not await asyncio.to_thread(index.load, self.save_to):
            return False
        self.output.index = index
        return True

    async def run(self, progress: ScanProgress | None = None) -> LineIndex:
        """Stream the output from where an earlier scan of it stopped and index it; the
        finished index is given to the output and saved. Cancellable at every chunk."""
        size = await self.output.total_size()
        state = await self._claim(size)
        try:
            index = state.index
            position = self.resumed_from = index.scanned_bytes
            if progress is not None:
                progress(position, size)
            buffer = bytearray()
            if position < size:
                async with aclosing(self.output.source.stream(position)) as chunks:
                    async for data in chunks:
                        self.bytes_streamed += len(data)
                        self.output.bytes_fetched += len(data)
                        buffer += data
                        while position < size and len(buffer) >= index.window_at(position):
                            wanted = index.window_at(position)
                            window = bytes(buffer[:wanted])
                            del buffer[:wanted]
                            await self._index(state, window)
                            position += wanted
                            if progress is not None:
                                progress(position, size)
                        if position >= size:
                            break
            if position < size or buffer:
                raise self._error(
                    f"the stream ended at byte {position + len(buffer):,} of {size:,}"
                    if position < size
                    else f"the stream ran past the file's {size:,} bytes"
                )
            index.finish(fingerprint=fingerprint_of(size, state.head, self._tail_bytes(state)))
            if self.save_to is not None:
                with contextlib.suppress(OSError):
                    self.save_to.parent.mkdir(parents=True, exist_ok=True)
                if await asyncio.to_thread(index.save, self.save_to):
                    await asyncio.to_thread(prune_saved_indexes, self.save_to.parent)
            self._forget()
            self.output.index = index
            return index
        finally:
            state.busy = False

    async def _claim(self, size: int) -> _Progress:
        """The unfinished scan of this output to resume (when the file's size and first
        bytes are still the same), else a new one."""
        key = self.output.key
        state = _UNFINISHED.get(key) if key else None
        if state is not None and not state.busy:
            state.busy = True
            while state.in_flight:  # a window a cancelled scan handed to a thread
                await asyncio.sleep(0.01)
            head = state.head
            if state.index.size == size and (
                not head or await self.output.read_bytes(0, len(head)) == head
            ):
                return state
            state.busy = False
        state = _Progress(LineIndex.unbacked(self.output.source.label, size), busy=True)
        if key:
            _UNFINISHED.put(key, state)
        return state

    def _forget(self) -> None:
        if self.output.key:
            _UNFINISHED.pop(self.output.key)

    @staticmethod
    async def _index(state: _Progress, window: bytes) -> None:
        """One window indexed in a thread. A cancel lets the thread finish the window (a
        resumed scan waits for it and starts where it ended)."""
        state.in_flight += 1
        await asyncio.to_thread(state.add, window)

    @staticmethod
    def _tail_bytes(state: _Progress) -> bytes:
        size = state.index.size
        start, stop = fingerprint_tail(size)
        return state.tail[len(state.tail) - (stop - start) :] if stop > start else b""

    def _error(self, detail: str) -> BatchtuiError:
        return RemoteScanError(f"{self.output.source.label}: {detail}", call="index scan")
