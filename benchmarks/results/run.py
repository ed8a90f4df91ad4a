"""Benchmark: the result-file line index, filters, export, retry input and usage.

    .venv/bin/python benchmarks/results/run.py               # 1 GB, about 250,000 records
    .venv/bin/python benchmarks/results/run.py --size 64     # quick run on 64 MB
    .venv/bin/python benchmarks/results/run.py --dir /scratch --keep

Generates an OpenAI-format output file (about 4 KB a record, every 50th failed) and
its input file, then measures in one process, printing figures and ratios:

- first page (50 records) from opening, before any index exists; then the last page,
  read backwards from the end (`tail_lines`, as `less` does);
- the full index against `wc -l` on the same file (best of 3 each, warm page cache);
- any record by number once indexed (1,000 random records, cold caches);
- reopening with the saved index, and `batchtui results FILE --from N --head 10` as a
  whole process; "errors only" and a text search over the file;
- export as CSV (alone and joined with the input) and usage with cost, each against a
  bare loop that `json.loads` each line and writes one `csv.writer` row (joined: through
  a dict of the input built in the same loop), best of `--repeat` interleaved runs;
- the retry input; a short-line file's index;
- peak RSS of the whole run (`ru_maxrss`; the generator streams in bounded memory);
- then, streamed from a local HTTP server through the provider client as `results JOB`
  reads a job's results (lines, each parsed as a record): one `--line-size` MB line
  against the same bytes as 2,000 lines (best of 3 each, interleaved). The lines alone,
  unparsed, are shown too: there the long line's one inevitable cost, writing 200 MB into
  fresh memory (page faults, slow on some VMs), weighs more against a very fast read.

Targets: first page <= 0.3 s, last page <= 0.1 s more, a record <= 50 ms, index
<= 2x `wc -l`, peak RSS < 150 MB, the long line <= 1.5x the short ones, export and
usage <= 1.5x their bare loop. `--check` exits
1 when one is missed.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from batchtui.core.export import export_records
from batchtui.core.lineindex import LineIndex, index_path_for
from batchtui.core.outcomes import merge_result_sets
from batchtui.core.request_index import RequestIndex
from batchtui.core.resultfile import ResultSet, parse_record
from batchtui.core.retry_input import build_retry_input
from batchtui.core.usage import job_usage, sum_usage

RECORD_BYTES = 4200
PAGE = 50
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "batch",
    "token",
    "model",
    "answer",
    "question",
    "summary",
    "context",
    "request",
    "result",
    "window",
    "energy",
    "physics",
    "cluster",
    "node",
    "queue",
    "storage",
    "network",
    "latency",
    "protein",
]


def generate(output: Path, inputs: Path, size: int, seed: int = 11) -> int:
    """Write about `size` bytes of results and the matching input; returns the record count."""
    rng = random.Random(seed)
    texts = [
        " ".join(rng.choice(WORDS) for _ in range(600))[: RECORD_BYTES - 450] for _ in range(64)
    ]
    count = max(PAGE * 2, size // RECORD_BYTES)
    with output.open("wb") as out, inputs.open("wb") as requests:
        batch_out: list[bytes] = []
        batch_in: list[bytes] = []
        for n in range(count):
            custom_id = f"request-{n:08d}"
            if n % 50 == 7:
                response = {
                    "status_code": 429,
                    "request_id": f"req_{n}",
                    "body": {
                        "error": {
                            "message": "Rate limit reached",
                            "type": "rate_limit",
                            "code": "rate_limit",
                        }
                    },
                }
            else:
                response = {
                    "status_code": 200,
                    "request_id": f"req_{n}",
                    "body": {
                        "id": f"chatcmpl-{n}",
                        "object": "chat.completion",
                        "model": "gpt-4o-mini",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": texts[n % 64]},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": 30 + n % 7,
                            "completion_tokens": 600,
                            "total_tokens": 630 + n % 7,
                        },
                    },
                }
            line = {
                "id": f"batch_req_{n}",
                "custom_id": custom_id,
                "response": response,
                "error": None,
            }
            batch_out.append(json.dumps(line).encode() + b"\n")
            request = {
                "custom_id": custom_id,
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "gpt-4o-mini",
                    "messages": [
                        {"role": "user", "content": f"Question {n}: {texts[(n * 7) % 64][:200]}"}
                    ],
                },
            }
            batch_in.append(json.dumps(request).encode() + b"\n")
            if len(batch_out) >= 2000:
                out.write(b"".join(batch_out))
                requests.write(b"".join(batch_in))
                batch_out, batch_in = [], []
        out.write(b"".join(batch_out))
        requests.write(b"".join(batch_in))
    return count


def bare_csv(output: Path, out: Path, inputs: Path | None = None) -> None:
    """The baseline export: `json.loads` each line and write one `csv.writer` row (with
    `inputs`, joined to its prompt through a dict of the input built in the same loop)."""
    prompts: dict[str, object] = {}
    if inputs is not None:
        with inputs.open("rb") as lines:
            for line in lines:
                request = json.loads(line)
                prompts[request["custom_id"]] = request["body"]["messages"][-1]["content"]
    with output.open("rb") as lines, out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for line in lines:
            data = json.loads(line)
            response = data.get("response") or {}
            body = response.get("body") or {}
            choice = (body.get("choices") or [{}])[0]
            row = [
                data.get("custom_id"),
                response.get("status_code"),
                (choice.get("message") or {}).get("content"),
                (body.get("usage") or {}).get("total_tokens"),
            ]
            if inputs is not None:
                row.append(prompts.get(data.get("custom_id")))
            writer.writerow(row)


def interleaved(runs: int, actions: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best seconds of each action over `runs` rounds, the actions alternating."""
    best = dict.fromkeys(actions, float("inf"))
    for _ in range(runs):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def in_child(action: Callable[[], object]) -> tuple[object, float]:
    """`action()` run in a forked child: its result, and the child's own peak RSS in MB
    (so repeated rounds over the whole file do not count in this process's peak)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        result = action()
        send.send((result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    process = context.Process(target=child)
    process.start()
    result = receive.recv()
    process.join()
    return result


def best_of(runs: int, action) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def wc_lines(path: Path) -> None:
    subprocess.run(["wc", "-l", str(path)], check=True, capture_output=True)


def fresh_index(path: Path) -> None:
    with LineIndex(path) as index:
        index.scan()


def first_and_last_page(path: Path) -> tuple[float, float]:
    """Seconds to the first page from opening, then to the last page after that."""
    start = time.perf_counter()
    results = ResultSet([path])
    stop = threading.Event()
    worker = threading.Thread(target=results.scan, args=(None, stop.is_set))
    worker.start()
    while results.count < PAGE:
        time.sleep(0.001)
    first = [results.record(row) for row in range(PAGE)]
    first_page = time.perf_counter() - start
    tail = [parse_record(raw) for raw in results.files[0].index.tail_lines(PAGE)]
    last_page = time.perf_counter() - start - first_page
    stop.set()
    worker.join()
    results.close()
    assert first[0].custom_id == "request-00000000" and len(tail) == PAGE
    return first_page, last_page


def cli_page(path: Path, start: int) -> tuple[float, int]:
    """The CLI's `results FILE --from N --head 10` on the indexed file: a whole process
    (start-up, imports, the saved index loaded, ten records printed), best of 3."""
    command = [str(Path(sys.executable).with_name("batchtui")), "results", str(path)]
    command += ["--from", str(start), "--head", "10", "--json"]
    printed = 0

    def page() -> None:
        nonlocal printed
        done = subprocess.run(command, capture_output=True, check=True)
        printed = len(done.stdout.splitlines())

    return best_of(3, page), printed


def short_lines(path: Path, size: int) -> int:
    line = b'{"n": %09d, "ok": true}\n'
    count = size // len(line % 0)
    with path.open("wb") as out:
        for start in range(0, count, 100_000):
            out.write(b"".join(line % n for n in range(start, min(count, start + 100_000))))
    return count


def result_line(custom_id: str, size: int) -> bytes:
    """A successful chat result line of `size` bytes (newline included)."""
    body = {"choices": [{"message": {"role": "assistant", "content": "@"}}]}
    head = json.dumps({"custom_id": custom_id, "response": {"status_code": 200, "body": body},
                       "error": None})  # fmt: skip
    before, after = head.split("@")
    return (before + "x" * (size - len(head)) + after + "\n").encode()


def streamed_line_ratio(work: Path, size: int, *, parse: bool) -> tuple[float, float]:
    """Seconds to stream (and with `parse`, parse) one `size`-byte line, and the same bytes
    as 2,000 lines, from a local HTTP server through `ApiClient.iter_lines` (best of 3)."""
    import asyncio
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from batchtui.core.formats.results import parse_result_line
    from batchtui.core.providers.http import ApiClient

    one, many = work / "one-line.jsonl", work / "many-lines.jsonl"
    if not one.exists():
        one.write_bytes(result_line("one", size))
        with many.open("wb") as out:
            for n in range(2000):
                out.write(result_line(f"r{n}", size // 2000))

    class Files(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = work / self.path.lstrip("/")
            self.send_response(200)
            self.send_header("Content-Length", str(path.stat().st_size))
            self.end_headers()
            with path.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile, 1 << 20)

    async def read(client: ApiClient, name: str) -> float:
        start = time.perf_counter()
        async for line in client.iter_lines(f"/{name}"):
            if parse:
                parse_result_line(line)
        return time.perf_counter() - start

    async def measure(url: str) -> tuple[float, float]:
        client = ApiClient(label="bench", base_url=url, headers={}, secrets=[], timeout=60)
        try:
            times: dict[str, list[float]] = {one.name: [], many.name: []}
            for _ in range(3):
                for name in times:
                    times[name].append(await read(client, name))
        finally:
            await client.aclose()
        return min(times[one.name]), min(times[many.name])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return asyncio.run(measure(f"http://127.0.0.1:{server.server_address[1]}"))
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="results file size in MB")
    parser.add_argument("--dir", type=Path, help="where to generate (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--line-size", type=int, default=200, help="the streamed long line's size in MB"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="interleaved runs of export, usage and baseline"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bt-results-", dir=args.dir))
    output, inputs = work / "output.jsonl", work / "input.jsonl"
    missed: list[str] = []

    def report(name: str, value: str, target: str = "", ok: bool = True) -> None:
        mark = "" if not target else ("  ok" if ok else "  MISSED")
        print(f"{name:42s} {value:>28s}  {target}{mark}")
        if not ok:
            missed.append(name)

    try:
        start = time.perf_counter()
        count = generate(output, inputs, args.size << 20)
        size_mb = output.stat().st_size / 2**20
        print(
            f"generated {count:,} records, {size_mb:,.0f} MB "
            f"(+ input {inputs.stat().st_size / 2**20:,.0f} MB) in "
            f"{time.perf_counter() - start:.1f} s in {work}\n"
        )
        wc_lines(output)  # warm the page cache for both sides alike

        first, last = first_and_last_page(output)
        report(
            "first page (50 records) from opening",
            f"{first * 1000:.0f} ms",
            "<= 300 ms",
            first <= 0.3,
        )
        report(
            "last page, backwards, no index", f"+{last * 1000:.0f} ms", "<= +100 ms", last <= 0.1
        )

        wc = best_of(3, lambda: wc_lines(output))
        full = best_of(3, lambda: fresh_index(output))
        report("wc -l", f"{wc:.3f} s")
        report(
            "full index",
            f"{full:.3f} s = {full / wc:.2f}x wc -l ({size_mb / full:,.0f} MB/s)",
            "<= 2x",
            full <= 2 * wc,
        )

        with LineIndex(output) as index:
            index.scan()
            checkpoints = index.checkpoint_count
            rows = random.Random(3).sample(range(index.line_count), min(1000, index.line_count))
        results = ResultSet([output])
        results.scan()
        timings = []
        for row in rows:
            begin = time.perf_counter()
            results.record(row)
            timings.append(time.perf_counter() - begin)
        slowest = max(timings)
        report(
            "record by number (1,000 random)",
            f"median {statistics.median(timings) * 1e3:.2f} ms, max {slowest * 1e3:.1f} ms",
            "<= 50 ms",
            slowest <= 0.05,
        )
        report("index memory", f"{checkpoints:,} checkpoints = {checkpoints * 16 / 2**20:.1f} MB")

        with LineIndex(output, persist=True) as index:
            index.scan()
        saved = index_path_for(output).stat().st_size
        begin = time.perf_counter()
        with LineIndex(output, persist=True) as index:
            index.scan()
            assert index.loaded_from_disk
        report(
            "reopen with the saved index",
            f"{(time.perf_counter() - begin) * 1e3:.1f} ms ({saved / 2**20:.1f} MB .idx)",
        )

        took, shown = cli_page(output, rows[0])
        report(
            "`batchtui results FILE --from N --head 10`",
            f"{took * 1000:.0f} ms ({shown} records)",
            "<= 350 ms",
            took <= 0.35,
        )

        begin = time.perf_counter()
        errors = results.matching_rows(errors_only=True, text="")
        took = time.perf_counter() - begin
        report("errors only over the file", f"{took:.2f} s ({len(errors or ()):,} rows)")
        begin = time.perf_counter()
        found = results.matching_rows(errors_only=False, text='REQ_12345"')
        took = time.perf_counter() - begin
        report("text search over the file", f"{took:.2f} s ({len(found or ()):,} rows)")

        def usage_and_cost() -> None:
            counted = ResultSet([output])
            try:
                job_usage("bench", sum_usage(counted.records()), "gpt-4o-mini")
            finally:
                counted.close()

        def export(joined: bool) -> Callable[[], object]:
            """As `batchtui export`: merged with the input (for requests without a result);
            its prompts in the rows only when `joined`."""

            def run() -> object:
                exported = ResultSet([output])
                try:
                    exported.scan()
                    requests = RequestIndex.build(inputs)
                    merged = merge_result_sets([exported], requests)
                    assert merged is not None
                    return export_records(
                        merged.records(), work / "export.csv", "csv", requests if joined else None
                    )
                finally:
                    exported.close()

            return run

        speeds, rounds_rss = in_child(
            lambda: interleaved(
                args.repeat,
                {
                    "bare": lambda: bare_csv(output, work / "bare.csv"),
                    "export": export(False),
                    "usage": usage_and_cost,
                    "bare joined": lambda: bare_csv(output, work / "bare.csv", inputs),
                    "export joined": export(True),
                },
            )
        )
        bare, bare_joined = speeds["bare"], speeds["bare joined"]
        report("bare json.loads + csv.writer loop", f"{bare:.2f} s ({count / bare:,.0f} rows/s)")
        for name, base, label in (
            ("export", bare, "export csv"),
            ("usage", bare, "usage and cost (every record)"),
            ("export joined", bare_joined, "export csv joined with the input"),
        ):
            took = speeds[name]
            report(
                label,
                f"{took:.2f} s = {took / base:.2f}x ({count / took:,.0f} rows/s)",
                "<= 1.5x",
                took <= 1.5 * base,
            )
        report("  bare loop joined with the input", f"{bare_joined:.2f} s")
        report("  peak RSS of those rounds (own process)", f"{rounds_rss:.0f} MB")

        requests = RequestIndex.build(inputs)
        assert requests is not None
        begin = time.perf_counter()
        retry = build_retry_input(requests, [results], work / "retry.jsonl")
        took = time.perf_counter() - begin
        report("retry input", f"{took:.2f} s ({retry.written if retry else 0:,} requests)")
        results.close()

        short = work / "short.jsonl"
        lines = short_lines(short, max(1, args.size // 4) << 20)
        wc_lines(short)
        wc_short = best_of(3, lambda: wc_lines(short))
        full_short = best_of(3, lambda: fresh_index(short))
        with LineIndex(short) as index:
            index.scan()
            sparse = index.checkpoint_count
        report(f"short lines: {lines:,} lines, wc -l", f"{wc_short:.3f} s")
        report(
            "short lines: full index",
            f"{full_short:.3f} s = {full_short / wc_short:.1f}x wc -l, {sparse:,} checkpoints",
        )

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        report("peak RSS of the whole run", f"{peak:.0f} MB", "< 150 MB", peak < 150)

        # After the RSS figure: a long line is held whole, as a record must be.
        long_line, short = streamed_line_ratio(work, args.line_size << 20, parse=True)
        report(
            f"results JOB: one {args.line_size} MB line vs 2,000",
            f"{long_line:.2f} s vs {short:.2f} s = {long_line / short:.2f}x",
            "<= 1.5x",
            long_line <= 1.5 * short,
        )
        long_line, short = streamed_line_ratio(work, args.line_size << 20, parse=False)
        report(
            "  the same, lines only (not parsed)",
            f"{long_line:.2f} s vs {short:.2f} s = {long_line / short:.2f}x",
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if missed:
        print(f"\nmissed: {', '.join(missed)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
