"""A file a command writes where the user said: its folder must exist, and a failed write is
one line naming the file and the cause (a full disk, a read-only folder), never a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from batchtui.core.errors import BatchtuiError


class OutputFileError(BatchtuiError):
    """A file could not be written (names the file or its folder, and why)."""


def cannot_write(path: Path, error: OSError) -> OutputFileError:
    """The one-line error for `error` met while writing `path`."""
    cause = error.strerror or type(error).__name__
    return OutputFileError(f"{path}: cannot write: {cause}; nothing was written")


def require_folder(path: Path) -> None:
    """Raise unless the folder `path` goes into exists: a mistyped `-o` must not silently
    create folders."""
    folder = path.parent
    if folder.is_dir():
        return
    shown = f"{folder}/" if str(folder) != "/" else "/"
    if folder.exists():
        raise OutputFileError(f"{path}: cannot write: {shown} is not a folder")
    raise OutputFileError(
        f"{path}: cannot write: folder {shown} does not exist (create it first, or choose "
        "another -o)"
    )


class _GuardedWriter:
    """A file object whose write errors become `OutputFileError` (read errors elsewhere in
    the same block keep their own message)."""

    def __init__(self, handle: IO[Any], path: Path) -> None:
        self._handle = handle
        self._path = path

    def write(self, data: Any) -> int:
        try:
            return self._handle.write(data)
        except OSError as exc:
            raise cannot_write(self._path, exc) from None

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError as exc:
            raise cannot_write(self._path, exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@contextlib.contextmanager
def output_file(
    path: Path, *, mode: int | None = None, text: bool = False, make_folder: bool = False
) -> Iterator[IO[Any]]:
    """`fsutil.atomic_output` for a file the user named: `path` is replaced only when the
    block ends normally, its folder is never created (unless `make_folder`, for batchtui's
    own default folders), and any failure to write is an `OutputFileError` naming `path`."""
    from batchtui.core.fsutil import atomic_output

    if make_folder:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise cannot_write(path.parent, exc) from None
    require_folder(path)
    writing = atomic_output(path, mode=mode, text=text)  # type: ignore[call-overload]
    try:
        handle = writing.__enter__()
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        yield _GuardedWriter(handle, path)  # type: ignore[misc]
    except BaseException as exc:
        with contextlib.suppress(OSError):
            writing.__exit__(type(exc), exc, exc.__traceback__)
        raise
    try:
        writing.__exit__(None, None, None)
    except OSError as exc:
        raise cannot_write(path, exc) from None
