"""The job list at scale: registries of 100, 10,000 and 100,000 jobs, ratios to 100.

Run: `python benchmarks/joblist/run.py [--runs N] [--sizes 100,10000,100000]`. Each
registry is filled through the registry API (`Registry.add_jobs`, `add_group`: one
transaction per 10,000 jobs) with finished jobs, a few running ones and a group every
1,000 jobs, then:

- first rows: the real `batchtui` started in tmux at 80x24 with that registry
  (BATCHTUI_DATA_DIR), seconds until the newest job's row shows (`capture-pane` polled);
  median of N runs, sizes interleaved so a busy machine slows all alike. Goal: 10,000
  within 1.2x of 100, 100,000 within 1.5x.
- peak RSS of that process (`/usr/bin/time -v`, after its first rows and a refresh):
  100,000 within 1.3x of 100.
- a refresh tick in which one job changed, in process with Textual's Pilot: CPU seconds
  of the UI thread (`time.thread_time`) from the registry change to the table showing
  it, median of 15 ticks. 100,000 within 1.5x of 100.

Exit status 1 when a ratio is over its goal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.models import Job, JobGroup, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

TMUX = ["tmux", "-L", f"batchtui-joblist-{os.getpid()}", "-f", "/dev/null"]
BATCH = 10_000
RUNNING = 5  # history grows, the jobs running at once do not
NEWEST = "newest-job"
GOALS = {"first rows": {10_000: 1.2, 100_000: 1.5}, "peak RSS": {100_000: 1.3},
         "refresh tick": {100_000: 1.5}}  # fmt: skip


def fill(path: Path, size: int) -> None:
    """`size` jobs (groups count their shards), newest last, through the registry API."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    statuses = (JobStatus.COMPLETED,) * 8 + (JobStatus.FAILED, JobStatus.CANCELLED)
    with Registry(path) as registry:
        made = 0
        while made < size:
            jobs: list[Job] = []
            for n in range(made, min(made + BATCH, size)):
                moment = start + timedelta(minutes=n)
                if n % 1000 == 999 and size - n > 4:
                    continue  # a group's place, added below
                running = size - n <= RUNNING
                jobs.append(
                    Job(
                        id=f"bt-{n:07d}",
                        name=NEWEST if n == size - 1 else f"history-{n}",
                        profile="bench",
                        kind="openai",
                        tag=f"tag-{n}",
                        status=JobStatus.IN_PROGRESS if running else statuses[n % 10],
                        remote_id=f"batch_{n}",
                        model="gpt-4o-mini",
                        request_counts=RequestCounts(total=1000, completed=900, failed=3),
                        created_at=moment,
                        updated_at=moment,
                    )
                )
            registry.add_jobs(jobs, note="benchmark")
            for n in range(made, min(made + BATCH, size)):
                if n % 1000 == 999 and size - n > 4:
                    add_group(registry, n, start + timedelta(minutes=n))
            made += BATCH


def add_group(registry: Registry, n: int, moment: datetime) -> None:
    group = JobGroup(
        id=f"bg-{n:07d}", name=f"group-{n}", profile="bench", shard_count=4, created_at=moment
    )
    shards = [
        Job(
            id=f"bt-{n:07d}-{index}",
            name=f"group-{n} shard {index}",
            profile="bench",
            kind="openai",
            tag=f"tag-{n}-{index}",
            status=JobStatus.COMPLETED,
            request_counts=RequestCounts(total=250, completed=250),
            group_id=group.id,
            shard_index=index,
            created_at=moment,
            updated_at=moment,
        )
        for index in range(1, 5)
    ]
    registry.add_group(group, shards)


def environment(work: Path, size: int) -> dict[str, str]:
    """What the TUI runs with (given on its command line: a tmux server already running
    gives a new session its own environment, not the client's)."""
    return {
        "BATCHTUI_CONFIG": str(work / "config.toml"),
        "BATCHTUI_DATA_DIR": str(work / f"data-{size}"),
        "BATCHTUI_STATE_DIR": str(work / f"state-{size}"),
        "BENCH_KEY": "not-a-key",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }


