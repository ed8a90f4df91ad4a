"""The job registry: jobs and their status history in one SQLite file.

The file may sit on an NFS home shared by several login nodes and be used by several
batchtui processes at once (a TUI, a CLI `watch`, a cron `refresh`); see `database.py`
for how that is kept safe. API keys are never stored: `Job` has no field for one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core import paths
from batchtui.core.errors import JobNotFound, RegistryError, UsageError
from batchtui.core.models import Job, JobGroup, RemoteBatch, StatusChange, utc_now
from batchtui.core.registry import codec, pages
from batchtui.core.registry.database import Database
from batchtui.core.registry.ids import (
    GROUP_ID_PREFIX,
    JOB_ID_PREFIX,
    random_group_id,
    random_job_id,
)
from batchtui.core.registry.merge import merge_remote, needs_history_row, status_changed
from batchtui.core.status import TERMINAL_STATUSES, JobStatus

if TYPE_CHECKING:
    from batchtui.core.jobview import ArchivedScope, JobFilter, SortOrder

_JOB_SELECT = f"SELECT {', '.join(codec.JOB_COLUMNS)} FROM jobs"
_JOB_INSERT = (
    f"INSERT INTO jobs ({', '.join(codec.JOB_STORED_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in codec.JOB_STORED_COLUMNS)})"
)
_JOB_UPDATE = (
    f"UPDATE jobs SET {', '.join(f'{column} = ?' for column in codec.JOB_STORED_COLUMNS[1:])} "
    "WHERE id = ?"
)
_GROUP_SELECT = f"SELECT {', '.join(codec.GROUP_COLUMNS)} FROM groups"
_GROUP_INSERT = (
    f"INSERT INTO groups ({', '.join(codec.GROUP_STORED_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in codec.GROUP_STORED_COLUMNS)})"
)
_HISTORY_SELECT = f"SELECT {', '.join(codec.HISTORY_COLUMNS)} FROM status_history"
_HISTORY_INSERT = (
    f"INSERT INTO status_history ({', '.join(codec.HISTORY_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in codec.HISTORY_COLUMNS)})"
)

# `update_job` may change these; `id` is the key and `updated_at` is set by the registry.
UPDATABLE_FIELDS = frozenset(Job.model_fields) - {"id", "updated_at"}

# Decoded jobs kept for reuse past which a page read drops those off its page.
_DECODED_KEPT = 5_000

# How many candidates an ambiguous `find_job` names before "and N more".
_AMBIGUOUS_SHOWN = 5


class Registry:
    """SQLite registry safe for several processes on several NFS clients.

    Rollback journal (no WAL), busy timeout, one short BEGIN IMMEDIATE transaction
    per write; read-modify-write happens inside that transaction so concurrent
    writers lose nothing. `clock` gives "now" for `updated_at` and history rows.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], datetime] = utc_now,
        limits: codec.StorageLimits | None = None,
    ) -> None:
        self.path = path
        self._clock = clock
        # What is kept of provider strings and objects (see `codec.cap_job`).
        self.limits = limits or codec.StorageLimits()
        self._db = Database(path)
        # Last decoded Job per id with the row it came from (see `list_jobs`).
        self._decoded: dict[str, tuple[codec.JobRow, Job]] = {}

    @classmethod
    def open_default(cls, *, limits: codec.StorageLimits | None = None) -> Registry:
        """The registry at `paths.registry_path()` (BATCHTUI_DATA_DIR overrides)."""
        return cls(paths.registry_path(), limits=limits)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def new_job_id(self) -> str:
        """A fresh local id, short, never all digits (e.g. `bt-4kq9x2`)."""

        return self._db.read(self._unused_job_id)

    def add_job(self, job: Job, *, note: str | None = None) -> Job:
        """Insert a job (provider strings capped: `limits`) and its first history row."""
        job = codec.cap_job(job, self.limits)
        row = codec.job_row_stored(job)

        def insert(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job.id,)).fetchall():
                raise RegistryError(f"registry {self.path} already has a job {job.id}")
            conn.execute(_JOB_INSERT, row)
            self._add_history(conn, job, note)

        self._db.write(insert)
        return job

    def add_jobs(self, jobs: Iterable[Job], *, note: str | None = None) -> int:
        """Insert many jobs (each with its first history row) in one transaction: an
        import, or a benchmark's registry of 100,000 jobs. Returns how many."""
        capped = [codec.cap_job(job, self.limits) for job in jobs]

        def insert(conn: sqlite3.Connection) -> int:
            conn.executemany(_JOB_INSERT, [codec.job_row_stored(job) for job in capped])
            for job in capped:
                self._add_history(conn, job, note)
            return len(capped)

        return self._db.write(insert)

    # --- job groups -------------------------------------------------------------------

    def new_group_id(self) -> str:
        """A fresh group id (e.g. `bg-4kq9x2`)."""

        def unused_id(conn: sqlite3.Connection) -> str:
            while True:
                candidate = random_group_id()
                if not conn.execute("SELECT 1 FROM groups WHERE id = ?", (candidate,)).fetchall():
                    return candidate

        return self._db.read(unused_id)

    def add_group(self, group: JobGroup, shards: list[Job], *, note: str | None = None) -> JobGroup:
        """Insert a group and every one of its shard jobs in one transaction: all or nothing."""
        if len(shards) != group.shard_count:
            raise ValueError(
                f"group {group.id}: {len(shards)} shards, expected {group.shard_count}"
            )
        for index, shard in enumerate(shards, start=1):
            if shard.group_id != group.id or shard.shard_index != index:
                raise ValueError(f"job {shard.id} is not shard {index} of group {group.id}")

        def insert(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM groups WHERE id = ?", (group.id,)).fetchall():
                raise RegistryError(f"registry {self.path} already has a group {group.id}")
            conn.execute(_GROUP_INSERT, codec.group_row_stored(group))
            for shard in shards:
                if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (shard.id,)).fetchall():
                    raise RegistryError(f"registry {self.path} already has a job {shard.id}")
                conn.execute(_JOB_INSERT, codec.job_row_stored(codec.cap_job(shard, self.limits)))
                self._add_history(conn, shard, note)

        self._db.write(insert)
        return group

    def get_group(self, group_id: str) -> JobGroup:
        """By exact id; raises JobNotFound."""

        def read(conn: sqlite3.Connection) -> JobGroup:
            rows = conn.execute(_GROUP_SELECT + " WHERE id = ?", (group_id,)).fetchall()
            if not rows:
                raise JobNotFound(f"no job group {group_id!r} in the registry {self.path}")
            return self._decode_group(rows[0])

        return self._db.read(read)

    def find_group(self, ref: str) -> JobGroup:
        """By id or a unique prefix of one (`bg-` may be left out); raises JobNotFound."""
        local = ref.strip().lower()
        if not local:
            raise UsageError("empty group reference: give a group id (bg-...) or a prefix")
        prefix = local if local.startswith(GROUP_ID_PREFIX) else GROUP_ID_PREFIX + local

        def read(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            return conn.execute(
                _GROUP_SELECT + " WHERE substr(id, 1, ?) = ? ORDER BY created_at DESC",
                (len(prefix), prefix),
            ).fetchall()

        rows = self._db.read(read)
        if not rows:
            raise JobNotFound(f"no job group matches {ref!r} in {self.path}")
        exact = [row for row in rows if row[0] == prefix]
        if len(rows) > 1 and not exact:
            shown = ", ".join(str(row[0]) for row in rows[:_AMBIGUOUS_SHOWN])
            raise UsageError(
                f"group reference {ref!r} is ambiguous: it matches {shown}; give the full id"
            )
        return self._decode_group((exact or rows)[0])

    def list_groups(self, *, profile: str | None = None) -> list[JobGroup]:
        """Newest first."""
        query = _GROUP_SELECT
        params: tuple[object, ...] = ()
        if profile is not None:
            query += " WHERE profile = ?"
            params = (profile,)
        query += " ORDER BY created_at DESC, id DESC"
        rows = self._db.read(lambda conn: conn.execute(query, params).fetchall())
        return [self._decode_group(row) for row in rows]

    def group_jobs(self, group_id: str) -> list[Job]:
        """The shards of a group, in shard order."""
        rows = self._db.read(
            lambda conn: conn.execute(
                _JOB_SELECT + " WHERE group_id = ? ORDER BY shard_index", (group_id,)
            ).fetchall()
        )
        return [self._decode_cached(row) for row in rows]

    def child_jobs(self, parent_id: str) -> list[Job]:
        """The retries of a job, oldest first."""
        rows = self._db.read(
            lambda conn: conn.execute(
                _JOB_SELECT + " WHERE parent_id = ? ORDER BY created_at, id", (parent_id,)
            ).fetchall()
        )
        return [self._decode_cached(row) for row in rows]

    def _decode_group(self, row: codec.JobRow) -> JobGroup:
        try:
            return codec.row_to_group(row)
        except ValueError as exc:
            raise RegistryError(
                f"registry {self.path}: job group {row[0]!r} is unreadable ({exc})"
            ) from exc

    # --- jobs ---------------------------------------------------------------------------

    def get_job(self, job_id: str) -> Job:
        """By exact local id; raises JobNotFound."""
        return self._db.read(lambda conn: self._load(conn, job_id))

    def find_job(self, ref: str) -> Job:
        """By local id, remote batch id, or a unique prefix of a local id.

        The prefix may leave out `bt-` (`4kq` finds `bt-4kq9x2`); local ids match
        case-insensitively, remote ids exactly. Raises JobNotFound (exit 2) naming `ref`,
        or UsageError listing the candidates when ambiguous.
        """
        ref = ref.strip()
        if not ref:
            raise UsageError("empty job reference: give a local id, a remote batch id or a prefix")
        return self._db.read(lambda conn: self._find(conn, ref))

    def list_jobs(
        self,
        *,
        profile: str | None = None,
        statuses: Iterable[JobStatus] | None = None,
        limit: int | None = None,
        include_archived: bool = True,
    ) -> list[Job]:
        """Newest first.

        Rows unchanged since the previous call come back as the same Job objects (this is
        the TUI's every-2-seconds read, and decoding dominates it): treat jobs as read-only
        and change them through `update_job`.
        """
        where: list[str] = []
        params: list[object] = []
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if statuses is not None:
            wanted = [JobStatus(status).value for status in statuses]
            where.append(f"status IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        if not include_archived:
            where.append("archived_at IS NULL")
        query = _JOB_SELECT
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        rows = self._db.read(lambda conn: conn.execute(query, params).fetchall())
        jobs = [self._decode_cached(row) for row in rows]
        if not where and limit is None:
            seen = {job.id for job in jobs}
            for stale_id in self._decoded.keys() - seen:
                del self._decoded[stale_id]
        return jobs

    def counts_by_status(self, *, profile: str | None = None) -> dict[JobStatus, int]:
        """How many jobs are in each status (statuses with no job are left out)."""
        query = "SELECT status, count(*) FROM jobs"
        params: tuple[object, ...] = ()
        if profile is not None:
            query += " WHERE profile = ?"
            params = (profile,)
        query += " GROUP BY status"
        rows = self._db.read(lambda conn: conn.execute(query, params).fetchall())
        return {JobStatus(status): count for status, count in rows}

    def job_page(
        self,
        job_filter: JobFilter,
        order: SortOrder,
        scope: ArchivedScope,
        *,
        offset: int,
        limit: int,
    ) -> pages.JobPage:
        """`limit` top-level rows from `offset` of the list `job_filter` and `order` make,
        with the counts a header shows; every query of it sees one state of the file.

        Reads the page's rows (and its groups' shards), never the whole registry: SQLite
        filters, counts and sorts (see `pages`).
        """

        def read(conn: sqlite3.Connection) -> pages.JobPage:
            counts: dict[JobStatus, int] = {}
            for query in pages.status_counts_sql(scope):
                for status, count in conn.execute(query.text, query.params):
                    counts[JobStatus(status)] = counts.get(JobStatus(status), 0) + count
            if job_filter.terms:
                shown_sql = pages.count_sql(job_filter, scope)
                [(shown,)] = conn.execute(shown_sql.text, shown_sql.params).fetchall()
            else:
                shown = sum(counts.values())
            page_sql = pages.page_sql(job_filter, order, scope, max(offset, 0), limit)
            keys = conn.execute(page_sql.text, page_sql.params).fetchall()
            job_ids = [key for key, is_group in keys if not is_group]
            group_ids = [key for key, is_group in keys if is_group]
            jobs = {job.id: job for job in self._jobs_where(conn, "id", job_ids)}
            groups = {
                group.id: group
                for group in (
                    self._decode_group(row)
                    for row in self._rows_where(conn, _GROUP_SELECT, "id", group_ids)
                )
            }
            shards: dict[str, list[Job]] = {group_id: [] for group_id in group_ids}
            for shard in self._jobs_where(conn, "group_id", group_ids):
                shards[shard.group_id or ""].append(shard)
            page = pages.JobPage.assemble(
                keys, jobs, groups, shards, offset=max(offset, 0), shown=shown, counts=counts
            )
            if len(self._decoded) > _DECODED_KEPT:  # scrolling a long list: keep the page's
                held = {job.id for job in page.jobs}
                self._decoded = {key: value for key, value in self._decoded.items() if key in held}
            return page

        return self._db.read(read)

    def changed_since(self, revision: int) -> tuple[int, list[Job]]:
        """(`data_version` now, the jobs written after `revision`, a `data_version` read
        before): a refresh reads what changed, not every job. Forgotten jobs are not said."""

        def read(conn: sqlite3.Connection) -> tuple[int, list[Job]]:
            [(version,)] = conn.execute("SELECT value FROM meta WHERE key = 'changes'").fetchall()
            rows = conn.execute(_JOB_SELECT + " WHERE revision > ?", (revision,)).fetchall()
            return version, [self._decode_cached(row) for row in rows]

        return self._db.read(read)

    def active_jobs(self) -> list[Job]:
        """Jobs not yet ended (the ones worth polling), newest first."""
        active = [status for status in JobStatus if status not in TERMINAL_STATUSES]
        return self.list_jobs(statuses=active)

    def _rows_where(
        self, conn: sqlite3.Connection, select: str, column: str, values: list[str]
    ) -> list[codec.JobRow]:
        rows: list[codec.JobRow] = []
        for start in range(0, len(values), 500):  # SQLite's parameter limit
            chunk = values[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows += conn.execute(f"{select} WHERE {column} IN ({marks})", chunk).fetchall()
        return rows

    def _jobs_where(self, conn: sqlite3.Connection, column: str, values: list[str]) -> list[Job]:
        rows = self._rows_where(conn, _JOB_SELECT, column, values)
        jobs = [self._decode_cached(row) for row in rows]
        return sorted(jobs, key=lambda job: job.shard_index or 0)

    def update_job(self, job_id: str, *, note: str | None = None, **fields: object) -> Job:
        """Change fields of a job atomically; a status change adds a history row.

        Unknown (or read-only: `id`, `updated_at`) field names raise TypeError, bad
        values pydantic's ValidationError. `updated_at` is always touched. A history row
        is added when the status or raw status changes, or when a `note` is given.
        """
        unknown = sorted(set(fields) - UPDATABLE_FIELDS)
        if unknown:
            raise TypeError(f"update_job() got unknown or read-only field(s): {', '.join(unknown)}")

        def update(conn: sqlite3.Connection) -> Job:
            old = self._load(conn, job_id)
            new = Job.model_validate({**old.model_dump(), **fields, "updated_at": self._clock()})
            new = codec.cap_job(new, self.limits)
            self._store(conn, new)
            if note is not None or status_changed(old, new):
                self._add_history(conn, new, note)
            return new

        return self._db.write(update)

    def apply_remote(self, job_id: str, batch: RemoteBatch) -> tuple[Job, bool]:
        """Merge what the provider reported; returns the job and whether its status changed.

        Rules in `merge.py`. A report that changes nothing writes nothing.
        """

        return self._db.write(lambda conn: self._apply_remote(conn, job_id, batch))

    def record_listed_batch(
        self, batch: RemoteBatch, tag: str | None, new_job: Callable[[str], Job], *, note: str
    ) -> tuple[Job, str]:
        """A batch found by listing the provider (sync), recorded once, in one transaction,
        whatever another process does meanwhile: "tracked" when a job holds its id already;
        "recovered" when a job carries its `tag` without a remote id (a submit still
        `submitting` owns the batch it created); else "adopted" as `new_job(fresh id)`."""

        def record(conn: sqlite3.Connection) -> tuple[Job, str]:
            rows = conn.execute(_JOB_SELECT + " WHERE remote_id = ?", (batch.id,)).fetchall()
            if rows:
                return self._decode(rows[0]), "tracked"
            if tag:
                query = _JOB_SELECT + " WHERE tag = ? AND remote_id IS NULL"
                rows = conn.execute(query, (tag,)).fetchall()
                if rows:
                    own = self._decode(rows[0])
                    found = own.model_copy(
                        update={"remote_id": batch.id, "updated_at": self._clock()}
                    )
                    self._store(conn, found)
                    self._add_history(conn, found, "found by its tag (sync)")
                    return self._apply_remote(conn, own.id, batch)[0], "recovered"
            job = codec.cap_job(new_job(self._unused_job_id(conn)), self.limits)
            conn.execute(_JOB_INSERT, codec.job_row_stored(job))
            self._add_history(conn, job, note)
            return self._apply_remote(conn, job.id, batch)[0], "adopted"

        return self._db.write(record)

    def delete_job(self, job_id: str) -> None:
        """Forget a job and its history (the remote batch is not touched)."""

        def delete(conn: sqlite3.Connection) -> None:
            if conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount == 0:
                raise self._not_found(job_id)

        self._db.write(delete)

    def forget_jobs(self, job_ids: Iterable[str]) -> int:
        """Forget jobs, their history and leases in ONE transaction (a kill -9 leaves all or
        none); a group left without shards goes too. Returns how many jobs were removed."""
        wanted = list(dict.fromkeys(job_ids))

        def delete(conn: sqlite3.Connection) -> int:
            removed = 0
            for start in range(0, len(wanted), 500):  # SQLite's parameter limit
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                conn.execute(f"DELETE FROM poll_leases WHERE job_id IN ({marks})", chunk)
                conn.execute(f"DELETE FROM status_history WHERE job_id IN ({marks})", chunk)
                removed += conn.execute(f"DELETE FROM jobs WHERE id IN ({marks})", chunk).rowcount
            conn.execute(
                "DELETE FROM groups WHERE NOT EXISTS "
                "(SELECT 1 FROM jobs WHERE jobs.group_id = groups.id)"
            )
            for job_id in wanted:
                self._decoded.pop(job_id, None)
            return removed

        return self._db.write(delete)

    def history(self, job_id: str) -> list[StatusChange]:
        """Oldest first."""

        def read(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
            if not conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchall():
                raise self._not_found(job_id)
            return conn.execute(
                _HISTORY_SELECT + " WHERE job_id = ? ORDER BY seq", (job_id,)
            ).fetchall()

        try:
            return [codec.row_to_history(row) for row in self._db.read(read)]
        except ValueError as exc:
            raise RegistryError(
                f"registry {self.path}: history of job {job_id!r} is unreadable ({exc})"
            ) from exc

    def data_version(self) -> int:
        """Changes whenever any process commits a change: a cheap 'anything new?' check.

        A counter in the file bumped by every write transaction, so equal values in two
        processes mean the same contents; one indexed read, no table scan.
        """
        return self._db.change_counter()

    # --- poll leases: one process polls a job's provider, the others read what it wrote --

    def acquire_poll_lease(self, job_id: str, holder: str, seconds: float) -> bool:
        """Whether `holder` may poll the job's provider for the next `seconds`.

        Yes when nobody holds the lease, when it has expired, or when `holder` already
        holds it (it is then renewed). One UPDATE under the write lock decides, so of
        several processes asking at once exactly one wins. A job not in the registry
        has no lease to give. Leases do not bump `data_version`: no reader shows them.
        """

        def acquire(conn: sqlite3.Connection) -> bool:
            now = self._clock().timestamp()
            conn.execute(
                "INSERT OR IGNORE INTO poll_leases (job_id, holder, expires_at) "
                "SELECT ?, ?, 0 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?)",
                (job_id, holder, job_id),
            )
            taken = conn.execute(
                "UPDATE poll_leases SET holder = ?, expires_at = ? "
                "WHERE job_id = ? AND (expires_at <= ? OR holder = ?)",
                (holder, now + seconds, job_id, now, holder),
            )
            return taken.rowcount == 1

        return self._db.write(acquire, count_change=False)

    def poll_lease_holder(self, job_id: str) -> str | None:
        """Who holds the job's poll lease now (None: nobody, or it has expired)."""

        def read(conn: sqlite3.Connection) -> str | None:
            rows = conn.execute(
                "SELECT holder FROM poll_leases WHERE job_id = ? AND expires_at > ?",
                (job_id, self._clock().timestamp()),
            ).fetchall()
            return rows[0][0] if rows else None

        return self._db.read(read)

    def release_poll_leases(self, holder: str) -> int:
        """Give up every lease `holder` holds, poll and list leases (a TUI quitting);
        returns how many."""

        def release(conn: sqlite3.Connection) -> int:
            polls = conn.execute("DELETE FROM poll_leases WHERE holder = ?", (holder,)).rowcount
            lists = conn.execute("DELETE FROM list_leases WHERE holder = ?", (holder,)).rowcount
            return polls + lists

        return self._db.write(release, count_change=False)

    def acquire_list_lease(self, profile: str, holder: str, seconds: float) -> bool:
        """Whether `holder` may list the profile's batches to refresh its running jobs for
        the next `seconds`: as `acquire_poll_lease`, one holder per profile."""

        def acquire(conn: sqlite3.Connection) -> bool:
            now = self._clock().timestamp()
            conn.execute(
                "INSERT OR IGNORE INTO list_leases (profile, holder, expires_at) VALUES (?, ?, 0)",
                (profile, holder),
            )
            taken = conn.execute(
                "UPDATE list_leases SET holder = ?, expires_at = ? "
                "WHERE profile = ? AND (expires_at <= ? OR holder = ?)",
                (holder, now + seconds, profile, now, holder),
            )
            return taken.rowcount == 1

        return self._db.write(acquire, count_change=False)

    def list_lease_holder(self, profile: str) -> str | None:
        """Who holds the profile's list lease now (None: nobody, or it has expired)."""
        rows = self._db.read(
            lambda conn: conn.execute(
                "SELECT holder FROM list_leases WHERE profile = ? AND expires_at > ?",
                (profile, self._clock().timestamp()),
            ).fetchall()
        )
        return rows[0][0] if rows else None

    def apply_remote_many(
        self, reports: Iterable[tuple[str, RemoteBatch]]
    ) -> list[tuple[Job, bool]]:
        """`apply_remote` for many jobs in one transaction (a list page answered for them):
        a poll of 500 running jobs is one write, not 500. Jobs forgotten meanwhile are
        left out of the answer."""
        reports = list(reports)

        def apply(conn: sqlite3.Connection) -> list[tuple[Job, bool]]:
            applied = []
            for job_id, batch in reports:
                try:
                    applied.append(self._apply_remote(conn, job_id, batch))
                except JobNotFound:
                    continue
            return applied

        return self._db.write(apply) if reports else []

    def count_jobs_since(self, profile: str, since: datetime) -> int:
        """Jobs of `profile` created at or after `since`: what a list of its batches back
        to `since` holds at least, to weigh listing against asking for each."""
        stamp = codec.encode_datetime(since)
        return self._db.read(
            lambda conn: conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE profile = ? AND created_at >= ?",
                (profile, stamp),
            ).fetchall()[0][0]
        )

    # Helpers below run inside a transaction opened by `Database.read`/`write`.

    def _apply_remote(
        self, conn: sqlite3.Connection, job_id: str, batch: RemoteBatch
    ) -> tuple[Job, bool]:
        old = self._load(conn, job_id)
        merged = codec.cap_job(merge_remote(old, batch), self.limits)
        if merged == old:
            return old, False
        now = self._clock()
        new = merged.model_copy(update={"updated_at": now})
        self._store(conn, new)
        if needs_history_row(old, new, last_row_at=self._last_history_at(conn, job_id), now=now):
            self._add_history(conn, new, None)
        return new, old.status != new.status

    def _unused_job_id(self, conn: sqlite3.Connection) -> str:
        while True:
            candidate = random_job_id()
            if not conn.execute("SELECT 1 FROM jobs WHERE id = ?", (candidate,)).fetchall():
                return candidate

    def _load(self, conn: sqlite3.Connection, job_id: str) -> Job:
        rows = conn.execute(_JOB_SELECT + " WHERE id = ?", (job_id,)).fetchall()
        if not rows:
            raise self._not_found(job_id)
        return self._decode(rows[0])

    def _store(self, conn: sqlite3.Connection, job: Job) -> None:
        row = codec.job_row_stored(job)
        conn.execute(_JOB_UPDATE, (*row[1:], row[0]))

    def _add_history(self, conn: sqlite3.Connection, job: Job, note: str | None) -> None:
        change = StatusChange(
            job_id=job.id,
            at=self._clock(),
            status=job.status,
            raw_status=job.raw_status,
            request_counts=job.request_counts,
            note=codec.cap_text(note, self.limits.string),
        )
        conn.execute(_HISTORY_INSERT, codec.history_to_row(change))

    def _last_history_at(self, conn: sqlite3.Connection, job_id: str) -> datetime | None:
        rows = conn.execute(
            "SELECT at FROM status_history WHERE job_id = ? ORDER BY seq DESC LIMIT 1",
            (job_id,),
        ).fetchall()
        return codec.decode_datetime(rows[0][0]) if rows else None

    def _find(self, conn: sqlite3.Connection, ref: str) -> Job:
        local = ref.lower()
        rows = conn.execute(_JOB_SELECT + " WHERE id = ?", (local,)).fetchall()
        if rows:
            return self._decode(rows[0])
        rows = conn.execute(
            _JOB_SELECT + " WHERE remote_id = ? ORDER BY created_at DESC", (ref,)
        ).fetchall()
        if not rows:
            # Names are not unique: one job of that name is meant; several are ambiguous.
            rows = conn.execute(
                _JOB_SELECT + " WHERE name = ? ORDER BY created_at DESC", (ref,)
            ).fetchall()
        if not rows:
            prefixes = {local}
            if not local.startswith(JOB_ID_PREFIX):
                prefixes.add(JOB_ID_PREFIX + local)
            rows = conn.execute(
                _JOB_SELECT
                + " WHERE "
                + " OR ".join("substr(id, 1, ?) = ?" for _ in prefixes)
                + " ORDER BY created_at DESC",
                [value for prefix in sorted(prefixes) for value in (len(prefix), prefix)],
            ).fetchall()
        if not rows:
            raise JobNotFound(
                f"no job matches {ref!r} in {self.path} "
                "(looked for a local id, a remote batch id, a job name and a local id prefix)"
            )
        if len(rows) > 1:
            raise UsageError(self._ambiguous_message(ref, [self._decode(row) for row in rows]))
        return self._decode(rows[0])

    def _ambiguous_message(self, ref: str, jobs: list[Job]) -> str:
        shown = ", ".join(
            f"{job.id} ({job.remote_id or 'not submitted'})" for job in jobs[:_AMBIGUOUS_SHOWN]
        )
        more = f" and {len(jobs) - _AMBIGUOUS_SHOWN} more" if len(jobs) > _AMBIGUOUS_SHOWN else ""
        return f"job reference {ref!r} is ambiguous: it matches {shown}{more}; give the id"

    def _decode(self, row: codec.JobRow) -> Job:
        try:
            return codec.row_to_job(row)
        except ValueError as exc:
            raise RegistryError(
                f"registry {self.path}: job {row[0]!r} is unreadable ({exc})"
            ) from exc

    def _decode_cached(self, row: codec.JobRow) -> Job:
        cached = self._decoded.get(row[0])
        if cached is not None and cached[0] == row:
            return cached[1]
        job = self._decode(row)
        self._decoded[row[0]] = (row, job)
        return job

    def _not_found(self, job_id: str) -> JobNotFound:
        return JobNotFound(f"no job {job_id!r} in the registry {self.path}")
