"""Benchmark: seeking in a result file still at the provider, bytes counted by a proxy.

    .venv/bin/python benchmarks/seek/run.py               # a 1 GB output
    .venv/bin/python benchmarks/seek/run.py --size 64     # quick run on 64 MB
    .venv/bin/python benchmarks/seek/run.py --stream      # also time streaming to 50%

Generates an OpenAI-format output file (about 2 KB a record, lines of uneven length) in a
temporary folder, uploads it to the project's simulator (the Gemini Files API, which takes
files of up to 2 GB, on 127.0.0.1), and reads it from its download route through a loopback
TCP proxy that counts every byte from the server to the client (headers included), with
batchtui's own client and `RemoteOutput`:

- the first page (100 records from byte 0): the baseline;
- the last page (100 records, a Range from the end);
- a jump to 50% and to 90% (a Range at the byte offset, resynchronised on a newline);
- `:N` at three quarters of the records (placed by the mean line length, numbered ≈).

Each is read with a fresh reader (no cache), best of `--runs` interleaved. Printed: bytes
transferred, time, and the time's ratio to the first page's. Goals: last page <= 1 MB,
each jump <= 2 MB; `--check` exits 1 when one is missed. With `--stream`, the old way
to reach 50% (streaming everything before it) is timed and counted once beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from batchtui.core.config import Profile
from batchtui.core.providers.gemini import GeminiProvider
from batchtui.core.remote_output import LineWindow, RemoteOutput
from batchtui.simulator import start_in_thread

MB = 1 << 20
PAGE = 100
GOALS = {"last page": 1 * MB, "jump to 50%": 2 * MB, "jump to 90%": 2 * MB, ":N at 75%": 2 * MB}


def generate(path: Path, size: int) -> int:
    """OpenAI-format result lines up to `size` bytes; returns the number of lines."""
    lines = 0
    written = 0
    with path.open("wb", buffering=1 << 20) as handle:
        while written < size:
            chunk = []
            for n in range(lines, lines + 1000):
                text = "lorem ipsum " * (100 + (n * 37) % 80)
                body = {"choices": [{"message": {"role": "assistant", "content": text}}]}
                row = {
                    "id": f"batch_req_{n}",
                    "custom_id": f"request-{n:08d}",
                    "response": {"status_code": 200, "body": body},
                    "error": None,
                }
                chunk.append(json.dumps(row).encode() + b"\n")
            data = b"".join(chunk)
            handle.write(data)
            written += len(data)
            lines += 1000
    return lines


class CountingProxy:
    """A loopback TCP proxy that counts the bytes going from the server to the client."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.to_client = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter):
        server_in, server_out = await asyncio.open_connection("127.0.0.1", self.target_port)
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await asyncio.gather(
                self._pipe(client_in, server_out, count=False),
                self._pipe(server_in, client_out, count=True),
                return_exceptions=True,
            )

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, count: bool
    ) -> None:
        try:
            while data := await source.read(64 << 10):
                if count:
                    self.to_client += len(data)
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()


def upload(root_url: str, path: Path) -> str:
    """The Files API's resumable upload, 64 MB a request; the file's name (`files/...`)."""
    size = path.stat().st_size
    with httpx.Client(base_url=root_url, headers={"x-goog-api-key": "b"}, timeout=600) as client:
        started = client.post(
            "/upload/v1beta/files",
            json={"file": {"displayName": "output"}},
            headers={
                "X-Goog-Upload-Protocol": "resumable",
                "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": str(size),
                "X-Goog-Upload-Header-Content-Type": "application/jsonl",
            },
        )
        started.raise_for_status()
        url = started.headers["X-Goog-Upload-URL"]
        offset = 0
        with path.open("rb") as handle:
            while True:
                piece = handle.read(64 * MB)
                final = offset + len(piece) >= size
                answer = client.post(
                    url,
                    content=piece,
                    headers={
                        "X-Goog-Upload-Command": "upload, finalize" if final else "upload",
                        "X-Goog-Upload-Offset": str(offset),
                    },
                )
                answer.raise_for_status()
                offset += len(piece)
                if final:
                    return answer.json()["file"]["name"]