def first_rows(batchtui: str, env: dict[str, str], rss_file: Path | None = None) -> float:
    """Seconds from starting the TUI in a fresh 80x24 tmux session to the newest job's row;
    with `rss_file`, the run also waits two refreshes and leaves `time -v`'s report there."""
    session = f"bench-{time.monotonic_ns()}"
    command = batchtui if rss_file is None else f"/usr/bin/time -v -o {rss_file} {batchtui}"
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    start = time.perf_counter()
    subprocess.run(
        [*TMUX, "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
         f"env {assignments} {command}"],
        check=True,
    )  # fmt: skip
    try:
        deadline = start + 60
        while time.perf_counter() < deadline:
            screen = subprocess.run(
                [*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if NEWEST in screen:
                elapsed = time.perf_counter() - start
                break
            time.sleep(0.005)
        else:
            raise RuntimeError(f"no {NEWEST!r} row within 60 s with {env['BATCHTUI_DATA_DIR']}")
        if rss_file is not None:
            time.sleep(5)  # registry refreshes and a clock tick
            subprocess.run([*TMUX, "send-keys", "-t", session, "q"], check=True)
            deadline = time.perf_counter() + 20
            while time.perf_counter() < deadline and "Maximum resident" not in _read(rss_file):
                time.sleep(0.05)
        return elapsed
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def peak_rss_mb(batchtui: str, env: dict[str, str], work: Path) -> float:
    report = work / f"rss-{time.monotonic_ns()}.txt"
    first_rows(batchtui, env, rss_file=report)
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", _read(report))
    if found is None:
        raise RuntimeError("`/usr/bin/time -v` reported no peak RSS")
    return int(found[1]) / 1024


async def tick_seconds(path: Path, config_path: Path, ticks: int) -> float:
    """Median UI-thread CPU seconds of a refresh in which one job changed."""
    from batchtui.core.config import load_config
    from batchtui.tui.app import BatchtuiApp
    from batchtui.tui.widgets.job_table import JobTable

    registry = Registry(path)
    app = BatchtuiApp(
        config=load_config(config_path), registry=registry, poll=False, refresh_seconds=3600
    )
    samples = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(JobTable)
        assert app.registry is not None
        newest = table.job_ids()[0]
        for n in range(ticks + 2):
            counts = RequestCounts(total=1000, completed=900 + n, failed=3)
            await app.registry.update_job(newest, request_counts=counts)
            await pilot.pause()
            before = time.thread_time()
            await app.monitor.reload()
            await pilot.pause()
            spent = time.thread_time() - before
            cell = table.get_cell(newest, "progress").plain
            assert cell.startswith(f"{903 + n}/1000"), cell  # done (ok + failed) / total
            if n >= 2:  # the first ticks warm caches
                samples.append(spent)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--ticks", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if shutil.which("tmux") is None:
        print("tmux not found", file=sys.stderr)
        return 2
    batchtui = str(Path(sys.executable).with_name("batchtui"))
    work = Path(tempfile.mkdtemp(prefix="batchtui-joblist-"))
    (work / "config.toml").write_text(
        '[profiles.bench]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key_env = "BENCH_KEY"\n'
    )
    figures: dict[str, dict[int, float]] = {"first rows": {}, "peak RSS": {}, "refresh tick": {}}
    try:
        for size in sizes:
            began = time.perf_counter()
            fill(work / f"data-{size}" / "registry.sqlite3", size)
            print(f"filled {size:,} jobs in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        subprocess.run([*TMUX, "new-session", "-d", "-s", "idle", "sleep 3600"], check=True)
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        for size in sizes:
            first_rows(batchtui, environment(work, size))  # warm the page cache and .pyc files
        for _ in range(args.runs):
            for size in sizes:
                samples[size].append(first_rows(batchtui, environment(work, size)))
        for size in sizes:
            figures["first rows"][size] = statistics.median(samples[size])
            figures["peak RSS"][size] = peak_rss_mb(batchtui, environment(work, size), work)
            registry = work / f"data-{size}" / "registry.sqlite3"
            figures["refresh tick"][size] = asyncio.run(
                tick_seconds(registry, work / "config.toml", args.ticks)
            )
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    base = sizes[0]
    units = {"first rows": ("s", 3), "peak RSS": ("MB", 1), "refresh tick": ("ms", 2)}
    print(f"{'measure':<14} {'jobs':>8} {'value':>10} {'ratio':>6} {'goal':>6}")
    failed = False
    for measure, by_size in figures.items():
        unit, digits = units[measure]
        for size in sizes:
            value = by_size[size] * (1000 if unit == "ms" else 1)
            ratio = by_size[size] / by_size[base]
            goal = GOALS[measure].get(size)
            over = goal is not None and ratio > goal
            failed |= over
            shown_goal = f"{goal:.1f}x" if goal else "-"
            print(
                f"{measure:<14} {size:>8,} {value:>8.{digits}f}{unit:<2} {ratio:>6.2f} "
                f"{shown_goal:>6}{'  OVER' if over else ''}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
