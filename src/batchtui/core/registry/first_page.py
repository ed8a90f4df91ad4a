"""The job list's first page read straight from the registry file, for the first screen.

The TUI paints this before the registry store, its pydantic models and the config load:
the standard library's sqlite3 on a read-only connection that never waits on a lock, the
same page and count SQL as the job list (`pages`), rows decoded into light `ListedJob`s
that the list's cells (`jobs.list_cells`) render as they render a `Job` (a group's row
summed from its shards by the rules of `groups`). Whenever the file is missing, locked, of
another schema version or not as expected, the answer is None and the screen says it is
loading, as before.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from batchtui.core.groups import (
    group_problem,
    group_status,
    group_timestamps,
    group_updated_at,
    summed_counts,
)
from batchtui.core.jobview import JOB_LIST_COLUMNS, ArchivedScope, JobFilter, SortOrder
from batchtui.core.registry import pages
from batchtui.core.registry.listed import FirstPage, ListedCounts, ListedJob
from batchtui.core.registry.schema import APPLICATION_ID, SCHEMA_VERSION
from batchtui.core.status import JobStatus

# A writer holds the lock for milliseconds; longer means a long write or a stuck NFS lock,
# and the first screen shows "loading…" rather than wait for it.
LOCK_TIMEOUT_SECONDS = 0.05

_ROW_COLUMNS = (
    "id, name, profile, model, status, requests_total, requests_completed, requests_failed, "
    "requests_known, timestamps, last_error, created_at, updated_at, input_lines"
)
_JOB_SELECT = f"SELECT {_ROW_COLUMNS} FROM jobs"
_SHARD_SELECT = f"SELECT {_ROW_COLUMNS}, shard_index, group_id FROM jobs"
_GROUP_SELECT = "SELECT id, name, profile, created_at FROM groups"


def read_first_page(path: Path, *, limit: int) -> FirstPage | None:
    """The first `limit` rows of the default job list in the registry at `path`, or None
    when they cannot be read at once and in full (see the module's docstring)."""
    if not path.is_file():
        return None
    try:
        uri = path.absolute().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=LOCK_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        return _read(conn, limit)
    except (sqlite3.Error, ValueError, TypeError, KeyError):
        return None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, limit: int) -> FirstPage | None:
    [(application_id,)] = conn.execute("PRAGMA application_id").fetchall()
    [(version,)] = conn.execute("PRAGMA user_version").fetchall()
    if application_id != APPLICATION_ID or version != SCHEMA_VERSION:
        return None  # not ours, not migrated yet, or from a newer batchtui
    scope = ArchivedScope.HIDDEN
    conn.execute("BEGIN")  # the counts and the page from one state of the file
    counts: dict[JobStatus, int] = {}
    for query in pages.status_counts_sql(scope):
        for status, count in conn.execute(query.text, query.params):
            counts[JobStatus(status)] = counts.get(JobStatus(status), 0) + count
    page = pages.page_sql(JobFilter(), SortOrder(), scope, 0, limit)
    keys = conn.execute(page.text, page.params).fetchall()
    job_ids = [key for key, is_group in keys if not is_group]
    group_ids = [key for key, is_group in keys if is_group]
    found = {row[0]: _listed(row) for row in _rows(conn, _JOB_SELECT, "id", job_ids)}
    shards: dict[str, list[ListedJob]] = {group_id: [] for group_id in group_ids}
    for row in sorted(_rows(conn, _SHARD_SELECT, "group_id", group_ids), key=_by_shard):
        shards[row[-1]].append(_listed(row[:-2]))
    for group_id, name, profile, created_at in _rows(conn, _GROUP_SELECT, "id", group_ids):
        found[group_id] = _group_row(
            group_id, name, profile, datetime.fromisoformat(created_at), shards[group_id]
        )
    conn.execute("COMMIT")
    rows = tuple(found[key] for key, _is_group in keys if key in found)
    return FirstPage(rows=rows, counts=counts, groups=frozenset(group_ids))


def _rows(
    conn: sqlite3.Connection, select: str, column: str, values: list[str]
) -> list[tuple[Any, ...]]:
    if not values:
        return []
    marks = ", ".join("?" for _ in values)  # a page's worth: within SQLite's parameter limit
    return conn.execute(f"{select} WHERE {column} IN ({marks})", values).fetchall()


def _by_shard(row: tuple[Any, ...]) -> int:
    return row[-2] or 0  # as the registry orders a group's shards


def _group_row(
    group_id: str, name: str, profile: str, created_at: datetime, shards: list[ListedJob]
) -> ListedJob:
    """A group's row as `groups.group_as_job` makes it, from the same rules."""
    status = group_status(shards)
    return ListedJob(
        id=group_id,
        name=name,
        profile=profile,
        model=shards[0].model if shards else None,
        status=status,
        request_counts=ListedCounts(*summed_counts(shards)),  # type: ignore[arg-type]
        timestamps=group_timestamps(status, shards),  # type: ignore[arg-type]
        created_at=created_at,
        updated_at=group_updated_at(created_at, shards),  # type: ignore[arg-type]
        last_error=group_problem(shards),  # type: ignore[arg-type]
    )


def _listed(row: tuple[object, ...]) -> ListedJob:
    (job_id, name, profile, model, status, total, completed, failed, known, stamps, last_error,
     created_at, updated_at, input_lines) = row  # fmt: skip
    timestamps = {
        key: None if value is None else datetime.fromisoformat(value)
        for key, value in json.loads(str(stamps)).items()
    }
    return ListedJob(
        id=str(job_id),
        name=str(name),
        profile=str(profile),
        model=None if model is None else str(model),
        status=JobStatus(status),
        request_counts=ListedCounts(int(total), int(completed), int(failed), bool(known)),  # type: ignore[call-overload]
        timestamps=timestamps,
        created_at=datetime.fromisoformat(str(created_at)),
        updated_at=datetime.fromisoformat(str(updated_at)),
        last_error=None if last_error is None else str(last_error),
        input_lines=None if input_lines is None else int(input_lines),  # type: ignore[call-overload]
    )


def configured_columns(config: Path) -> frozenset[str] | None:
    """The `[ui] columns` of the config file at `config` (None: every column that fits),
    read as TOML alone; what the full config would refuse counts as not set."""
    try:
        text = config.read_text(encoding="utf-8")
        if "columns" not in text:  # the common case, told without parsing
            return None
        import tomllib

        ui = tomllib.loads(text).get("ui")
    except (OSError, ValueError):  # missing, unreadable, not UTF-8 or not TOML
        return None
    columns = ui.get("columns") if isinstance(ui, dict) else None
    if not isinstance(columns, list) or not all(name in JOB_LIST_COLUMNS for name in columns):
        return None
    return frozenset(columns)
