"""The job list's pages cut in SQL: the same rows, order and counts as the Python rules
(`JobFilter.matches`, `sort_jobs`, `group_as_job`) over every job, and "changed since"."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from batchtui.core.groups import group_as_job, split_by_group
from batchtui.core.jobview import ArchivedScope, SortField, SortOrder, parse_filter, sort_jobs
from batchtui.core.models import Job, JobGroup, RequestCounts
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus

from .conftest import FakeClock, MakeJob

STATUSES = list(JobStatus)


@pytest.fixture
def filled(registry: Registry, make_job: MakeJob, clock: FakeClock) -> Registry:
    """40 jobs of mixed status, name, profile and model (some archived, some alike in
    name and age), and two groups whose shards differ from the group's own fields."""
    jobs = []
    for n in range(40):
        clock.advance(minutes=1)
        jobs.append(
            make_job(
                id=f"bt-p{n:04d}",
                name=["alpha", "Beta", "gamma run", "delta"][n % 4],
                profile=["openai", "prod"][n % 2],
                model=None if n % 7 == 0 else ["gpt-4o-mini", "gpt-4.1"][n % 3 % 2],
                status=STATUSES[n % len(STATUSES)],
                remote_id=f"batch_{n}" if n % 5 else None,
                archived_at=clock.now if n % 9 == 4 else None,
                created_at=clock.now - timedelta(minutes=n % 3),  # ties on purpose
            )
        )
    registry.add_jobs(jobs)
    for number, statuses in ((1, (JobStatus.COMPLETED, JobStatus.IN_PROGRESS)), (2, (
            JobStatus.COMPLETED, JobStatus.FAILED))):  # fmt: skip
        clock.advance(minutes=1)
        group = JobGroup(
            id=f"bg-g{number}",
            name=f"grouped {number}",
            profile="openai",
            shard_count=2,
            created_at=clock.now,
        )
        shards = [
            make_job(
                id=f"bt-g{number}s{index}",
                name=f"special shard {index}",
                model="gemini-2.5-flash",
                status=status,
                group_id=group.id,
                shard_index=index,
                archived_at=clock.now if number == 2 else None,
                request_counts=RequestCounts(total=10, completed=index),
            )
            for index, status in enumerate(statuses, start=1)
        ]
        registry.add_group(group, shards)
    return registry


def python_rows(registry: Registry, text: str, order: SortOrder) -> tuple[list[str], Counter]:
    """The list as the Python rules make it from every job."""
    job_filter = parse_filter(text)
    scope = job_filter.archived or ArchivedScope.HIDDEN
    alone, grouped = split_by_group(registry.list_jobs())
    tops = [job for job in alone if scope.admits(job.archived_at is not None)]
    shards_of: dict[str, list[Job]] = {}
    for group in registry.list_groups():
        shards = grouped.get(group.id, [])
        if not scope.admits(all(shard.archived_at is not None for shard in shards)):
            continue
        shards_of[group.id] = shards
        tops.append(group_as_job(group, shards))
    counts = Counter(top.status for top in tops)
    terms = parse_filter(text.replace(f"archived:{job_filter.archived}", "")).matches
    visible = [top for top in tops if terms(top) or any(map(terms, shards_of.get(top.id, ())))]
    return [job.id for job in sort_jobs(visible, order)], counts


FILTERS = [
    "",
    "alpha",
    "ALPHA",
    "status:in",
    "!status:completed",
    "profile:prod",
    "profile:pro",
    "model:4.1",
    "id:batch_1",
    "special",
    "gamma run",
    "!gpt",
    "archived:all",
    "archived:yes",
    "archived:all status:fail",
]
ORDERS = [SortOrder(field, reverse) for field in SortField for reverse in (False, True)]


@pytest.mark.parametrize("text", FILTERS)
def test_sql_pages_list_what_the_python_rules_list(filled: Registry, text: str) -> None:
    job_filter = parse_filter(text)
    scope = job_filter.archived or ArchivedScope.HIDDEN
    for order in ORDERS:
        expected, counts = python_rows(filled, text, order)
        page = filled.job_page(job_filter, order, scope, offset=0, limit=1000)
        assert [row.id for row in page.rows] == expected, (text, order)
        assert page.shown == len(expected)
        assert page.counts == dict(counts)


