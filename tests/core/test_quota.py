"""Enqueued-token headroom from the registry, the profile limit, and the v3 registry column."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from batchtui.core.config import Profile, parse_config
from batchtui.core.errors import ConfigError
from batchtui.core.models import Job
from batchtui.core.quota import (
    enqueued_limit,
    headroom,
    headroom_from_registry,
    model_family,
)
from batchtui.core.registry import schema
from batchtui.core.registry.store import Registry
from batchtui.core.status import JobStatus


def make_job(
    registry: Registry,
    *,
    profile: str = "work",
    model: str = "gpt-4o-mini",
    status: JobStatus = JobStatus.IN_PROGRESS,
    tokens: int | None = 100_000,
) -> Job:
    job = Job(
        id=registry.new_job_id(),
        name="j",
        profile=profile,
        kind="openai",
        tag=str(uuid.uuid4()),
        status=status,
        model=model,
        estimated_input_tokens=tokens,
    )
    return registry.add_job(job)


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    with Registry(tmp_path / "registry.sqlite") as opened:
        yield opened


def test_sums_in_flight_jobs_of_the_profile_and_model_family(registry: Registry) -> None:
    make_job(registry, tokens=1_000_000)
    make_job(registry, model="gpt-4o-mini-2024-07-18", status=JobStatus.VALIDATING, tokens=800_000)
    make_job(registry, status=JobStatus.SUBMITTING, tokens=50_000)
    make_job(registry, status=JobStatus.COMPLETED, tokens=9_000_000)  # done
    make_job(registry, status=JobStatus.NOT_SUBMITTED, tokens=9_000_000)  # never sent
    make_job(registry, model="gpt-4o", tokens=9_000_000)  # other model
    make_job(registry, profile="home", tokens=9_000_000)  # other profile
    make_job(registry, tokens=None)  # adopted, no estimate
    profile = Profile(name="work", enqueued_token_limit=2_000_000)

    result = headroom_from_registry(registry, profile, "gpt-4o-mini", 400_000)

    assert result.in_flight_tokens == 1_850_000
    assert result.in_flight_jobs == 4
    assert result.unknown_jobs == 1
    assert result.remaining == 150_000
    assert result.exceeds
    warning = result.warning()
    assert warning is not None
    assert warning.startswith("in flight: 1.9M of 2M enqueued tokens (+1 job with no estimate)")
    assert "gpt-4o-mini on profile 'work'; this file adds ~400k" in warning
    assert "token_limit_exceeded" in warning


def test_a_file_that_fits_gives_no_warning(registry: Registry) -> None:
    make_job(registry, tokens=500_000)
    result = headroom_from_registry(
        registry, Profile(name="work", enqueued_token_limit=2_000_000), "gpt-4o-mini", 400_000
    )
    assert not result.exceeds
    assert result.warning() is None
    assert result.describe().endswith(": fits")


def test_a_file_over_the_limit_on_its_own_says_split() -> None:
    result = headroom([], Profile(name="work", enqueued_token_limit=1_000), "m", 5_000)
    assert result.exceeds
    assert "over the limit on its own" in (result.warning() or "")


def test_without_a_limit_nothing_is_exceeded() -> None:
    result = headroom([], Profile(name="work"), "gpt-4o", 10**9)
    assert result.limit is None and not result.exceeds
    assert "no enqueued_token_limit" in result.describe()


def test_limits_by_model_match_like_prices() -> None:
    profile = Profile(name="w", enqueued_token_limit={"gpt-4o": 90_000, "gpt-4o-mini": 2_000_000})
    assert enqueued_limit(profile, "gpt-4o-mini-2024-07-18") == 2_000_000
    assert enqueued_limit(profile, "gpt-4o") == 90_000
    assert enqueued_limit(profile, "o3") is None
    assert model_family("gpt-4o-mini-2024-07-18") == "gpt-4o-mini"


def test_enqueued_token_limit_is_a_profile_setting(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    config = parse_config(
        {
            "profiles": {
                "a": {"kind": "openai", "enqueued_token_limit": 2_000_000},
                "b": {"kind": "openai", "enqueued_token_limit": {"gpt-4o": 90_000}},
            }
        },
        path,
    )
    assert config.profile("a").enqueued_token_limit == 2_000_000
    assert config.profile("b").enqueued_token_limit == {"gpt-4o": 90_000}
    with pytest.raises(ConfigError, match=r"profiles\.c\.enqueued_token_limit"):
        parse_config({"profiles": {"c": {"enqueued_token_limit": "lots"}}}, path)


def test_the_estimate_is_stored_and_an_old_registry_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    schema.apply_migrations(connection, path, target=2)
    connection.close()

    with Registry(path) as registry:
        job = make_job(registry, tokens=123_456)
        assert registry.get_job(job.id).estimated_input_tokens == 123_456
        updated = registry.update_job(job.id, estimated_input_tokens=7)
        assert registry.get_job(job.id) == updated

    connection = sqlite3.connect(path)
    assert schema.read_version(connection) == schema.SCHEMA_VERSION >= 3
    columns = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
    connection.close()
    assert "estimated_input_tokens" in columns
