"""Commands that write a file fail in one line naming the file and the cause, leaving nothing.

Each writer (compose, convert, export as JSONL and CSV) meets each target: a full disk and
a read-only one (a small tmpfs mounted in a private mount namespace by `unshare`, so the
test needs no privileges and leaves no mount behind), a folder that does not exist (never
created: the message names it) and a "folder" that is a file. A new writer or a new
target is a new row.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from batchtui.simulator import SimulatorHandle

from .conftest import BATCHTUI, Run, add_profile, cli_env, request_line, run_cli

REQUESTS = 100
PROMPT = "a prompt long enough that a hundred answers fill more than a small disk " * 8


def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    rows = "".join(f"{index},{PROMPT}\n" for index in range(REQUESTS))
    path.write_text("id,text\n" + rows)
    return path


def openai_input(tmp_path: Path) -> Path:
    path = tmp_path / "input.jsonl"
    path.write_text("".join(request_line(f"r{i}", PROMPT) + "\n" for i in range(REQUESTS)))
    return path


@pytest.fixture
def finished_job(simulator: SimulatorHandle, tmp_path: Path) -> str:
    add_profile(simulator.url)
    submitted = run_cli("submit", str(openai_input(tmp_path)), "--profile", "sim", "--json")
    assert submitted.code == 0, submitted.err
    job_id = json.loads(submitted.out)["id"]
    watched = run_cli("watch", job_id, "--interval", "1", timeout=120)
    assert watched.code == 0, watched.err
    downloaded = run_cli("download", job_id, "-o", str(tmp_path / "results"))
    assert downloaded.code == 0, downloaded.err
    return job_id


# A writer: (tmp_path, job id or None) -> the command's arguments before `-o OUT`.
Writer = Callable[[Path, str | None], list[str]]
WRITERS: dict[str, Writer] = {
    "compose": lambda tmp, _job: [
        "compose",
        str(dataset(tmp)),
        "--template",
        "{text}",
        "--model",
        "gpt-4o-mini",
    ],
    "convert": lambda tmp, _job: [
        "convert",
        str(openai_input(tmp)),
        "--to",
        "gemini",
    ],
    "export-jsonl": lambda _tmp, job: ["export", str(job), "--format", "jsonl"],
    "export-csv": lambda _tmp, job: ["export", str(job), "--format", "csv"],
}
NEEDS_JOB = {"export-jsonl", "export-csv"}

# A disk: the tmpfs mount options and the cause the message must give.
DISKS = {
    "full": ("size=4k", "No space left on device"),
    "read-only": ("ro,size=64k", "Read-only file system"),
}


def run_on_tmpfs(folder: Path, options: str, listing: Path, args: list[str]) -> Run:
    """`batchtui ARGS` with a fresh tmpfs (`options`) on `folder`, in a mount namespace of
    its own; what the folder held afterwards is written to `listing`."""
    folder.mkdir(exist_ok=True)
    script = (
        f"mount -t tmpfs -o {shlex.quote(options)} tmpfs {shlex.quote(str(folder))} || exit 99; "
        f'"$@"; code=$?; ls -A {shlex.quote(str(folder))} > {shlex.quote(str(listing))}; '
        "exit $code"
    )
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
         str(BATCHTUI), *args],
        capture_output=True, env=cli_env(), timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 99, done.stderr.decode()
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def job_for(request: pytest.FixtureRequest) -> Callable[[str], str | None]:
    def job(writer: str) -> str | None:
        return request.getfixturevalue("finished_job") if writer in NEEDS_JOB else None

    return job


@pytest.mark.parametrize("disk", DISKS)
@pytest.mark.parametrize("writer", WRITERS)
def test_write_to_a_full_or_read_only_disk(
    writer: str, disk: str, tmp_path: Path, job_for: Callable[[str], str | None]
) -> None:
    args = WRITERS[writer](tmp_path, job_for(writer))
    options, cause = DISKS[disk]
    folder = tmp_path / "disk"
    out = folder / "out.jsonl"
    listing = tmp_path / "listing.txt"

    done = run_on_tmpfs(folder, options, listing, [*args, "-o", str(out)])

    line = done.one_error_line()
    assert done.code == 1, done.err
    assert str(out) in line and cause in line, line
    assert "unexpected" not in line
    assert listing.read_text() == ""  # no partial file, no temporary file


# A target: tmp_path -> (the -o path, the path the message must name).
TARGETS: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "missing folders": lambda tmp: (tmp / "a" / "b" / "x.out", f"{tmp / 'a' / 'b'}/"),
    "a file as folder": lambda tmp: (tmp / "file.txt" / "x.out", f"{tmp / 'file.txt'}/"),
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("writer", WRITERS)
def test_no_folder_is_created_for_an_output(
    writer: str, target: str, tmp_path: Path, job_for: Callable[[str], str | None]
) -> None:
    args = WRITERS[writer](tmp_path, job_for(writer))
    (tmp_path / "file.txt").write_text("a file\n")
    out, named = TARGETS[target](tmp_path)

    done = run_cli(*args, "-o", str(out))

    line = done.one_error_line()
    assert done.code == 1, done.err
    assert named in line, line
    assert not (tmp_path / "a").exists()
    assert (tmp_path / "file.txt").read_text() == "a file\n"
