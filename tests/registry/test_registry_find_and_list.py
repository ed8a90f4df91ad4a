"""find_job, list_jobs, counts_by_status."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from batchtui.core.errors import JobNotFound, UsageError
from batchtui.core.models import RemoteBatch
from batchtui.core.registry import Registry, codec
from batchtui.core.status import JobStatus

from .conftest import FakeClock, MakeJob


def test_find_by_exact_local_id_remote_id_and_prefix(registry: Registry, make_job: MakeJob) -> None:
    first = registry.add_job(make_job(id="bt-4kq9x2", remote_id="batch_abc"))
    second = registry.add_job(make_job(id="bt-4kr000", remote_id="3814889423749775360"))

    assert registry.find_job("bt-4kq9x2") == first
    assert registry.find_job("BT-4KQ9X2") == first
    assert registry.find_job("batch_abc") == first
    assert registry.find_job("3814889423749775360") == second
    assert registry.find_job("bt-4kq") == first
    assert registry.find_job("4kr") == second
    assert registry.find_job("  4kq9x2 ") == first


def test_exact_remote_id_wins_over_a_local_prefix(registry: Registry, make_job: MakeJob) -> None:
    local = registry.add_job(make_job(id="bt-123456"))
    numeric_remote = registry.add_job(make_job(id="bt-zzzzzz", remote_id="123"))
    assert registry.find_job("123") == numeric_remote
    assert registry.find_job("1234") == local


def test_ambiguous_prefix_lists_candidates(registry: Registry, make_job: MakeJob) -> None:
    registry.add_job(make_job(id="bt-aaaa01", remote_id="batch_1"))
    registry.add_job(make_job(id="bt-aaaa02"))
    with pytest.raises(UsageError) as caught:
        registry.find_job("bt-aaaa")
    message = str(caught.value)
    assert "'bt-aaaa'" in message
    assert "bt-aaaa01 (batch_1)" in message
    assert "bt-aaaa02 (not submitted)" in message
    assert "\n" not in message
    assert not isinstance(caught.value, JobNotFound)


def test_ambiguous_list_is_capped(registry: Registry, make_job: MakeJob) -> None:
    for number in range(8):
        registry.add_job(make_job(id=f"bt-bbbb{number:02d}"))
    with pytest.raises(UsageError, match="and 3 more"):
        registry.find_job("bbbb")


def test_same_remote_id_on_two_jobs_is_ambiguous(registry: Registry, make_job: MakeJob) -> None:
    registry.add_job(make_job(id="bt-cluster1", profile="cluster-a", remote_id="4123"))
    registry.add_job(make_job(id="bt-cluster2", profile="cluster-b", remote_id="4123"))
    with pytest.raises(UsageError, match="bt-cluster1"):
        registry.find_job("4123")


@pytest.mark.parametrize("ref", ["bt-nothing", "batch_unknown", "zz"])
def test_no_match_is_job_not_found_naming_the_ref(
    registry: Registry, make_job: MakeJob, ref: str
) -> None:
    registry.add_job(make_job(id="bt-aaaaaa", remote_id="batch_1"))
    with pytest.raises(JobNotFound, match=ref) as caught:
        registry.find_job(ref)
    assert caught.value.exit_code == 2


def test_empty_ref_is_a_usage_error(registry: Registry) -> None:
    with pytest.raises(UsageError, match="empty"):
        registry.find_job("  ")


def test_prefix_is_matched_literally(registry: Registry, make_job: MakeJob) -> None:
    registry.add_job(make_job(id="bt-abcdef"))
    with pytest.raises(JobNotFound):
        registry.find_job("bt-_b%")


def test_list_is_newest_first_and_filters(
    registry: Registry, make_job: MakeJob, clock: FakeClock
) -> None:
    oldest = registry.add_job(make_job(profile="openai", status=JobStatus.COMPLETED))
    clock.advance(hours=1)
    middle = registry.add_job(make_job(profile="portkey", status=JobStatus.IN_PROGRESS))
    clock.advance(hours=1)
    newest = registry.add_job(make_job(profile="openai", status=JobStatus.IN_PROGRESS))

    assert registry.list_jobs() == [newest, middle, oldest]
    assert registry.list_jobs(profile="openai") == [newest, oldest]
    assert registry.list_jobs(statuses=[JobStatus.IN_PROGRESS]) == [newest, middle]
    assert registry.list_jobs(statuses=["completed", JobStatus.FAILED]) == [oldest]
    assert registry.list_jobs(statuses=[]) == []
    assert registry.list_jobs(profile="openai", statuses=[JobStatus.COMPLETED]) == [oldest]
    assert registry.list_jobs(limit=2) == [newest, middle]


def test_list_sorts_by_instant_whatever_the_time_zone(
    registry: Registry, make_job: MakeJob, clock: FakeClock
) -> None:
    base = clock()
    earlier_far_east = make_job(
        created_at=(base - timedelta(hours=1)).astimezone(timezone(timedelta(hours=14)))
    )
    later_utc = make_job(created_at=base)
    registry.add_job(later_utc)
    registry.add_job(earlier_far_east)
    assert [job.id for job in registry.list_jobs()] == [later_utc.id, earlier_far_east.id]


def test_list_sees_changes_after_a_cached_read(registry: Registry, make_job: MakeJob) -> None:
    job = registry.add_job(make_job())
    other = registry.add_job(make_job())
    registry.list_jobs()

    registry.apply_remote(
        job.id, RemoteBatch(id="batch_9", status=JobStatus.IN_PROGRESS, raw_status="in_progress")
    )
    registry.delete_job(other.id)

    [listed] = registry.list_jobs()
    assert listed.status is JobStatus.IN_PROGRESS
    assert listed.remote_id == "batch_9"


def test_list_sees_a_write_through_another_connection(
    registry: Registry, registry_path: Path, make_job: MakeJob
) -> None:
    job = registry.add_job(make_job())
    registry.list_jobs()
    with Registry(registry_path) as other:
        other.update_job(job.id, name="renamed elsewhere")
    assert registry.list_jobs()[0].name == "renamed elsewhere"


def test_counts_by_status(registry: Registry, make_job: MakeJob) -> None:
    for status in [JobStatus.COMPLETED, JobStatus.COMPLETED, JobStatus.FAILED]:
        registry.add_job(make_job(status=status))
    registry.add_job(make_job(status=JobStatus.COMPLETED, profile="portkey"))
    assert registry.counts_by_status() == {JobStatus.COMPLETED: 3, JobStatus.FAILED: 1}
    assert registry.counts_by_status(profile="portkey") == {JobStatus.COMPLETED: 1}


def test_listing_a_thousand_unchanged_jobs_decodes_none_again(
    registry: Registry, registry_path: Path, make_job: MakeJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI lists every 2 s; rows unchanged since the last list are not decoded again
    (decoding dominates the read). Counted, not timed: a loaded machine cannot flake it."""
    jobs = [make_job(metadata={"owner": "ada"}, model="gpt-4o-mini") for _ in range(1000)]
    # Inserted in one transaction through a second connection: this test is about reads.
    with contextlib.closing(sqlite3.connect(registry_path)) as conn, conn:
        conn.executemany(
            f"INSERT INTO jobs ({', '.join(codec.JOB_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in codec.JOB_COLUMNS)})",
            [codec.job_to_row(job) for job in jobs],
        )
    decoded: list[str] = []
    real_row_to_job = codec.row_to_job

    def counting_row_to_job(row: codec.JobRow) -> object:
        decoded.append(row[0])
        return real_row_to_job(row)

    monkeypatch.setattr(codec, "row_to_job", counting_row_to_job)
    first = registry.list_jobs()
    assert first == jobs[::-1]
    assert len(decoded) == 1000

    decoded.clear()
    again = registry.list_jobs()
    assert again == first
    assert decoded == []

    registry.update_job(jobs[0].id, name="changed")
    decoded.clear()
    registry.list_jobs()
    assert decoded == [jobs[0].id]


def test_a_unique_name_finds_its_job_after_ids(registry: Registry, make_job: MakeJob) -> None:
    named = registry.add_job(make_job(id="bt-n00001", name="eval-v2"))
    registry.add_job(make_job(id="bt-n00002", name="other"))
    assert registry.find_job("eval-v2") == named
    # Matching order: local id, remote id, exact name, id prefix.
    by_remote = registry.add_job(make_job(id="bt-n00003", name="x", remote_id="eval-v3"))
    registry.add_job(make_job(id="bt-n00004", name="eval-v3"))
    assert registry.find_job("eval-v3") == by_remote
    prefix_named = registry.add_job(make_job(id="bt-n00005", name="n0000"))
    assert registry.find_job("n0000") == prefix_named  # the name wins over the id prefix


def test_a_shared_name_is_ambiguous_and_lists_the_jobs(
    registry: Registry, make_job: MakeJob
) -> None:
    registry.add_job(make_job(id="bt-s00001", name="nightly"))
    registry.add_job(make_job(id="bt-s00002", name="nightly"))
    with pytest.raises(UsageError) as caught:
        registry.find_job("nightly")
    assert "bt-s00001" in str(caught.value) and "bt-s00002" in str(caught.value)
