"""One SQLite connection used the way a file on NFS shared by several login nodes needs.

- Rollback journal (`journal_mode=DELETE`), never WAL: WAL's shared memory does not work
  across NFS clients.
- `synchronous=FULL`, a busy timeout, and on top of it a retry with jittered backoff of
  the whole transaction when the file is still locked.
- Every write is one short `BEGIN IMMEDIATE` transaction: the read-modify-write happens
  under the write lock, so concurrent writers lose nothing.
- Every committed write bumps the `meta` change counter (see `data_version`).
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tenacity import RetryCallState

from batchtui.core.errors import RegistryError
from batchtui.core.paths import ensure_private_dir
from batchtui.core.registry import loop_guard, schema

T = TypeVar("T")

BUSY_TIMEOUT_SECONDS = 10.0
# Attempts of a whole transaction, each waiting up to the busy timeout for the lock.
LOCKED_ATTEMPTS = 4

_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def is_locked_error(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    message = str(exc).lower()
    return "locked" in message or "busy" in message


def _create_private_file(path: Path) -> None:
    """Create an empty database file readable by the user only; an existing file is kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)  # os.open's mode is masked by the umask


class Database:
    """A registry file's connection; safe to share between threads (calls are serialized)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            ensure_private_dir(path.parent)
            _create_private_file(path)
        except OSError as exc:
            raise RegistryError(f"registry {path}: {exc.strerror or exc}") from exc
        self._conn = self._call(self._connect)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions, every BEGIN is ours.
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            [(journal_mode,)] = conn.execute("PRAGMA journal_mode").fetchall()
            try:
                [(journal_mode,)] = conn.execute("PRAGMA journal_mode = DELETE").fetchall()
            except sqlite3.OperationalError as exc:
                # Leaving WAL needs the file to ourselves: the switch reports "locked".
                if journal_mode.lower() != "wal" or not is_locked_error(exc):
                    raise
            if journal_mode.lower() != "delete":
                # Only possible while another program holds the file open in WAL mode.
                raise RegistryError(
                    f"registry {self.path} is in {journal_mode} journal mode and cannot be "
                    "switched back to the NFS-safe rollback journal while it is open elsewhere"
                )
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            schema.apply_migrations(conn, self.path)
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in a read transaction: its queries see one consistent state."""
        return self._call(lambda: self._transaction("BEGIN DEFERRED", work, count_change=False))

    def write(self, work: Callable[[sqlite3.Connection], T], *, count_change: bool = True) -> T:
        """Run `work` under the write lock; retried whole if the file stays locked.

        `count_change=False` for bookkeeping no reader shows (poll leases): the change
        counter stays, so readers do not re-read every job for it.
        """
        return self._call(
            lambda: self._transaction("BEGIN IMMEDIATE", work, count_change=count_change)
        )

    def change_counter(self) -> int:
        def read_counter(conn: sqlite3.Connection) -> int:
            rows = conn.execute(
                "SELECT value FROM meta WHERE key = ?", (schema.CHANGE_COUNTER_KEY,)
            ).fetchall()
            return rows[0][0]

        return self._call(lambda: self._transaction(None, read_counter, count_change=False))

    def _transaction(
        self, begin: str | None, work: Callable[[sqlite3.Connection], T], *, count_change: bool
    ) -> T:
        conn = self._conn
        with self._lock:
            if begin is None:
                return work(conn)
            conn.execute(begin)
            try:
                changes_before = conn.total_changes
                result = work(conn)
                if count_change and conn.total_changes != changes_before:
                    conn.execute(
                        "UPDATE meta SET value = value + 1 WHERE key = ?",
                        (schema.CHANGE_COUNTER_KEY,),
                    )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
            return result

    def _call(self, operation: Callable[[], T]) -> T:
        """Retry `operation` while the file is locked; turn SQLite errors into RegistryError."""
        loop_guard.check(f"registry {self.path}")
        try:
            try:
                return operation()
            except sqlite3.Error as exc:
                if not is_locked_error(exc):
                    raise
            return _retry_while_locked(operation)
        except sqlite3.Error as exc:
            raise self._registry_error(exc) from exc

    def _registry_error(self, exc: sqlite3.Error) -> RegistryError:
        detail = (str(exc).splitlines() or [type(exc).__name__])[0]
        if is_locked_error(exc):
            return RegistryError(
                f"registry {self.path} is still locked by another process after "
                f"{LOCKED_ATTEMPTS} tries of {BUSY_TIMEOUT_SECONDS:g} s ({detail})"
            )
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in detail:
            return RegistryError(f"registry {self.path} is not an SQLite database ({detail})")
        return RegistryError(f"registry {self.path}: {detail}")


def _retry_while_locked(operation: Callable[[], T]) -> T:
    """The attempts after a first one found the file locked, with jittered backoff.
    tenacity (and the asyncio it imports) loads only here: most commands never wait."""
    from tenacity import Retrying, retry_if_exception, stop_after_attempt
    from tenacity import wait_random_exponential as jittered

    retrying = Retrying(
        retry=retry_if_exception(is_locked_error),
        stop=stop_after_attempt(LOCKED_ATTEMPTS - 1),
        wait=jittered(multiplier=0.05, max=1.0),
        before=_wait_before_first_retry,
        reraise=True,
    )
    return retrying(operation)


def _wait_before_first_retry(state: RetryCallState) -> None:
    if state.attempt_number == 1:  # tenacity waits between its own attempts only
        time.sleep(random.uniform(0, 0.05))
