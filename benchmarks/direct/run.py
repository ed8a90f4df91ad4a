"""Benchmark: a direct job's runner against a bare asyncio + httpx loop, same server, same run.

    .venv/bin/python benchmarks/direct/run.py                  # 5,000 requests, concurrency 16
    .venv/bin/python benchmarks/direct/run.py --requests 1000 --rounds 2

Starts the simulator as its own process (no artificial delay, no faults) and sends the
same chat-completion lines to its realtime endpoint twice per round:

- the bare loop: `--concurrency` asyncio tasks sharing one `httpx.AsyncClient`, each
  posting a line's body and decoding the JSON answer, the answers written to a file;
- the whole direct job: `batchtui submit` (a process) until the job folder says
  `completed`, the detached runner process included.

Client CPU is each client process's user + system time (the submit process and the
runner, collected as this process's children: it makes itself their subreaper); the
simulator's from /proc. Prints each side's throughput and CPU seconds per request, the
ratios (goals: throughput >= 0.9x the loop's, CPU per request <= 1.5x), and the
simulator's share of all CPU used: above about half, the server, not the client, is
what limits both throughputs on this machine. `--check` exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
THROUGHPUT_GOAL = 0.9
CPU_GOAL = 1.5


@dataclass
class Measure:
    seconds: float
    client_cpu: float
    server_cpu: float

    def rate(self, requests: int) -> float:
        return requests / self.seconds


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_input(path: Path, count: int) -> None:
    with path.open("w") as handle:
        for n in range(count):
            body = {
                "model": "bench-model",
                "messages": [{"role": "user", "content": f"benchmark question number {n}"}],
                "max_tokens": 8,
            }
            line = {"custom_id": f"b{n}", "method": "POST", "url": "/v1/chat/completions"}
            handle.write(json.dumps({**line, "body": body}) + "\n")


# --- the bare loop (run as `run.py --bare URL FILE OUT CONCURRENCY` in its own process) ---


async def bare_loop(url: str, source: Path, out: Path, concurrency: int) -> None:
    import httpx

    lines = [json.loads(line) for line in source.read_text().splitlines()]
    pending = iter(lines)
    answers: list[str] = []
    async with httpx.AsyncClient(timeout=60) as client:

        async def worker() -> None:
            for line in pending:
                response = await client.post(url, json=line["body"])
                body = response.json()
                answers.append(json.dumps({"custom_id": line["custom_id"], "body": body}))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    out.write_text("\n".join(answers) + "\n")


def run_child(argv: list[str], env: dict[str, str]) -> float:
    """Run a client process to its end; its CPU seconds."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed with exit code {process.returncode}")
    return usage.ru_utime + usage.ru_stime


def measure_bare(url: str, source: Path, work: Path, concurrency: int, server: int) -> Measure:
    out = work / "bare-output.jsonl"
    server_before = proc_cpu(server)
    started = time.perf_counter()
    argv = [sys.executable, __file__, "--bare", url, str(source), str(out), str(concurrency)]
    cpu = run_child(argv, os.environ.copy())
    seconds = time.perf_counter() - started
    return Measure(seconds, cpu, proc_cpu(server) - server_before)


def measure_direct(source: Path, work: Path, env: dict[str, str], server: int) -> Measure:
    batchtui = str(Path(sys.executable).with_name("batchtui"))
    server_before = proc_cpu(server)
    started = time.perf_counter()
    submit = subprocess.Popen(
        [batchtui, "submit", str(source), "--profile", "bench", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert submit.stdout is not None
    job = json.loads(submit.stdout.read())
    _pid, _status, usage = os.wait4(submit.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    folder = Path(env["BATCHTUI_DATA_DIR"]) / "direct" / job["remote_id"]
    while json.loads((folder / "state.json").read_text())["status"] == "in_progress":
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    server_cpu = proc_cpu(server) - server_before
    # The runner the submit left behind was reparented to this process, its subreaper.
    runner = json.loads((folder / "heartbeat.json").read_text())["pid"]
    _pid, _status, usage = os.wait4(runner, 0)
    cpu += usage.ru_utime + usage.ru_stime
    state = folder / "state.json"
    answered = sum(1 for _ in (state.parent / "output.jsonl").open())
    if answered != job["request_counts"]["total"]:
        raise SystemExit(f"direct job answered {answered} of {job['request_counts']['total']}")
    return Measure(seconds, cpu, server_cpu)


def start_simulator(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "batchtui.simulator",
            "--port",
            "0",
            "--quiet",
            "--data-dir",
            str(work / "simulator"),
        ],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    url = process.stdout.readline().decode().strip()
    if not url:
        raise SystemExit("the simulator did not start")
    return process, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="best of N rounds each")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("cannot become a child subreaper (Linux only)")
    work = Path(tempfile.mkdtemp(prefix="batchtui-direct-bench-"))
    source = work / "input.jsonl"
    write_input(source, args.requests)
    simulator, url = start_simulator(work)
    env = {
        **os.environ,
        "BATCHTUI_CONFIG": str(work / "config.toml"),
        "BATCHTUI_DATA_DIR": str(work / "data"),
        "BATCHTUI_STATE_DIR": str(work / "state"),
    }
    (work / "config.toml").write_text(
        f'[profiles.bench]\nkind = "direct"\nbase_url = "{url}"\nconcurrency = {args.concurrency}\n'
    )
    try:
        bare: list[Measure] = []
        direct: list[Measure] = []
        for _ in range(args.rounds):
            bare.append(
                measure_bare(
                    url + "/chat/completions", source, work, args.concurrency, simulator.pid
                )
            )
            direct.append(measure_direct(source, work, env, simulator.pid))
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    n = args.requests
    best_bare = min(bare, key=lambda m: m.seconds)
    best_direct = min(direct, key=lambda m: m.seconds)
    throughput = best_direct.rate(n) / best_bare.rate(n)
    cpu = (best_direct.client_cpu / n) / (best_bare.client_cpu / n)
    print(f"{n:,} requests, concurrency {args.concurrency}, best of {args.rounds}")
    print(f"{'':24}{'req/s':>10}{'client CPU ms/req':>20}{'simulator CPU share':>22}")
    for name, m in (("bare asyncio+httpx", best_bare), ("direct job (runner)", best_direct)):
        share = m.server_cpu / (m.server_cpu + m.client_cpu)
        print(f"{name:24}{m.rate(n):>10.0f}{1000 * m.client_cpu / n:>20.3f}{share:>21.0%}")
    print(f"throughput ratio   {throughput:.2f}x  (goal >= {THROUGHPUT_GOAL}x)")
    print(f"CPU/request ratio  {cpu:.2f}x  (goal <= {CPU_GOAL}x)")
    missed = throughput < THROUGHPUT_GOAL or cpu > CPU_GOAL
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--bare":
        _, _, bare_url, bare_source, bare_out, bare_concurrency = sys.argv
        asyncio.run(bare_loop(bare_url, Path(bare_source), Path(bare_out), int(bare_concurrency)))
        sys.exit(0)
    sys.exit(main())
