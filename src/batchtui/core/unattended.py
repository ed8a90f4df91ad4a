"""What a run nobody watches reports: one exit code for a set of jobs, and who to tell when
a job ends (the terminal, a desktop notification, a command)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TextIO

from batchtui.core.config import NotifySettings
from batchtui.core.models import Job
from batchtui.core.notify import (
    ExecRefused,
    Notice,
    check_exec_source,
    run_exec,
    terminal_bytes,
)
from batchtui.core.status import JobStatus

EXIT_ALL_COMPLETED = 0
EXIT_ENDED_BADLY = 1
EXIT_USAGE = 2
EXIT_STILL_RUNNING = 3

EXIT_CODES: dict[int, str] = {
    EXIT_ALL_COMPLETED: "success; for watch and refresh: every job named ended `completed`",
    EXIT_ENDED_BADLY: "the operation failed; for watch and refresh: a job ended otherwise "
    "(failed, expired, cancelled, not submitted)",
    EXIT_USAGE: "usage or config error (a bad flag, an unknown profile, a broken config.toml)",
    EXIT_STILL_RUNNING: "watch --timeout / --until-first and refresh: some jobs are still "
    "running and none ended badly",
    130: "interrupted (Ctrl-C)",
}


def outcome_code(jobs: Iterable[Job]) -> int:
    """0 when every job completed, 1 when any ended otherwise, 3 when some still run."""
    statuses = [job.status for job in jobs]
    if any(status.is_terminal and status is not JobStatus.COMPLETED for status in statuses):
        return EXIT_ENDED_BADLY
    if any(not status.is_terminal for status in statuses):
        return EXIT_STILL_RUNNING
    return EXIT_ALL_COMPLETED


class Notifier:
    """Announces each job that ends, once, the way `[notify]` (or the command line) says.

    Terminal notifications go to `terminal` only when it is a terminal: a cron job has none.
    A command from config.toml is checked once, here; a refusal is reported through `warn`.
    """

    def __init__(
        self,
        settings: NotifySettings,
        *,
        config_path: Path,
        terminal: TextIO | None = None,
        exec_command: str | None = None,
        to_terminal: bool = True,
        job_json: Callable[[Job], Mapping[str, object]],
        warn: Callable[[str], None],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.terminal = terminal if terminal is not None else sys.stderr
        self.to_terminal = to_terminal and _is_tty(self.terminal)
        self.job_json = job_json
        self.warn = warn
        self.environ = os.environ if environ is None else environ
        self.exec_command = exec_command
        if exec_command is None and settings.exec:
            try:
                check_exec_source(config_path)
                self.exec_command = settings.exec
            except ExecRefused as refused:
                warn(str(refused))
        self.announced: set[str] = set()

    def job_ended(self, job: Job) -> None:
        if job.id in self.announced:
            return
        self.announced.add(job.id)
        if self.to_terminal:
            notice = Notice(job.id, job.name, job.status.value)
            text = terminal_bytes(
                notice,
                bell=self.settings.bell,
                desktop=self.settings.desktop,
                environ=self.environ,
            )
            if text:
                self.terminal.write(text)
                self.terminal.flush()
        if self.exec_command:
            status = run_exec(self.exec_command, self.job_json(job))
            if status != 0:
                self.warn(f"{job.id}: notify command exited with status {status}")


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