def test_pages_cut_the_list_without_gaps_or_repeats(filled: Registry) -> None:
    job_filter = parse_filter("")
    for order in ORDERS:
        whole = filled.job_page(job_filter, order, ArchivedScope.ALL, offset=0, limit=1000)
        cut = [
            row.id
            for offset in range(0, whole.shown, 7)
            for row in filled.job_page(
                job_filter, order, ArchivedScope.ALL, offset=offset, limit=7
            ).rows
        ]
        assert cut == [row.id for row in whole.rows]


def test_a_group_row_sums_its_shards_and_holds_them(filled: Registry) -> None:
    page = filled.job_page(parse_filter("grouped"), SortOrder(), ArchivedScope.ALL, offset=0,
                           limit=10)  # fmt: skip
    rows = {row.id: row for row in page.rows}
    assert rows["bg-g1"].status == JobStatus.IN_PROGRESS  # the most active shard
    assert rows["bg-g2"].status == JobStatus.FAILED  # all ended: the worst end
    assert rows["bg-g1"].request_counts.completed == 3
    assert [shard.id for shard in page.shards["bg-g1"]] == ["bt-g1s1", "bt-g1s2"]
    assert {job.id for job in page.jobs} >= {"bt-g1s1", "bt-g2s2"}


def test_changed_since_reads_only_the_rows_written_after(filled: Registry) -> None:
    version = filled.data_version()
    assert filled.changed_since(version) == (version, [])
    filled.update_job("bt-p0003", name="renamed")
    filled.update_job("bt-g1s2", request_counts=RequestCounts(total=10, completed=9))
    now, changed = filled.changed_since(version)
    assert now == filled.data_version() > version
    assert sorted(job.id for job in changed) == ["bt-g1s2", "bt-p0003"]
    assert filled.changed_since(now) == (now, [])
    # Another process's write carries its revision too (the triggers live in the file).
    with Registry(filled.path) as other:
        other.update_job("bt-p0005", name="elsewhere")
    assert [job.id for job in filled.changed_since(now)[1]] == ["bt-p0005"]


def test_a_page_query_reads_through_the_indexes_it_needs(filled: Registry) -> None:
    from batchtui.core.registry import pages

    def plan(sql: pages.Sql) -> str:
        rows = filled._db.read(
            lambda conn: conn.execute("EXPLAIN QUERY PLAN " + sql.text, sql.params).fetchall()
        )
        return " | ".join(str(row[-1]) for row in rows)

    default = pages.page_sql(parse_filter(""), SortOrder(), ArchivedScope.HIDDEN, 0, 50)
    assert "INDEX jobs_top_age" in plan(default)
    assert "TEMP B-TREE" not in plan(default).split("SCAN g")[0]  # no sort of every job
    own_counts, _groups = pages.status_counts_sql(ArchivedScope.HIDDEN)
    assert "COVERING INDEX jobs_top_status" in plan(own_counts)


def test_a_polled_row_moves_the_counts_as_the_next_read_will(filled: Registry) -> None:
    """A poll's answer changes the page at once: the header's counts must agree with its
    rows until the registry is read again (and agree with that read)."""
    page = filled.job_page(parse_filter(""), SortOrder(), ArchivedScope.HIDDEN, offset=0, limit=5)
    row = next(job for job in page.rows if not job.is_terminal and job.id not in page.groups)
    polled = row.model_copy(update={"status": JobStatus.COMPLETED})
    moved = page.with_job(polled)
    assert moved.counts[row.status] == page.counts.get(row.status, 0) - 1
    assert moved.counts[JobStatus.COMPLETED] == page.counts.get(JobStatus.COMPLETED, 0) + 1
    filled.update_job(polled.id, status=JobStatus.COMPLETED)
    reread = filled.job_page(parse_filter(""), SortOrder(), ArchivedScope.HIDDEN, offset=0, limit=5)
    assert reread.counts == moved.counts
    # A shard's poll moves its group's row, and the counts with it.
    grouped = filled.job_page(
        parse_filter("grouped 1"), SortOrder(), ArchivedScope.HIDDEN, offset=0, limit=5
    )
    shard = next(s for s in grouped.shards["bg-g1"] if s.status is JobStatus.IN_PROGRESS)
    done = grouped.with_job(shard.model_copy(update={"status": JobStatus.COMPLETED}))
    [group_row] = [top for top in done.rows if top.id == "bg-g1"]
    assert group_row.status is JobStatus.COMPLETED
    assert sum(done.counts.values()) == sum(grouped.counts.values())
    assert done.counts != grouped.counts
    # A job off the page leaves the page as it was.
    off_page = polled.model_copy(update={"id": "bt-elsewhere"})
    assert moved.with_job(off_page) is moved
