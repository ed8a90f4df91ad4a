"""Every Job field survives a trip through the registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtui.core.errors import JobNotFound, RegistryError
from batchtui.core.models import TIMESTAMP_FIELDS, BatchError, Job, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

from .conftest import FakeClock, MakeJob

OFFSETS = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(OFFSETS),
)
short_text = st.text(max_size=20)
optional_text = st.none() | short_text
counts = st.integers(min_value=0, max_value=2**62)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | short_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)

jobs = st.builds(
    Job,
    id=st.just("placeholder"),
    name=short_text,
    profile=short_text,
    kind=short_text,
    tag=st.uuids().map(str),
    status=st.sampled_from(JobStatus),
    raw_status=optional_text,
    remote_id=optional_text,
    endpoint=optional_text,
    model=optional_text,
    completion_window=optional_text,
    input_path=st.none() | st.text(min_size=1, max_size=30).map(Path),
    input_sha256=optional_text,
    input_bytes=st.none() | counts,
    input_lines=st.none() | counts,
    input_file_id=optional_text,
    output_file_id=optional_text,
    error_file_id=optional_text,
    output_path=st.none() | st.text(min_size=1, max_size=30).map(Path),
    error_path=st.none() | st.text(min_size=1, max_size=30).map(Path),
    request_counts=st.builds(RequestCounts, total=counts, completed=counts, failed=counts),
    timestamps=st.dictionaries(st.sampled_from(TIMESTAMP_FIELDS), st.none() | aware_datetimes),
    errors=st.lists(
        st.builds(
            BatchError,
            code=optional_text,
            message=short_text,
            param=optional_text,
            line=st.none() | st.integers(min_value=1, max_value=10**9),
        ),
        max_size=3,
    ),
    metadata=st.dictionaries(st.text(max_size=10), short_text, max_size=4),
    usage=st.none() | st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    last_error=optional_text,
    created_at=aware_datetimes,
    updated_at=aware_datetimes,
)


@pytest.fixture(scope="module")
def shared_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    registry = Registry(tmp_path_factory.mktemp("roundtrip") / "registry.sqlite3")
    yield registry
    registry.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(job=jobs)
def test_any_job_round_trips(shared_registry: Registry, job: Job) -> None:
    job = job.model_copy(update={"id": shared_registry.new_job_id()})
    shared_registry.add_job(job)
    assert shared_registry.get_job(job.id) == job
    listed = {listed.id: listed for listed in shared_registry.list_jobs()}
    assert listed[job.id] == job


def test_full_job_comes_back_with_utc_datetimes_and_paths(
    registry: Registry, make_job: MakeJob
) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    job = make_job(
        name="reviews 2025-03",
        status=JobStatus.COMPLETED,
        raw_status="completed",
        remote_id="batch_abc123",
        endpoint="/v1/chat/completions",
        model="gpt-4o-mini",
        completion_window="24h",
        input_path=Path("/home/ada/in/reviews.jsonl"),
        input_sha256="ab" * 32,
        input_bytes=123_456,
        input_lines=1000,
        input_file_id="file-in",
        output_file_id="file-out",
        error_file_id="file-err",
        output_path=Path("out/reviews.output.jsonl"),
        error_path=Path("out/reviews.errors.jsonl"),
        request_counts=RequestCounts(total=1000, completed=990, failed=10),
        timestamps={
            "created_at": datetime(2025, 3, 1, 17, 30, 0, 123456, tzinfo=ist),
            "completed_at": datetime(2025, 3, 2, 1, 0, tzinfo=UTC),
            "failed_at": None,
        },
        errors=[BatchError(code="invalid_json_line", message="bad line", param=None, line=7)],
        metadata={"batchtui_tag": "t", "owner": "ada"},
        usage={"input_tokens": 10, "output_tokens": 20, "details": {"cached": [1, 2.5, None]}},
        last_error="provider unreachable: GET /batches/batch_abc123",
    )
    registry.add_job(job)

    stored = registry.get_job(job.id)

    assert stored == job
    assert isinstance(stored.input_path, Path)
    created = stored.timestamps["created_at"]
    assert created is not None
    assert created.utcoffset() == timedelta(0)
    assert created == datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert stored.timestamps["failed_at"] is None
    assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused_before_anything_is_written(
    registry: Registry, make_job: MakeJob
) -> None:
    job = make_job(timestamps={"created_at": datetime(2025, 1, 1)})
    with pytest.raises(ValueError, match="timezone-aware"):
        registry.add_job(job)
    assert registry.list_jobs() == []


def test_add_records_the_first_history_row(
    registry: Registry, make_job: MakeJob, clock: FakeClock
) -> None:
    job = registry.add_job(make_job(), note="recorded before upload")
    [first] = registry.history(job.id)
    assert first.status is JobStatus.SUBMITTING
    assert first.note == "recorded before upload"
    assert first.at <= clock.now


def test_adding_an_existing_id_is_refused(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    with pytest.raises(RegistryError, match=job.id):
        registry.add_job(make_job(id=job.id, name="other"))
    assert registry.get_job(job.id).name == job.name


def test_new_job_ids_are_short_prefixed_and_not_all_digits(registry: Registry) -> None:
    ids = {registry.new_job_id() for _ in range(200)}
    assert len(ids) == 200
    for job_id in ids:
        assert job_id.startswith("bt-")
        assert len(job_id) == 9
        assert not job_id.isdigit()


def test_get_and_delete_unknown_job_name_the_id(registry: Registry, make_job: MakeJob) -> None:
    with pytest.raises(JobNotFound, match="bt-nope"):
        registry.get_job("bt-nope")
    with pytest.raises(JobNotFound, match="bt-nope"):
        registry.delete_job("bt-nope")
    with pytest.raises(JobNotFound, match="bt-nope"):
        registry.history("bt-nope")


def test_delete_removes_job_and_history(registry: Registry, make_job: MakeJob) -> None:
    kept = registry.add_job(make_job())
    gone = registry.add_job(make_job())
    registry.delete_job(gone.id)
    assert [job.id for job in registry.list_jobs()] == [kept.id]
    with pytest.raises(JobNotFound):
        registry.history(gone.id)
    assert len(registry.history(kept.id)) == 1
