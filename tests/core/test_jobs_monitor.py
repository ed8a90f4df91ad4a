"""The refresh loop without a terminal: loading, data_version, polls, leases, transitions."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from batchtui.core.config import Config, Profile
from batchtui.core.jobs.monitor import JobMonitor, JobsSnapshot
from batchtui.core.models import Job
from batchtui.core.registry import Registry, loop_guard
from batchtui.core.status import JobStatus

KEY_ENV = "BATCHTUI_MONITOR_TEST_KEY"


@dataclass
class Events:
    """A `MonitorEvents` that remembers what it was told."""

    snapshots: list[JobsSnapshot] = field(default_factory=list)
    finished_ids: list[str] = field(default_factory=list)
    problems: list[tuple[str, str, bool]] = field(default_factory=list)
    configs: list[Config] = field(default_factory=list)

    def published(self, snapshot: JobsSnapshot) -> None:
        self.snapshots.append(snapshot)

    def finished(self, job: Job) -> None:
        self.finished_ids.append(job.id)

    def problem(self, source: str, message: str, *, first: bool) -> None:
        self.problems.append((source, message, first))

    def config_loaded(self, config: Config) -> None:
        self.configs.append(config)


def job(number: int, status: JobStatus = JobStatus.IN_PROGRESS, **fields: object) -> Job:
    values: dict[str, object] = {
        "id": f"bt-mon{number:03d}",
        "name": f"job-{number}",
        "profile": "sim",
        "kind": "openai",
        "tag": f"00000000-0000-0000-0000-{number:012d}",
        "status": status,
        "remote_id": f"batch_{number}",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return Job.model_validate(values)


@pytest.fixture(autouse=True)
def _guarded_loop() -> object:
    """The monitor runs on a loop that must not block: any sync registry call on it fails."""
    loop_guard.enable()
    yield
    found = list(loop_guard.violations)
    loop_guard.enable(False)
    assert not found, found[0]


async def _guard_this_loop() -> None:
    loop_guard.guard(asyncio.get_running_loop())


def write_config(text: str) -> Path:
    path = Path(os.environ["BATCHTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


GOOD_CONFIG = f"""
[profiles.sim]
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "{KEY_ENV}"
"""


async def test_a_broken_config_never_hides_the_registry_and_a_fixed_one_is_read_again() -> None:
    with Registry.open_default() as registry:
        registry.add_job(job(1))
    write_config("[profiles.sim\nkind = ")  # a syntax error
    await _guard_this_loop()
    events = Events()
    monitor = JobMonitor(events)
    await monitor.load()
    snapshot = monitor.snapshot
    assert list(snapshot.jobs) == ["bt-mon001"] and not snapshot.loading
    assert snapshot.config_problem is not None and "config.toml" in snapshot.config_problem
    assert "invalid TOML" in snapshot.config_problem
    assert monitor.service is None  # no profiles to poll with: nothing is polled
    assert monitor.take_due() == []

    write_config(GOOD_CONFIG)
    assert await monitor.reload_config()
    assert monitor.snapshot.config_problem is None
    assert monitor.config is not None and "sim" in monitor.config.profiles
    assert monitor.service is not None
    assert [config.profiles.keys() for config in events.configs] == [{"sim": None}.keys()]

    write_config("[profiles.sim\n")  # broken again: the config in use stays
    assert not await monitor.reload_config()
    assert monitor.config is not None and "sim" in monitor.config.profiles
    assert monitor.snapshot.config_problem is not None
    await monitor.aclose()


async def test_an_unwritable_data_dir_says_so_and_keeps_the_config(tmp_path: Path) -> None:
    write_config(GOOD_CONFIG)
    data = Path(os.environ["BATCHTUI_DATA_DIR"])
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("a file where the data folder should be")
    await _guard_this_loop()
    monitor = JobMonitor(Events())
    await monitor.load()
    assert monitor.registry is None
    assert monitor.snapshot.problem is not None and "registry" in monitor.snapshot.problem
    assert not monitor.snapshot.loading
    assert monitor.config is not None and "sim" in monitor.config.profiles
    assert monitor.snapshot.config_problem is None
    await monitor.aclose()


async def test_reload_reads_only_after_a_change_and_announces_each_finish_once(
    tmp_path: Path,
) -> None:
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.add_job(job(1))
    registry.add_job(job(2, JobStatus.COMPLETED))
    await _guard_this_loop()
    events = Events()
    monitor = JobMonitor(events, config=Config(path=tmp_path / "c.toml"), registry=registry)
    await monitor.load()
    assert set(monitor.snapshot.jobs) == {"bt-mon001", "bt-mon002"}
    published = len(events.snapshots)
    assert not await monitor.reload()  # nothing changed: not even read
    assert len(events.snapshots) == published

    await asyncio.to_thread(registry.update_job, "bt-mon001", status=JobStatus.COMPLETED)
    assert await monitor.reload()
    assert events.finished_ids == ["bt-mon001"]
    assert await monitor.reload(force=True)
    assert events.finished_ids == ["bt-mon001"]  # once, not on every read
    await monitor.aclose()
    registry.close()


async def test_polls_back_off_on_failure_and_report_a_problem_once(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.add_job(job(1))
    profile = Profile(
        name="sim", base_url="http://127.0.0.1:9/v1", api_key="sk-unreachable-0123456789"
    )
    config = Config(path=tmp_path / "c.toml", profiles={"sim": profile})
    moment = [1000.0]
    await _guard_this_loop()
    events = Events()
    monitor = JobMonitor(events, config=config, registry=registry, clock=lambda: moment[0])
    await monitor.load()

    (due,) = monitor.take_due()
    assert monitor.take_due() == []  # already being polled
    await monitor.poll(due)
    assert monitor.polling == set()
    wait = monitor.schedule.next_wait(due.id)
    assert wait == profile.poll_interval
    assert monitor.take_due() == []  # not due before its backoff
    moment[0] += wait
    (again,) = monitor.take_due()
    await monitor.poll(again)
    assert monitor.schedule.next_wait(due.id) == 2 * profile.poll_interval
    firsts = [first for source, _message, first in events.problems if source == "sim"]
    assert firsts == [True, False]  # one toast, then only the status line
    await monitor.aclose()
    registry.close()


async def _running_jobs(
    start_simulator, tmp_path: Path, count: int
) -> tuple[Config, Registry, list[Job]]:
    """`count` one-line jobs submitted to a slow simulator (they stay running)."""
    from batchtui.core.service import JobService

    simulator = start_simulator(phase_seconds=30)
    profile = Profile(name="sim", base_url=simulator.url, api_key="sk-lease-0123456789")
    config = Config(path=tmp_path / "c.toml", profiles={"sim": profile})
    registry = Registry(tmp_path / "registry.sqlite3")
    source = tmp_path / "input.jsonl"
    source.write_text(
        '{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", '
        '"body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}}\n'
    )
    async with JobService(config, registry) as service:
        jobs = [await service.submit(source, "sim", name=f"job {n}") for n in range(count)]
    return config, registry, jobs


async def test_a_poll_takes_the_lease_and_release_gives_it_back(
    start_simulator, tmp_path: Path
) -> None:
    config, registry, (running,) = await _running_jobs(start_simulator, tmp_path, 1)
    await _guard_this_loop()
    events = Events()
    monitor = JobMonitor(events, config=config, registry=registry)
    await monitor.load()
    (due,) = monitor.take_due()
    assert due.id == running.id
    await monitor.poll(due)
    assert monitor.registry is not None
    assert await monitor.registry.poll_lease_holder(running.id) == monitor.lease_holder
    await monitor.release_leases()
    assert await monitor.registry.poll_lease_holder(running.id) is None
    await monitor.aclose()
    registry.close()


async def test_due_jobs_of_a_profile_are_polled_together_under_its_list_lease(
    start_simulator, tmp_path: Path
) -> None:
    config, registry, submitted = await _running_jobs(start_simulator, tmp_path, 3)
    await _guard_this_loop()
    events = Events()
    monitor = JobMonitor(events, config=config, registry=registry)
    await monitor.load()
    due = monitor.take_due()
    assert {job.id for job in due} == {job.id for job in submitted}
    published = len(events.snapshots)
    await monitor.poll_many(due)
    assert monitor.polling == set()
    assert len(events.snapshots) == published + 1  # one snapshot for the three answers
    interval = config.profiles["sim"].poll_interval
    assert all(monitor.schedule.next_wait(job.id) == interval for job in due)
    assert all(monitor.snapshot.jobs[job.id].timestamps.get("created_at") for job in due)
    holder = partial(asyncio.to_thread, registry.list_lease_holder, "sim")
    assert await holder() == monitor.lease_holder
    await monitor.release_leases()
    assert await holder() is None
    await monitor.aclose()
    registry.close()


async def test_a_key_variable_that_is_not_set_is_not_retried_on_a_timer(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.add_job(job(1))
    profile = Profile(name="sim", base_url="http://127.0.0.1:9/v1", api_key_env=KEY_ENV)
    config = Config(path=tmp_path / "c.toml", profiles={"sim": profile})
    await _guard_this_loop()
    events = Events()
    monitor = JobMonitor(events, config=config, registry=registry, clock=lambda: 1000.0)
    await monitor.load()
    (due,) = monitor.take_due()
    await monitor.poll(due)
    ((source, message, first),) = events.problems
    assert source == "sim" and first and KEY_ENV in message
    assert "retrying" not in message and "press r" in message
    assert monitor.schedule.next_wait(due.id) == monitor.schedule.cap
    await monitor.aclose()
    registry.close()


async def test_the_snapshot_holds_the_page_the_running_jobs_and_pinned_ones(
    tmp_path: Path,
) -> None:
    """Not every job: the window asked for, every job still running (they are polled),
    and a job pinned by an open detail even once it is off the window."""
    from datetime import timedelta

    from batchtui.core.jobs.listing import PageRequest
    from batchtui.core.models import RequestCounts

    start = datetime(2026, 1, 1, tzinfo=UTC)
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.add_jobs(
        job(n, JobStatus.COMPLETED, created_at=start + timedelta(minutes=n)) for n in range(50)
    )
    registry.add_job(job(99, JobStatus.IN_PROGRESS, created_at=start))  # the oldest
    await _guard_this_loop()
    monitor = JobMonitor(Events(), registry=registry)
    monitor.request = PageRequest(limit=5)
    await monitor.load()
    page = monitor.snapshot.page
    assert page is not None and [row.id for row in page.rows] == [
        f"bt-mon{n:03d}" for n in (49, 48, 47, 46, 45)
    ]
    assert set(monitor.snapshot.jobs) == {row.id for row in page.rows} | {"bt-mon099"}

    monitor.pin("bt-mon047")
    await monitor.reload_page(PageRequest(offset=10, limit=5))
    assert "bt-mon047" in monitor.snapshot.jobs and "bt-mon048" not in monitor.snapshot.jobs
    assert monitor.registry is not None
    await monitor.registry.update_job("bt-mon047", request_counts=RequestCounts(total=9))
    assert await monitor.reload()  # reads what changed since, not every job
    assert monitor.snapshot.jobs["bt-mon047"].request_counts.total == 9
    assert monitor.snapshot.page is not None and monitor.snapshot.page.offset == 10
    monitor.registry.shutdown()
