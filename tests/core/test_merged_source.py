"""A job merged with its retries as rows a viewer reads: the very records `batchtui results`
prints (one merge, `families.merged_results`), readable by row, filtered and searched."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from batchtui.core.families import merged_results
from batchtui.core.merged_source import MergedSource
from batchtui.core.registry import Registry
from batchtui.core.result_search import SearchPattern, search_rows
from batchtui.core.service import JobService
from helpers.families import CUSTOM_IDS, add_family, offline_service


@pytest.fixture
async def family(tmp_path: Path) -> AsyncIterator[tuple[JobService, tuple]]:
    with Registry.open_default() as registry:
        members = add_family(registry, tmp_path / "family")
        async with offline_service(registry, Path(os.environ["BATCHTUI_CONFIG"])) as service:
            yield service, members


async def test_rows_are_the_records_the_cli_prints(family) -> None:
    service, (job, _retry1, _retry2) = family
    merged = await merged_results(service, job)
    source = MergedSource.build(merged)
    assert source is not None
    with merged:
        printed = list(merged.outcomes.records())  # what `batchtui results JOB` iterates
        rows = [source.record(row) for row in range(source.count)]
        assert rows == printed
        assert [record.custom_id for record in rows] == CUSTOM_IDS
        assert [record.ok for record in rows] == [True, True, True, True, False, True]
        assert rows[1].text == "A2 from retry one" and rows[2].text == "A3 from retry two"
        assert rows[4].error_code == "no_result"
        assert source.retries == 2 and source.complete and source.count == 6


async def test_where_names_the_member_each_record_came_from(family) -> None:
    service, (job, retry1, retry2) = family
    merged = await merged_results(service, job)
    source = MergedSource.build(merged)
    assert source is not None
    with merged:
        assert source.where(0).endswith(f"(job {job.id})")
        assert source.where(1).endswith(f"(retry {retry1.id})")
        assert str(retry2.output_path) in source.where(2)
        assert source.where(4) == "no result in the job or any of its retries"


async def test_filter_and_search_see_the_merged_records(family) -> None:
    service, (job, *_retries) = family
    merged = await merged_results(service, job)
    source = MergedSource.build(merged)
    assert source is not None
    with merged:
        assert list(source.matching_rows(errors_only=True, text="")) == [4]
        assert list(source.matching_rows(errors_only=False, text="retry one")) == [1, 5]
        assert list(source.matching_rows(errors_only=True, text="req-5")) == [4]
        # The job's own failures of req-2, req-3 and req-6 are gone: their retries won.
        assert list(source.matching_rows(errors_only=False, text="overloaded")) == []
        found: list[int] = []
        rows = search_rows(source, SearchPattern.compile("retry two"), found=found.append)
        assert list(rows) == [2] and found == [2]
        regex = search_rows(source, SearchPattern.compile(r"A[46] from"))
        assert list(regex) == [3, 5]
        assert list(search_rows(source, SearchPattern.compile("no result"))) == [4]


async def test_a_cancelled_build_gives_nothing(family) -> None:
    service, (job, *_retries) = family
    merged = await merged_results(service, job)
    with merged:
        assert MergedSource.build(merged, cancel=lambda: True) is None


async def test_without_the_input_each_custom_id_seen_once(family) -> None:
    service, (job, *_retries) = family
    assert job.input_path is not None
    job.input_path.unlink()
    merged = await merged_results(service, job)
    source = MergedSource.build(merged)
    assert source is not None
    with merged:
        ids = [source.record(row).custom_id for row in range(source.count)]
        assert ids == ["req-1", "req-2", "req-3", "req-4", "req-6"]  # req-5 never seen
        assert all(source.record(row).ok for row in range(source.count))
        assert any("original input is not on disk" in note for note in merged.notes)
