"""The batchtui app: navigation, theme, bindings and the command palette.

First paint comes before most imports: on a terminal the first screen is `StartScreen`
(Textual and light modules), which shows the job list's first page read straight from the
registry file; the job list, the job monitor and what they need (pydantic models, the
config, the provider kinds) are imported in a thread once it is painted, then the job list
covers it with the same rows once its own first read is in (tests, headless, get the job
list at once).
The job monitor (config, registry, polls; Textual-free, in `core.jobs.monitor`) loads next,
then re-reads the registry every couple of seconds (only when it changed) and polls running
jobs in async workers, each on its own backoff schedule. The actions screens share live in
`tui.controller`; screens see the app through `tui.shell.Shell`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal

from batchtui.core.registry import loop_guard
from batchtui.core.terminal_text import inert, locale_is_utf8
from batchtui.tui.screens.start import StartScreen
from batchtui.tui.shell import Transfer
from batchtui.tui.theme import THEME_ENV, choose_theme
from batchtui.tui.typeahead import TypeAheadApp, open_screen

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.jobs.listing import PageRequest
    from batchtui.core.jobs.monitor import JobMonitor, JobsSnapshot
    from batchtui.core.models import Job
    from batchtui.core.registry import Registry
    from batchtui.core.registry.async_registry import AsyncRegistry
    from batchtui.core.registry.read_ahead import FirstPageRead
    from batchtui.core.service import JobService
    from batchtui.core.unattended import Notifier
    from batchtui.tui.controller import ShellActions

__all__ = ["BatchtuiApp", "DemoSession", "Transfer", "run_app", "run_tui"]

log = logging.getLogger("batchtui.tui")

EXIT_AFTER_FIRST_PAINT_ENV = "BATCHTUI_EXIT_AFTER_FIRST_PAINT"
DEBUG_LOG_NAME = "tui-debug.log"
DEFAULT_EXECUTOR_THREADS = 64
# How long the first screen waits for its rows before the job list's imports start, and how
# long the job list's own first read may take before it covers the first screen anyway.
FIRST_ROWS_WAIT_SECONDS = 1.0
HANDOVER_WAIT_SECONDS = 3.0


def _import_for_the_job_list() -> None:
    """What the job list needs beyond Textual: imported (in a thread) once the first
    screen is painted."""
    import batchtui.core.jobs.monitor
    import batchtui.core.providers.netpolicy
    import batchtui.core.registry.store
    import batchtui.core.unattended
    import batchtui.tui.controller
    import batchtui.tui.screens.jobs  # noqa: F401


class DemoSession(Protocol):
    """What the app needs from a demo session (the entry point makes one: the app does not
    import `batchtui.demo`)."""

    def start(self) -> None:
        """Start the simulator and write the demo config (runs in a thread)."""

    async def submit_samples(self, service: JobService) -> None:
        """Submit the sample jobs (runs in an async worker once the service exists)."""

    def close(self) -> None: ...


class _DriverTerminal:
    """The terminal as Textual drives it, for notification sequences (as its own OSC 52)."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app

    def isatty(self) -> bool:
        return self.app._driver is not None

    def write(self, text: str) -> None:
        if self.app._driver is not None:
            self.app._driver.write(text)

    def flush(self) -> None:
        pass


