"""Announce jobs that ended: the terminal bell, OSC 9/777 desktop notifications, a command.

Everything here is built only from sanitised text: a notification carries a job's name,
which came from a file or a provider, and must not become an escape sequence of its own.
Inside tmux or GNU screen the sequence is wrapped in the multiplexer's passthrough (DCS),
so it reaches the outer terminal; tmux passes it on only with `allow-passthrough on`.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from batchtui.core.terminal_osc import BEL, ESC, multiplexer_of, wrap_for
from batchtui.core.terminal_text import inert

Desktop = Literal["osc9", "osc777", "off"]

# OSC 9 text that starts with digits and ';' is a ConEmu/Windows Terminal command
# (e.g. `9;4;...` sets a progress bar): the message always starts with this word instead.
MESSAGE_PREFIX = "batchtui:"
MAX_MESSAGE = 200


@dataclass(frozen=True)
class Notice:
    """What to say about one job that ended."""

    job_id: str
    name: str
    status: str

    def message(self) -> str:
        name = inert(self.name, single_line=True)[:80]
        text = f"{MESSAGE_PREFIX} {name} ({self.job_id}) {self.status}"
        return safe_field(text)[:MAX_MESSAGE]


def safe_field(text: str) -> str:
    """Text fit for one field of an OSC sequence: no controls, no field separator."""
    return inert(text, single_line=True).replace(";", ",")


def osc_sequence(notice: Notice, desktop: Desktop) -> str:
    if desktop == "osc9":
        return f"{ESC}]9;{notice.message()}{BEL}"
    if desktop == "osc777":
        return f"{ESC}]777;notify;batchtui;{notice.message()}{BEL}"
    return ""


def terminal_bytes(
    notice: Notice, *, bell: bool, desktop: Desktop, environ: Mapping[str, str]
) -> str:
    """The exact text to write to the terminal for one ended job."""
    text = wrap_for(osc_sequence(notice, desktop), multiplexer_of(environ))
    return text + (BEL if bell else "")


# --- commands run when a job ends --------------------------------------------------------


class ExecRefused(Exception):
    """A configured command that must not run; the message says why and how to fix it."""


def check_exec_source(config_path: Path) -> None:
    """A command from config.toml runs only when only its owner can change the file.

    Anyone who can write the file could otherwise make batchtui run their command as you.
    """
    try:
        info = config_path.stat()
    except OSError as error:
        raise ExecRefused(
            f"not running [notify] exec: cannot read {config_path}: {error}"
        ) from None
    loose = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if loose or info.st_uid != os.getuid():
        raise ExecRefused(
            f"not running [notify] exec from {config_path}: the file is writable by others "
            f"(run: chmod go-w {config_path})"
        )


def run_exec(command: str, job_json: Mapping[str, object], *, timeout: float = 60.0) -> int:
    """Run `command` in a shell with the job's JSON on stdin; returns its exit status.

    The job's id and status are also in the environment (`BATCHTUI_JOB_ID`,
    `BATCHTUI_STATUS`), so `sbatch --dependency` chains or mail one-liners need no parsing.
    """
    env = {
        **os.environ,
        "BATCHTUI_JOB_ID": str(job_json.get("id", "")),
        "BATCHTUI_STATUS": str(job_json.get("status", "")),
        "BATCHTUI_JOB_NAME": inert(str(job_json.get("name", "")), single_line=True),
    }
    payload = json.dumps(job_json, ensure_ascii=False, default=str) + "\n"
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            input=payload.encode(),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return 124
    return done.returncode
