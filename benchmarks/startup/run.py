"""Start-up budgets as ratios to baselines measured in the same run.

Run: `python benchmarks/startup/run.py [--runs N]`. Each figure is the median of N runs,
the measures interleaved (baseline, then each command, N times over) so a busy machine
slows all of them alike:

- `--version`, `--help` and the completion helper (`__complete jobs`, run on every TAB)
  against `python3 -c pass`: at most 5x.
- Other commands' first output against `python3 -c 'import httpx, pydantic'`: at most 2x.
- The TUI's job rows at 80x24 in tmux (the name of the last job row on the screen, read
  from the registry by the first screen) against a minimal Textual app (Header, a 20-row
  DataTable, Footer) showing its last row: at most 1.2x. The registry holds 100 jobs,
  added through the registry API. The frame alone and the full job list (its header names
  the profile, once the config, the registry store and the job monitor are loaded) are
  printed for the record.

Exit status 1 when a ratio is over its budget.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import batchtui as batchtui_package

JOBS = 100
# The 19th row of the job list, its last on a 24-line terminal (newest first): the rows are
# all shown when it is, as the minimal app's table when its "minimal row 19" is.
LAST_ROW_SHOWN = f"bench-job-{JOBS - 19:04d}"


def fill_registry(path: Path) -> None:
    """`JOBS` jobs through the registry API, one a minute, the newest last."""
    from datetime import UTC, datetime, timedelta

    from batchtui.core.models import Job, RequestCounts
    from batchtui.core.registry import Registry
    from batchtui.core.status import JobStatus

    start = datetime(2025, 1, 1, tzinfo=UTC)
    statuses = (JobStatus.COMPLETED,) * 8 + (JobStatus.FAILED, JobStatus.IN_PROGRESS)
    with Registry(path) as registry:
        registry.add_jobs(
            [
                Job(
                    id=f"bt-{n:07d}",
                    name=f"bench-job-{n:04d}",
                    profile="bench",
                    kind="openai",
                    tag=f"tag-{n}",
                    status=statuses[n % len(statuses)],
                    model="gpt-4o-mini",
                    request_counts=RequestCounts(total=1000, completed=900, failed=3),
                    created_at=start + timedelta(minutes=n),
                    updated_at=start + timedelta(minutes=n),
                )
                for n in range(JOBS)
            ],
            note="benchmark",
        )


MINIMAL_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header

class Minimal(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("ID", "STATUS", "NAME")
        for n in range(20):
            table.add_row(f"bt-{n:04d}", "completed", f"minimal row {n}")

Minimal().run()
"""


def first_output_seconds(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to the first byte on stdout or stderr (or to exit, if silent)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert process.stdout is not None
    process.stdout.read(1)
    elapsed = time.perf_counter() - start
    process.stdout.read()
    process.wait()
    return elapsed


def first_paint_seconds(command: str, marker: str, env: dict[str, str]) -> float:
    """Seconds from starting `command` in a fresh 80x24 tmux session until `marker` shows."""
    session = f"bench-{time.monotonic_ns()}"
    # A pane's command gets the tmux server's environment, not ours: pass the test's paths.
    ours = {name: value for name, value in env.items() if name.startswith("BATCHTUI_")}
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in ours.items())
    command = f"env TERM={shlex.quote(env['TERM'])} {assignments} {command}"
    start = time.perf_counter()
    subprocess.run(
        [*TMUX, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
        check=True,
        env=env,
    )
    try:
        deadline = start + 20
        while time.perf_counter() < deadline:
            screen = subprocess.run(
                [*TMUX, "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
                env=env,
            ).stdout
            if marker in screen:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise RuntimeError(f"{command!r} did not show {marker!r} within 20 s")
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True, env=env)


# A tmux server of our own, kept up by an idle session, so a pane's exit never takes the
# server (or the user's own tmux) with it.
TMUX = ["tmux", "-L", f"batchtui-bench-{os.getpid()}", "-f", "/dev/null"]

Measure = Callable[[], float]


def interleaved_medians(measures: dict[str, Measure], runs: int) -> dict[str, float]:
    for measure in measures.values():
        measure()  # warm the page cache and .pyc files
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


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
    fill_registry(work / "data" / "registry.sqlite3")
    # As installed (pip compiles what it installs): without bytecode, every run would compile
    # batchtui's modules from source (PYTHONDONTWRITEBYTECODE, a read-only checkout) while
    # Textual's, installed, would not.
    compileall.compile_dir(Path(batchtui_package.__file__).parent, quiet=1)

    def cli(*argv: str) -> Measure:
        return lambda: first_output_seconds(list(argv), env)

    # (name, measure, baseline name, budget ratio)
    plan: list[tuple[str, Measure, str | None, float | None]] = [
        ("python3 -c pass", cli(python, "-c", "pass"), None, None),
        ("python3 -c 'import httpx, pydantic'", cli(python, "-c", "import httpx, pydantic"),
         None, None),
        ("batchtui --version", cli(batchtui, "--version"), "python3 -c pass", 5.0),
        ("batchtui --help", cli(batchtui, "--help"), "python3 -c pass", 5.0),
        ("batchtui __complete jobs", cli(batchtui, "__complete", "jobs"), "python3 -c pass", 5.0),
        ("batchtui jobs", cli(batchtui, "jobs"), "python3 -c 'import httpx, pydantic'", 2.0),
        ("batchtui validate", cli(batchtui, "validate", str(sample)),
         "python3 -c 'import httpx, pydantic'", 2.0),
        ("batchtui status (unknown job)", cli(batchtui, "status", "bt-none"),
         "python3 -c 'import httpx, pydantic'", 2.0),
    ]  # fmt: skip
    if shutil.which("tmux"):
        subprocess.run([*TMUX, "new-session", "-d", "-s", "idle", "sleep 3600"], check=True)
        app = work / "minimal_app.py"
        app.write_text(MINIMAL_APP)
        plan += [
            ("minimal Textual app paint", lambda: first_paint_seconds(
                f"{python} {app}", "minimal row 19", env), None, None),
            ("batchtui job rows shown", lambda: first_paint_seconds(
                batchtui, LAST_ROW_SHOWN, env), "minimal Textual app paint", 1.2),
            # For the record, no budget of their own: the first screen's frame (header and
            # footer, before its rows), and the job list covering it once its modules are
            # imported in a thread and its own first read is in (the header names the profile).
            ("batchtui TUI frame painted", lambda: first_paint_seconds(
                batchtui, "batchtui", env), "minimal Textual app paint", None),
            ("batchtui job list shown", lambda: first_paint_seconds(
                batchtui, "profile bench", env), "minimal Textual app paint", None),
        ]  # fmt: skip
    else:
        print("tmux not found: TUI first paint not measured", file=sys.stderr)
    try:
        medians = interleaved_medians({name: measure for name, measure, *_ in plan}, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run([*TMUX, "kill-server"], capture_output=True)

    title = f"measure (median of {args.runs}, interleaved)"
    print(f"{title:<44} {'seconds':>8} {'ratio':>6} {'budget':>7}")
    failed = False
    for name, _measure, baseline, budget in plan:
        seconds = medians[name]
        if baseline is None:
            print(f"{name:<44} {seconds:>8.3f} {'base':>6} {'-':>7}")
            continue
        ratio = seconds / medians[baseline]
        over = budget is not None and ratio > budget
        failed |= over
        flag = "  OVER" if over else ""
        shown_budget = f"{budget:>6.1f}x" if budget is not None else f"{'-':>7}"
        print(f"{name:<44} {seconds:>8.3f} {ratio:>6.2f} {shown_budget}{flag}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
