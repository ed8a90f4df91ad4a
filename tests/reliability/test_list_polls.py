"""Polling that scales with changes, not jobs: running jobs refreshed with list pages.

`JobService.poll_many` asks each profile's provider through `refresh_many`, which lists its
batches (a hundred a page, newest first) when that takes fewer requests than one GET per
running job, and GETs the ones no page showed. Requests are counted at the simulator.
Batches and jobs are registered in bulk: batch records written straight into the
simulator's store (no fsync each), jobs as the shards of one group (one transaction).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Config, Profile
from batchtui.core.errors import NotFoundError
from batchtui.core.leases import new_lease_holder
from batchtui.core.models import Job, JobGroup
from batchtui.core.providers.base import BatchProvider
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.kinds import make_provider
from batchtui.core.registry import Registry
from batchtui.core.service import JobService
from batchtui.core.status import JobStatus
from batchtui.simulator import SimulatorHandle
from batchtui.simulator.faults import FaultInjector
from batchtui.simulator.flavors.vertex_engine import PROJECT_NUMBER
from providers.google_helpers import BUCKET, PROJECT, start_google_simulator, write_service_account

API_KEY = "sk-test-list-polls-0123456789"
PORTKEY_KEY = "pk-test-list-polls-0123456789"
FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.005, max_wait=0.02, max_retry_after=0.02)
HOUR = 3600.0
EMAIL = "tests@batchtui-sim.iam.gserviceaccount.com"


class RouteCounter(FaultInjector):
    """No faults; counts the simulator's requests by route (`list`, `retrieve`, ...)."""

    def __init__(self) -> None:
        super().__init__(())
        self.counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def pick(self, route: str) -> str | None:
        with self._count_lock:
            self.counts[route] += 1
        return None


def counting(simulator: SimulatorHandle) -> RouteCounter:
    counter = RouteCounter()
    simulator.server.faults = counter
    return counter


# --- batches written straight into the simulator's store ---------------------------------------


def seed_openai_batches(simulator: SimulatorHandle, plan: str, *, age: float = 0.0) -> list[str]:
    """One batch per letter of `plan`, oldest first: `r` running (validating for an hour),
    `f` failed (ended at creation). Created `age` seconds ago, a millisecond apart."""
    store = simulator.server.engine.store
    base = time.time() - age - len(plan) / 1000
    ids = []
    for position, letter in enumerate(plan):
        batch_id = f"batch_{secrets.token_hex(16)}"
        running = letter == "r"
        record = {
            "id": batch_id,
            "seq": store.next_seq(),
            "endpoint": "/v1/chat/completions",
            "input_file_id": "file-seeded",
            "completion_window": "24h",
            "metadata": {},
            "model": None,
            "output_expires_after_seconds": None,
            "created_at": base + position / 1000,
            "phase_seconds": HOUR if running else 0.0,
            "speed": 1.0,
            "expire_after": 24 * HOUR,
            "total": 0,
            "validation_errors": None
            if running
            else [{"code": "empty_file", "message": "seeded", "param": None, "line": None}],
            "cancel_requested_at": None,
            "output_file_id": None,
            "error_file_id": None,
            "settled": not running,
        }
        (store.batches_dir / f"{batch_id}.json").write_text(json.dumps(record))
        ids.append(batch_id)
    return ids


def seed_gemini_batches(simulator: SimulatorHandle, count: int) -> list[str]:
    """`count` Gemini batches pending for an hour, oldest first; their ids as listed."""
    store = simulator.server.google.gemini.store
    ids = []
    for position in range(count):
        gemini_id = secrets.token_hex(18)
        record_id = f"batch_gemini_{gemini_id}"
        record = {
            "id": record_id,
            "kind": "gemini",
            "gemini_id": gemini_id,
            "seq": store.next_seq(),
            "display_name": f"seeded {position}",
            "model": "gemini-2.5-flash",
            "file_name": None,
            "inline": True,
            "priority": "0",
            "created_at": time.time() - count / 1000 + position / 1000,
            "phase_seconds": HOUR,
            "speed": 1.0,
            "expire_after": 24 * HOUR,
            "total": 0,
            "validation_errors": None,
            "cancel_requested_at": None,
            "responses_file": None,
            "inline_results": None,
            "output_file_id": None,
            "error_file_id": None,
            "settled": False,
            "deleted": False,
        }
        empty_plan = {"failed_positions": [], "input_tokens": [], "output_tokens": []}
        (store.batches_dir / f"{record_id}.plan.json").write_text(json.dumps(empty_plan))
        (store.batches_dir / f"{record_id}.json").write_text(json.dumps(record))
        ids.append(f"batches/{gemini_id}")
    return ids


