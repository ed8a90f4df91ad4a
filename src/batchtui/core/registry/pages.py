"""The job list's SQL: top-level rows (jobs of their own, one row per group) filtered,
sorted, counted and cut into pages inside SQLite, so a list shows a window of a registry
of any size without reading every job.

Text is compared casefolded, as `jobview` compares it in Python: through the copies the
registry keeps beside the text (`*_fold` columns; SQLite's lower() folds ASCII only).

A group's row stands for its shards as `groups.group_as_job` does: the most active status
of a running shard, once all have ended the worst end; its model and kind are its first
shard's. It matches a filter when it or any of its shards does, and it is archived when
every shard is. The filter and sort are `jobview`'s; `jobview.sort_jobs` and
`JobFilter.matches` are the same rules in Python (the tests hold the two together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from batchtui.core.jobview import (
    ENDED_WORST_FIRST,
    EXACT_FILTER_FIELDS,
    STATUS_RANK,
    ArchivedScope,
    FilterTerm,
    JobFilter,
    SortField,
    SortOrder,
)
from batchtui.core.status import TERMINAL_STATUSES, JobStatus

if TYPE_CHECKING:
    from batchtui.core.models import Job, JobGroup

# Columns of a top-level row; the filter's fields map onto them.
_SEARCHED = ("id", "remote_id", "name", "profile", "model", "status", "kind")
_FIELD_COLUMNS = {
    "status": ("status",),
    "profile": ("profile",),
    "name": ("name",),
    "model": ("model",),
    "id": ("id", "remote_id"),
    "kind": ("kind",),
}
# The casefolded copy of a column; the others hold ASCII batchtui writes (ids, statuses).
_FOLDED = {"name": "name_fold", "profile": "profile_fold", "model": "model_fold",
           "remote_id": "remote_id_fold"}  # fmt: skip


def _rank_case(column: str, order: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN '{status}' THEN {rank}" for rank, status in enumerate(order))
    return f"(CASE {column} {whens} ELSE {len(order)} END)"


_BY_RANK = tuple(status.value for status in sorted(STATUS_RANK, key=STATUS_RANK.__getitem__))
_RUNNING = ", ".join(f"'{s.value}'" for s in STATUS_RANK if s not in TERMINAL_STATUSES)
_GROUP_STATUS = (
    "COALESCE("
    f"(SELECT s.status FROM jobs s WHERE s.group_id = g.id AND s.status IN ({_RUNNING}) "
    f"ORDER BY {_rank_case('s.status', _BY_RANK)} LIMIT 1), "
    "(SELECT s.status FROM jobs s WHERE s.group_id = g.id "
    f"ORDER BY {_rank_case('s.status', tuple(x.value for x in ENDED_WORST_FIRST))} LIMIT 1), "
    "'not_submitted')"
)
_FIRST_SHARD = (
    "(SELECT s.{column} FROM jobs s WHERE s.group_id = g.id ORDER BY s.shard_index LIMIT 1)"
)
_UNARCHIVED_SHARD = (
    "EXISTS (SELECT 1 FROM jobs s WHERE s.group_id = g.id AND s.archived_at IS NULL)"
)
_ANY_SHARD = "EXISTS (SELECT 1 FROM jobs s WHERE s.group_id = g.id)"


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[object, ...] = ()


def _term_sql(term: FilterTerm, alias: str) -> Sql:
    columns = _FIELD_COLUMNS[term.field] if term.field else _SEARCHED
    tests: list[str] = []
    params: list[object] = []
    for column in columns:
        value = f"COALESCE({alias}.{column}, '')"
        if column in _FOLDED:
            folded = f"COALESCE({alias}.{_FOLDED[column]}, '')"
        else:
            folded = f"lower({value})"
        if term.field in EXACT_FILTER_FIELDS:
            tests.append(f"{folded} = ?")
        elif term.field == "status":
            tests.append(f"substr({value}, 1, {len(term.value)}) = ?")
        else:
            tests.append(f"instr({folded}, ?) > 0")
        params.append(term.value)
    found = "(" + " OR ".join(tests) + ")"
    return Sql(f"NOT {found}" if term.negate else found, tuple(params))


def _filter_sql(job_filter: JobFilter, alias: str) -> Sql:
    parts = [_term_sql(term, alias) for term in job_filter.terms]
    if not parts:
        return Sql("1")
    return Sql(
        " AND ".join(part.text for part in parts),
        tuple(param for part in parts for param in part.params),
    )


_JOB_SCOPE = {
    ArchivedScope.HIDDEN: " AND archived_at IS NULL",
    ArchivedScope.ONLY: " AND archived_at IS NOT NULL",
    ArchivedScope.ALL: "",
}
_GROUP_SCOPE = {
    ArchivedScope.HIDDEN: _UNARCHIVED_SHARD,
    ArchivedScope.ONLY: f"{_ANY_SHARD} AND NOT {_UNARCHIVED_SHARD}",
    ArchivedScope.ALL: "1",
}


def job_rows(scope: ArchivedScope) -> str:
    """Jobs of their own (no group) in `scope`, as top-level rows."""
    return (
        "SELECT id, 0 AS is_group, name, profile, model, kind, remote_id, status, created_at, "
        "name_fold, profile_fold, model_fold, remote_id_fold "
        f"FROM jobs WHERE group_id IS NULL{_JOB_SCOPE[scope]}"
    )


def group_rows(scope: ArchivedScope) -> str:
    """One row per group in `scope`, standing for its shards."""
    return (
        f"SELECT g.id AS id, 1 AS is_group, g.name AS name, g.profile AS profile, "
        f"{_FIRST_SHARD.format(column='model')} AS model, "
        f"{_FIRST_SHARD.format(column='kind')} AS kind, NULL AS remote_id, "
        f"{_GROUP_STATUS} AS status, g.created_at AS created_at, g.name_fold AS name_fold, "
        f"g.profile_fold AS profile_fold, {_FIRST_SHARD.format(column='model_fold')} AS "
        "model_fold, NULL AS remote_id_fold "
        f"FROM groups g WHERE {_GROUP_SCOPE[scope]}"
    )


def top_rows(scope: ArchivedScope) -> str:
    """A sub-select of every top-level row in `scope`: (id, is_group, name, profile, model,
    kind, remote_id, status, created_at, and the folded copies of name to remote_id)."""
    return f"{job_rows(scope)} UNION ALL {group_rows(scope)}"


def matching_rows(job_filter: JobFilter, scope: ArchivedScope) -> Sql:
    """The top-level rows `job_filter` lets through: a group when it or a shard matches."""
    on_row = _filter_sql(job_filter, "t")
    if not job_filter.terms:
        return Sql(f"SELECT * FROM ({top_rows(scope)}) t")
    on_shard = _filter_sql(job_filter, "s")
    return Sql(
        f"SELECT * FROM ({top_rows(scope)}) t WHERE ({on_row.text}) OR (t.is_group AND EXISTS "
        f"(SELECT 1 FROM jobs s WHERE s.group_id = t.id AND {on_shard.text}))",
        on_row.params + on_shard.params,
    )


def order_by(order: SortOrder) -> str:
    """`jobview.sort_jobs` in SQL: ties newest first, then by id."""
    newest = "created_at DESC, id DESC"
    if order.field == SortField.AGE:
        return "created_at, id" if order.reverse else newest
    direction = " DESC" if order.reverse else ""
    if order.field == SortField.NAME:
        return f"name_fold{direction}, {newest}"
    return f"{_rank_case('status', _BY_RANK)}{direction}, {newest}"


def page_sql(
    job_filter: JobFilter, order: SortOrder, scope: ArchivedScope, offset: int, limit: int
) -> Sql:
    if not job_filter.terms and order.field in (SortField.AGE, SortField.NAME):
        # Unfiltered by age or name: a compound ORDER BY SQLite merges from the index,
        # reading only the rows up to the page instead of sorting the whole registry.
        keys = "id, is_group, created_at, name_fold"
        return Sql(
            f"SELECT id, is_group FROM (SELECT {keys} FROM ({job_rows(scope)}) "
            f"UNION ALL SELECT {keys} FROM ({group_rows(scope)}) "
            f"ORDER BY {order_by(order)} LIMIT ? OFFSET ?)",
            (limit, offset),
        )
    rows = matching_rows(job_filter, scope)
    return Sql(
        f"SELECT id, is_group FROM ({rows.text}) ORDER BY {order_by(order)} LIMIT ? OFFSET ?",
        (*rows.params, limit, offset),
    )


def count_sql(job_filter: JobFilter, scope: ArchivedScope) -> Sql:
    rows = matching_rows(job_filter, scope)
    return Sql(f"SELECT count(*) FROM ({rows.text})", rows.params)


def status_counts_sql(scope: ArchivedScope) -> tuple[Sql, Sql]:
    """Statuses of the jobs of their own (read from an index alone) and of the groups."""
    return (
        Sql(
            f"SELECT status, count(*) FROM jobs WHERE group_id IS NULL{_JOB_SCOPE[scope]} "
            "GROUP BY status"
        ),
        Sql(f"SELECT status, count(*) FROM ({group_rows(scope)}) GROUP BY status"),
    )


@dataclass(frozen=True)
class JobPage:
    """A window of the job list: its top-level rows (a group as `group_as_job`), the
    groups among them with their shards, and the counts of the whole list."""

    offset: int = 0
    rows: tuple[Job, ...] = ()
    groups: dict[str, JobGroup] = field(default_factory=dict)
    shards: dict[str, list[Job]] = field(default_factory=dict)
    shown: int = 0  # rows matching the filter
    counts: dict[JobStatus, int] = field(default_factory=dict)  # every row in scope

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def jobs(self) -> list[Job]:
        """Every job the page holds: its own rows and its groups' shards."""
        own = [row for row in self.rows if row.id not in self.groups]
        return own + [shard for shards in self.shards.values() for shard in shards]

    def with_job(self, job: Job) -> JobPage:
        """This page with `job` as a poll or an action just returned it; the counts follow
        a row of the page whose status changed (others wait for the next read)."""
        from dataclasses import replace

        from batchtui.core.groups import group_as_job

        shards = self.shards
        if job.group_id in self.groups:
            shards = dict(self.shards)
            group_shards = [job if shard.id == job.id else shard for shard in shards[job.group_id]]
            shards[job.group_id] = group_shards
            row = group_as_job(self.groups[job.group_id], group_shards)
        else:
            row = job
        old = next((top for top in self.rows if top.id == row.id), None)
        if old is None:
            return self if shards is self.shards else replace(self, shards=shards)
        rows = tuple(row if top.id == row.id else top for top in self.rows)
        counts = self.counts
        if old.status != row.status:
            counts = dict(counts)
            counts[old.status] = counts.get(old.status, 0) - 1
            if counts[old.status] <= 0:
                del counts[old.status]
            counts[row.status] = counts.get(row.status, 0) + 1
        return replace(self, rows=rows, shards=shards, counts=counts)

    @classmethod
    def assemble(
        cls,
        keys: Sequence[tuple[str, int]],
        jobs: dict[str, Job],
        groups: dict[str, JobGroup],
        shards: dict[str, list[Job]],
        *,
        offset: int,
        shown: int,
        counts: dict[JobStatus, int],
    ) -> JobPage:
        from batchtui.core.groups import group_as_job

        rows: list[Job] = []
        for key, is_group in keys:
            if is_group and key in groups:
                rows.append(group_as_job(groups[key], shards.get(key, [])))
            elif not is_group and key in jobs:
                rows.append(jobs[key])
        return cls(offset, tuple(rows), groups, shards, shown, counts)
