"""The monitor's provider polls: which running jobs are due, and merging what the providers
answer (one job at a time, or a list page for many), with each job's poll health."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from batchtui.core.jobs.poll_errors import failed_poll
from batchtui.core.jobview import PollSchedule, polls_after
from batchtui.core.leases import lease_seconds

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.jobs.monitor import JobsSnapshot, MonitorEvents
    from batchtui.core.models import Job
    from batchtui.core.service import JobService

log = logging.getLogger("batchtui.monitor")

DEFAULT_POLL_SECONDS = 30.0


class MonitorPolls:
    """The polling half of `JobMonitor`, which owns the state named here."""

    config: Config | None
    service: JobService | None
    snapshot: JobsSnapshot
    schedule: PollSchedule
    events: MonitorEvents
    lease_holder: str
    polling: set[str]
    reported_problems: dict[str, str]
    _clock: Callable[[], float]
    _now: Callable[[], datetime]

    if TYPE_CHECKING:  # JobMonitor's, used here

        def merge_job(self, job: Job) -> None: ...
        def merge_jobs(self, fresh: Iterable[Job]) -> None: ...
        def report_problem(self, source: str, message: str) -> None: ...
        def _publish(self, **changes: object) -> None: ...

    def poll_interval(self, job: Job) -> float:
        if self.config is not None and job.profile in self.config.profiles:
            return self.config.profiles[job.profile].poll_interval
        return DEFAULT_POLL_SECONDS

    def take_due(self, *, force: bool = False) -> list[Job]:
        """Running jobs whose next poll is due and not already under way (now marked so)."""
        if self.service is None:
            return []
        if force:
            self.schedule.force()
        due = [
            job
            for job in self.schedule.due(list(self.snapshot.jobs.values()), self._clock())
            if job.id not in self.polling
        ]
        self.polling.update(job.id for job in due)
        return due

    def take_one(self, job_id: str) -> Job | None:
        """A job to poll now whatever its schedule (a user asked), unless already polling."""
        job = self.snapshot.jobs.get(job_id)
        if job is None or self.service is None or job.remote_id is None or job_id in self.polling:
            return None
        self.polling.add(job_id)
        return job

    async def poll(self, job: Job, *, force: bool = False) -> None:
        """Ask the provider about `job` (taken by `take_due`/`take_one`) and merge the answer."""
        service = self.service
        interval = self.poll_interval(job)
        try:
            if service is None:
                return
            if force:
                updated = await service.refresh(job, force=True)
            else:
                # Another TUI (another login node) may hold the lease: it polls, we read.
                updated, _asked = await service.poll(
                    job, holder=self.lease_holder, lease_seconds=lease_seconds(interval)
                )
        except Exception as exc:
            profile = self.config.profiles.get(job.profile) if self.config is not None else None
            message = failed_poll(self.schedule, self._clock(), exc, job, profile, interval)
            self.report_problem(job.profile, message)
            self._publish(polls=polls_after(self.snapshot.polls, job.id, ok_at=None))
        else:
            self.schedule.succeeded(job.id, self._clock(), interval)
            self.reported_problems.pop(job.profile, None)
            polls = polls_after(self.snapshot.polls, job.id, ok_at=self._now())
            self.snapshot = replace(self.snapshot, polls=polls)
            self.merge_job(updated)
        finally:
            self.polling.discard(job.id)

    async def poll_many(self, jobs: list[Job], *, force: bool = False) -> None:
        """Ask the providers about `jobs` (taken by `take_due`) with as few requests as each
        allows (a list page for many running jobs of one profile) and merge the answers.
        Unless `force`, only the holder of a profile's list lease asks; the others read."""
        service = self.service
        try:
            if service is None or not jobs:
                return
            interval = min(self.poll_interval(job) for job in jobs)
            try:
                outcome = await service.poll_many(
                    jobs,
                    holder=None if force else self.lease_holder,
                    lease_seconds=lease_seconds(interval),
                )
            except Exception as exc:
                log.exception("refresh of %d jobs failed", len(jobs))
                polls = self.snapshot.polls
                for job in jobs:
                    self.schedule.failed(job.id, self._clock(), self.poll_interval(job))
                    polls = polls_after(polls, job.id, ok_at=None)
                self.report_problem("refresh", f"refresh: {exc}")
                self._publish(polls=polls)
                return
            now, polls = self._clock(), self.snapshot.polls
            for job in jobs:
                error = outcome.errors.get(job.id)
                polls = polls_after(polls, job.id, ok_at=None if error else self._now())
                if error is None:
                    self.schedule.succeeded(job.id, now, self.poll_interval(job))
                    continue
                profile = self.config.profiles.get(job.profile) if self.config else None
                interval = self.poll_interval(job)
                message = failed_poll(self.schedule, now, error, job, profile, interval)
                self.report_problem(job.profile, message)
            self.snapshot = replace(self.snapshot, polls=polls)
            for profile in {job.profile for job in jobs if job.id not in outcome.errors}:
                self.reported_problems.pop(profile, None)
            fresh = [outcome.jobs[job.id] for job in jobs if job.id in outcome.jobs]
            if fresh:
                self.merge_jobs(fresh)
            else:
                self.events.published(self.snapshot)
        finally:
            self.polling.difference_update(job.id for job in jobs)