def seed_vertex_jobs(simulator: SimulatorHandle, count: int, *, age: float = 0.0) -> list[str]:
    """`count` Vertex AI jobs pending for an hour, created `age` seconds ago, oldest first;
    their ids (resource names)."""
    store = simulator.server.google.vertex.store
    base = time.time() - age - count / 1000
    ids = []
    for position in range(count):
        number = str(10**18 + secrets.randbelow(10**18))
        created = base + position / 1000
        record = {
            "id": f"batch_vertex_{number}",
            "kind": "vertex",
            "vertex_id": number,
            "seq": store.next_seq(),
            "display_name": f"seeded {position}",
            "model": "gemini-2.5-flash",
            "input_uri": f"gs://{BUCKET}/seeded/input.jsonl",
            "output_prefix": f"gs://{BUCKET}/seeded/out",
            "instance_config": None,
            "created_at": created,
            "phase_seconds": HOUR,
            "speed": 1.0,
            "expire_after": 24 * HOUR,
            "total": 0,
            "validation_errors": None,
            "cancel_requested_at": None,
            "output_dir": None,
            "output_file_id": None,
            "error_file_id": None,
            "settled": False,
            "location": "us-central1",
            "create_time": created,
            "paused": False,
            "labels": None,
            "deleted": False,
        }
        (store.batches_dir / f"batch_vertex_{number}.json").write_text(json.dumps(record))
        ids.append(f"projects/{PROJECT_NUMBER}/locations/us-central1/batchPredictionJobs/{number}")
    return ids


# --- jobs registered in bulk ---------------------------------------------------------------------


def register(
    registry: Registry, profile: str, kind: str, remote_ids: Sequence[str], plan: str
) -> list[Job]:
    """A job per batch (`plan` as for the seeds: `r` running, `f` ended), created in the
    batches' order, all shards of one group: one transaction."""
    group_id = registry.new_group_id()
    start = datetime.now(UTC) - timedelta(seconds=len(plan))
    shards = [
        Job(
            id=f"bt-{uuid.uuid4().hex[:10]}",
            name=f"shard {index}",
            profile=profile,
            kind=kind,
            tag=str(uuid.uuid4()),
            remote_id=remote_id,
            status=JobStatus.VALIDATING if letter == "r" else JobStatus.FAILED,
            created_at=start + timedelta(milliseconds=index),
            group_id=group_id,
            shard_index=index + 1,
        )
        for index, (remote_id, letter) in enumerate(zip(remote_ids, plan, strict=True))
    ]
    group = JobGroup(id=group_id, name="seeded", profile=profile, shard_count=len(shards))
    registry.add_group(group, shards)
    return registry.group_jobs(group_id)


def openai_config(simulator: SimulatorHandle, tmp_path: Path) -> Config:
    profile = Profile(name="sim", base_url=simulator.url, api_key=API_KEY)
    return Config(path=tmp_path / "config.toml", profiles={"sim": profile})


def service_for(config: Config, registry: Registry) -> JobService:
    return JobService(config, registry, provider_factory=fast_provider)


def fast_provider(profile: Profile) -> BatchProvider:
    """The profile's provider, retrying without the production waits."""
    cls = type(make_provider(profile))
    return cls.from_profile(profile, retry=FAST_RETRY)  # type: ignore[attr-defined]


def running(jobs: Sequence[Job]) -> list[Job]:
    return [job for job in jobs if not job.is_terminal]


async def poll_once(
    simulator: SimulatorHandle, registry: Registry, config: Config, jobs: Sequence[Job]
) -> tuple[Counter[str], Any]:
    counter = counting(simulator)
    async with service_for(config, registry) as service:
        outcome = await service.poll_many(jobs)
    return counter.counts, outcome


# --- OpenAI: how many requests a poll takes ----------------------------------------------------


