"""Ranged reads of one file behind an HTTP route, for `remote_output.RemoteOutput`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from batchtui.core.providers.http import ApiClient
from batchtui.core.remote_output import RangeAnswer


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
