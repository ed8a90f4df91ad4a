"""File writes that never leave a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload


@overload
def atomic_output(
    path: Path, *, mode: int | None = ..., text: Literal[False] = ...
) -> contextlib.AbstractContextManager[IO[bytes]]: ...
@overload
def atomic_output(
    path: Path, *, mode: int | None = ..., text: Literal[True]
) -> contextlib.AbstractContextManager[IO[str]]: ...
def atomic_output(path: Path, *, mode: int | None = None, text: bool = False) -> Any:
    """A temporary file beside `path`, renamed over it only when the block ends normally.

    An exception in the block (a cancel, a full disk, a bad input line) leaves `path` as it
    was and removes the temporary file. `mode=None` gives the permissions the umask gives
    (files in a directory the user chose); otherwise the file gets `mode` (0o600 for the
    files batchtui owns). Text mode writes UTF-8 with `\\n` line ends.
    """
    return _atomic_output(path, mode, text)


@contextlib.contextmanager
def _atomic_output(path: Path, mode: int | None, text: bool) -> Iterator[IO[Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        handle: IO[Any] = (
            os.fdopen(fd, "w", encoding="utf-8", newline="\n") if text else os.fdopen(fd, "wb")
        )
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode if mode is not None else 0o666 & ~_current_umask())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = 0o600) -> None:
    """Write `data` to `path` through a temporary file and a rename (see `atomic_output`)."""
    with atomic_output(path, mode=mode) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str, *, mode: int | None = 0o600) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
