"""The batchtui app: shared services, the refresh loop, and the actions every screen uses.

First paint comes before any file or network work: config and registry are read in a
thread worker started after the first screen is on the terminal, then the registry is
re-read every couple of seconds (only when it changed) and running jobs are polled in
async workers, each on its own backoff schedule.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal

from batchtui.core.jobview import PollSchedule, status_label
from batchtui.core.leases import lease_seconds, new_lease_holder
from batchtui.core.status import JobStatus
from batchtui.core.terminal_text import inert, locale_is_utf8
from batchtui.tui.screens.jobs import JobsScreen
from batchtui.tui.theme import THEME_ENV, choose_theme

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.families import RetryPlan
    from batchtui.core.models import Job, JobGroup
    from batchtui.core.registry import Registry
    from batchtui.core.service import JobService

log = logging.getLogger("batchtui.tui")

EXIT_AFTER_FIRST_PAINT_ENV = "BATCHTUI_EXIT_AFTER_FIRST_PAINT"
DEFAULT_POLL_SECONDS = 30.0
DEBUG_LOG_NAME = "tui-debug.log"


class DemoSession(Protocol):
    """What the app needs from `batchtui.demo` (kept abstract so the app doesn't import it)."""

    def start(self) -> None:
        """Start the simulator and write the demo config (runs in a thread)."""

    async def submit_samples(self, service: JobService) -> None:
        """Submit the sample jobs (runs in an async worker once the service exists)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class JobsSnapshot:
    """What the app knows now; published on `app.jobs_signal` whenever it changes."""

    jobs: dict[str, Job] = field(default_factory=dict)
    loading: bool = True
    updated_at: datetime | None = None
    problem: str | None = None
    # Job groups (files split into shards); their shards are in `jobs`.
    groups: dict[str, JobGroup] = field(default_factory=dict)


@dataclass(frozen=True)
class Transfer:
    """A download's progress, published on `app.transfer_signal`."""

    label: str
    done: int
    total: int | None
    rate: float | None  # bytes a second, once known
    finished: bool = False


class BatchtuiApp(App[int]):
    # Absolute: Textual resolves a relative CSS_PATH from the file of the (sub)class.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "batchtui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key of every screen"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave batchtui"),
    ]

    def __init__(
        self,
        *,
        config: Config | None = None,
        registry: Registry | None = None,
        demo: DemoSession | None = None,
        debug: bool = False,
        now: Callable[[], datetime] | None = None,
        ascii_only: bool | None = None,
        theme: str | None = None,
        refresh_seconds: float | None = None,
        poll: bool = True,
    ) -> None:
        super().__init__()
        self.config: Config | None = config
        self.registry: Registry | None = registry
        self.service: JobService | None = None
        self.demo = demo
        self.debug_enabled = debug
        self._now = now
        self.ascii_only = (not locale_is_utf8()) if ascii_only is None else ascii_only
        self._theme_given = theme is not None
        self._theme_problem: str | None = None
        self._use_theme(theme or choose_theme())
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"
        self.refresh_seconds = refresh_seconds
        self.poll_enabled = poll
        self.snapshot = JobsSnapshot()
        self.jobs_signal: Signal[JobsSnapshot] = Signal(self, "jobs")
        self.activity_signal: Signal[str] = Signal(self, "activity")
        # Downloads in progress: bytes, total and rate, for the screens' progress bars.
        self.transfer_signal: Signal[Transfer] = Signal(self, "transfer")
        self.schedule = PollSchedule()
        self._polling: set[str] = set()
        # Who this process is in the registry's poll leases (host:pid:random).
        self.lease_holder = new_lease_holder()
        self._data_version: int | None = None
        self._reported_problems: dict[str, str] = {}
        self._timers_started = False

    def _use_theme(self, name: str, *, setting: str = THEME_ENV) -> None:
        if name in self.available_themes:
            self.theme = name
            return
        fallback = choose_theme({**os.environ, THEME_ENV: ""})
        self.theme = fallback
        self._theme_problem = f"{setting}: unknown theme {name!r}, using {fallback}"

    # --- time and lookup --------------------------------------------------------------

    def now(self) -> datetime:
        return self._now() if self._now else datetime.now(UTC)

    @property
    def jobs(self) -> dict[str, Job]:
        return self.snapshot.jobs

    def get_job(self, job_id: str | None) -> Job | None:
        return self.snapshot.jobs.get(job_id) if job_id else None

    @property
    def active_profile(self) -> str | None:
        if self.config is None:
            return None
        return self.config.settings.default_profile or (
            next(iter(self.config.profiles)) if len(self.config.profiles) == 1 else None
        )

    # --- start-up ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        return JobsScreen()

    def on_mount(self) -> None:
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        if os.environ.get(EXIT_AFTER_FIRST_PAINT_ENV):
            self.exit(0)
            return
        self.load()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        """Read config and registry off the UI thread (demo: start the simulator first)."""
        from batchtui.core.config import load_config
        from batchtui.core.errors import BatchtuiError
        from batchtui.core.registry import Registry

        try:
            if self.demo is not None:
                self.demo.start()
            config = self.config or load_config()
            registry = self.registry or Registry.open_default()
            version = registry.data_version()
            jobs = registry.list_jobs()
            groups = registry.list_groups()
        except BatchtuiError as exc:
            self.call_from_thread(self._set_problem, str(exc))
            return
        except Exception as exc:  # keep the app alive and say what broke, in one line
            log.exception("loading failed")
            self.call_from_thread(self._set_problem, f"cannot start: {exc}")
            return
        self.call_from_thread(self._loaded, config, registry, jobs, version, groups)

    def _loaded(
        self,
        config: Config,
        registry: Registry,
        jobs: list[Job],
        version: int,
        groups: list[JobGroup],
    ) -> None:
        self.registry = registry
        self._data_version = version
        self.use_config(config)
        self._replace_jobs(jobs, groups, announce=False)
        if not self._timers_started:
            self._timers_started = True
            interval = self.refresh_seconds or config.settings.registry_refresh_seconds
            self.set_interval(interval, self.reload_registry, name="registry")
            if self.poll_enabled:
                self.set_interval(1.0, self.poll_due_jobs, name="poll")
        if self.poll_enabled:
            self.poll_due_jobs()
            if self.service is not None:
                self.run_worker(
                    self._reconcile_leftovers(),
                    group="reconcile",
                    exclusive=True,
                    exit_on_error=False,
                )
        if self.demo is not None and self.service is not None:
            self.run_worker(
                self.demo.submit_samples(self.service), group="demo", exit_on_error=False
            )
        elif not config.profiles:
            from batchtui.tui.screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen())

    async def _submit_demo_samples(self) -> None:
        assert self.demo is not None and self.service is not None
        try:
            await self.demo.submit_samples(self.service)
        except Exception as exc:
            log.exception("demo submit failed")
            self._report_problem("demo", f"demo submit: {exc}")
        self.reload_registry(force=True)

    def use_config(self, config: Config) -> None:
        """Adopt a (re-)read config: the job service is rebuilt around it."""
        from batchtui.core.service import JobService

        self.config = config
        configured_theme = config.settings.theme
        if configured_theme and not self._theme_given and THEME_ENV not in os.environ:
            self._use_theme(configured_theme, setting=f"{config.path}: settings.theme")
        if self._theme_problem:
            self.notify(self._theme_problem, severity="warning", markup=False)
            self._theme_problem = None
        if self.registry is None:
            return
        try:
            self.service = JobService(config, self.registry, debug=self.debug_enabled)
        except Exception as exc:
            log.exception("job service failed to start")
            self._set_problem(f"job service unavailable: {exc}")
        self.jobs_signal.publish(self.snapshot)

    def _set_problem(self, message: str) -> None:
        self.snapshot = JobsSnapshot(
            jobs=self.snapshot.jobs,
            loading=False,
            updated_at=self.snapshot.updated_at,
            problem=message,
            groups=self.snapshot.groups,
        )
        self.jobs_signal.publish(self.snapshot)
        self.notify(message, title="batchtui", severity="error", markup=False, timeout=10)

    # --- registry refresh -------------------------------------------------------------

    @work(thread=True, exclusive=True, group="registry", exit_on_error=False)
    def reload_registry(self, force: bool = False) -> None:
        """Re-read the registry when another writer (the CLI, another login node) changed it."""
        registry = self.registry
        if registry is None:
            return
        try:
            version = registry.data_version()
            if not force and version == self._data_version:
                return
            jobs = registry.list_jobs()
            groups = registry.list_groups()
        except Exception as exc:
            log.exception("registry read failed")
            self.call_from_thread(self._report_problem, "registry", f"registry: {exc}")
            return
        self.call_from_thread(self._registry_read, jobs, version, groups)

    def _registry_read(self, jobs: list[Job], version: int, groups: list[JobGroup]) -> None:
        self._data_version = version
        self._reported_problems.pop("registry", None)
        self._replace_jobs(jobs, groups)

    def _replace_jobs(
        self, jobs: Iterable[Job], groups: Iterable[JobGroup] = (), *, announce: bool = True
    ) -> None:
        new = {job.id: job for job in jobs}
        if announce:
            self._announce_transitions(new.values())
        self.snapshot = JobsSnapshot(
            jobs=new,
            loading=False,
            updated_at=self.snapshot.updated_at or self.now(),
            problem=None,
            groups={group.id: group for group in groups},
        )
        self.jobs_signal.publish(self.snapshot)

    def _merge_job(self, job: Job) -> None:
        self._announce_transitions([job])
        jobs = dict(self.snapshot.jobs)
        jobs[job.id] = job
        self.snapshot = JobsSnapshot(
            jobs=jobs, loading=False, updated_at=self.now(), groups=self.snapshot.groups
        )
        self.jobs_signal.publish(self.snapshot)

    def _announce_transitions(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            before = self.snapshot.jobs.get(job.id)
            if before is None or before.is_terminal or not job.is_terminal:
                continue
            label = status_label(job.status, ascii_only=self.ascii_only)
            severity = "information" if job.status == JobStatus.COMPLETED else "warning"
            name = inert(job.name, single_line=True)
            self.notify(
                f"{name} ({job.id}): {label}", title="Job finished", severity=severity, markup=False
            )
            self.bell()

    # --- provider polling -------------------------------------------------------------

    def poll_interval(self, job: Job) -> float:
        if self.config is not None and job.profile in self.config.profiles:
            return self.config.profiles[job.profile].poll_interval
        return DEFAULT_POLL_SECONDS

    def poll_due_jobs(self) -> None:
        if self.service is None:
            return
        for job in self.schedule.due(list(self.snapshot.jobs.values()), time.monotonic()):
            if job.id not in self._polling:
                self._polling.add(job.id)
                self.run_worker(self._poll(job), group="poll", exit_on_error=False)

    async def _poll(self, job: Job, *, force: bool = False) -> None:
        from batchtui.core.errors import BatchtuiError

        assert self.service is not None
        interval = self.poll_interval(job)
        try:
            if force:
                updated = await self.service.refresh(job, force=True)
            else:
                # Another TUI (another login node) may hold the lease: it polls, we read.
                updated, _asked = await self.service.poll(
                    job, holder=self.lease_holder, lease_seconds=lease_seconds(interval)
                )
        except BatchtuiError as exc:
            wait = self.schedule.failed(job.id, time.monotonic(), interval)
            self._report_problem(job.profile, f"{exc} (retrying in {wait:.0f}s)")
        except Exception as exc:
            log.exception("refresh of %s failed", job.id)
            wait = self.schedule.failed(job.id, time.monotonic(), interval)
            self._report_problem(job.profile, f"refresh {job.id}: {exc} (retrying in {wait:.0f}s)")
        else:
            self.schedule.succeeded(job.id, time.monotonic(), interval)
            self._reported_problems.pop(job.profile, None)
            self._merge_job(updated)
        finally:
            self._polling.discard(job.id)

    async def _reconcile_leftovers(self) -> None:
        """Settle jobs a killed submit left in `submitting` (as every CLI command does)."""
        from batchtui.core.errors import BatchtuiError

        assert self.service is not None and self.config is not None
        for job in list(self.snapshot.jobs.values()):
            if job.status is not JobStatus.SUBMITTING or job.profile not in self.config.profiles:
                continue
            try:
                settled = await self.service.reconcile(job)
            except BatchtuiError as exc:
                self._report_problem(job.profile, f"job {job.id} is still submitting: {exc}")
                continue
            if settled.status is not JobStatus.SUBMITTING:
                self._merge_job(settled)

    def _report_problem(self, source: str, message: str) -> None:
        """One toast per new problem (not one per failed poll); the status line keeps it."""
        message = inert(message, single_line=True)
        log.warning("%s: %s", source, message)
        self.activity_signal.publish(message)
        if self._reported_problems.get(source) != message.split(" (retrying")[0]:
            self._reported_problems[source] = message.split(" (retrying")[0]
            self.notify(message, title=source, severity="error", markup=False, timeout=8)

    def action_refresh(self) -> None:
        """Re-read the registry and ask the provider about every running job now."""
        self.schedule.force()
        self.reload_registry(force=True)
        self.poll_due_jobs()
        self.activity_signal.publish("refreshing…" if not self.ascii_only else "refreshing...")

    def refresh_job(self, job_id: str) -> None:
        job = self.get_job(job_id)
        if job is None or self.service is None or job.remote_id is None:
            return
        if job.id not in self._polling:
            self._polling.add(job.id)
            self.run_worker(self._poll(job, force=True), group="poll", exit_on_error=False)

    # --- actions shared by screens ----------------------------------------------------

    def action_help(self) -> None:
        from batchtui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_detail(self, job_id: str) -> None:
        from batchtui.tui.screens.detail import DetailScreen

        if self.get_job(job_id) is not None:
            self.push_screen(DetailScreen(job_id))

    def open_results(self, job_id: str | None = None, path: Path | None = None) -> None:
        job = self.get_job(job_id)
        if job_id is not None and job is None:
            return
        if job is not None and not job.status.may_have_results:
            self.notify(
                f"{job.id} is {job.status.value}: no results yet", severity="warning", markup=False
            )
            return
        try:
            from batchtui.tui.screens.results import ResultsScreen
        except ImportError:
            self.notify("The result viewer is not available in this build", severity="error")
            return
        self.push_screen(ResultsScreen(job=job, path=path))

    def action_compose(self) -> None:
        try:
            from batchtui.tui.screens.compose import ComposeScreen
        except ImportError:
            self.notify("The composer is not available in this build", severity="error")
            return
        self.push_screen(ComposeScreen())

    def action_validate(self) -> None:
        from batchtui.tui.screens.confirm import PromptScreen

        def open_validator(answer: str | None) -> None:
            if answer is None:
                return
            try:
                from batchtui.tui.screens.validate import ValidateScreen
            except ImportError:
                self.notify("The validator is not available in this build", severity="error")
                return
            path = Path(answer).expanduser() if answer.strip() else None
            self.push_screen(ValidateScreen(path=path))

        self.push_screen(
            PromptScreen(
                "Validate a JSONL file",
                placeholder="path/to/requests.jsonl (empty: pick a file)",
            ),
            open_validator,
        )

    def copy_job_id(self, job_id: str) -> None:
        # OSC 52: reaches the local clipboard over SSH when the terminal (and tmux) allow it.
        self.copy_to_clipboard(job_id)
        self.notify(f"Copied {job_id} (OSC 52; tmux needs set-clipboard on)", markup=False)

    def cancel_job(self, job_id: str) -> None:
        from batchtui.tui.screens.confirm import ConfirmScreen

        job = self.get_job(job_id)
        if job is None:
            return
        if job.is_terminal:
            self.notify(f"{job.id} is already {job.status.value}", severity="warning", markup=False)
            return
        if self.service is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._cancel(job), group="cancel", exit_on_error=False)

        name = inert(job.name, single_line=True)
        self.push_screen(
            ConfirmScreen(
                f"Cancel {name} ({job.id})?", "Requests already done keep their results."
            ),
            confirmed,
        )

    async def _cancel(self, job: Job) -> None:
        assert self.service is not None
        self.activity_signal.publish(f"cancelling {job.id}…")
        try:
            updated = await self.service.cancel(job)
        except Exception as exc:
            log.exception("cancel failed")
            self._report_problem(job.profile, f"cancel {job.id}: {exc}")
            return
        self._merge_job(updated)
        self.activity_signal.publish(f"cancel requested for {job.id}")
        self.notify(f"Cancel requested for {job.id}", markup=False)

    def group_shards(self, group_id: str) -> list[Job]:
        """The shards of a group as the app knows them now, in shard order."""
        shards = [job for job in self.snapshot.jobs.values() if job.group_id == group_id]
        return sorted(shards, key=lambda shard: shard.shard_index or 0)

    def cancel_group(self, group_id: str) -> None:
        from batchtui.tui.screens.confirm import ConfirmScreen

        group = self.snapshot.groups.get(group_id)
        running = [s for s in self.group_shards(group_id) if s.remote_id and not s.is_terminal]
        if group is None or self.service is None:
            return
        if not running:
            self.notify(f"{group_id} has no running shard", severity="warning", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                for shard in running:
                    self.run_worker(self._cancel(shard), group="cancel", exit_on_error=False)

        name = inert(group.name, single_line=True)
        self.push_screen(
            ConfirmScreen(
                f"Cancel {name} ({group_id}): {len(running)} running shards?",
                "Requests already done keep their results.",
            ),
            confirmed,
        )

    def download_dir(self, target_id: str) -> Path:
        """`<download_dir>/batchtui-<id>/` (`download_dir` in [settings], else the cwd)."""
        from batchtui.core.downloads import job_download_dir
        from batchtui.core.errors import BatchtuiError

        if self.config is None:
            return Path.cwd() / f"batchtui-{target_id}"
        try:
            folder = job_download_dir(self.config.settings, target_id, config_path=self.config.path)
        except BatchtuiError as exc:
            self.notify(str(exc), severity="error", markup=False)
            folder = Path(f"batchtui-{target_id}")
        return folder.absolute()

    def download_group(self, group_id: str) -> None:
        """Every shard with results, each into `<download dir>/batchtui-<group>/shard-NN/`."""
        shards = [s for s in self.group_shards(group_id) if s.status.may_have_results]
        if not shards or self.service is None:
            self.notify(f"{group_id}: no shard has results yet", severity="warning", markup=False)
            return
        root = self.download_dir(group_id)
        self.notify(f"Downloading {len(shards)} shards into {root}", markup=False)
        for shard in shards:
            dest = root / f"shard-{shard.shard_index or 0:02d}"
            self.run_worker(
                self._download(shard, dest), group=f"download:{shard.id}", exclusive=True
            )

    def download_job(self, job_id: str) -> None:
        job = self.get_job(job_id)
        if job is None or self.service is None:
            return
        if not job.status.may_have_results:
            self.notify(
                f"{job.id} is {job.status.value}: nothing to download yet",
                severity="warning",
                markup=False,
            )
            return
        dest = self.download_dir(job.id)
        self.notify(f"Downloading {job.id} into {dest}", markup=False)
        self.run_worker(self._download(job, dest), group=f"download:{job.id}", exclusive=True)

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
            self.transfer_signal.publish(Transfer(label, done, total, rate))

        return progress

    def transfer_done(self, label: str) -> None:
        self.transfer_signal.publish(Transfer(label, 0, None, None, finished=True))

    async def _download(self, job: Job, dest: Path) -> None:
        assert self.service is not None
        label = f"downloading {job.id}"
        try:
            paths = await self.service.download(job, dest, progress=self.transfer_progress(label))
        except Exception as exc:
            log.exception("download failed")
            self._report_problem(job.profile, f"download {job.id}: {exc}")
            return
        finally:
            self.transfer_done(label)
        where = ", ".join(str(path) for path in paths) or str(dest)
        self.activity_signal.publish(f"downloaded {job.id}")
        self.notify(f"Downloaded {job.id}: {where}", title="Download", markup=False, timeout=10)
        self.reload_registry(force=True)

    # --- retry and export -------------------------------------------------------------

    def retry_target(self, target_id: str) -> None:
        """Download the results, show what a retry would send, and submit it on yes."""
        group = self.snapshot.groups.get(target_id)
        job = self.get_job(target_id)
        if self.service is None or (group is None and job is None):
            return
        if job is not None and not job.is_terminal:
            self.notify(
                f"{job.id} is {job.status.value}: retry once it has ended",
                severity="warning",
                markup=False,
            )
            return
        target: Job | JobGroup = group if group is not None else job  # type: ignore[assignment]
        self.run_worker(self._plan_retry(target), group="retry", exclusive=True)

    async def _plan_retry(self, target: Job | JobGroup) -> None:
        from batchtui.core.families import plan_group_retry, plan_retry
        from batchtui.core.models import JobGroup
        from batchtui.tui.screens.confirm import ConfirmScreen

        assert self.service is not None
        label = f"downloading the results of {target.id}"
        self.activity_signal.publish(f"preparing the retry of {target.id}…")
        progress = self.transfer_progress(label)
        try:
            if isinstance(target, JobGroup):
                plans = await plan_group_retry(self.service, target, progress=progress)
            else:
                plans = [await plan_retry(self.service, target, progress=progress)]
        except Exception as exc:
            log.exception("retry plan failed")
            self._report_problem(target.profile, f"retry {target.id}: {exc}")
            return
        finally:
            self.transfer_done(label)
        self.reload_registry(force=True)
        todo = [plan for plan in plans if plan.report.path is not None]
        if not todo:
            self.notify(f"{target.id}: every request succeeded, nothing to retry", markup=False)
            return
        requests = sum(plan.report.written for plan in todo)
        jobs = "a new job" if len(todo) == 1 else f"{len(todo)} new jobs (one per shard)"
        detail = "\n".join(
            inert(f"{plan.parent.id}: {plan.report.describe()}", single_line=True) for plan in plans
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._submit_retries(todo), group="retry", exit_on_error=False)

        self.push_screen(
            ConfirmScreen(f"Retry {requests:,} requests of {target.id} as {jobs}?", detail),
            confirmed,
        )

    async def _submit_retries(self, plans: list[RetryPlan]) -> None:
        from batchtui.core.families import submit_retry

        assert self.service is not None
        for plan in plans:
            self.activity_signal.publish(f"submitting the retry of {plan.parent.id}…")
            try:
                child = await submit_retry(self.service, plan)
            except Exception as exc:
                log.exception("retry submit failed")
                self._report_problem(plan.parent.profile, f"retry {plan.parent.id}: {exc}")
                continue
            self.notify(
                f"{plan.report.written:,} requests of {plan.parent.id} resubmitted as {child.id}",
                title="Retry",
                markup=False,
            )
        self.reload_registry(force=True)

    def export_target(self, target_id: str) -> None:
        """CSV of one row per request (retries merged, prompts joined when the input is
        there) into the target's download folder."""
        target = self.snapshot.groups.get(target_id) or self.get_job(target_id)
        if target is None or self.service is None:
            return
        self.run_worker(self._export(target), group=f"export:{target_id}", exclusive=True)

    async def _export(self, target: Job | JobGroup) -> None:
        from batchtui.core.families import export_results, merged_input_available

        assert self.service is not None
        out = self.download_dir(target.id) / "export.csv"
        label = f"downloading the results of {target.id}"
        self.activity_signal.publish(f"exporting {target.id}…")
        try:
            join = await asyncio.to_thread(merged_input_available, self.service.registry, target)
            summary, _notes = await export_results(
                self.service,
                target,
                out,
                "csv",
                join_input=join,
                progress=self.transfer_progress(label),
            )
        except Exception as exc:
            log.exception("export failed")
            self._report_problem(target.profile, f"export {target.id}: {exc}")
            return
        finally:
            self.transfer_done(label)
        self.activity_signal.publish(f"exported {target.id} to {out}")
        self.notify(
            f"{summary.rows:,} rows ({summary.failed:,} failed) written to {out}",
            title="Export",
            markup=False,
            timeout=10,
        )
        self.reload_registry(force=True)

    def start_demo(self) -> None:
        """From the welcome screen: switch this session to the demo (temporary files)."""
        from batchtui.demo import DemoRun

        if self.demo is not None:
            return
        self.demo = DemoRun()
        self.config = None
        self.registry = None
        self.snapshot = JobsSnapshot()
        self.jobs_signal.publish(self.snapshot)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, JobsScreen):
            self.pop_screen()
        self.load()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Refresh jobs", "Re-read the registry and poll running jobs", self.action_refresh
        )
        yield SystemCommand(
            "Compose a batch", "Build a JSONL batch from a dataset", self.action_compose
        )
        yield SystemCommand("Validate a file", "Check a JSONL batch file", self.action_validate)
        yield SystemCommand("All keys", "Every key of every screen (?)", self.action_help)
        yield SystemCommand(
            "Add a profile", "Configure a provider connection", self._open_profile_form
        )
        if self.demo is None:
            yield SystemCommand(
                "Start the demo", "Simulated provider and sample jobs", self.start_demo
            )

    def _open_profile_form(self) -> None:
        from batchtui.tui.screens.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen(form_only=True))

    def notify(self, message: str, *, title: str = "", **options: Any) -> None:  # type: ignore[override]
        """Every toast passes the terminal rule: messages quote providers, files and configs."""
        super().notify(inert(message), title=inert(title, single_line=True), **options)

    async def action_quit(self) -> None:
        if self.registry is not None:
            try:
                # Another TUI takes over polling at once, not when the leases expire.
                await asyncio.to_thread(self.registry.release_poll_leases, self.lease_holder)
            except Exception:
                log.exception("releasing poll leases failed")
        if self.service is not None:
            try:
                await self.service.aclose()
            except Exception:
                log.exception("closing provider connections failed")
        self.exit(0)


def _setup_debug_log() -> Path:
    from batchtui.core.paths import ensure_private_dir, state_dir

    directory = ensure_private_dir(state_dir())
    path = directory / DEBUG_LOG_NAME
    # Private whatever the umask (it logs provider answers); an older log made 0644 too.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    os.chmod(path, 0o600)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("batchtui")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return path


def run_tui(*, demo: bool = False, no_mouse: bool = False, debug: bool = False) -> int:
    """Run the TUI until the user quits; the return value is the process exit code."""
    if demo:
        from batchtui.demo import run_demo

        return run_demo(no_mouse=no_mouse, debug=debug)
    return run_app(BatchtuiApp(debug=debug), no_mouse=no_mouse, debug=debug)


def run_app(app: BatchtuiApp, *, no_mouse: bool = False, debug: bool = False) -> int:
    if debug:
        path = _setup_debug_log()
        log.info("debug log started: %s", path)
    else:
        # Without a handler, logging's last resort would write warnings over the screen.
        logging.getLogger("batchtui").addHandler(logging.NullHandler())
    try:
        result = app.run(mouse=not no_mouse)
    finally:
        if app.demo is not None:
            app.demo.close()
    if app.return_code not in (None, 0):
        return app.return_code
    return result or 0
