"""Ranged reads of files behind HTTP routes, for `remote_output.RemoteOutput`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from batchtui.core.providers.http import ApiClient
from batchtui.core.remote_output import RangeAnswer, RemoteOutputError


class HttpByteSource:
    """The bytes of the file at `route`, read through the profile's `ApiClient` (its
    deadlines, ceilings and retries)."""

    def __init__(self, http: ApiClient, route: str, *, label: str) -> None:
        self.http = http
        self.route = route
        self.label = label

    async def read(self, start: int, end: int) -> RangeAnswer:
        return await self.http.read_range(self.route, start=start, end=end)

    async def read_suffix(self, length: int) -> RangeAnswer:
        return await self.http.read_range(self.route, start=None, end=length)

    async def stream(self, offset: int) -> AsyncIterator[bytes]:
        # Resumed with Range after a dropped connection; a server that starts over from an
        # earlier byte has those bytes skipped.
        async with aclosing(self.http.iter_chunks(self.route, offset=offset)) as chunks:
            async for chunk in chunks:
                data = chunk.data[max(offset - chunk.offset, 0) :]
                offset = max(offset, chunk.offset + len(chunk.data))
                if data:
                    yield data


class ConcatenatedByteSource:
    """Several remote files read as one, in order (a Vertex output folder's shards): what
    `download` writes when it concatenates them, so a byte offset means the same in both.

    Each part's size comes from the folder's listing; an answer giving another size stops
    the read with one line (the shards changed since they were listed).
    """

    def __init__(self, parts: list[tuple[HttpByteSource, int]], *, label: str) -> None:
        self.parts = parts
        self.label = label
        self.starts: list[int] = []
        total = 0
        for _source, size in parts:
            self.starts.append(total)
            total += size
        self.total = total

    async def read(self, start: int, end: int) -> RangeAnswer:
        end = min(end, self.total)
        if start >= end:
            return RangeAnswer(b"", start, self.total)
        pieces = []
        for (source, size), base in zip(self.parts, self.starts, strict=True):
            if base + size <= start or base >= end or size == 0:
                continue
            local_start, local_end = max(start - base, 0), min(end - base, size)
            answer = await source.read(local_start, local_end)
            if not answer.ranged:
                return RangeAnswer(b"", 0, None, ranged=False)
            if answer.total != size or len(answer.data) != local_end - local_start:
                raise RemoteOutputError(
                    f"{source.label}: {answer.total} bytes where the listing said {size:,}: "
                    "the output changed since it was listed",
                    call="ranged read",
                )
            pieces.append(answer.data)
        return RangeAnswer(b"".join(pieces), start, self.total)

    async def read_suffix(self, length: int) -> RangeAnswer:
        return await self.read(max(self.total - length, 0), self.total)

    async def stream(self, offset: int) -> AsyncIterator[bytes]:
        for (source, size), base in zip(self.parts, self.starts, strict=True):
            if base + size <= offset:
                continue
            async with aclosing(source.stream(max(offset - base, 0))) as chunks:
                async for data in chunks:
                    yield data
