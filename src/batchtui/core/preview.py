"""A page at a time of results that are still on the provider's side.

Lines are streamed from the provider and a page ends at `page_records` records or once
`page_bytes` of lines have arrived, whichever comes first: the first page of a 5 GB
output costs under a megabyte of transfer (the HTTP client reads at most one network
buffer ahead of the lines handed out). The stream stays open between pages, so the
next page goes on from where the last one stopped; closing the preview drops it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from batchtui.core.models import ResultRecord

PAGE_RECORDS = 100
# With the read-ahead of one network buffer and the rest of a line, a first page stays
# well under 1 MB whatever the size of the file.
PAGE_BYTES = 768 << 10


class RemotePreview:
    """Pages of records from an async stream of them (e.g. `JobService.iter_results`)."""

    def __init__(
        self,
        records: AsyncIterator[ResultRecord],
        *,
        page_records: int = PAGE_RECORDS,
        page_bytes: int = PAGE_BYTES,
    ) -> None:
        self._records = records
        self.page_records = page_records
        self.page_bytes = page_bytes
        self.exhausted = False
        self.bytes_read = 0  # of lines handed out, newlines included
        self.records_read = 0

    async def next_page(self, records: int | None = None) -> AsyncIterator[ResultRecord]:
        """The records of the next page, as they arrive (a viewer shows them at once)."""
        wanted = records or self.page_records
        budget = self.page_bytes
        count = 0
        while not self.exhausted and count < wanted and budget > 0:
            try:
                record = await anext(self._records)
            except StopAsyncIteration:
                self.exhausted = True
                break
            size = len(record.raw.encode("utf-8")) + 1
            budget -= size
            self.bytes_read += size
            self.records_read += 1
            count += 1
            yield record

    async def aclose(self) -> None:
        self.exhausted = True
        closer = getattr(self._records, "aclose", None)
        if closer is not None:
            await closer()
