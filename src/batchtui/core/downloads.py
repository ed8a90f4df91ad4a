"""Result files brought to local disk whole, checked, and where the user wants them.

A file is fetched into `DIR/.incoming/NAME` (through `NAME.part`, which the provider
resumes with HTTP Range where the server honours it), then checked against the size the
provider's file object gives, hashed, and only then renamed to `DIR/NAME` beside a
`NAME.sha256` (`sha256sum -c` format). Before a byte is fetched, the free space of `DIR`
is compared with what is still to come plus a margin; a disk that fills up anyway (or a
quota) stops the download with one line naming the directory and the bytes needed, and
the `.part` stays for the next attempt.

`download_dir` in `[settings]` moves every job's folder (`batchtui-<id>/`) elsewhere:
HPC homes are small, scratch is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchtui.core.config import Config, Settings
from batchtui.core.errors import BatchtuiError, ConfigError, ProviderError
from batchtui.core.providers.base import BatchProvider, ProgressCallback
from batchtui.core.units import format_bytes

if TYPE_CHECKING:
    from batchtui.core.models import Job

STAGING_DIR = ".incoming"
CHECKSUM_SUFFIX = ".sha256"
PART_SUFFIX = ".part"
# Free space wanted beyond the file itself: the index saved beside it, the filesystem's
# own reserve, another download finishing at the same time.
MARGIN_BYTES = 64 << 20
MARGIN_FRACTION = 0.05
_HASH_CHUNK = 1 << 20
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

# `shutil.disk_usage`, or a stand-in with a `.free` (tests of a full disk).
DiskUsage = Callable[[Path], Any]


class DiskSpaceError(BatchtuiError):
    """Not enough room for a download, before it starts or when the disk filled up."""


class NotRecordedError(BatchtuiError):
    """The files were downloaded whole, but the registry could not record where: both are
    said, and the next download or open finds the files on disk (`found_on_disk`)."""

    def __init__(self, paths: list[Path], directory: Path, cause: BatchtuiError) -> None:
        count = f"{len(paths)} file" + ("" if len(paths) == 1 else "s")
        reason = str(cause).removeprefix("registry ")
        super().__init__(
            f"downloaded {count} to {directory}; could not record it in the registry ({reason})"
        )
        self.paths = paths
        self.directory = directory


# --- where --------------------------------------------------------------------------------


def download_root(settings: Settings, *, config_path: Path | None = None) -> Path:
    """`settings.download_dir` with `~` and environment variables expanded, else the
    current directory."""
    raw = settings.download_dir
    if not raw:
        return Path.cwd()
    expanded = os.path.expandvars(os.path.expanduser(raw))
    if "$" in expanded:
        where = f"{config_path}: " if config_path else ""
        raise ConfigError(
            f"{where}settings.download_dir {raw!r}: an environment variable in it is not set"
        )
    return Path(expanded)


def job_download_dir(
    settings: Settings, target_id: str, *, config_path: Path | None = None
) -> Path:
    """The folder of one job's (or group's) files: `<download_dir>/batchtui-<id>/`."""
    return download_root(settings, config_path=config_path) / f"batchtui-{target_id}"


def shard_folder(shard_index: int | None) -> str:
    return f"shard-{shard_index or 0:02d}"


def results_dir(settings: Settings, job: Job, *, config_path: Path | None = None) -> Path:
    """Where a job's results are downloaded, by every path (the CLI's `download`, `d` in
    the job list, the result viewer): `batchtui-<id>/`, and for a shard of a group its
    group's folder, `batchtui-<group>/shard-NN/`, so a group's results stay together."""
    if job.group_id:
        group_dir = job_download_dir(settings, job.group_id, config_path=config_path)
        return group_dir / shard_folder(job.shard_index)
    return job_download_dir(settings, job.id, config_path=config_path)


def config_results_dir(config: Config | None, job: Job) -> Path:
    """`results_dir` under a loaded config's settings (or the defaults without one)."""
    settings = config.settings if config is not None else Settings()
    config_path = config.path if config is not None else None
    return results_dir(settings, job, config_path=config_path).absolute()


# --- free space ---------------------------------------------------------------------------


def margin_for(size: int) -> int:
    return max(MARGIN_BYTES, int(size * MARGIN_FRACTION))


def check_free_space(
    directory: Path, still_to_come: int, *, name: str, disk_usage: DiskUsage | None = None
) -> None:
    """Raise DiskSpaceError when `directory` cannot take `still_to_come` bytes plus a margin."""
    wanted = still_to_come + margin_for(still_to_come)
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = (disk_usage or shutil.disk_usage)(probe).free
    except OSError:
        return  # cannot tell (odd mounts): the write itself will say
    if free < wanted:
        raise DiskSpaceError(
            f"{directory}: not enough free space to download {name}: it needs "
            f"{format_bytes(still_to_come)} ({still_to_come:,} bytes) plus a "
            f"{format_bytes(wanted - still_to_come)} margin, {format_bytes(free)} free; "
            "set download_dir in [settings] or pass -o DIR to use another disk"
        )


