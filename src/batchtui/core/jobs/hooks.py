"""The seam where tests hold the job use cases still at a named step, or interleave two of them.

`JobService(..., hooks=...)` hands a `JobHooks` to every use case; the default does nothing
and costs one method call per step. The reliability tests pass one that waits on an event
(to force an order between a submit and a sync) or sleeps (so a crash test can `kill -9`
the process right there); nothing reads an environment variable for it.
"""

from __future__ import annotations

from typing import Literal

# Where the use cases call `reached`:
# - "after-upload": the input file is uploaded and recorded, create not called yet;
# - "after-create": the provider created the batch, the registry does not know it yet;
# - "sync-listed": sync has read the registry's jobs and is about to list remote batches.
Step = Literal["after-upload", "after-create", "sync-listed"]


class JobHooks:
    """Called by the job use cases at each step; subclass it to hold or order them."""

    async def reached(self, step: Step, job_id: str | None = None) -> None:
        """The use case reached `step` (for `job_id`); it goes on when this returns."""

    def downloading(self, done: int, total: int | None) -> None:
        """A result file download has `done` of `total` bytes on disk (a progress callback:
        called on the thread that downloads, so a test may block here)."""


NO_HOOKS = JobHooks()
