"""The job list filters and sorts non-ASCII text as Python's casefold() does (`É` finds `é`,
`ß` is `ss`), in SQL through the folded copies the registry keeps, on rows written now and
on rows a v10 registry already held (filled by the v11 migration)."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from batchtui.core.jobview import ArchivedScope, SortField, SortOrder, parse_filter
from batchtui.core.models import Job, JobGroup
from batchtui.core.registry import Registry, codec, pages, schema

from .conftest import FakeClock, MakeJob
from .test_registry_pages import ORDERS, python_rows

NAMES = ["Émile", "emile", "éclair", "Straße", "STRASSE", "İstanbul", "istanbul", "Zoë", "zoe"]
PROFILES = ["Prod-É", "prod-é", "demo"]


@pytest.fixture
def unicode_registry(registry: Registry, make_job: MakeJob, clock: FakeClock) -> Registry:
    jobs = []
    for n, name in enumerate(NAMES):
        clock.advance(minutes=1)
        jobs.append(
            make_job(
                id=f"bt-u{n:03d}",
                name=name,
                profile=PROFILES[n % 3],
                model=["Modèle-X", "gpt-4o"][n % 2],
                remote_id=f"batch_Ü{n}" if n % 2 else None,
            )
        )
    registry.add_jobs(jobs)
    clock.advance(minutes=1)
    group = JobGroup(id="bg-u1", name="Ärger", profile="demo", shard_count=1, created_at=clock.now)
    shard = make_job(id="bt-us1", name="ÉTÉ shard", group_id=group.id, shard_index=1)
    registry.add_group(group, [shard])
    return registry


def listed(registry: Registry, text: str, order: SortOrder | None = None) -> list[str]:
    order = order or SortOrder()
    page = registry.job_page(parse_filter(text), order, ArchivedScope.HIDDEN, offset=0, limit=100)
    return [row.name for row in page.rows]


FILTERS = ["é", "É", "émile", "ß", "ss", "straße", "İ", "i", "ë", "ä", "profile:prod-é",
           "profile:PROD-É", "model:modèle", "id:ü", "!é", "été"]  # fmt: skip


@pytest.mark.parametrize("text", FILTERS)
def test_non_ascii_filters_list_what_python_casefold_lists(
    unicode_registry: Registry, text: str
) -> None:
    for order in ORDERS:
        expected, _counts = python_rows(unicode_registry, text, order)
        page = unicode_registry.job_page(
            parse_filter(text), order, ArchivedScope.HIDDEN, offset=0, limit=100
        )
        assert [row.id for row in page.rows] == expected, (text, order)
        assert page.shown == len(expected)


def test_what_casefolding_finds_and_how_names_sort(unicode_registry: Registry) -> None:
    by_name = SortOrder(SortField.NAME)
    # Not emile; the group by its shard "ÉTÉ shard"; ä before é.
    assert listed(unicode_registry, "name:É", by_name) == ["Ärger", "éclair", "Émile"]
    # ß is ss: a tie, newest first.
    assert listed(unicode_registry, "name:ß", by_name) == ["STRASSE", "Straße"]
    assert listed(unicode_registry, "name:straße", by_name) == ["STRASSE", "Straße"]
    assert listed(unicode_registry, "name:ë") == ["Zoë"]
    assert listed(unicode_registry, "ärger") == ["Ärger"]  # a group, by its own name
    assert listed(unicode_registry, "été") == ["Ärger"]  # a group, by a shard's name
    both = sorted(name for n, name in enumerate(NAMES) if PROFILES[n % 3] != "demo")
    assert sorted(listed(unicode_registry, "profile:prod-é")) == both  # Prod-É and prod-é
    # A to Z by the folded name, ties (emile/Émile are not ties: e < é) newest first.
    names = listed(unicode_registry, "", by_name)
    assert names == sorted(names, key=str.casefold)
    assert names.index("emile") < names.index("zoe") < names.index("Zoë") < names.index("éclair")
    backwards = listed(unicode_registry, "", SortOrder(SortField.NAME, reverse=True))
    folded = [name.casefold() for name in backwards]
    assert folded == sorted(folded, reverse=True)


def test_an_update_refolds_the_row(unicode_registry: Registry) -> None:
    unicode_registry.update_job("bt-u001", name="Ærøskøbing")
    assert listed(unicode_registry, "ærø") == ["Ærøskøbing"]
    assert "emile" not in listed(unicode_registry, "emile")


def test_the_name_sort_reads_through_its_index(unicode_registry: Registry) -> None:
    sql = pages.page_sql(parse_filter(""), SortOrder(SortField.NAME), ArchivedScope.HIDDEN, 0, 50)
    plan = unicode_registry._db.read(
        lambda conn: conn.execute("EXPLAIN QUERY PLAN " + sql.text, sql.params).fetchall()
    )
    text = " | ".join(str(row[-1]) for row in plan)
    assert "INDEX jobs_top_name" in text
    assert "TEMP B-TREE" not in text.split("SCAN g")[0]  # no sort of every job


def test_a_v10_registry_gets_its_folded_copies(registry_path: Path, clock: FakeClock) -> None:
    jobs = [
        Job(
            id=f"bt-old{n}",
            name=name,
            profile="Prod-É",
            kind="openai",
            tag=str(uuid.uuid4()),
            model="Modèle",
            remote_id=f"batch_Ü{n}",
            created_at=clock.now + timedelta(minutes=n),
        )
        for n, name in enumerate(NAMES)
    ]
    shard = Job(
        id="bt-oldshard",
        name="été",
        profile="Prod-É",
        kind="openai",
        tag=str(uuid.uuid4()),
        group_id="bg-old",
        shard_index=1,
        created_at=clock.now,
    )
    group = JobGroup(id="bg-old", name="Ärger", profile="Prod-É", shard_count=1,
                     created_at=clock.now + timedelta(hours=1))  # fmt: skip
    registry_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(registry_path, isolation_level=None)
    try:
        schema.apply_migrations(conn, registry_path, target=10)
        for job in [*jobs, shard]:
            conn.execute(
                f"INSERT INTO jobs ({', '.join(codec.JOB_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in codec.JOB_COLUMNS)})",
                codec.job_to_row(job),
            )
        conn.execute(
            f"INSERT INTO groups ({', '.join(codec.GROUP_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in codec.GROUP_COLUMNS)})",
            codec.group_to_row(group),
        )
        columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
        assert "name_fold" not in columns
    finally:
        conn.close()

    with Registry(registry_path) as registry:
        assert [registry.get_job(job.id) for job in jobs] == jobs  # nothing else changed
        assert listed(registry, "name:ß", SortOrder(SortField.NAME)) == ["STRASSE", "Straße"]
        assert listed(registry, "profile:prod-é archived:all") == listed(registry, "")
        assert listed(registry, "model:modèle") == listed(registry, "model:MODÈLE")
        assert len(listed(registry, "id:ü")) == len(NAMES)
        assert listed(registry, "ärger") == listed(registry, "ÉTÉ") == ["Ärger"]
        names = listed(registry, "", SortOrder(SortField.NAME))
        assert names == sorted(names, key=str.casefold)

    conn = sqlite3.connect(registry_path)
    try:
        assert schema.read_version(conn) == schema.SCHEMA_VERSION == 11
        folded = dict(conn.execute("SELECT id, name_fold FROM jobs").fetchall())
        assert folded == {job.id: job.name.casefold() for job in [*jobs, shard]}
        indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        assert "jobs_top_name" in indexes
        # The migration's helper function is not part of the schema: a plain connection
        # (another process, the sqlite3 shell) writes to the tables as before.
        conn.execute("UPDATE jobs SET name = 'x' WHERE id = 'bt-old0'")
        conn.execute("CREATE TABLE probe AS SELECT name_fold FROM jobs")
    finally:
        conn.close()
