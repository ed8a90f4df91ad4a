"""Benchmark: `batchtui validate FILE` against a bare `json.loads` loop, as whole processes.

The validator run is the full one `submit` and `validate` make (schema, duplicates, one
url and model, limits, and the token estimate) in one streaming pass, start-up included;
the baseline is `python3 -c` looping `json.loads` over the same file's lines. On a file of
at least 64 MB the command reads regions of it on up to 4 cores (`core.formats.parallel`,
as many as this process may use), to the same report; the bare loop has one.

    .venv/bin/python benchmarks/validate/run.py               # 50,000 lines, ~190 MB
    .venv/bin/python benchmarks/validate/run.py --lines 2000  # quick smoke run

Runs alternate baseline/validator and the best of `--repeat` (5) is kept, which evens out
noise on a shared machine; peak RSS is each process's own (`ru_maxrss` of the child).
Targets: time <= 0.8x the bare loop, peak RSS <= 3x the bare loop's.
Exit status 1 when `--check` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 0.8
TARGET_RSS_RATIO = 3.0
BARE_LOOP = "import json, sys\nfor line in open(sys.argv[1], 'rb'):\n    json.loads(line)\n"
# Filler for the user messages, so lines look like prose rather than one repeated word.
_FILLER = (
    "alpha beta gamma delta batch token model answer question summary context request "
    "result window energy physics cluster node queue storage network latency protein "
    "genome climate ocean survey corpus dataset annotate translate classify extract"
)
WORDS = _FILLER.split()


def generate(path: Path, lines: int, line_bytes: int, seed: int = 7) -> None:
    """A chat-completions batch file whose lines are about `line_bytes` long."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for index in range(lines):
            request = {
                "custom_id": f"request-{index:07d}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {
                    "model": "gpt-4o-mini",
                    "messages": [
                        {"role": "system", "content": "You label scientific abstracts."},
                        {"role": "user", "content": ""},
                    ],
                    "max_tokens": 200,
                    "temperature": 0,
                },
            }
            overhead = len(json.dumps(request)) + 1
            words: list[str] = []
            size = 0
            while size < line_bytes - overhead:
                word = rng.choice(WORDS)
                words.append(word)
                size += len(word) + 1
            request["body"]["messages"][1]["content"] = " ".join(words)
            out.write(json.dumps(request) + "\n")


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process run to its end."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:2]} failed: {done.stderr[-500:]}")
    # RUSAGE_CHILDREN keeps the maximum over every child waited for: each run gets a fresh
    # grandchild whose own figure is reported back on stdout instead.
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])["rss_mb"]


def measured(argv: list[str]) -> list[str]:
    """`argv` run under a tiny parent that prints the child's own peak RSS."""
    script = (
        "import json, resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'rss_mb': rss})); sys.exit(done.returncode)\n"
    )
    return [sys.executable, "-c", script, *argv]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=50_000, help="requests to generate")
    parser.add_argument("--line-bytes", type=int, default=3_800, help="bytes per line")
    parser.add_argument("--path", type=Path, help="file to use (generated if missing)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, best kept")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    batchtui = str(Path(sys.executable).with_name("batchtui"))

    with tempfile.TemporaryDirectory(prefix="batchtui-bench-") as tmp:
        path = args.path or Path(tmp) / "bench.jsonl"
        if not path.exists():
            started = time.perf_counter()
            generate(path, args.lines, args.line_bytes)
            print(f"generated {path} in {time.perf_counter() - started:.1f} s")
        size_mb = path.stat().st_size / 1e6
        bare_argv = measured([sys.executable, "-c", BARE_LOOP, str(path)])
        validate_argv = measured([batchtui, "validate", str(path)])
        measure(bare_argv)  # warm the page cache
        bare_runs, validate_runs = [], []
        for _ in range(max(1, args.repeat)):
            bare_runs.append(measure(bare_argv))
            validate_runs.append(measure(validate_argv))
        bare_seconds = min(run[0] for run in bare_runs)
        validate_seconds = min(run[0] for run in validate_runs)
        bare_rss = max(run[1] for run in bare_runs)
        validate_rss = max(run[1] for run in validate_runs)
        report = subprocess.run(
            [batchtui, "validate", str(path), "--json"], capture_output=True, text=True
        )
        summary = json.loads(report.stdout)
        ratio = validate_seconds / bare_seconds
        rss_ratio = validate_rss / bare_rss
        ratio_ok = ratio <= TARGET_RATIO
        rss_ok = rss_ratio <= TARGET_RSS_RATIO
        print(
            f"file: {size_mb:.1f} MB, {summary['lines']:,} lines, ok={summary['ok']}, "
            f"~{summary['estimate']['input_tokens']:,} input tokens"
        )
        print(f"cores this process may use: {len(os.sched_getaffinity(0))}")
        print(f"bare json.loads loop (process):  {bare_seconds:.3f} s, peak RSS {bare_rss:.1f} MB")
        print(
            f"batchtui validate (process):     {validate_seconds:.3f} s, "
            f"peak RSS {validate_rss:.1f} MB"
        )
        print(
            f"time ratio: {ratio:.2f}x (target <= {TARGET_RATIO}x) {'OK' if ratio_ok else 'MISSED'}"
        )
        print(
            f"RSS ratio:  {rss_ratio:.2f}x (target <= {TARGET_RSS_RATIO}x) "
            f"{'OK' if rss_ok else 'MISSED'}"
        )
    return 1 if args.check and not (ratio_ok and rss_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