def disk_full_error(directory: Path, name: str, part: Path, needed: int | None) -> DiskSpaceError:
    amount = f"{needed:,} more bytes ({format_bytes(needed)})" if needed else "more room"
    return DiskSpaceError(
        f"{directory}: disk full or over quota while downloading {name}: it needs {amount}; "
        f"the partial download {part} is kept and resumes on the next download"
    )


# --- one file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileDownload:
    kind: str
    path: Path
    size: int
    sha256: str
    lines: int
    resumed_from: int  # bytes of a `.part` found when the download started (0: fresh)
    expected: int | None  # the size the provider announced, when it did


@dataclass
class DownloadReport:
    """What `JobService.download_report` brought (or found) on disk."""

    files: list[FileDownload] = field(default_factory=list)
    # Files already downloaded, whole, at the destination: not fetched again.
    kept: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Every file of the job on disk now, output first.
    paths: list[Path] = field(default_factory=list)


def staging_path(dest: Path) -> Path:
    return dest.parent / STAGING_DIR / dest.name


def part_path(dest: Path) -> Path:
    """Where an interrupted download of `dest` is kept."""
    staged = staging_path(dest)
    return staged.with_name(staged.name + PART_SUFFIX)


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def digest_and_lines(path: Path) -> tuple[int, str, int]:
    """(size, sha256 hex, lines) of a file in one streamed pass; a last line without a
    newline counts."""
    digest = hashlib.sha256()
    size = lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return size, digest.hexdigest(), lines


def write_checksum(path: Path, sha256: str) -> Path:
    """`NAME.sha256` beside `path`; a failed write names the file and says what is kept."""
    from batchtui.core.fsutil import atomic_write_text

    target = checksum_path(path)
    try:
        atomic_write_text(target, f"{sha256}  {path.name}\n", mode=None)
    except OSError as exc:
        full = " (disk full or over quota)" if exc.errno in _FULL_ERRNOS else ""
        raise BatchtuiError(
            f"{target}: cannot write the checksum: {exc.strerror or exc}{full}; the file is "
            f"whole in {STAGING_DIR}/ and the next download finishes it without fetching again"
        ) from None
    return target


def make_download_dir(path: Path) -> Path:
    """Create the folder `download -o DIR` names, but not the folders above it: a mistyped
    path fails naming what is missing instead of scattering folders."""
    try:
        path.mkdir(exist_ok=True)
    except FileNotFoundError:
        raise BatchtuiError(
            f"{path.parent}: no such directory (download creates {path.name}/ itself, "
            "not the folders above it)"
        ) from None
    except FileExistsError:
        raise BatchtuiError(f"{path}: not a directory") from None
    except OSError as exc:
        raise BatchtuiError(f"{path}: cannot create: {exc.strerror or exc}") from None
    return path


class _LongerThanAnnounced(Exception):
    """The transfer passed the size the provider's file object gives."""


def _bounded_progress(
    progress: ProgressCallback | None, expected: int | None
) -> ProgressCallback | None:
    """`progress`, stopping the transfer once it passes `expected` bytes."""
    if expected is None:
        return progress

    def report(done: int, total: int | None) -> None:
        if done > expected:
            raise _LongerThanAnnounced
        if progress is not None:
            progress(done, total)

    return report


