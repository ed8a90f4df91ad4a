"""Deterministic registries and apps for the shell's tests (the job list, detail, profiles).

Every time is fixed: the registry's clock and the app's `now` are the same frozen NOW,
so snapshots never contain real-time text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from batchtui.core.config import Config, Profile
from batchtui.core.models import BatchError, Job, JobGroup, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.tui.app import BatchtuiApp
from batchtui.tui.widgets.job_table import JobTable

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, moment: datetime = NOW) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def sample_jobs() -> list[Job]:
    def job(number: int, name: str, status: JobStatus, **fields: object) -> Job:
        defaults: dict[str, object] = {
            "id": f"bt-test{number:02d}",
            "name": name,
            "profile": "demo",
            "kind": "openai",
            "tag": f"00000000-0000-0000-0000-{number:012d}",
            "status": status,
            "raw_status": status.value,
            "remote_id": f"batch_{number:04d}",
            "endpoint": "/v1/chat/completions",
            "model": "gpt-4o-mini",
            "completion_window": "24h",
            "updated_at": NOW,
        }
        defaults.update(fields)
        return Job.model_validate(defaults)

    return [
        job(
            1,
            "chat-eval",
            JobStatus.COMPLETED,
            request_counts=RequestCounts(total=50, completed=50, failed=0),
            created_at=ago(hours=2),
            timestamps={"created_at": ago(hours=2), "completed_at": ago(hours=1, minutes=30)},
            output_file_id="file-out1",
            input_path=Path("/data/chat-eval.jsonl"),
            input_bytes=20480,
            input_lines=50,
        ),
        job(
            2,
            "summaries-large",
            JobStatus.IN_PROGRESS,
            profile="prod",
            model="gpt-4.1",
            request_counts=RequestCounts(total=5000, completed=1200, failed=34),
            created_at=ago(minutes=40),
            timestamps={"created_at": ago(minutes=40), "in_progress_at": ago(minutes=35)},
        ),
        job(
            3,
            "bad-input",
            JobStatus.FAILED,
            created_at=ago(hours=5),
            timestamps={"created_at": ago(hours=5), "failed_at": ago(hours=5, minutes=-1)},
            errors=[
                BatchError(code="invalid_json_line", message="line is not JSON", line=3),
                BatchError(code="duplicate_custom_id", message="custom_id req-7 repeats", line=17),
            ],
        ),
        job(
            4,
            "translate-fr",
            JobStatus.VALIDATING,
            profile="prod",
            created_at=ago(minutes=2),
            timestamps={"created_at": ago(minutes=2)},
        ),
        job(
            5,
            "old-run",
            JobStatus.CANCELLED,
            request_counts=RequestCounts(total=100, completed=20, failed=1),
            created_at=ago(days=2),
            timestamps={"created_at": ago(days=2), "cancelled_at": ago(days=2, hours=-1)},
        ),
        job(
            6,
            "nightly \x1b[31mred[/]",  # control sequence and markup from outside: shown inert
            JobStatus.EXPIRED,
            request_counts=RequestCounts(total=200, completed=80, failed=20),
            created_at=ago(days=1, hours=1),
            timestamps={"created_at": ago(days=1, hours=1), "expired_at": ago(hours=1)},
        ),
    ]


def make_registry(path: Path, jobs: list[Job] | None = None) -> Registry:
    clock = FrozenClock(ago(hours=6))
    registry = Registry(path, clock=clock)
    for job in sample_jobs() if jobs is None else jobs:
        clock.moment = job.created_at
        registry.add_job(job, note="submitted")
    clock.moment = NOW
    return registry


def make_config(path: Path, base_url: str = "http://127.0.0.1:9/v1") -> Config:
    profiles = {
        name: Profile(name=name, base_url=base_url, api_key_env="BATCHTUI_TEST_KEY")
        for name in ("demo", "prod")
    }
    return Config(path=path, exists=True, profiles=profiles)


class RecordingApp(BatchtuiApp):
    """The real app, remembering its toasts and bells for the tests to check."""

    def __init__(self, *, sync_registry: Registry | None = None, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        # The registry handed to the app, for the test's own writes before it runs (while
        # it runs, writes go through a thread as another process's would).
        self.sync_registry = sync_registry
        self.notes: list[str] = []
        self.bells = 0

    def notify(self, message: str, **options: object) -> None:  # type: ignore[override]
        self.notes.append(message)
        super().notify(message, **options)  # type: ignore[arg-type]

    def bell(self) -> None:
        self.bells += 1
        super().bell()


async def settle(pilot: object) -> None:
    """Let workers finish and the screen catch up."""
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def make_app(
    tmp_path: Path,
    *,
    jobs: list[Job] | None = None,
    theme: str = "textual-dark",
    ascii_only: bool = False,
    profiles: bool = True,
    base_url: str = "http://127.0.0.1:9/v1",
    **options: object,
) -> RecordingApp:
    registry = make_registry(tmp_path / "registry.sqlite3", jobs)
    config = make_config(tmp_path / "config.toml", base_url)
    if not profiles:
        config = Config(path=tmp_path / "config.toml")
    return RecordingApp(
        config=config,
        registry=registry,
        sync_registry=registry,
        now=FrozenClock(),
        theme=theme,
        ascii_only=ascii_only,
        poll=bool(options.pop("poll", False)),
        **options,  # type: ignore[arg-type]
    )


def iter_themes() -> Iterator[str]:
    yield "textual-dark"
    yield "ansi-dark"


def other_update(path: Path, job_id: str, **fields: object) -> None:
    """Another process changing a job (run it in a thread while the app runs)."""
    with Registry(path) as other:
        other.update_job(job_id, **fields)  # type: ignore[arg-type]


# --- a job group of three shards, for the job list's and group detail's tests ---

GROUP_ID = "bg-group1"


def shard(index: int, status: JobStatus, done: int) -> Job:
    return Job(
        id=f"bt-shard{index}",
        name=f"reviews [{index}/3]",
        profile="demo",
        kind="openai",
        tag=f"00000000-0000-0000-0001-{index:012d}",
        status=status,
        remote_id=f"batch_s{index}" if status is not JobStatus.NOT_SUBMITTED else None,
        model="gpt-4o-mini",
        input_lines=40_000,
        request_counts=RequestCounts(total=40_000, completed=done),
        created_at=ago(minutes=10),
        updated_at=NOW,
        timestamps={"created_at": ago(minutes=10), "in_progress_at": ago(minutes=9)},
        group_id=GROUP_ID,
        shard_index=index,
    )


def group_app(tmp_path: Path, **options: object):
    app = make_app(tmp_path, **options)
    group = JobGroup(
        id=GROUP_ID,
        name="reviews",
        profile="demo",
        input_lines=120_000,
        shard_count=3,
        created_at=ago(minutes=10),
    )
    shards = [
        shard(1, JobStatus.COMPLETED, 40_000),
        shard(2, JobStatus.IN_PROGRESS, 10_000),
        shard(3, JobStatus.VALIDATING, 0),
    ]
    assert app.sync_registry is not None
    app.sync_registry.add_group(group, shards)
    return app


def table_of(app) -> JobTable:
    return app.screen.query_one(JobTable)


def name_cell(table: JobTable, row: str) -> str:
    return table.get_cell(row, "name").plain