async def test_500_contiguous_running_jobs_take_at_most_5_list_requests(
    simulator: SimulatorHandle, tmp_path: Path
) -> None:
    plan = "f" * 300 + "r" * 500  # older batches that ended, then 500 running in a row
    ids = seed_openai_batches(simulator, plan)
    # Ten of the jobs this registry thinks run have ended at the provider meanwhile.
    for batch_id in ids[-10:]:
        path = simulator.server.engine.store.batches_dir / f"{batch_id}.json"
        record = json.loads(path.read_text())
        record.update(phase_seconds=0.0, validation_errors=[{"code": "x", "message": "ended"}])
        path.write_text(json.dumps(record))
    config = openai_config(simulator, tmp_path)
    with Registry(tmp_path / "registry.sqlite3") as registry:
        jobs = register(registry, "sim", "openai", ids, plan)
        counts, outcome = await poll_once(simulator, registry, config, running(jobs))
        assert counts["list"] <= 5 and counts["retrieve"] == 0, counts
        assert not outcome.errors and len(outcome.jobs) == 500
        fresh = {job.remote_id: job for job in registry.group_jobs(jobs[0].group_id or "")}
        assert {fresh[i].status for i in ids[-10:]} == {JobStatus.FAILED}
        assert {fresh[i].status for i in ids[300:-10]} == {JobStatus.VALIDATING}
        assert all(fresh[i].timestamps.get("created_at") for i in ids[300:])


async def test_500_running_among_1500_ended_take_at_most_20_list_requests(
    simulator: SimulatorHandle, tmp_path: Path
) -> None:
    plan = "rfff" * 500  # the oldest batch still runs: the list goes back over all 2,000
    ids = seed_openai_batches(simulator, plan)
    config = openai_config(simulator, tmp_path)
    with Registry(tmp_path / "registry.sqlite3") as registry:
        jobs = register(registry, "sim", "openai", ids, plan)
        assert len(running(jobs)) == 500
        counts, outcome = await poll_once(simulator, registry, config, jobs)
        assert counts["list"] <= 20 and counts["retrieve"] == 0, counts
        assert not outcome.errors and len(outcome.jobs) == 2000  # ended ones as they were


async def test_one_running_job_among_many_old_ones_is_asked_for_alone(
    simulator: SimulatorHandle, tmp_path: Path
) -> None:
    plan = "r" + "f" * 400 + "rr"  # a running job older than 400 ended ones, two new ones
    ids = seed_openai_batches(simulator, plan)
    config = openai_config(simulator, tmp_path)
    with Registry(tmp_path / "registry.sqlite3") as registry:
        jobs = register(registry, "sim", "openai", ids, plan)
        counts, outcome = await poll_once(simulator, registry, config, running(jobs)[:1])
        assert counts == {"retrieve": 1}
        # Three running back to the oldest take 5 pages: three GETs are cheaper.
        counts, outcome = await poll_once(simulator, registry, config, running(jobs))
        assert counts == {"retrieve": 3}
        assert not outcome.errors and len(outcome.jobs) == 3


async def test_paging_stops_at_the_oldest_running_job_and_missing_batches_are_asked_for(
    simulator: SimulatorHandle, tmp_path: Path
) -> None:
    old = seed_openai_batches(simulator, "f" * 1000, age=2 * HOUR)  # history, long before
    new = seed_openai_batches(simulator, "r" * 198)
    gone = [f"batch_{secrets.token_hex(16)}" for _ in range(2)]  # deleted at the provider
    config = openai_config(simulator, tmp_path)
    with Registry(tmp_path / "registry.sqlite3") as registry:
        register(registry, "sim", "openai", old, "f" * 1000)
        jobs = register(registry, "sim", "openai", [*gone, *new], "r" * 200)
        counts, outcome = await poll_once(simulator, registry, config, jobs)
        # The second page reaches the old batches: paging stops there; two GETs.
        assert counts == {"list": 2, "retrieve": 2}, counts
        assert len(outcome.jobs) == 198
        assert {outcome.errors[job.id].__class__ for job in jobs[:2]} == {NotFoundError}
        assert all("refresh:" in (registry.get_job(job.id).last_error or "") for job in jobs[:2])