class BatchtuiApp(TypeAheadApp[int]):
    # Absolute: Textual resolves a relative CSS_PATH from the file of the (sub)class.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "batchtui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key of every screen"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave batchtui"),
        Binding(
            "ctrl+z",
            "suspend_process",
            "Suspend",
            show=False,
            id="suspend",
            tooltip="Back to the shell; `fg` returns",
        ),
        # Priority: the focus moves as the key arrives, so the keys typed or pasted after a
        # tab in one burst reach the next field (Textual routes each key to the widget
        # focused when it arrives; a plain tab binding moves focus only after the keys
        # before it have bubbled through, by which time the rest went to the old field).
        Binding(
            "tab",
            "focus_next",
            "Next field",
            show=False,
            priority=True,
            id="focus-next",
            tooltip="Next field or widget",
        ),
        Binding(
            "shift+tab",
            "focus_previous",
            "Previous field",
            show=False,
            priority=True,
            id="focus-previous",
            tooltip="Previous field or widget",
        ),
    ]
    # Textual's own palette entries the app's "All keys" (and the screens) already cover.
    HIDDEN_SYSTEM_COMMANDS: ClassVar[frozenset[str]] = frozenset({"Keys", "Maximize", "Minimize"})

    def __init__(
        self,
        *,
        config: Config | None = None,
        registry: Registry | None = None,
        demo: DemoSession | None = None,
        demo_factory: Callable[[], DemoSession] | None = None,
        debug: bool = False,
        now: Callable[[], datetime] | None = None,
        ascii_only: bool | None = None,
        theme: str | None = None,
        refresh_seconds: float | None = None,
        poll: bool = True,
        first_page: FirstPageRead | None = None,
    ) -> None:
        super().__init__()
        self.first_page = first_page  # the registry's first page, read as the process began
        self.demo = demo
        self.demo_factory = demo_factory
        self.debug_enabled = debug
        self._now = now
        self.ascii_only = (not locale_is_utf8()) if ascii_only is None else ascii_only
        self._theme_given = theme is not None
        self._theme_problem: str | None = None
        self._warned: list[str] = []  # the config warnings shown last (not repeated on reload)
        self._notifier_for: Config | None = None
        self._stop_notices: Callable[[], None] = lambda: None
        self._notifier_instance: Notifier | None = None
        self._use_theme(theme or choose_theme())
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"
        self.refresh_seconds = refresh_seconds
        self.poll_enabled = poll
        self.jobs_signal: Signal[JobsSnapshot] = Signal(self, "jobs")
        self.activity_signal: Signal[str] = Signal(self, "activity")
        # Downloads in progress: bytes, total and rate, for the screens' progress bars.
        self.transfer_signal: Signal[Transfer] = Signal(self, "transfer")
        self._given = (config, registry)
        # Made on first use (the job list's first read, a test): importing them is most of
        # the start-up time, which on a terminal comes after the first paint.
        self._monitor: JobMonitor | None = None
        self._actions: ShellActions | None = None
        self._timers_started = False
        self._start_left = False  # the job list covers the first screen
        # `[keys]` of config.toml as applied (checked entries only), and what was said about it.
        self.key_remaps: dict[str, str] = {}
        self._keymap_warned: set[str] = set()

    def _use_theme(self, name: str, *, setting: str = THEME_ENV) -> None:
        if name in self.available_themes:
            self.theme = name
            return
        from batchtui.core.themes import theme_problem

        self.theme = choose_theme({**os.environ, THEME_ENV: ""})
        self._theme_problem = theme_problem(name, setting=setting)

    # --- the Shell contract ---------------------------------------------------------------

    @property
    def monitor(self) -> JobMonitor:
        if self._monitor is None:
            from batchtui.core.jobs.monitor import JobMonitor

            config, registry = self._given
            self._monitor = JobMonitor(
                self, config=config, registry=registry, debug=self.debug_enabled, now=self._now
            )
        return self._monitor

    @monitor.setter
    def monitor(self, monitor: JobMonitor) -> None:
        self._monitor = monitor

    @property
    def config(self) -> Config | None:
        return self.monitor.config

    @property
    def registry(self) -> AsyncRegistry | None:
        return self.monitor.registry

    @property
    def service(self) -> JobService | None:
        return self.monitor.service

    @property
    def snapshot(self) -> JobsSnapshot:
        return self.monitor.snapshot

    @property
    def actions(self) -> ShellActions:
        if self._actions is None:
            from batchtui.tui.controller import ShellActions

            self._actions = ShellActions(self)
        return self._actions

    @property
    def lease_holder(self) -> str:
        """Who this process is in the registry's poll leases."""
        return self.monitor.lease_holder

    @property
    def demo_active(self) -> bool:
        return self.demo is not None

    def now(self) -> datetime:
        return self._now() if self._now else datetime.now(UTC)

    @property
    def jobs(self) -> dict[str, Job]:
        return self.monitor.snapshot.jobs

    def get_job(self, job_id: str | None) -> Job | None:
        return self.monitor.snapshot.jobs.get(job_id) if job_id else None

    @property
    def active_profile(self) -> str | None:
        return self.config.meant_profile() if self.config is not None else None

    # --- MonitorEvents: what the monitor tells the app ------------------------------------

    def published(self, snapshot: JobsSnapshot) -> None:
        self.jobs_signal.publish(snapshot)

    def finished(self, job: Job) -> None:
        from batchtui.core.jobview import status_label
        from batchtui.core.status import JobStatus

        label = status_label(job.status, ascii_only=self.ascii_only)
        severity = "information" if job.status == JobStatus.COMPLETED else "warning"
        name = inert(job.name, single_line=True)
        self.notify(
            f"{name} ({job.id}): {label}", title="Job finished", severity=severity, markup=False
        )
        notifier = self._notifier()
        if notifier is None:
            self.bell()
            return
        if not notifier.first_time(job):
            return
        if self.config is not None and self.config.notify.bell:
            self.bell()
        # The same [notify] settings as `watch --notify`: bell and desktop notification on
        # the terminal Textual owns, the command in a thread (it may take a while).
        notifier.announce(job)
        if notifier.exec_command:
            self.run_worker(
                partial(notifier.run_command, job), thread=True, group="notify", exit_on_error=False
            )

    def _notifier(self) -> Notifier | None:
        config = self.config
        if config is None:
            return None
        if self._notifier_for is not config:
            from batchtui.core.jobjson import job_summary
            from batchtui.core.unattended import Notifier

            self._notifier_for = config
            # Textual rings the bell itself (`bell`); the notifier writes the rest.
            self._notifier_instance = Notifier(
                config.notify.model_copy(update={"bell": False}),
                config_path=config.path,
                terminal=_DriverTerminal(self),
                job_json=job_summary,
                warn=lambda message: self.call_later(self._notify_warning, message),
            )
        return self._notifier_instance

    def _notify_warning(self, message: str) -> None:
        self.notify(inert(message, single_line=True), severity="warning", markup=False)

    def problem(self, source: str, message: str, *, first: bool) -> None:
        self.activity_signal.publish(message)
        if first:
            self.notify(message, title=source, severity="error", markup=False, timeout=8)

    def config_loaded(self, config: Config) -> None:
        configured_theme = config.settings.theme
        if configured_theme and not self._theme_given and THEME_ENV not in os.environ:
            self._use_theme(configured_theme, setting=f"{config.path}: settings.theme")
        warnings = [self._theme_problem] if self._theme_problem else []
        self._theme_problem = None
        warnings += [warning for warning in config.warnings if warning not in warnings]
        if warnings and warnings != self._warned:
            # The status line names the first; each gets a toast (`doctor` lists them too).
            more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
            self.activity_signal.publish(inert(warnings[0], single_line=True) + more)
            for warning in warnings:
                self.notify(warning, severity="warning", markup=False, timeout=10)
        self._warned = warnings
        self._apply_keys(config)

    def _apply_keys(self, config: Config) -> None:
        """The `[keys]` remaps, on start-up and whenever config.toml is saved."""
        from batchtui.tui.keymap import checked_keymap

        remaps, problems = checked_keymap(config.keys, where=str(config.path))
        if remaps != self.key_remaps:
            self.key_remaps = remaps
            self.set_keymap(remaps)
        for problem in problems:
            if problem not in self._keymap_warned:
                self._keymap_warned.add(problem)
                self.notify(problem, severity="warning", markup=False, timeout=10)

    # --- start-up and refresh -------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        if not self.is_headless:
            # A demo, or a registry given, is not the file the first screen would read.
            own_registry = self.demo is None and self._given == (None, None)
            return StartScreen(
                ascii_only=self.ascii_only,
                read_jobs=own_registry,
                reading=self.first_page if own_registry else None,
                now=self.now,
                activity=self.activity_signal,
            )
        from batchtui.tui.screens.jobs import JobsScreen

        return JobsScreen()

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        loop_guard.guard(loop)
        # The job service's registry calls wait in the loop's default executor while another
        # process holds the file locked; with the default handful of threads a few such
        # waits (a download, a retry, a poll) would starve every other `to_thread` call.
        loop.set_default_executor(
            ThreadPoolExecutor(max_workers=DEFAULT_EXECUTOR_THREADS, thread_name_prefix="tui")
        )
        self.call_after_refresh(self._after_first_paint)

    def _listen_to_notices(self) -> None:
        """A long Retry-After wait is announced on the status line, as the CLI prints it;
        HTTP calls may run in threads, so the notice hops onto the loop."""
        from batchtui.core.providers.netpolicy import add_notice_listener

        loop = asyncio.get_running_loop()
        self._stop_notices = add_notice_listener(
            lambda message: loop.call_soon_threadsafe(
                self.activity_signal.publish, inert(message, single_line=True)
            )
        )

    def on_unmount(self) -> None:
        self._stop_notices()
        loop_guard.unguard(asyncio.get_running_loop())

    def _after_first_paint(self) -> None:
        if os.environ.get(EXIT_AFTER_FIRST_PAINT_ENV):
            self.exit(0)
            return
        if isinstance(self.screen, StartScreen):
            self.run_worker(self._show_the_job_list, group="start", exit_on_error=False)
            return
        self._listen_to_notices()
        self.load()

    async def _show_the_job_list(self) -> None:
        """Import what the job list needs (in a thread, once the first screen's rows are
        painted: the first screen keeps answering its keys), then load the jobs; the job
        list covers the first screen once its first read is in (`_load`), or after
        `HANDOVER_WAIT_SECONDS` if that read waits on a locked file."""
        start = self.screen
        if isinstance(start, StartScreen):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(start.settled.wait(), FIRST_ROWS_WAIT_SECONDS)
        await asyncio.to_thread(_import_for_the_job_list)
        self._listen_to_notices()
        self.load()
        await asyncio.sleep(HANDOVER_WAIT_SECONDS)
        await self._leave_the_start_screen()

    async def _leave_the_start_screen(self) -> None:
        """Show the job list over the first screen (which stays under it, never shown
        again: the job list is never popped), its cursor on the job the first screen's
        cursor was on, scrolled alike, so the rows do not move."""
        start = self.screen_stack[0] if self.screen_stack else None
        if self._start_left or not isinstance(start, StartScreen):
            return
        self._start_left = True
        from batchtui.tui.screens.jobs import JobsScreen
        from batchtui.tui.widgets.status_line import StatusLine

        selected, scrolled = start.selected_job_id, start.table.scroll_offset
        screen = JobsScreen()
        await self.push_screen(screen)
        if said := start.query_one(StatusLine).message:
            screen.query_one(StatusLine).show(said)
        table = screen.table
        if selected is not None and selected in table.job_ids():
            table.move_cursor(row=table.get_row_index(selected), animate=False, scroll=False)
            table.scroll_to(scrolled.x, scrolled.y, animate=False, immediate=True)
        if start.chosen is not None:  # enter pressed on the first screen
            screen.action_detail(start.chosen)

    def load(self) -> None:
        self.run_worker(self._load, group="load", exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        """Config and registry, each on its own (demo: start the simulator first)."""
        monitor = self.monitor
        if self.demo is not None:
            try:
                await asyncio.to_thread(self.demo.start)
            except Exception as exc:
                log.exception("demo start failed")
                monitor.report_problem("demo", f"the demo cannot start: {exc}")
                return
        await monitor.load()
        await self._leave_the_start_screen()
        if not self._timers_started:
            self._timers_started = True
            config = monitor.config
            interval = self.refresh_seconds or (
                config.settings.registry_refresh_seconds if config else 2.0
            )
            self.set_interval(interval, self._tick, name="registry")
            if self.poll_enabled:
                self.set_interval(1.0, self.poll_due_jobs, name="poll")
        if self.poll_enabled:
            self.poll_due_jobs()
            if monitor.service is not None:
                self.run_worker(
                    monitor.reconcile_leftovers,
                    group="reconcile",
                    exclusive=True,
                    exit_on_error=False,
                )
        if self.demo is not None:
            self.run_worker(self.actions.submit_demo_samples, group="demo", exit_on_error=False)
        elif monitor.config is not None and not monitor.config.profiles:
            from batchtui.tui.screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen())

    def _tick(self) -> None:
        self.reload_registry()
        self.run_worker(
            self.monitor.reload_config_if_saved, group="config", exclusive=True, exit_on_error=False
        )

    def reload_registry(self, force: bool = False) -> None:
        """Re-read the registry when another writer (the CLI, another login node) changed it."""
        self.run_worker(
            partial(self.monitor.reload, force=force),
            group="registry",
            exclusive=not force,
            exit_on_error=False,
        )

    def request_page(self, request: PageRequest) -> None:
        """Show this window of the job list (filter, sort or scroll position moved)."""
        self.monitor.request = request
        self.run_worker(
            partial(self.monitor.reload_page, request), group="page", exclusive=True,
            exit_on_error=False,
        )  # fmt: skip

    def reload_config(self) -> None:
        """Read config.toml again (after `r`, or a profile saved): a broken one keeps the
        config in use and shows why in the header."""
        self.run_worker(self.monitor.reload_config, group="config", exit_on_error=False)

    def use_config(self, config: Config) -> None:
        """Adopt a config read elsewhere (the profile form saved one)."""
        self.monitor.adopt_config(config)

    def poll_due_jobs(self) -> None:
        if due := self.monitor.take_due():
            self.run_worker(partial(self.monitor.poll_many, due), group="poll", exit_on_error=False)

    def action_refresh(self) -> None:
        """Re-read the config and the registry, and ask the provider about every running job."""
        self.reload_config()
        self.reload_registry(force=True)
        if due := self.monitor.take_due(force=True):
            self.run_worker(
                partial(self.monitor.poll_many, due, force=True), group="poll", exit_on_error=False
            )
        self.activity_signal.publish("refreshing…" if not self.ascii_only else "refreshing...")

    # --- navigation -----------------------------------------------------------------------

    def action_help(self) -> None:
        from batchtui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_detail(self, job_id: str) -> None:
        from batchtui.tui.screens.detail import DetailScreen

        if self.get_job(job_id) is not None:
            self.monitor.pin(job_id)  # fresh while shown, even once off the list's page
            self.push_screen(DetailScreen(job_id))

    def open_group(self, group_id: str) -> None:
        """The group detail: shards, summed progress and cost, actions on every shard."""
        from batchtui.tui.screens.group_detail import GroupDetailScreen

        if group_id in self.snapshot.groups:
            for shard in self.actions.group_shards(group_id):
                self.monitor.pin(shard.id)  # fresh while shown, even once off the page
            self.push_screen(GroupDetailScreen(group_id))

    def open_results(self, job_id: str | None = None, path: Path | None = None) -> None:
        job = self.get_job(job_id)
        if job_id is not None and job is None:
            return
        if job is not None and not job.status.may_have_results:
            self.notify(
                f"{job.id} is {job.status.value}: no results yet", severity="warning", markup=False
            )
            return
        if job is not None and job.output_path is None and job.error_path is None:
            from batchtui.core.downloads import found_on_disk

            # Files a download left whole where the registry could not record them.
            job = found_on_disk(job, self.actions.destination(job))
        from batchtui.tui.screens.results import ResultsScreen

        self.push_screen(ResultsScreen(job=job, path=path))

    async def action_compose(self) -> None:
        from batchtui.tui.screens.compose import ComposeScreen

        await open_screen(self, ComposeScreen())

    async def action_validate(self) -> None:
        from batchtui.tui.screens.confirm import PromptScreen
        from batchtui.tui.screens.validate import ValidateScreen

        def open_validator(answer: str | None) -> None:
            if answer is None:
                return
            path = Path(answer).expanduser() if answer.strip() else None
            self.push_screen(ValidateScreen(path=path))

        await open_screen(
            self,
            PromptScreen(
                "Validate a JSONL file",
                placeholder="path/to/requests.jsonl (empty: pick a file)",
            ),
            open_validator,
        )

    def action_submit_file(self) -> None:
        """Pick a file, then the one submit flow (estimate shown, asked once)."""
        from batchtui.tui.submit_flow import start_submit
        from batchtui.tui.widgets.file_picker import FilePicker

        def picked(path: Path | None) -> None:
            if path is not None:
                start_submit(self.screen, path)

        self.push_screen(FilePicker(title="Submit which file (enter or ctrl+t)"), picked)

    def start_demo(self) -> None:
        """From the welcome screen: switch this session to the demo (temporary files)."""
        if self.demo is not None or self.demo_factory is None:
            return
        from batchtui.core.jobs.monitor import JobMonitor
        from batchtui.tui.screens.jobs import JobsScreen

        self.demo = self.demo_factory()
        self.monitor = JobMonitor(self, debug=self.debug_enabled, now=self._now)
        self.jobs_signal.publish(self.monitor.snapshot)
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, JobsScreen):
            self.pop_screen()
        self.load()

    def action_help_quit(self) -> None:
        """ctrl+c: say how this app quits (Textual's own message names ctrl+q)."""
        self.notify("Press q to quit batchtui (ctrl+z suspends it)", title="Quit?", markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in self.HIDDEN_SYSTEM_COMMANDS:
                yield command
        yield SystemCommand(
            "Refresh jobs", "Re-read the registry and poll running jobs", self.action_refresh
        )
        yield SystemCommand(
            "Compose a batch", "Build a JSONL batch from a dataset", self.action_compose
        )
        yield SystemCommand("Validate a file", "Check a JSONL batch file", self.action_validate)
        yield SystemCommand(
            "Submit a file", "Pick a JSONL file and submit it (asks first)", self.action_submit_file
        )
        yield SystemCommand("All keys", "Every key of every screen (?)", self.action_help)
        yield SystemCommand(
            "Profiles", "List, add, edit, test and remove profiles (P)", self.action_profiles
        )
        yield SystemCommand(
            "Add a profile", "Configure a provider connection", self._open_profile_form
        )
        if self.demo is None and self.demo_factory is not None:
            yield SystemCommand(
                "Start the demo", "Simulated provider and sample jobs", self.start_demo
            )

    def _open_profile_form(self) -> None:
        from batchtui.tui.screens.profile_form import ProfileFormScreen

        self.push_screen(ProfileFormScreen())

    def action_profiles(self) -> None:
        from batchtui.tui.screens.profiles import ProfilesScreen

        if not isinstance(self.screen, ProfilesScreen):
            self.push_screen(ProfilesScreen())

    def notify(self, message: str, *, title: str = "", **options: Any) -> None:  # type: ignore[override]
        """Every toast passes the terminal rule: messages quote providers, files and configs.
        A screen whose content toasts would cover (`NOTICES_ON_STATUS_LINE`) gets the
        message on its status line instead."""
        if getattr(self.screen, "NOTICES_ON_STATUS_LINE", False):
            shown = f"{title}: {message}" if title else message
            self.activity_signal.publish(inert(shown, single_line=True))
            return
        super().notify(inert(message), title=inert(title, single_line=True), **options)

    async def action_quit(self) -> None:
        if self._monitor is not None:  # quitting from the first screen: nothing to release
            await self._monitor.release_leases()
            await self._monitor.aclose()
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


def run_tui(
    *,
    demo: DemoSession | None = None,
    demo_factory: Callable[[], DemoSession] | None = None,
    no_mouse: bool = False,
    debug: bool = False,
    first_page: FirstPageRead | None = None,
) -> int:
    """Run the TUI until the user quits; the return value is the process exit code.

    `demo`: run this demo session now (`--demo`); `demo_factory`: how the welcome screen
    and the palette start one later; `first_page`: the registry's first page, its read
    started by the entry point before Textual was imported."""
    app = BatchtuiApp(demo=demo, demo_factory=demo_factory, debug=debug, first_page=first_page)
    return run_app(app, no_mouse=no_mouse, debug=debug)


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
