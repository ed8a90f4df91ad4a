"""Refreshing many batches by listing them: when a list pays, and where paging stops.

A list page answers for up to a hundred batches in one request, a GET for one. Listing
pays when the pages back to the oldest batch asked about are fewer than the batches asked
about; the caller estimates how many batches that takes from its own records (`expected`).
Paging stops when every batch asked about was seen, when the page reached batches older
than the oldest one asked about (lists are newest first), or when one more page could no
longer beat asking for each batch still unseen. What the pages do not show is asked for
one by one, so an answer that skips or invents batches costs requests, never a wrong job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from datetime import datetime, timedelta

from batchtui.core.models import RemoteBatch

# Batch clocks and ours disagree a little, and batches created in the same second may be
# listed in any order: pages stop only past this much before the oldest batch asked about.
CREATED_AT_SLACK = timedelta(minutes=5)


def list_pages_needed(expected: int, page_size: int) -> int:
    """Pages a list back to the oldest batch takes: ⌈expected / page_size⌉."""
    return max(1, -(-expected // page_size))


def listing_pays(wanted: int, expected: int | None, page_size: int | None) -> bool:
    """Whether listing beats one GET per batch: strictly fewer pages than batches."""
    if page_size is None or page_size < 1 or wanted < 2:
        return False
    return list_pages_needed(max(expected or 0, wanted), page_size) < wanted


async def find_in_pages(
    pages: AsyncIterator[list[RemoteBatch]],
    wanted: Iterable[str],
    *,
    since: datetime | None,
) -> dict[str, RemoteBatch]:
    """The wanted batches the pages show (the first sighting of each), read no further
    than needed: see the module docstring for where paging stops. Ids are matched as they
    are: the registry keeps each batch's id in the one form its provider answers with."""
    wanted_ids = set(wanted)
    found: dict[str, RemoteBatch] = {}
    stop_before = None if since is None else since - CREATED_AT_SLACK
    read = 0
    async with aclosing(pages):
        async for page in pages:
            read += 1
            oldest: datetime | None = None
            for batch in page:
                if batch.id in wanted_ids and batch.id not in found:
                    found[batch.id] = batch
                created = batch.timestamps.get("created_at")
                if created is not None and (oldest is None or created < oldest):
                    oldest = created
            unseen = len(wanted_ids) - len(found)
            if unseen == 0:
                break
            if stop_before is not None and oldest is not None and oldest < stop_before:
                break
            if read + 1 + unseen > len(wanted_ids):
                break
    return found