async def test_portkey_cannot_page_so_each_running_job_gets_a_get(
    start_simulator: Callable[..., SimulatorHandle],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    simulator = start_simulator(flavor="portkey-openai", api_key=PORTKEY_KEY)
    monkeypatch.setenv("PORTKEY_API_KEY", PORTKEY_KEY)
    ids = seed_openai_batches(simulator, "r" * 30)
    profile = Profile(
        name="gw", kind="portkey", base_url=simulator.url, headers={"x-portkey-provider": "openai"}
    )
    config = Config(path=tmp_path / "config.toml", profiles={"gw": profile})
    with Registry(tmp_path / "registry.sqlite3") as registry:
        jobs = register(registry, "gw", "portkey", ids, "r" * 30)
        counts, outcome = await poll_once(simulator, registry, config, jobs)
        assert counts == {"retrieve": 30}
        assert not outcome.errors and len(outcome.jobs) == 30


async def test_two_processes_on_one_registry_list_once(
    simulator: SimulatorHandle, tmp_path: Path
) -> None:
    ids = seed_openai_batches(simulator, "r" * 150)
    config = openai_config(simulator, tmp_path)
    path = tmp_path / "registry.sqlite3"
    tui, watch = new_lease_holder(), new_lease_holder()
    with Registry(path) as first_registry, Registry(path) as second_registry:
        jobs = register(first_registry, "sim", "openai", ids, "r" * 150)
        counter = counting(simulator)
        async with (
            service_for(config, first_registry) as first,
            service_for(config, second_registry) as second,
        ):
            for _ in range(3):
                listed = await first.poll_many(jobs, holder=tui, lease_seconds=60)
                read = await second.poll_many(jobs, holder=watch, lease_seconds=60)
                assert listed.left_to_others == set() and read.left_to_others == {"sim"}
                assert len(read.jobs) == 150 and not read.errors
            assert counter.counts == {"list": 3 * 2}  # two pages a poll, by the holder only
            assert first_registry.list_lease_holder("sim") == tui
            # The holder quits: the other takes over at its next poll.
            first_registry.release_poll_leases(tui)
            taken = await second.poll_many(jobs, holder=watch, lease_seconds=60)
            assert taken.left_to_others == set()
            assert first_registry.list_lease_holder("sim") == watch


# --- Gemini and Vertex AI ---------------------------------------------------------------------


async def test_gemini_running_jobs_are_refreshed_by_the_page(
    simulator: SimulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
    ids = seed_gemini_batches(simulator, 250)
    profile = Profile(name="g", kind="gemini", base_url=simulator.root_url)
    config = Config(path=tmp_path / "config.toml", profiles={"g": profile})
    with Registry(tmp_path / "registry.sqlite3") as registry:
        jobs = register(registry, "g", "gemini", ids, "r" * 250)
        counts, outcome = await poll_once(simulator, registry, config, jobs)
        assert counts["list"] <= 3 and counts["retrieve"] == 0, counts
        assert not outcome.errors and len(outcome.jobs) == 250
        assert {job.raw_status for job in outcome.jobs.values()} == {"BATCH_STATE_PENDING"}


async def test_vertex_lists_only_jobs_as_new_as_the_oldest_running_one(
    start_simulator: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    key_file = write_service_account(tmp_path / "sa.json", email=EMAIL, token_uri="unset")
    simulator = start_google_simulator(start_simulator, key_file)
    ids = seed_vertex_jobs(simulator, 250)
    # Old jobs listed first (Vertex promises no order): only the create_time filter keeps
    # them out of the pages, else the first page would end the listing.
    seed_vertex_jobs(simulator, 500, age=2 * HOUR)
    profile = Profile(
        name="v",
        kind="vertex",
        base_url=simulator.root_url,
        storage_url=simulator.root_url,
        project=PROJECT,
        bucket=BUCKET,
        credentials=str(key_file),
    )
    config = Config(path=tmp_path / "config.toml", profiles={"v": profile})
    with Registry(tmp_path / "registry.sqlite3") as registry:
        jobs = register(registry, "v", "vertex", ids, "r" * 250)
        counts, outcome = await poll_once(simulator, registry, config, jobs)
        assert counts["list"] == 3 and counts["retrieve"] == 0, counts
        assert not outcome.errors and len(outcome.jobs) == 250
        assert {job.raw_status for job in outcome.jobs.values()} == {"JOB_STATE_PENDING"}


def test_a_watch_process_beside_the_lease_holder_reads_instead_of_listing(
    simulator: SimulatorHandle, cli: Any, add_profile: Any
) -> None:
    """A TUI (here: this test, holding the profile's list lease) and `batchtui watch` in a
    process of its own: watch asks the provider nothing until the holder lets go."""
    add_profile(simulator.url)
    ids = seed_openai_batches(simulator, "r" * 3)
    registry = Registry.open_default()
    try:
        register(registry, "sim", "openai", ids, "rrr")
        assert registry.acquire_list_lease("sim", "login1:4242:tui", 600)
        counter = counting(simulator)
        held = cli("watch", "--timeout", "1.5", "--interval", "0.3")
        assert held.code == 3, held.stderr  # still running when the timeout came
        assert counter.counts == {}, counter.counts
        registry.release_poll_leases("login1:4242:tui")
        free = cli("watch", "--timeout", "0.5", "--interval", "0.3")
        assert free.code == 3, free.stderr
        assert counter.counts["list"] >= 1 and counter.counts["retrieve"] == 0, counter.counts
        assert registry.list_lease_holder("sim") is None  # watch gave it up on leaving
    finally:
        registry.close()
