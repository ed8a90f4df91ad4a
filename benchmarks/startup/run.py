"""Startup budgets: CLI time to first output and TUI time to first paint in tmux.

Run: `python benchmarks/startup/run.py [--runs N]`. Everything is measured in this run,
baselines included: a bare `python -c pass` for the CLI, and a minimal Textual app
(one Label) for the TUI's first paint at 80x24 in tmux.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGETS = {"--version": 0.15, "--help": 0.15, "jobs": 0.35, "validate": 0.35, "tui": 0.6}

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Label

class Minimal(App):
    def compose(self):
        yield Label("minimal app ready")

Minimal().run()
"""


def first_output_seconds(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to the first byte on stdout or stderr."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert process.stdout is not None
    process.stdout.read(1)
    elapsed = time.perf_counter() - start
    process.stdout.read()
    process.wait()
    return elapsed


def first_paint_seconds(command: str, marker: str, env: dict[str, str]) -> float:
    """Seconds from starting `command` in a fresh 80x24 tmux session until `marker` is on screen."""
    session = f"bench-{os.getpid()}-{time.monotonic_ns()}"
    start = time.perf_counter()
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
        check=True,
        env=env,
    )
    try:
        deadline = start + 10
        while time.perf_counter() < deadline:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
                env=env,
            ).stdout
            if marker in screen:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise RuntimeError(f"{command!r} did not show {marker!r} within 10 s")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, env=env)


def median_of(runs: int, measure) -> float:
    measure()  # warm the page cache and .pyc files
    return statistics.median(measure() for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    python = sys.executable
    batchtui = str(Path(python).with_name("batchtui"))
    work = Path(tempfile.mkdtemp(prefix="batchtui-bench-"))
    sample = work / "sample.jsonl"
    sample.write_text(
        '{"custom_id":"a","method":"POST","url":"/v1/chat/completions",'
        '"body":{"model":"m","messages":[{"role":"user","content":"hi"}]}}\n'
    )
    env = {
        **os.environ,
        "BATCHTUI_CONFIG": str(work / "config.toml"),
        "BATCHTUI_DATA_DIR": str(work / "data"),
        "BATCHTUI_STATE_DIR": str(work / "state"),
        "TERM": "xterm-256color",
    }
    (work / "config.toml").write_text('[profiles.bench]\nkind = "openai"\n')
    try:
        rows: list[tuple[str, float, float, str]] = []
        bare = median_of(args.runs, lambda: first_output_seconds([python, "-c", "print()"], env))
        rows.append(("python -c print() (baseline)", bare, 1.0, "-"))
        for name, argv in [
            ("--version", [batchtui, "--version"]),
            ("--help", [batchtui, "--help"]),
            ("jobs", [batchtui, "jobs"]),
            ("validate", [batchtui, "validate", str(sample)]),
        ]:
            seconds = median_of(args.runs, lambda argv=argv: first_output_seconds(argv, env))
            rows.append((f"batchtui {name}", seconds, seconds / bare, f"{BUDGETS[name]:.2f}"))

        if shutil.which("tmux"):
            app = work / "minimal_app.py"
            app.write_text(MINIMAL_APP)
            minimal = median_of(
                args.runs,
                lambda: first_paint_seconds(f"{python} {app}", "minimal app ready", env),
            )
            rows.append(("minimal Textual app paint (baseline)", minimal, 1.0, "-"))
            tui = median_of(args.runs, lambda: first_paint_seconds(batchtui, "batchtui", env))
            rows.append(("batchtui TUI first paint", tui, tui / minimal, f"{BUDGETS['tui']:.2f}"))
        else:
            print("tmux not found: TUI first paint not measured", file=sys.stderr)

        title = f"measure (median of {args.runs})"
        print(f"{title:<40} {'seconds':>8} {'ratio':>6} {'budget':>7}")
        failed = False
        for name, seconds, ratio, budget in rows:
            over = budget != "-" and seconds > float(budget)
            failed |= over
            flag = "  OVER" if over else ""
            print(f"{name:<40} {seconds:>8.3f} {ratio:>6.2f} {budget:>7}{flag}")
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
