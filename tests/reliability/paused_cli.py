"""`python paused_cli.py STEP ARGS...`: the real `batchtui ARGS`, held still at one step of
its job service (through the service's hooks) so a crash test can `kill -9` it there."""

from __future__ import annotations

import asyncio
import sys
import time

from batchtui.cli.main import main
from batchtui.core.jobs.hooks import JobHooks, Step

HOLD_SECONDS = 60.0


class PauseAt(JobHooks):
    """Sleeps at `step` (`mid-download`: once some bytes of a file are on disk)."""

    def __init__(self, step: str) -> None:
        self.step = step

    async def reached(self, step: Step, job_id: str | None = None) -> None:
        if step == self.step:
            await asyncio.sleep(HOLD_SECONDS)

    def downloading(self, done: int, total: int | None) -> None:
        if self.step == "mid-download" and done and (total is None or done < total):
            time.sleep(HOLD_SECONDS)


if __name__ == "__main__":
    step, *argv = sys.argv[1:]
    sys.exit(main(argv, job_hooks=PauseAt(step)))
