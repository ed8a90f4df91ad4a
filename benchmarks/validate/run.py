"""Benchmark: the batch input validator against a bare `json.loads`-per-line loop.

The validator run is the full one `submit` and `validate` make: schema, duplicates,
consistency (one url, one model) and the token estimate, all in its single pass.

    .venv/bin/python benchmarks/validate/run.py               # 50,000 lines, ~190 MB
    .venv/bin/python benchmarks/validate/run.py --lines 2000  # quick smoke run
    .venv/bin/python benchmarks/validate/run.py --path big.jsonl --keep

Each measurement runs in a fresh subprocess that reports its own wall time and peak RSS
(`ru_maxrss`), so one run's memory never hides another's. Runs alternate bare/validator
and the best of `--repeat` is kept, which evens out noise on a shared machine.
Targets: validator time <= 1.5x the bare loop, validator peak RSS < 100 MB.
Exit status 1 when `--check` is given and a target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5
TARGET_RSS_MB = 100.0
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


def child(mode: str, path: str) -> None:
    """Run one measurement in this process and print it as JSON."""
    import resource

    if mode == "bare":
        loads = json.loads
        started = time.perf_counter()
        with open(path, "rb") as handle:
            for line in handle:
                loads(line)
        elapsed = time.perf_counter() - started
        extra: dict[str, object] = {}
    else:
        from batchtui.core.formats import validate_file

        started = time.perf_counter()
        report = validate_file(path, estimate=True)
        elapsed = time.perf_counter() - started
        assert report.estimate is not None
        extra = {
            "ok": report.ok,
            "lines": report.lines,
            "problems": report.problem_count,
            "input_tokens": report.estimate.input_tokens,
        }
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_kb / 1024, **extra}))


def measure(mode: str, path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=50_000, help="requests to generate")
    parser.add_argument("--line-bytes", type=int, default=3_800, help="bytes per line")
    parser.add_argument("--path", type=Path, help="file to use (generated if missing)")
    parser.add_argument("--keep", action="store_true", help="keep a generated temp file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best kept")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    with tempfile.TemporaryDirectory(prefix="batchtui-bench-") as tmp:
        path = args.path or Path(tmp) / "bench.jsonl"
        if not path.exists():
            started = time.perf_counter()
            generate(path, args.lines, args.line_bytes)
            print(f"generated {path} in {time.perf_counter() - started:.1f} s")
        size_mb = path.stat().st_size / 1e6
        print(f"file: {size_mb:.1f} MB")

        bare_runs, validator_runs = [], []
        for _ in range(max(1, args.repeat)):
            bare_runs.append(measure("bare", path))
            validator_runs.append(measure("validate", path))
        bare = min(bare_runs, key=lambda run: run["seconds"])
        validator = min(validator_runs, key=lambda run: run["seconds"])
        ratio = validator["seconds"] / bare["seconds"]
        rss = max(run["peak_rss_mb"] for run in validator_runs)
        print(
            f"bare json.loads loop: {bare['seconds']:.3f} s "
            f"({size_mb / bare['seconds']:.0f} MB/s), peak RSS {bare['peak_rss_mb']:.1f} MB"
        )
        print(
            f"validator:            {validator['seconds']:.3f} s "
            f"({size_mb / validator['seconds']:.0f} MB/s), peak RSS {rss:.1f} MB, "
            f"{validator['lines']:,} lines, ok={validator['ok']}, "
            f"problems={validator['problems']}, ~{validator['input_tokens']:,} input tokens"
        )
        ratio_ok = ratio <= TARGET_RATIO
        rss_ok = rss < TARGET_RSS_MB
        print(f"ratio: {ratio:.2f}x (target <= {TARGET_RATIO}x) {'OK' if ratio_ok else 'MISSED'}")
        print(
            f"peak RSS: {rss:.1f} MB (target < {TARGET_RSS_MB:.0f} MB) "
            f"{'OK' if rss_ok else 'MISSED'}"
        )
        if args.keep and args.path is None:
            kept = Path.cwd() / "bench.jsonl"
            path.replace(kept)
            print(f"kept {kept}")
    return 1 if args.check and not (ratio_ok and rss_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
