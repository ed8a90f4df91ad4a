"""A remote output is previewed after at most 1 MB of transfer, whatever its size."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

import httpx

from batchtui.core.preview import PAGE_BYTES, RemotePreview

from .conftest import PROFILE, embedding_line, until_terminal

MB = 1 << 20


async def test_first_page_of_a_multi_mb_output_costs_under_a_megabyte(
    simulator, make_service, tmp_path: Path
) -> None:
    service = await make_service(simulator)
    path = tmp_path / "embeddings.jsonl"
    path.write_text("".join(embedding_line(f"e-{n:03d}", 3000) + "\n" for n in range(200)))
    job = await until_terminal(service, await service.submit(path, PROFILE), timeout=60)
    provider = await service.provider(PROFILE)
    size = (await provider.file_info(job.output_file_id)).bytes
    assert size > 5 * MB

    # What the HTTP client really read off the network, counted by httpx itself.
    responses: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/content"):  # not the file's size, asked first
            responses.append(response)

    provider.http.client.event_hooks["response"].append(keep)

    def transferred() -> int:
        return sum(response.num_bytes_downloaded for response in responses)

    preview = RemotePreview(aiter(service.iter_results(job)), page_records=100)
    async with aclosing(preview.next_page()) as page:
        first = [record async for record in page]
    assert 0 < len(first) < 100  # the page filled up by bytes, not by records
    assert [record.custom_id for record in first] == [f"e-{n:03d}" for n in range(len(first))]
    assert preview.bytes_read <= PAGE_BYTES + 70_000
    assert transferred() <= MB
    before = transferred()

    async with aclosing(preview.next_page()) as page:
        second = [record async for record in page]
    assert second[0].custom_id == f"e-{len(first):03d}"  # on from where it stopped
    assert transferred() - before <= MB
    assert len(responses) == 1  # one stream, kept open between pages
    await preview.aclose()
    assert transferred() < size / 2
