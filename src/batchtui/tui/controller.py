"""The actions screens share: cancel, download, retry, export, copy, refresh, demo.

Each action that talks to a provider runs as a worker through `attempt`, the one place
that logs a failure, reports it on the status line (and once as a toast) and ends the
download progress it showed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from batchtui.core.terminal_text import inert
from batchtui.tui.shell import Transfer

if TYPE_CHECKING:
    from batchtui.core.families import RetryPlan
    from batchtui.core.models import Job, JobGroup
    from batchtui.core.service import JobService
    from batchtui.tui.app import BatchtuiApp

log = logging.getLogger("batchtui.tui")

T = TypeVar("T")


class Failed:
    """What `attempt` returns when the work raised (already reported)."""


FAILED = Failed()


class ShellActions:
    """The `JobActions` of the batchtui app."""

    def __init__(self, app: BatchtuiApp) -> None:
        self.app = app

    # --- the one try/log/report/finally shape -------------------------------------------

    async def attempt(
        self, what: str, source: str, work: Awaitable[T], *, transfer: str | None = None
    ) -> T | Failed:
        """Await `work`; on failure log it, report "`what`: error" under `source` and return
        `FAILED`. `transfer`: the label of a download progress to end either way."""
        try:
            return await work
        except Exception as exc:
            log.exception("%s failed", what)
            self.app.monitor.report_problem(source, f"{what}: {exc}")
            return FAILED
        finally:
            if transfer is not None:
                self.transfer_done(transfer)

    def _service(self) -> JobService | None:
        """The job service, or None after saying why there is none."""
        service = self.app.service
        if service is None:
            problem = self.app.snapshot.config_problem or self.app.snapshot.problem
            reason = f": {problem}" if problem else " yet"
            self.app.notify(
                inert(f"No job service{reason}", single_line=True),
                severity="warning",
                markup=False,
            )
        return service

    def _activity(self, message: str) -> None:
        self.app.activity_signal.publish(message)

    # --- transfers ------------------------------------------------------------------------

    def transfer_progress(self, label: str) -> Callable[[int, int | None], None]:
        """A provider progress callback publishing bytes and rate on `transfer_signal`."""
        from batchtui.core.downloads import TransferMeter

        meter = TransferMeter()
        last = 0.0

        def progress(done: int, total: int | None) -> None:
            nonlocal last
            rate = meter.update(done)
            moment = time.monotonic()
            finished = total is not None and done >= total
            if moment - last < 0.2 and not finished:
                return
            last = moment
            self.app.transfer_signal.publish(Transfer(label, done, total, rate))

        return progress

    def transfer_done(self, label: str) -> None:
        self.app.transfer_signal.publish(Transfer(label, 0, None, None, finished=True))

    # --- cancel ---------------------------------------------------------------------------

    def cancel_job(self, job_id: str) -> None:
        from batchtui.tui.screens.confirm import ConfirmScreen

        job = self.app.get_job(job_id)
        if job is None:
            return
        if job.is_terminal:
            self.app.notify(
                f"{job.id} is already {job.status.value}", severity="warning", markup=False
            )
            return
        if self._service() is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.run_worker(self._cancel(job), group="cancel", exit_on_error=False)

        name = inert(job.name, single_line=True)
        self.app.push_screen(
            ConfirmScreen(
                f"Cancel {name} ({job.id})?", "Requests already done keep their results."
            ),
            confirmed,
        )

    def cancel_group(self, group_id: str) -> None:
        from batchtui.tui.screens.confirm import ConfirmScreen

        group = self.app.snapshot.groups.get(group_id)
        running = [s for s in self.group_shards(group_id) if s.remote_id and not s.is_terminal]
        if group is None or self._service() is None:
            return
        if not running:
            self.app.notify(f"{group_id} has no running shard", severity="warning", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                for shard in running:
                    self.app.run_worker(self._cancel(shard), group="cancel", exit_on_error=False)

        name = inert(group.name, single_line=True)
        self.app.push_screen(
            ConfirmScreen(
                f"Cancel {name} ({group_id}): {len(running)} running shards?",
                "Requests already done keep their results.",
            ),
            confirmed,
        )

    async def _cancel(self, job: Job) -> None:
        service = self.app.service
        assert service is not None
        self._activity(f"cancelling {job.id}…")
        updated = await self.attempt(f"cancel {job.id}", job.profile, service.cancel(job))
        if isinstance(updated, Failed):
            return
        self.app.monitor.merge_job(updated)
        self._activity(f"cancel requested for {job.id}")
        self.app.notify(f"Cancel requested for {job.id}", markup=False)

    def group_shards(self, group_id: str) -> list[Job]:
        """The shards of a group as the app knows them now, in shard order."""
        shards = [job for job in self.app.snapshot.jobs.values() if job.group_id == group_id]
        return sorted(shards, key=lambda shard: shard.shard_index or 0)

    # --- download -------------------------------------------------------------------------

    def destination(self, job: Job) -> Path:
        """Where a job's results go, as every path puts them (`downloads.results_dir`): a
        shard's into its group's folder, `batchtui-<group>/shard-NN/`."""
        from batchtui.core.downloads import config_results_dir

        return config_results_dir(self.app.config, job)

    def download_dir(self, target_id: str) -> Path:
        """`<download_dir>/batchtui-<id>/` (`download_dir` in [settings], else the cwd)."""
        from batchtui.core.downloads import job_download_dir
        from batchtui.core.errors import BatchtuiError

        config = self.app.config
        if config is None:
            return Path.cwd() / f"batchtui-{target_id}"
        try:
            folder = job_download_dir(config.settings, target_id, config_path=config.path)
        except BatchtuiError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            folder = Path(f"batchtui-{target_id}")
        return folder.absolute()

    def download_group(self, group_id: str) -> None:
        """Every shard with results, each into `<download dir>/batchtui-<group>/shard-NN/`."""
        shards = [s for s in self.group_shards(group_id) if s.status.may_have_results]
        if not shards:
            self.app.notify(
                f"{group_id}: no shard has results yet", severity="warning", markup=False
            )
            return
        if self._service() is None:
            return
        root = self.download_dir(group_id)
        self.app.notify(f"Downloading {len(shards)} shards into {root}", markup=False)
        for shard in shards:
            dest = self.destination(shard)
            self.app.run_worker(
                self._download(shard, dest), group=f"download:{shard.id}", exclusive=True
            )

    def download_job(self, job_id: str) -> None:
        job = self.app.get_job(job_id)
        if job is None:
            return
        if not job.status.may_have_results:
            self.app.notify(
                f"{job.id} is {job.status.value}: nothing to download yet",
                severity="warning",
                markup=False,
            )
            return
        if self._service() is None:
            return
        dest = self.destination(job)
        self.app.notify(f"Downloading {job.id} into {dest}", markup=False)
        self.app.run_worker(self._download(job, dest), group=f"download:{job.id}", exclusive=True)

    async def _download(self, job: Job, dest: Path) -> None:
        service = self.app.service
        assert service is not None
        label = f"downloading {job.id}"
        progress = self.transfer_progress(label)
        paths = await self.attempt(
            f"download {job.id}",
            job.profile,
            service.download(job, dest, progress=progress),
            transfer=label,
        )
        if isinstance(paths, Failed):
            return
        registry = self.app.registry
        if registry is not None:
            from batchtui.core.result_counts import keep_counts_of_files

            # Read in full just now: counts where the provider reports none, off the loop.
            await self.attempt(
                f"count the results of {job.id}",
                job.profile,
                registry.run(keep_counts_of_files, job.id, paths),
            )
        where = ", ".join(str(path) for path in paths) or str(dest)
        self._activity(f"downloaded {job.id}")
        self.app.notify(f"Downloaded {job.id}: {where}", title="Download", markup=False, timeout=10)
        self.app.reload_registry(force=True)

    # --- retry ----------------------------------------------------------------------------

    def retry_target(self, target_id: str) -> None:
        """Download the results, show what a retry would send, and submit it on yes."""
        group = self.app.snapshot.groups.get(target_id)
        job = self.app.get_job(target_id)
        if group is None and job is None:
            return
        if job is not None and not job.is_terminal:
            self.app.notify(
                f"{job.id} is {job.status.value}: retry once it has ended",
                severity="warning",
                markup=False,
            )
            return
        if self._service() is None:
            return
        target: Job | JobGroup = group if group is not None else job  # type: ignore[assignment]
        self.app.run_worker(self._plan_retry(target), group="retry", exclusive=True)

    async def _plan_retry(self, target: Job | JobGroup) -> None:
        from batchtui.core.families import plan_group_retry, plan_retry
        from batchtui.core.models import JobGroup
        from batchtui.tui.screens.confirm import ConfirmScreen

        service = self.app.service
        assert service is not None
        label = f"downloading the results of {target.id}"
        self._activity(f"preparing the retry of {target.id}…")
        progress = self.transfer_progress(label)

        async def plan() -> list[RetryPlan]:
            if isinstance(target, JobGroup):
                return await plan_group_retry(service, target, progress=progress)
            return [await plan_retry(service, target, progress=progress)]

        plans = await self.attempt(f"retry {target.id}", target.profile, plan(), transfer=label)
        if isinstance(plans, Failed):
            return
        self.app.reload_registry(force=True)
        todo = [plan for plan in plans if plan.report.path is not None]
        if not todo:
            self._activity(f"{target.id}: nothing to retry")
            self.app.notify(f"{target.id}: every request succeeded, nothing to retry", markup=False)
            return
        requests = sum(plan.report.written for plan in todo)
        jobs = "a new job" if len(todo) == 1 else f"{len(todo)} new jobs (one per shard)"
        detail = "\n".join(
            inert(f"{plan.parent.id}: {plan.report.describe()}", single_line=True) for plan in plans
        )
        self._activity(f"retry of {target.id} planned: {requests:,} requests")

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.run_worker(self._submit_retries(todo), group="retry", exit_on_error=False)

        self.app.push_screen(
            ConfirmScreen(f"Retry {requests:,} requests of {target.id} as {jobs}?", detail),
            confirmed,
        )

    async def _submit_retries(self, plans: list[RetryPlan]) -> None:
        from batchtui.core.families import submit_retry

        service = self.app.service
        assert service is not None
        for plan in plans:
            self._activity(f"submitting the retry of {plan.parent.id}…")
            child = await self.attempt(
                f"retry {plan.parent.id}", plan.parent.profile, submit_retry(service, plan)
            )
            if isinstance(child, Failed):
                continue
            message = (
                f"{plan.report.written:,} requests of {plan.parent.id} resubmitted as {child.id}"
            )
            self._activity(message)
            self.app.notify(message, title="Retry", markup=False)
        self.app.reload_registry(force=True)

    # --- export ---------------------------------------------------------------------------

    def export_target(self, target_id: str) -> None:
        """CSV of one row per request (retries merged, prompts joined when the input is
        there) into the target's download folder."""
        target = self.app.snapshot.groups.get(target_id) or self.app.get_job(target_id)
        if target is None or self._service() is None:
            return
        self.app.run_worker(self._export(target), group=f"export:{target_id}", exclusive=True)

    async def _export(self, target: Job | JobGroup) -> None:
        from batchtui.core.families import export_results, merged_input_available

        service, registry = self.app.service, self.app.registry
        assert service is not None and registry is not None
        out = self.download_dir(target.id) / "export.csv"
        label = f"downloading the results of {target.id}"
        progress = self.transfer_progress(label)
        self._activity(f"exporting {target.id}…")

        async def export() -> tuple[object, ...]:
            join = await registry.run(merged_input_available, target)
            return await export_results(
                service, target, out, "csv", join_input=join, progress=progress
            )

        exported = await self.attempt(
            f"export {target.id}", target.profile, export(), transfer=label
        )
        if isinstance(exported, Failed):
            return
        summary = exported[0]
        self._activity(f"exported {target.id} to {out}")
        self.app.notify(
            f"{summary.rows:,} rows ({summary.failed:,} failed) written to {out}",  # type: ignore[attr-defined]
            title="Export",
            markup=False,
            timeout=10,
        )
        self.app.reload_registry(force=True)

    # --- small ones -----------------------------------------------------------------------

    def copy_job_id(self, job_id: str) -> None:
        # OSC 52: reaches the local clipboard over SSH when the terminal (and tmux) allow it.
        from batchtui.tui.clipboard import copy_text

        copy_text(self.app, job_id)  # wrapped for tmux and screen, as the viewer's `y`
        self.app.notify(f"Copied {job_id} (OSC 52; tmux needs set-clipboard on)", markup=False)

    def refresh_job(self, job_id: str) -> None:
        job = self.app.monitor.take_one(job_id)
        if job is not None:
            self.app.run_worker(
                self.app.monitor.poll(job, force=True), group="poll", exit_on_error=False
            )

    def start_demo(self) -> None:
        self.app.start_demo()

    async def submit_demo_samples(self) -> None:
        """The demo's sample jobs; a failure is reported like any other submit's."""
        demo, service = self.app.demo, self.app.service
        if demo is None or service is None:
            return
        self._activity("submitting the demo's sample jobs…")
        done = await self.attempt("demo submit", "demo", demo.submit_samples(service))
        if not isinstance(done, Failed):
            self._activity("demo jobs submitted")
        self.app.reload_registry(force=True)

    # --- several rows at once (the job list's marks) --------------------------------------

    async def _jobs_of_rows(self, row_ids: list[str]) -> list[Job]:
        """The jobs behind list rows (a group: its shards), read off the loop."""
        from batchtui.core.housekeeping import rows_to_jobs

        registry = self.app.registry
        if registry is None:
            return []
        jobs = await self.attempt(
            "read the marked jobs", "registry", registry.run(rows_to_jobs, row_ids)
        )
        return [] if isinstance(jobs, Failed) else jobs

    def _ask(self, question: str, detail: str, then: Callable[[], None]) -> None:
        from batchtui.tui.screens.confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question, detail), confirmed)

    @staticmethod
    def _listed(jobs: list[Job]) -> str:
        shown = ", ".join(job.id for job in jobs[:5])
        return shown + (f" and {len(jobs) - 5} more" if len(jobs) > 5 else "")

    def cancel_rows(self, row_ids: list[str]) -> None:
        """Cancel every running job the rows stand for, after one question."""
        self.app.run_worker(self._cancel_rows(row_ids), group="cancel", exit_on_error=False)

    async def _cancel_rows(self, row_ids: list[str]) -> None:
        jobs = [
            job
            for job in await self._jobs_of_rows(row_ids)
            if job.remote_id and not job.is_terminal
        ]
        if not jobs:
            self.app.notify("No marked job is running", severity="warning", markup=False)
            return
        if self._service() is None:
            return

        def cancel() -> None:
            for job in jobs:
                self.app.run_worker(self._cancel(job), group="cancel", exit_on_error=False)

        self._ask(
            f"Cancel {len(jobs)} running jobs?",
            f"{self._listed(jobs)}. Requests already done keep their results.",
            cancel,
        )

    def download_rows(self, row_ids: list[str]) -> None:
        """Download every job with results the rows stand for."""
        self.app.run_worker(self._download_rows(row_ids), group="download", exit_on_error=False)

    async def _download_rows(self, row_ids: list[str]) -> None:
        jobs = [job for job in await self._jobs_of_rows(row_ids) if job.status.may_have_results]
        if not jobs:
            self.app.notify("No marked job has results yet", severity="warning", markup=False)
            return
        if self._service() is None:
            return
        self.app.notify(f"Downloading {len(jobs)} jobs", markup=False)
        for job in jobs:
            self.app.run_worker(
                self._download(job, self.destination(job)),
                group=f"download:{job.id}",
                exclusive=True,
            )

    def housekeep_rows(
        self, verb: str, row_ids: list[str], done: Callable[[list[str]], None]
    ) -> None:
        """`archive` (unarchive when all are archived), `forget` or `clean` the jobs the rows
        stand for, as the CLI does, after one question; `done(row_ids)` once they are."""
        self.app.run_worker(
            self._housekeep_rows(verb, row_ids, done), group="housekeeping", exit_on_error=False
        )

    async def _housekeep_rows(
        self, verb: str, row_ids: list[str], done: Callable[[list[str]], None]
    ) -> None:
        from batchtui.core.errors import UsageError
        from batchtui.core.housekeeping import refuse_running

        jobs = await self._jobs_of_rows(row_ids)
        if verb == "archive":  # on rows all archived already, the same key unarchives
            from batchtui.core.housekeeping import archive_verb

            verb = archive_verb(jobs)
            jobs = [job for job in jobs if (job.archived_at is None) == (verb == "archive")]
        if not jobs:
            return
        try:
            refuse_running(jobs, verb)
        except UsageError as exc:
            self.app.notify(str(exc), severity="warning", markup=False)
            return
        if verb == "clean" and self._service() is None:
            return
        details = {
            "archive": "Hidden from the default list; `a` shows archived jobs.",
            "unarchive": "Shown in the default list again.",
            "forget": "Removed from the registry only: the provider keeps its batches.",
            "clean": "Deletes their remote input, output and error files and local leftovers "
            "(never your input file or downloaded results).",
        }
        work = {
            "archive": self._archive,
            "unarchive": self._unarchive,
            "forget": self._forget,
            "clean": self._clean,
        }[verb]

        def go() -> None:
            self.app.run_worker(
                work(jobs, row_ids, done), group="housekeeping", exit_on_error=False
            )

        self._ask(
            f"{verb.capitalize()} {len(jobs)} jobs?", f"{self._listed(jobs)}. {details[verb]}", go
        )

    async def _archive(
        self, jobs: list[Job], row_ids: list[str], done: Callable[[list[str]], None]
    ) -> None:
        from batchtui.core.housekeeping import archive_jobs
        from batchtui.core.models import utc_now

        registry = self.app.registry
        assert registry is not None
        archived = await self.attempt(
            "archive", "registry", registry.run(archive_jobs, jobs, when=utc_now())
        )
        if not isinstance(archived, Failed):
            self._finish(f"archived {len(archived)} jobs", row_ids, done)

    async def _unarchive(
        self, jobs: list[Job], row_ids: list[str], done: Callable[[list[str]], None]
    ) -> None:
        """What `batchtui archive --undo` does: the same core call, with no date."""
        from batchtui.core.housekeeping import archive_jobs

        registry = self.app.registry
        assert registry is not None
        shown = await self.attempt(
            "unarchive", "registry", registry.run(archive_jobs, jobs, when=None)
        )
        if not isinstance(shown, Failed):
            self._finish(f"unarchived {len(shown)} jobs", row_ids, done)

    async def _forget(
        self, jobs: list[Job], row_ids: list[str], done: Callable[[list[str]], None]
    ) -> None:
        registry = self.app.registry
        assert registry is not None
        ids = [job.id for job in jobs]
        removed = await self.attempt(
            "forget", "registry", registry.run(lambda reg: reg.forget_jobs(ids))
        )
        if not isinstance(removed, Failed):
            self._finish(f"forgot {removed} jobs", row_ids, done)

    async def _clean(
        self, jobs: list[Job], row_ids: list[str], done: Callable[[list[str]], None]
    ) -> None:
        from batchtui.core.cleanup import clean_job

        service, registry = self.app.service, self.app.registry
        assert service is not None and registry is not None
        failed = 0
        for job in jobs:
            self._activity(f"cleaning {job.id}…")

            async def clean(job: Job = job) -> object:
                return await clean_job(await service.provider(job.profile), job)

            report = await self.attempt(f"clean {job.id}", job.profile, clean())
            if isinstance(report, Failed):
                failed += 1
                continue
            summary = ", ".join(f"{item.what} {item.outcome}" for item in report.files)  # type: ignore[attr-defined]
            note = f"cleaned: {summary or 'nothing to delete'}"
            await self.attempt(
                f"clean {job.id}",
                "registry",
                registry.run(
                    lambda store, job_id=job.id, note=note: store.update_job(job_id, note=note)
                ),
            )
            failed += 0 if report.ok else 1  # type: ignore[attr-defined]
        problems = f" ({failed} with problems: see each job's history)" if failed else ""
        self._finish(f"cleaned {len(jobs)} jobs{problems}", row_ids, done)

    def _finish(self, message: str, row_ids: list[str], done: Callable[[list[str]], None]) -> None:
        self._activity(message)
        self.app.notify(message[0].upper() + message[1:], markup=False)
        done(row_ids)
        self.app.reload_registry(force=True)
