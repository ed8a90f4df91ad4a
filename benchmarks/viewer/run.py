"""Benchmark: `batchtui view` on a 1 GB output against a 1 MB one, in tmux at 80x24.

    .venv/bin/python benchmarks/viewer/run.py                  # 1 GB and 1 MB, 3 runs each
    .venv/bin/python benchmarks/viewer/run.py --large-mb 256 --runs 2
    .venv/bin/python benchmarks/viewer/run.py --no-toolong     # without the reference viewer

Generates two OpenAI-format output files (about 4 KB a record; not kept unless --keep),
then runs the real `batchtui view FILE` in a tmux server of its own at 80x24, small and
large interleaved, each run from a cold line index (the saved `.idx` is deleted first):

- first page: from starting the process to the first record's id on screen;
- `G` to the last page and `g` back to the first, once the index is complete (the time
  the whole index took is printed too: until then `G` follows the end as it grows): the
  median of 7 moves each way, until the list and the record's detail both show it;
- peak RSS of the viewer process (VmHWM, read just before quitting).

Times are the best of the runs, RSS the highest. Goals (issue 18, item 4): first page on
1 GB within 1.2x of 1 MB; `G` within 1.2x of `g`; peak RSS within 1.3x of 1 MB. `--check`
exits 1 when one is missed. toolong (a Textual log viewer, installed into a venv of its
own through the test suite's cached provisioning) runs the same steps with End/Home, for
reference only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BATCHTUI = Path(sys.executable).with_name("batchtui")
RECORD_BYTES = 4096
POLL = 0.01
# Each run moves end-to-start this many times; a run's figure is the median move (a move
# paints twice, the list then the record's detail, and a loaded machine adds noise).
MOVES = 7
TOOLONG = "toolong==1.5.0"


# --- the files ------------------------------------------------------------------------------


def record_id(n: int) -> str:
    return f"req-{n:08d}"


def generate(path: Path, size: int) -> int:
    """About `size` bytes of result lines; returns how many."""
    filler = ("lorem ipsum dolor sit amet " * 200)[: RECORD_BYTES - 330]
    count = max(60, size // RECORD_BYTES)
    with path.open("wb") as out:
        batch: list[bytes] = []
        for n in range(1, count + 1):
            line = {
                "id": f"batch_req_{n}",
                "custom_id": record_id(n),
                "response": {
                    "status_code": 200,
                    "request_id": f"req_{n}",
                    "body": {
                        "choices": [
                            {
                                "message": {"role": "assistant", "content": f"{n} {filler}"},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 20, "completion_tokens": 800},
                    },
                },
                "error": None,
            }
            batch.append(json.dumps(line).encode() + b"\n")
            if len(batch) == 4096:
                out.write(b"".join(batch))
                batch.clear()
        out.write(b"".join(batch))
    return count


# --- tmux -------------------------------------------------------------------------------------


class Pane:
    """One viewer process in a tmux server of its own, at 80x24."""

    def __init__(self, command: list[str]) -> None:
        self.socket = f"viewer-bench-{uuid.uuid4().hex[:8]}"
        shell = "exec env TERM=xterm-256color LANG=C.UTF-8 " + " ".join(command)
        self.tmux("new-session", "-d", "-s", "b", "-x", "80", "-y", "24", shell)
        self.pid = int(self.tmux("display-message", "-p", "-t", "b", "#{pane_pid}").strip())

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]}: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "b")

    def key(self, key: str) -> None:
        self.tmux("send-keys", "-t", "b", key)

    def wait(self, check: Callable[[str], bool], timeout: float = 300.0) -> float:
        """Seconds until `check(screen)` holds."""
        start = time.perf_counter()
        while True:
            text = self.screen()
            if check(text):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"timed out; screen:\n{text}")
            time.sleep(POLL)

    def peak_rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@dataclass
class Run:
    first_page: float
    index_done: float
    to_end: float
    to_start: float
    rss_kb: int


def measure(
    command: list[str],
    count: int,
    *,
    end_key: str,
    home_key: str,
    complete: str | None,
    shows_first: str | None = None,
) -> Run:
    """`shows_first`: what the first screen holds (default: the first record; toolong
    opens at the end of the file, tail-style)."""
    first, last = record_id(1), record_id(count)
    started = time.perf_counter()
    pane = Pane(command)
    try:
        pane.wait(lambda text: (shows_first or first) in text)
        first_page = time.perf_counter() - started
        if complete is not None:
            pane.wait(lambda text: complete in text)
        else:  # no completion mark on screen: each key is pressed until its end shows
            for key, wanted in ((home_key, first), (end_key, last)):
                while True:
                    pane.key(key)
                    try:
                        pane.wait(lambda text, wanted=wanted: wanted in text, timeout=1.0)
                        break
                    except TimeoutError:
                        continue
        index_done = time.perf_counter() - started
        ends, starts = [], []
        pane.key(end_key)  # each measured move starts from the other end
        pane.wait(lambda text: last in text and first not in text)
        for _ in range(MOVES):
            pane.key(home_key)
            starts.append(pane.wait(lambda text: first in text and last not in text))
            pane.key(end_key)
            ends.append(pane.wait(lambda text: last in text and first not in text))
        rss = pane.peak_rss_kb()
    finally:
        pane.close()
    return Run(first_page, index_done, statistics.median(ends), statistics.median(starts), rss)


def forget_index(path: Path) -> None:
    from batchtui.core.lineindex import index_path_for

    index_path_for(path).unlink(missing_ok=True)


def toolong_command() -> list[str] | None:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from realparts.provision import ensure_venv

        venv = ensure_venv("toolong", [[TOOLONG]], check=["-c", "import toolong"])
    except Exception as exc:  # reference only: the benchmark goes on without it
        print(f"toolong not measured: {exc}", file=sys.stderr)
        return None
    return [str(venv / "bin" / "tl")]


# --- report ------------------------------------------------------------------------------------


def best(runs: list[Run]) -> Run:
    return Run(
        min(r.first_page for r in runs),
        min(r.index_done for r in runs),
        min(r.to_end for r in runs),
        min(r.to_start for r in runs),
        max(r.rss_kb for r in runs),
    )


def row(label: str, value: str, ratio: float | None = None, goal: float | None = None) -> str:
    text = f"  {label:<44} {value:>12}"
    if ratio is not None:
        text += f"   {ratio:5.2f}x"
        if goal is not None:
            text += f"  (goal <= {goal}x: {'ok' if ratio <= goal else 'MISSED'})"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-mb", type=int, default=1024)
    parser.add_argument("--small-mb", type=float, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="where to write the files (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--no-toolong", action="store_true", help="skip the reference viewer")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is needed (apt-get install tmux)", file=sys.stderr)
        return 2

    folder = Path(tempfile.mkdtemp(prefix="viewer-bench-", dir=args.dir))
    try:
        small, large = folder / "small.jsonl", folder / "large.jsonl"
        t0 = time.perf_counter()
        counts = {
            small: generate(small, int(args.small_mb * (1 << 20))),
            large: generate(large, args.large_mb << 20),
        }
        print(
            f"generated {small.stat().st_size / 1e6:.1f} MB ({counts[small]:,} records) and "
            f"{large.stat().st_size / 1e9:.2f} GB ({counts[large]:,} records) "
            f"in {time.perf_counter() - t0:.0f} s"
        )
        viewers: dict[str, Callable[[Path], Run]] = {
            "batchtui view": lambda path: measure(
                [str(BATCHTUI), "view", str(path)],
                counts[path],
                end_key="G",
                home_key="g",
                complete=f"· {counts[path]:,} records",
            )
        }
        if not args.no_toolong and (tl := toolong_command()) is not None:
            viewers["toolong"] = lambda path: measure(
                [*tl, str(path)],
                counts[path],
                end_key="End",
                home_key="Home",
                complete=None,
                shows_first='"custom_id"',
            )
        results: dict[tuple[str, Path], list[Run]] = {}
        for _ in range(args.runs):
            for name, run in viewers.items():
                for path in (small, large):  # interleaved
                    forget_index(path)
                    results.setdefault((name, path), []).append(run(path))
        small_label = f"{small.stat().st_size / 1e6:.0f} MB"
        large_label = f"{large.stat().st_size / 1e9:.2f} GB"
        missed = False
        for name in viewers:
            s, big = best(results[(name, small)]), best(results[(name, large)])
            print(f"\n{name} (best of {args.runs}; RSS: highest)")
            print(row(f"first page, {small_label}", f"{s.first_page * 1000:.0f} ms"))
            first_ratio = big.first_page / s.first_page
            print(
                row(
                    f"first page, {large_label}",
                    f"{big.first_page * 1000:.0f} ms",
                    first_ratio,
                    1.2,
                )
            )
            print(row(f"whole file indexed, {large_label} (from start)", f"{big.index_done:.2f} s"))
            end_key = "G" if name == "batchtui view" else "End"
            home_key = "g" if name == "batchtui view" else "Home"
            print(
                row(f"{home_key} to the first page, {large_label}", f"{big.to_start * 1000:.0f} ms")
            )
            end_ratio = big.to_end / big.to_start
            print(
                row(
                    f"{end_key} to the last page, {large_label}",
                    f"{big.to_end * 1000:.0f} ms",
                    end_ratio,
                    1.2,
                )
            )
            print(row(f"peak RSS, {small_label}", f"{s.rss_kb / 1024:.0f} MB"))
            rss_ratio = big.rss_kb / s.rss_kb
            print(row(f"peak RSS, {large_label}", f"{big.rss_kb / 1024:.0f} MB", rss_ratio, 1.3))
            if name == "batchtui view":
                missed = first_ratio > 1.2 or end_ratio > 1.2 or rss_ratio > 1.3
        return 1 if args.check and missed else 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"files kept in {folder}")


if __name__ == "__main__":
    sys.exit(main())