async def fetch_file(
    provider: BatchProvider,
    kind: str,
    file_id: str,
    dest: Path,
    *,
    progress: ProgressCallback | None = None,
    disk_usage: DiskUsage | None = None,
) -> FileDownload:
    """Download one result file to `dest`, checked and hashed; see the module's docstring.

    A file already whole in `.incoming/` (its checksum could not be written last time) is
    not fetched again, so no free space is asked for it. Content running past the size the
    provider announced stops the transfer and removes the `.part`.
    """
    staged = staging_path(dest)
    part = part_path(dest)
    try:
        staged.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchtuiError(f"{staged.parent}: cannot create: {exc.strerror or exc}") from None
    resumed_from = part.stat().st_size if part.is_file() else 0
    expected = await _announced_size(provider, file_id)
    whole = staged.is_file()
    if expected is not None and not whole:
        check_free_space(
            dest.parent, max(expected - resumed_from, 0), name=dest.name, disk_usage=disk_usage
        )
    try:
        if not whole:
            await provider.download(file_id, staged, progress=_bounded_progress(progress, expected))
    except _LongerThanAnnounced:
        part.unlink(missing_ok=True)
        raise BatchtuiError(
            f"{dest}: the provider sent more than the {expected:,} bytes its file {file_id} "
            "has: stopped, and nothing kept; download again"
        ) from None
    except OSError as exc:
        if exc.errno in _FULL_ERRNOS:
            done = part.stat().st_size if part.exists() else 0
            needed = expected - done if expected is not None and expected > done else None
            raise disk_full_error(dest.parent, dest.name, part, needed) from None
        raise BatchtuiError(f"{part}: cannot write the download: {exc.strerror or exc}") from None
    size, sha256, lines = await asyncio.to_thread(digest_and_lines, staged)
    if expected is not None and size != expected:
        staged.unlink(missing_ok=True)
        raise BatchtuiError(
            f"{dest}: the download has {size:,} bytes but the provider's file {file_id} has "
            f"{expected:,}: discarded; download again"
        )
    write_checksum(dest, sha256)
    try:
        os.replace(staged, dest)
    except OSError as exc:
        raise BatchtuiError(f"{dest}: cannot move the download into place: "
                            f"{exc.strerror or exc}") from None  # fmt: skip
    _remove_empty_dir(staged.parent)
    return FileDownload(kind, dest, size, sha256, lines, resumed_from, expected)


async def _announced_size(provider: BatchProvider, file_id: str) -> int | None:
    try:
        info = await provider.file_info(file_id)
    except ProviderError:
        return None  # a gateway without the files route: the transfer still checks lengths
    return info.bytes if info is not None else None


def left_whole(dest: Path) -> bool:
    """A download finished `dest`: it is renamed into place only once whole, after its
    checksum was written beside it."""
    return dest.is_file() and checksum_path(dest).is_file()


async def whole_on_disk(provider: BatchProvider, file_id: str, dest: Path) -> bool:
    """An earlier download left `file_id` whole at `dest` (with the provider's size), even if
    the registry could not record it: no need to fetch it again."""
    if not left_whole(dest):
        return False
    expected = await _announced_size(provider, file_id)
    return expected is None or dest.stat().st_size == expected


def found_on_disk(job: Job, directory: Path) -> Job:
    """`job` with the result files a download left whole in `directory` (its `results_dir`)
    where the registry knows of none (its write failed): opened from disk, not fetched."""
    from batchtui.core.localresults import RESULT_FILE_NAMES, result_file_ids

    updates: dict[str, Path] = {}
    for kind, _file_id in result_file_ids(job):
        field_name = "output_path" if kind == "output" else "error_path"
        candidate = directory / RESULT_FILE_NAMES[kind]
        if getattr(job, field_name) is None and left_whole(candidate):
            updates[field_name] = candidate.absolute()
    return job.model_copy(update=updates) if updates else job


def _remove_empty_dir(path: Path) -> None:
    # Not empty: another file of the job is still on its way.
    with contextlib.suppress(OSError):
        path.rmdir()


def counts_warning(job_id: str, total: int, files: list[FileDownload]) -> str | None:
    """For a completed job: do the result files hold one line per request?"""
    lines = sum(item.lines for item in files)
    if total <= 0 or lines == total:
        return None
    listed = " + ".join(f"{item.lines:,} in {item.path.name}" for item in files)
    return (
        f"job {job_id}: the provider counts {total:,} requests but the result files hold "
        f"{lines:,} lines ({listed})"
    )


# --- progress -----------------------------------------------------------------------------


class TransferMeter:
    """Bytes and rate of a transfer for a progress line; the rate is smoothed over the
    last few seconds so a stall shows, and a resumed `.part` does not count as speed."""

    WINDOW_SECONDS = 3.0

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        import time

        self._clock = clock or time.monotonic
        self._samples: list[tuple[float, int]] = []

    def update(self, done: int) -> float | None:
        """Record `done` bytes now; the rate in bytes a second, once it can be told."""
        now = self._clock()
        samples = self._samples
        if samples and done < samples[-1][1]:
            samples.clear()  # started over (a server that ignored Range)
        samples.append((now, done))
        while len(samples) > 2 and now - samples[0][0] > self.WINDOW_SECONDS:
            samples.pop(0)
        first_at, first_done = samples[0]
        if now - first_at <= 0:
            return None
        return (done - first_done) / (now - first_at)

    @staticmethod
    def describe(done: int, total: int | None, rate: float | None) -> str:
        amount = format_bytes(done) + (f" of {format_bytes(total)}" if total else "")
        return amount + (f" at {format_bytes(rate)}/s" if rate else "")
