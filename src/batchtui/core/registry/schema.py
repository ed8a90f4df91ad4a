"""The registry's schema, as an ordered list of migrations.

`PRAGMA user_version` holds how many migrations a file has had. Opening a file runs the
missing ones in one BEGIN IMMEDIATE transaction (DDL is transactional in SQLite), so two
processes opening an old registry at once migrate it exactly once. A file whose version
is higher than `SCHEMA_VERSION` comes from a newer batchtui and is refused untouched.

Only SQL that old system SQLite libraries (3.7.17 on EL7 login nodes) understand is used.

Later issues (job groups/shards, parent/child retry jobs, per-job poll leases) add
tables or columns as new migrations appended to `MIGRATIONS`; never edit a released one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from batchtui.core.errors import RegistryError

# "btui" in ASCII: marks the file as a batchtui registry (`PRAGMA application_id`).
APPLICATION_ID = 0x62747569

CHANGE_COUNTER_KEY = "changes"

Migration = Callable[[sqlite3.Connection], None]


def _v1_jobs_and_history(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            profile TEXT NOT NULL,
            kind TEXT NOT NULL,
            tag TEXT NOT NULL,
            status TEXT NOT NULL,
            raw_status TEXT,
            remote_id TEXT,
            endpoint TEXT,
            model TEXT,
            completion_window TEXT,
            input_path TEXT,
            input_sha256 TEXT,
            input_bytes INTEGER,
            input_lines INTEGER,
            input_file_id TEXT,
            output_file_id TEXT,
            error_file_id TEXT,
            output_path TEXT,
            error_path TEXT,
            requests_total INTEGER NOT NULL DEFAULT 0,
            requests_completed INTEGER NOT NULL DEFAULT 0,
            requests_failed INTEGER NOT NULL DEFAULT 0,
            timestamps TEXT NOT NULL DEFAULT '{}',
            errors TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            usage TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    # Remote ids are not unique: two clusters may both have a SLURM job 4123.
    conn.execute("CREATE INDEX jobs_remote_id ON jobs (remote_id)")
    conn.execute("CREATE INDEX jobs_status ON jobs (status)")
    conn.execute("CREATE INDEX jobs_created_at ON jobs (created_at)")
    conn.execute(
        """
        CREATE TABLE status_history (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            status TEXT NOT NULL,
            raw_status TEXT,
            requests_total INTEGER,
            requests_completed INTEGER,
            requests_failed INTEGER,
            note TEXT
        )
        """
    )
    conn.execute("CREATE INDEX status_history_job ON status_history (job_id, seq)")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _v2_change_counter(conn: sqlite3.Connection) -> None:
    # Bumped by every write, so any process can tell "something changed" with one read.
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute("INSERT INTO meta (key, value) VALUES (?, 0)", (CHANGE_COUNTER_KEY,))


def _v3_estimated_input_tokens(conn: sqlite3.Connection) -> None:
    # The offline token estimate of a job's input, summed for enqueued-token headroom.
    conn.execute("ALTER TABLE jobs ADD COLUMN estimated_input_tokens INTEGER")


def _v4_job_groups(conn: sqlite3.Connection) -> None:
    # A file split to fit a provider's limits: one group, its shards are ordinary jobs.
    conn.execute(
        """
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            profile TEXT NOT NULL,
            input_path TEXT,
            input_sha256 TEXT,
            input_bytes INTEGER,
            input_lines INTEGER,
            estimated_input_tokens INTEGER,
            shard_count INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )
        """
    )
    conn.execute("ALTER TABLE jobs ADD COLUMN group_id TEXT")
    conn.execute("ALTER TABLE jobs ADD COLUMN shard_index INTEGER")
    conn.execute("CREATE INDEX jobs_group ON jobs (group_id, shard_index)")


def _v5_retries_and_result_usage(conn: sqlite3.Connection) -> None:
    # A retry job points at the job it runs again; a group's retries are one per shard.
    conn.execute("ALTER TABLE jobs ADD COLUMN parent_id TEXT")
    conn.execute("CREATE INDEX jobs_parent ON jobs (parent_id)")
    # Tokens counted from downloaded result files (JSON), cached: counting a GB takes a while.
    conn.execute("ALTER TABLE jobs ADD COLUMN result_usage TEXT")


def _v6_poll_leases(conn: sqlite3.Connection) -> None:
    # Which process polls a job's provider for everyone (several TUIs on several login
    # nodes); `expires_at` is Unix seconds, compared with each node's own clock.
    conn.execute(
        """
        CREATE TABLE poll_leases (
            job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL
        )
        """
    )


def _v7_archived(conn: sqlite3.Connection) -> None:
    # `batchtui archive` hides a job from the default views without forgetting it.
    conn.execute("ALTER TABLE jobs ADD COLUMN archived_at TEXT")


def _v8_unknown_request_counts(conn: sqlite3.Connection) -> None:
    # 0: the provider reports no request counts (Vertex AI behind LiteLLM) and the results
    # have not been counted yet, so the three counts mean nothing.
    conn.execute("ALTER TABLE jobs ADD COLUMN requests_known INTEGER NOT NULL DEFAULT 1")


def _v9_job_list_pages(conn: sqlite3.Connection) -> None:
    # The job list reads pages and "what changed since": each job row carries the change
    # counter value of the write that last touched it, set by triggers so every writer
    # (every process and version) keeps it; the counter is bumped at the end of the same
    # transaction, so the row's revision equals the `data_version` readers then see.
    conn.execute("ALTER TABLE jobs ADD COLUMN revision INTEGER NOT NULL DEFAULT 0")
    conn.execute("CREATE INDEX jobs_revision ON jobs (revision)")
    for event in ("INSERT", "UPDATE"):
        guard = " WHEN NEW.revision IS OLD.revision" if event == "UPDATE" else ""
        conn.execute(
            f"CREATE TRIGGER jobs_revision_{event.lower()} AFTER {event} ON jobs{guard} "
            "BEGIN UPDATE jobs SET revision = "
            f"(SELECT value FROM meta WHERE key = '{CHANGE_COUNTER_KEY}') + 1 "
            "WHERE id = NEW.id; END"
        )
    # Top-level rows (no group) in the default scope, newest first, and their status counts.
    conn.execute("CREATE INDEX jobs_top_age ON jobs (group_id, archived_at, created_at, id)")
    conn.execute("CREATE INDEX jobs_top_status ON jobs (group_id, archived_at, status)")


def _v10_list_leases(conn: sqlite3.Connection) -> None:
    # Which process lists a profile's batches to refresh its running jobs for everyone (a
    # TUI and a `watch` beside it list once, not once each); as `poll_leases`, per profile.
    conn.execute(
        """
        CREATE TABLE list_leases (
            profile TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL
        )
        """
    )


def _v11_casefolded_search(conn: sqlite3.Connection) -> None:
    # The job list filters and sorts in SQL, whose lower() folds ASCII only: `É`, `ß`, `İ`
    # compared unlike Python's casefold(). The registry now writes casefolded copies of the
    # text it searches with every row; the rows already there get theirs here, through a
    # function that exists for this migration only (the schema never calls it).
    conn.create_function("batchtui_v11_fold", 1, _fold)
    for table, columns in (
        ("jobs", ("name", "profile", "model", "remote_id")),
        ("groups", ("name", "profile")),
    ):
        for column in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}_fold TEXT")
        copies = ", ".join(f"{column}_fold = batchtui_v11_fold({column})" for column in columns)
        conn.execute(f"UPDATE {table} SET {copies}")
    # Top-level rows of the default scope by name, ties newest first (`pages.order_by`).
    conn.execute(
        "CREATE INDEX jobs_top_name ON jobs "
        "(group_id, archived_at, name_fold, created_at DESC, id DESC)"
    )


def _fold(text: str | None) -> str | None:
    return None if text is None else str(text).casefold()


MIGRATIONS: tuple[Migration, ...] = (
    _v1_jobs_and_history,
    _v2_change_counter,
    _v3_estimated_input_tokens,
    _v4_job_groups,
    _v5_retries_and_result_usage,
    _v6_poll_leases,
    _v7_archived,
    _v8_unknown_request_counts,
    _v9_job_list_pages,
    _v10_list_leases,
    _v11_casefolded_search,
)
SCHEMA_VERSION = len(MIGRATIONS)
# The first version with the `meta` change counter.
CHANGE_COUNTER_SINCE = MIGRATIONS.index(_v2_change_counter) + 1


def read_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchall()[0][0]


def check_compatible(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version; RegistryError when it is not ours or is too new."""
    application_id = conn.execute("PRAGMA application_id").fetchall()[0][0]
    version = read_version(conn)
    if application_id not in (0, APPLICATION_ID):
        raise RegistryError(
            f"{path} is not a batchtui registry (SQLite application_id {application_id:#x})"
        )
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchall()[0][0]
        if tables:
            raise RegistryError(
                f"{path} is not a batchtui registry (an SQLite database of something else)"
            )
    if version > SCHEMA_VERSION:
        raise RegistryError(
            f"{path} was written by a newer batchtui (registry schema v{version}, this version "
            f"reads up to v{SCHEMA_VERSION}): upgrade batchtui or point BATCHTUI_DATA_DIR elsewhere"
        )
    return version


def apply_migrations(conn: sqlite3.Connection, path: Path, *, target: int = SCHEMA_VERSION) -> bool:
    """Bring the file up to `target` inside one write transaction; True if anything ran.

    The caller's connection must be in autocommit mode (`isolation_level=None`).
    """
    if check_compatible(conn, path) >= target:
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated between the check and the lock.
        version = check_compatible(conn, path)
        for migration in MIGRATIONS[version:target]:
            migration(conn)
        conn.execute(f"PRAGMA user_version = {target}")
        if target >= CHANGE_COUNTER_SINCE:
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = ?", (CHANGE_COUNTER_KEY,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return version < target
