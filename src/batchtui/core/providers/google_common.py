"""What the Gemini and Vertex AI providers share: the HTTP client and the input conversion.

Users write OpenAI-format batch files; both providers convert them on upload (streamed,
into a temporary file removed afterwards) with `formats.convert`, so `JobService.submit`
works unchanged. A file already in the target format is sent as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from batchtui.core.errors import InputFileError, ProviderError
from batchtui.core.formats.convert import Format, convert_file, detect_line_format
from batchtui.core.models import RemoteBatch
from batchtui.core.providers.base import ProgressCallback
from batchtui.core.providers.http import ApiClient, CallClock
from batchtui.core.providers.netpolicy import announce, list_cut_short

LOGGER = logging.getLogger("batchtui.providers")

READ_CHUNK = 64 * 1024
# Lines read to find the first request when sniffing an input file's format.
_SNIFF_LINES = 100


class GoogleApiClient(ApiClient):
    """`ApiClient` for Google APIs: resources keep their own `error`, and raw uploads."""

    def decode_json(self, response: httpx.Response, call: str) -> Any:
        # A failed Operation or BatchPredictionJob carries `error` beside its `name`: it is
        # the resource, not an error envelope (which the base class rejects).
        try:
            value = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            value = None
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value
        return super().decode_json(response, call)

    async def send_raw(
        self,
        method: str,
        url: str,
        *,
        call: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        content: Callable[[], AsyncIterator[bytes]] | bytes | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send one request with a raw body (`content` builds a fresh stream per attempt);
        the whole answer is read. Errors are mapped like every other call; with `retry`,
        retryable failures are sent again with backoff."""

        async def attempt(clock: CallClock) -> httpx.Response:
            body = content() if callable(content) else content
            request = self.client.build_request(
                method, url, headers=headers, params=params, content=body
            )
            try:
                response = await self._send(request, call=call, clock=clock)
            except httpx.HTTPError as exc:
                raise self.transport_error(exc, call) from None
            if not response.is_success:
                raise self.status_error(response, call, response.content)
            return response

        return await self._run(attempt, retry=retry)


def file_chunks(
    path: Path,
    *,
    start: int = 0,
    length: int | None = None,
    progress: ProgressCallback | None = None,
    progress_base: int = 0,
    total: int | None = None,
) -> Callable[[], AsyncIterator[bytes]]:
    """A factory of async streams over `path[start:start+length]`, for `send_raw`."""

    async def stream() -> AsyncIterator[bytes]:
        remaining = length
        sent = 0
        with path.open("rb") as handle:
            handle.seek(start)
            while remaining is None or remaining > 0:
                size = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
                chunk = handle.read(size)
                if not chunk:
                    break
                sent += len(chunk)
                if remaining is not None:
                    remaining -= len(chunk)
                if progress:
                    progress(progress_base + sent, total)
                yield chunk

    return stream


# --- input conversion ----------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedInput:
    """The file to upload (`path`), its size and its number of request lines."""

    path: Path
    bytes: int
    lines: int


def sniff_format(path: Path) -> Format | None:
    """The format of the first request line among the first lines, None if none is known."""
    try:
        with path.open("rb") as handle:
            for _ in range(_SNIFF_LINES):
                raw = handle.readline()
                if not raw:
                    return None
                if not raw.strip():
                    continue
                try:
                    data = json.loads(raw)
                except (ValueError, RecursionError):
                    continue
                if isinstance(data, dict) and (found := detect_line_format(data)):
                    return found
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return None


def _prepare(source: Path, workdir: Path, target: Format, provider_name: str) -> PreparedInput:
    if sniff_format(source) == target:
        return PreparedInput(path=source, bytes=source.stat().st_size, lines=_count_lines(source))
    dest = workdir / f"{source.stem}.{target}.jsonl"
    report = convert_file(source, dest, target)
    if report.lines_skipped:
        first = next(issue for issue in report.issues if issue.severity == "skipped")
        raise InputFileError(
            f"{first.describe(source)} (cannot be sent to {provider_name}; "
            f"{report.lines_skipped:,} such line(s) in all)"
        )
    if report.fields_dropped:
        LOGGER.warning("%s: %s", source, report.summary())
    return PreparedInput(path=dest, bytes=dest.stat().st_size, lines=report.lines_written)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


@contextlib.asynccontextmanager
async def prepared_input(
    source: Path, target: Format, *, provider_name: str
) -> AsyncIterator[PreparedInput]:
    """`source` in the `target` line format, converted off the event loop into a temporary
    file (in TMPDIR) that is removed when the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="batchtui-convert-"))
    try:
        yield await asyncio.to_thread(_prepare, source, workdir, target, provider_name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def iter_jsonl(items: list[Any]) -> Iterator[bytes]:
    for item in items:
        yield json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()


def readable_batches(
    items: list[Any],
    parse: Callable[[Any, str], RemoteBatch],
    call: str,
    unreadable: list[str],
) -> list[RemoteBatch]:
    """The list items `parse` can read; each one it cannot is noted in `unreadable` (one
    unreadable batch must not hide the others)."""
    batches = []
    for item in items:
        try:
            batches.append(parse(item, call))
        except ProviderError as exc:
            unreadable.append(exc.message)
    return batches


def wrong_answer(http: ApiClient, call: str, detail: str) -> ProviderError:
    return http.error(ProviderError, call, f"unexpected answer: {detail}")


async def google_list(
    api: ApiClient,
    route: str,
    items_key: str,
    *,
    limit: int | None,
    page_size: int,
    call: str | None = None,
) -> AsyncIterator[Any]:
    """The items of a Google list call, following `nextPageToken` until `limit` or the end.

    A token seen before, or more pages than the profile's `max_list_pages`, ends the list
    with a notice: a server that always has more would otherwise never let a sync finish.
    """
    remaining = limit
    pages = google_pages(api, route, items_key, limit=limit, page_size=page_size, call=call)
    async with aclosing(pages):
        async for items in pages:
            for item in items:
                yield item
                if remaining is not None:
                    remaining -= 1
                    if remaining == 0:
                        return


async def google_pages(
    api: ApiClient,
    route: str,
    items_key: str,
    *,
    limit: int | None,
    page_size: int,
    call: str | None = None,
    params: dict[str, str] | None = None,
) -> AsyncIterator[list[Any]]:
    """The pages of a Google list call (`params` such as a `filter` sent with each), as
    `google_list` follows them."""
    call = call or f"GET {route}"
    token: str | None = None
    seen: set[str] = set()
    remaining = limit
    pages = 0
    while remaining is None or remaining > 0:
        query: dict[str, Any] = {
            **(params or {}),
            "pageSize": min(remaining or page_size, page_size),
        }
        if token:
            query["pageToken"] = token
        answer = await api.request_json("GET", route, idempotent=True, params=query, call=call)
        pages += 1
        if not isinstance(answer, dict):
            raise wrong_answer(api, call, "the list is not an object")
        items = answer.get(items_key) or []
        if not isinstance(items, list):
            raise wrong_answer(api, call, f"{items_key!r} is not an array")
        yield items
        if remaining is not None:
            remaining -= len(items)
        next_token = answer.get("nextPageToken")
        if not items or not isinstance(next_token, str) or not next_token:
            return
        if next_token in seen or next_token == token:
            announce(list_cut_short(api.label, call, pages, "the server sent a page token again"))
            return
        if pages >= api.policy.max_list_pages:
            announce(list_cut_short(api.label, call, pages, "max_list_pages"))
            return
        seen.add(next_token)
        token = next_token
