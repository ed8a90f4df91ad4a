"""Issue 15 #13: the ETA of a job whose provider does not answer, and poll errors no retry fixes.

The ETA extrapolates only what was observed: once polls fail it says `?` (and, in the
detail, how long nothing was heard) instead of an estimate that grows by the minute; a
key the provider refuses or a key variable that is empty is a problem to fix, reported
once, naming the profile and the variable, not "retrying in 30s".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batchtui.core.config import Config, Profile
from batchtui.core.errors import AuthenticationError, ConfigError, ProviderError
from batchtui.core.jobs.monitor import JobMonitor, JobsSnapshot
from batchtui.core.jobs.poll_errors import permanent_problem
from batchtui.core.jobview import MAX_ETA, PollHealth, estimate_eta, eta_text
from batchtui.core.models import Job, RequestCounts
from batchtui.core.registry import Registry, loop_guard
from batchtui.core.status import JobStatus

KEY_ENV = "BATCHTUI_POLL_HEALTH_KEY"
STARTED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class Events:
    snapshots: list[JobsSnapshot] = field(default_factory=list)
    problems: list[tuple[str, str, bool]] = field(default_factory=list)

    def published(self, snapshot: JobsSnapshot) -> None:
        self.snapshots.append(snapshot)

    def finished(self, job: Job) -> None:
        pass

    def problem(self, source: str, message: str, *, first: bool) -> None:
        self.problems.append((source, message, first))

    def config_loaded(self, config: Config) -> None:
        pass


def running(done: int = 100, total: int = 1000, **fields: object) -> Job:
    values: dict[str, object] = {
        "id": "bt-eta001",
        "name": "eta",
        "profile": "sim",
        "kind": "openai",
        "tag": "00000000-0000-0000-0000-000000000001",
        "status": JobStatus.IN_PROGRESS,
        "remote_id": "batch_1",
        "request_counts": RequestCounts(total=total, completed=done),
        "timestamps": {"created_at": STARTED, "in_progress_at": STARTED},
        "created_at": STARTED,
    }
    values.update(fields)
    return Job.model_validate(values)


def test_the_eta_counts_down_from_the_last_observation_instead_of_growing() -> None:
    job = running(done=100, total=1000)  # 100 done in the first 10 minutes: 90 min left
    seen = STARTED + timedelta(minutes=10)
    at_poll = estimate_eta(job, seen, observed_at=seen)
    later = estimate_eta(job, seen + timedelta(minutes=30), observed_at=seen)
    assert at_poll == timedelta(minutes=90)
    assert later == timedelta(minutes=60)
    # Without an observation time the old extrapolation grows with the clock: the defect.
    unobserved = estimate_eta(job, seen + timedelta(minutes=30))
    assert unobserved is not None and unobserved > at_poll


def test_the_eta_is_a_question_mark_once_polls_fail_and_the_detail_says_since_when() -> None:
    job = running()
    seen = STARTED + timedelta(minutes=10)
    now = seen + timedelta(hours=5)
    failing = PollHealth(last_ok=seen).failed()
    assert eta_text(job, now, failing) == "?"
    long = eta_text(job, now, failing, short=False)
    assert long.startswith("? stale") and "5h00m" in long
    assert eta_text(job, now, PollHealth().failed(), short=False).startswith("? stale")
    # Healthy again: an estimate again.
    assert eta_text(job, seen, failing.succeeded(seen)) == "1h30m"


def test_a_failed_refresh_recorded_by_another_process_also_makes_the_eta_unknown() -> None:
    job = running(last_error="refresh: GET /batches/batch_1: connection refused")
    assert eta_text(job, STARTED + timedelta(minutes=10)) == "?"
    other = running(last_error="download: disk full")
    assert eta_text(other, STARTED + timedelta(minutes=10)) == "1h30m"


def test_absurd_etas_are_capped() -> None:
    job = running(done=1, total=50_000)
    now = STARTED + timedelta(minutes=10)
    assert estimate_eta(job, now) > MAX_ETA  # type: ignore[operator]
    assert eta_text(job, now) == ">2d00h"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (ConfigError("profile 'sim': environment variable K is not set"), True),
        (AuthenticationError("401 invalid_api_key", status_code=401), True),
        (ProviderError("forbidden", status_code=403), True),
        (ProviderError("server error", status_code=500, retryable=True), False),
        (ProviderError("connection refused"), False),
        (OSError("network down"), False),
    ],
)
def test_which_poll_errors_no_retry_can_fix(error: Exception, permanent: bool) -> None:
    profile = Profile(name="sim", base_url="http://127.0.0.1:9/v1", api_key_env=KEY_ENV)
    message = permanent_problem(error, "sim", profile)
    assert (message is not None) == permanent
    if isinstance(error, ProviderError) and message is not None:
        assert "'sim'" in message and KEY_ENV in message and str(error.status_code) in message


def test_an_empty_key_variable_is_named_as_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "")
    profile = Profile(name="sim", base_url="http://127.0.0.1:9/v1", api_key_env=KEY_ENV)
    with pytest.raises(ConfigError) as caught:
        profile.resolve_api_key()
    assert f"{KEY_ENV} is empty" in str(caught.value) and "'sim'" in str(caught.value)


@pytest.fixture(autouse=True)
def _guarded_loop() -> object:
    loop_guard.enable()
    yield
    found = list(loop_guard.violations)
    loop_guard.enable(False)
    assert not found, found[0]


async def _monitor(tmp_path: Path, profile: Profile, job: Job) -> tuple[JobMonitor, Events]:
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.add_job(job)
    config = Config(path=tmp_path / "c.toml", profiles={"sim": profile})
    loop_guard.guard(asyncio.get_running_loop())
    events = Events()
    monitor = JobMonitor(events, config=config, registry=registry, clock=lambda: 1000.0)
    await monitor.load()
    return monitor, events


async def poll_once(monitor: JobMonitor, job: Job, batched: bool) -> None:
    """One poll as the TUI does it (a batch of due jobs), or of one job (`r` on a detail)."""
    if batched:
        await monitor.poll_many([job])
    else:
        await monitor.poll(job)


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "single"])
async def test_an_unreachable_provider_turns_the_eta_into_a_question_mark(
    tmp_path: Path, batched: bool
) -> None:
    profile = Profile(name="sim", base_url="http://127.0.0.1:9/v1", api_key="sk-unreach-0123456789")
    monitor, events = await _monitor(tmp_path, profile, running())
    (due,) = monitor.take_due()
    await poll_once(monitor, due, batched)
    health = monitor.snapshot.polls[due.id]
    assert health.failures == 1 and health.last_ok is None
    assert events.snapshots[-1].polls[due.id] == health  # the screens hear of it
    job = monitor.snapshot.jobs[due.id]
    assert eta_text(job, datetime.now(UTC), health) == "?"
    assert "retrying" in events.problems[-1][1]  # unreachable: worth retrying
    await monitor.aclose()


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "single"])
async def test_a_refused_key_is_reported_once_as_a_fix_not_retried(
    start_simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batched: bool
) -> None:
    simulator = start_simulator(api_key="sk-sim-right-0123456789abcdef")
    monkeypatch.setenv(KEY_ENV, "sk-sim-wrong-fedcba9876543210")
    profile = Profile(name="sim", base_url=simulator.url, api_key_env=KEY_ENV)
    monitor, events = await _monitor(tmp_path, profile, running())
    (due,) = monitor.take_due()
    await poll_once(monitor, due, batched)
    ((source, message, first),) = events.problems
    assert source == "sim" and first
    assert KEY_ENV in message and "'sim'" in message and "401" in message
    assert "retrying" not in message and "press r" in message
    assert monitor.schedule.next_wait(due.id) == monitor.schedule.cap
    await monitor.aclose()
