from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batchtui.core.models import Job
from batchtui.core.registry import Registry


class FakeClock:
    """A clock tests move by hand; each reading is 1 µs after the previous one."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def registry_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "registry.sqlite3"


@pytest.fixture
def registry(registry_path: Path, clock: FakeClock) -> Iterator[Registry]:
    with Registry(registry_path, clock=clock) as opened:
        yield opened


MakeJob = Callable[..., Job]


@pytest.fixture
def make_job(registry: Registry, clock: FakeClock) -> MakeJob:
    """A new job (not yet added) with a fresh id; keyword arguments override fields."""

    def make(**fields: object) -> Job:
        now = clock()
        values: dict[str, object] = {
            "id": registry.new_job_id(),
            "name": "reviews",
            "profile": "openai",
            "kind": "openai",
            "tag": str(uuid.uuid4()),
            "created_at": now,
            "updated_at": now,
        }
        values.update(fields)
        return Job.model_validate(values)

    return make