Read = Callable[[RemoteOutput, int], Awaitable[LineWindow]]


def cases(lines: int) -> dict[str, Read]:
    return {
        "first page": lambda output, count: output.lines_at(0, count),
        "last page": lambda output, count: output.last_lines(count),
        "jump to 50%": lambda output, count: output.lines_at_fraction(0.5, count),
        "jump to 90%": lambda output, count: output.lines_at_fraction(0.9, count),
        ":N at 75%": lambda output, count: output.lines_near(lines * 3 // 4, count),
    }


async def measure(args: argparse.Namespace, folder: Path) -> int:
    size = args.size * MB
    path = folder / "output.jsonl"
    started = time.perf_counter()
    lines = generate(path, size)
    print(
        f"generated {path.stat().st_size / MB:,.0f} MB, {lines:,} records "
        f"in {time.perf_counter() - started:.1f} s"
    )
    simulator = start_in_thread(data_dir=folder / "simulator", quiet=True)
    proxy = CountingProxy(int(simulator.url.split(":")[2].split("/")[0]))
    await proxy.start()
    proxied = Profile(
        name="p", kind="gemini", base_url=f"http://127.0.0.1:{proxy.port}", api_key="b", timeout=60
    )
    try:
        started = time.perf_counter()
        file_id = upload(simulator.root_url, path)
        print(f"uploaded to the simulator in {time.perf_counter() - started:.1f} s\n")
        path.unlink()  # the simulator keeps its own copy
        figures: dict[str, tuple[int, float, str]] = {}
        async with GeminiProvider.from_profile(proxied) as provider:
            for _ in range(args.runs):
                for name, read in cases(lines).items():
                    source = await provider.byte_source(file_id)
                    assert source is not None
                    output = RemoteOutput(source)
                    before = proxy.to_client
                    started = time.perf_counter()
                    window = await read(output, PAGE)
                    seconds = time.perf_counter() - started
                    moved = proxy.to_client - before
                    first = window.lines[0][:40].decode() if window.lines else ""
                    where = f"{'' if window.exact else '≈'}{window.first_line:,}: {first}"
                    best = figures.get(name)
                    if best is None or seconds < best[1]:
                        figures[name] = (moved, seconds, where)
            streamed = None
            if args.stream:
                before = proxy.to_client
                started = time.perf_counter()
                count = 0
                async for _line in provider.iter_lines(file_id):
                    count += 1
                    if count >= lines // 2:
                        break
                streamed = (proxy.to_client - before, time.perf_counter() - started)
    finally:
        await proxy.close()
        simulator.stop()
    base = figures["first page"][1]
    print(f"{'read':<14} {'bytes moved':>13} {'time':>9} {'x first page':>13}  first record")
    missed = []
    for name, (moved, seconds, where) in figures.items():
        goal = GOALS.get(name)
        mark = "" if goal is None else ("  ok" if moved <= goal else f"  OVER {goal // MB} MB")
        if goal is not None and moved > goal:
            missed.append(name)
        print(
            f"{name:<14} {moved:>13,} {seconds * 1000:>7.1f}ms {seconds / base:>12.2f}x  "
            f"{where}{mark}"
        )
    if streamed is not None:
        moved, seconds = streamed
        print(
            f"{'stream to 50%':<14} {moved:>13,} {seconds * 1000:>7.0f}ms "
            f"{seconds / base:>12.0f}x  (before: everything up to it)"
        )
    print(f"\nbest of {args.runs}, interleaved, each read with a fresh reader (no cache)")
    return 1 if args.check and missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="output size in MB (1024)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each read (5)")
    parser.add_argument("--stream", action="store_true", help="also stream to 50%% once")
    parser.add_argument("--dir", help="where to generate the file (a temporary folder)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="batchtui-seek-", dir=args.dir))
    try:
        return asyncio.run(measure(args, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
