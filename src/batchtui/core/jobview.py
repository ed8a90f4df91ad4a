"""How a list of jobs is shown, without a terminal: glyphs, filter, sort, ETA, poll backoff.

The TUI's job list and detail screens render what these functions decide; the CLI shows
statuses with the same glyphs (one set, with its ASCII fallback) and counts the same way.
No textual or rich import here, and no pydantic at import time (the TUI imports this
module before its first paint).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from batchtui.core.status import JobStatus

if TYPE_CHECKING:
    from batchtui.core.models import Job, RequestCounts

# --- glyphs ------------------------------------------------------------------------------

# Narrow (one-cell) symbols only: emoji-width glyphs misalign tables in many terminals.
UNICODE_GLYPHS: dict[JobStatus, str] = {
    JobStatus.SUBMITTING: "↑",
    JobStatus.NOT_SUBMITTED: "✗",
    JobStatus.PENDING: "○",
    JobStatus.VALIDATING: "◔",
    JobStatus.IN_PROGRESS: "▶",
    JobStatus.PAUSED: "‖",
    JobStatus.FINALIZING: "◕",
    JobStatus.CANCELLING: "⊖",
    JobStatus.COMPLETED: "✔",
    JobStatus.FAILED: "✖",
    JobStatus.EXPIRED: "⌀",
    JobStatus.CANCELLED: "⊘",
}

ASCII_GLYPHS: dict[JobStatus, str] = {
    JobStatus.SUBMITTING: "^",
    JobStatus.NOT_SUBMITTED: "x",
    JobStatus.PENDING: ".",
    JobStatus.VALIDATING: "~",
    JobStatus.IN_PROGRESS: ">",
    JobStatus.PAUSED: "=",
    JobStatus.FINALIZING: "~",
    JobStatus.CANCELLING: "-",
    JobStatus.COMPLETED: "+",
    JobStatus.FAILED: "x",
    JobStatus.EXPIRED: "!",
    JobStatus.CANCELLED: "-",
}

Tone = Literal["warning", "active", "success", "error", "muted"]

# The colour role of each status; the TUI maps roles to theme variables.
STATUS_TONES: dict[JobStatus, Tone] = {
    JobStatus.SUBMITTING: "warning",
    JobStatus.NOT_SUBMITTED: "error",
    JobStatus.PENDING: "warning",
    JobStatus.VALIDATING: "warning",
    JobStatus.IN_PROGRESS: "active",
    JobStatus.PAUSED: "warning",
    JobStatus.FINALIZING: "active",
    JobStatus.CANCELLING: "muted",
    JobStatus.COMPLETED: "success",
    JobStatus.FAILED: "error",
    JobStatus.EXPIRED: "error",
    JobStatus.CANCELLED: "muted",
}


def status_glyph(status: JobStatus, *, ascii_only: bool = False) -> str:
    return (ASCII_GLYPHS if ascii_only else UNICODE_GLYPHS)[status]


def status_label(status: JobStatus, *, ascii_only: bool = False) -> str:
    """Glyph and word, e.g. `✔ completed` (or `+ completed`): never colour alone. The CLI
    and the TUI both show a status this way."""
    return f"{status_glyph(status, ascii_only=ascii_only)} {status.value}"


# Active first (what needs watching), then what went wrong, then what is done.
STATUS_RANK: dict[JobStatus, int] = {
    status: rank
    for rank, status in enumerate(
        (
            JobStatus.IN_PROGRESS,
            JobStatus.FINALIZING,
            JobStatus.VALIDATING,
            JobStatus.PENDING,
            JobStatus.SUBMITTING,
            JobStatus.PAUSED,
            JobStatus.CANCELLING,
            JobStatus.FAILED,
            JobStatus.EXPIRED,
            JobStatus.NOT_SUBMITTED,
            JobStatus.CANCELLED,
            JobStatus.COMPLETED,
        )
    )
}

# When every shard of a group has ended but not the same way, the group reads as the worst.
ENDED_WORST_FIRST = (
    JobStatus.FAILED,
    JobStatus.EXPIRED,
    JobStatus.NOT_SUBMITTED,
    JobStatus.CANCELLED,
    JobStatus.COMPLETED,
)


def counts_by_status(jobs: Iterable[Job]) -> list[tuple[JobStatus, int]]:
    """Statuses present among `jobs`, in STATUS_RANK order, with their counts."""
    counts = Counter(job.status for job in jobs)
    return sorted(counts.items(), key=lambda item: STATUS_RANK[item[0]])


# --- columns -----------------------------------------------------------------------------

# The job list's columns, in the order they show; `[ui] columns` picks among them.
JOB_LIST_COLUMNS = (
    "name", "id", "status", "progress", "eta", "elapsed", "created", "profile", "model", "cost",
)  # fmt: skip
# Never dropped for width: at 80 columns a row still says which job and how it stands.
ESSENTIAL_COLUMNS = frozenset({"id", "status"})


# --- filter ------------------------------------------------------------------------------

FILTER_FIELDS: dict[str, Callable[[Job], Iterable[str | None]]] = {
    "status": lambda job: (job.status.value,),
    "profile": lambda job: (job.profile,),
    "name": lambda job: (job.name,),
    "model": lambda job: (job.model,),
    "id": lambda job: (job.id, job.remote_id),
    "kind": lambda job: (job.kind,),
}


# Fields whose values are names, matched whole: `profile:demo` is not `demo-gateway`.
EXACT_FILTER_FIELDS = frozenset({"profile", "kind"})


def _searchable_text(job: Job) -> Iterable[str | None]:
    return (job.id, job.remote_id, job.name, job.profile, job.model, job.status.value, job.kind)


@dataclass(frozen=True)
class FilterTerm:
    value: str  # casefolded (as the registry's search columns are)
    field: str | None = None  # None: any searchable field
    negate: bool = False

    def matches(self, job: Job) -> bool:
        values = FILTER_FIELDS[self.field](job) if self.field else _searchable_text(job)
        if self.field in EXACT_FILTER_FIELDS:
            found = any(self.value == candidate.casefold() for candidate in values if candidate)
        elif self.field == "status":  # a status or the start of one: `status:fail`
            found = any(candidate.startswith(self.value) for candidate in values if candidate)
        else:
            found = any(self.value in candidate.casefold() for candidate in values if candidate)
        return found != self.negate


class ArchivedScope(StrEnum):
    """Which jobs a list shows by their archived mark (`batchtui archive`)."""

    HIDDEN = "no"  # the default views: archived jobs are left out
    ONLY = "yes"
    ALL = "all"

    def admits(self, archived: bool) -> bool:
        return self is ArchivedScope.ALL or archived == (self is ArchivedScope.ONLY)


@dataclass(frozen=True)
class JobFilter:
    """Space-separated terms that must all match: `word`, `field:value`, `!term` negates.

    Fields: status, profile, name, model, id (local or remote), kind. A `field:` that is
    not one of them is searched as plain text, so `gpt-4o:mini` still works.
    `archived:yes|all|no` chooses archived jobs rather than matching text (None: not said).
    """

    text: str = ""
    terms: tuple[FilterTerm, ...] = ()
    # Terms that can match no job whatever the jobs are (`status:bogus`), said in words.
    problems: tuple[str, ...] = ()
    archived: ArchivedScope | None = None

    @property
    def active(self) -> bool:
        return bool(self.terms) or self.archived is not None

    def matches(self, job: Job) -> bool:
        if self.archived is not None and not self.archived.admits(job.archived_at is not None):
            return False
        return all(term.matches(job) for term in self.terms)

    def apply(self, jobs: Iterable[Job]) -> list[Job]:
        return [job for job in jobs if self.matches(job)]


def parse_filter(text: str) -> JobFilter:
    terms = []
    problems = []
    archived: ArchivedScope | None = None
    for word in text.split():
        negate = word.startswith("!")
        if negate:
            word = word[1:]
        field_name, sep, value = word.partition(":")
        if sep and field_name.lower() == "archived":
            try:
                archived = ArchivedScope(value.lower())
            except ValueError:
                problems.append(f"archived:{value} means nothing (archived:yes, all or no)")
            continue
        if sep and field_name.lower() in FILTER_FIELDS:
            term = FilterTerm(value=value.casefold(), field=field_name.lower(), negate=negate)
        else:
            term = FilterTerm(value=word.casefold(), negate=negate)
        if term.value:
            terms.append(term)
        if term.field == "status" and not any(s.value.startswith(term.value) for s in JobStatus):
            valid = ", ".join(status.value for status in JobStatus)
            problems.append(f"status:{term.value} is no status (statuses: {valid})")
    return JobFilter(text=text, terms=tuple(terms), problems=tuple(problems), archived=archived)


# --- sort --------------------------------------------------------------------------------


class SortField(StrEnum):
    AGE = "age"
    NAME = "name"
    STATUS = "status"


@dataclass(frozen=True)
class SortOrder:
    """`reverse=False` is each field's natural order: newest first, A to Z, active first."""

    field: SortField = SortField.AGE
    reverse: bool = False

    def toggled(self, field: SortField) -> SortOrder:
        """Pressing the key of the current field inverts it; another field starts natural."""
        if field == self.field:
            return SortOrder(field, not self.reverse)
        return SortOrder(field)


def sort_jobs(jobs: Iterable[Job], order: SortOrder) -> list[Job]:
    # Ties fall back to newest first, then id, so the order is stable between refreshes.
    by_age = sorted(jobs, key=lambda job: (job.created_at, job.id), reverse=True)
    if order.field == SortField.AGE:
        return by_age[::-1] if order.reverse else by_age
    if order.field == SortField.NAME:
        return sorted(by_age, key=lambda job: job.name.casefold(), reverse=order.reverse)
    # sorted() keeps equal items in their input order even with reverse=True.
    return sorted(by_age, key=lambda job: STATUS_RANK[job.status], reverse=order.reverse)


# --- times -------------------------------------------------------------------------------

END_TIMESTAMPS = ("completed_at", "failed_at", "expired_at", "cancelled_at")


def started_at(job: Job) -> datetime:
    return job.timestamps.get("created_at") or job.created_at


def ended_at(job: Job) -> datetime | None:
    if not job.is_terminal:
        return None
    ends = [job.timestamps.get(name) for name in END_TIMESTAMPS]
    known = [moment for moment in ends if moment is not None]
    if known:
        return max(known)
    # No end time from the provider: its latest time, never `updated_at`, which a
    # download (or any local write) moves long after the job ended.
    reported = [moment for moment in job.timestamps.values() if moment is not None]
    return max(reported) if reported else job.updated_at


def elapsed(job: Job, now: datetime) -> timedelta:
    """From creation to the end (terminal jobs) or to `now`."""
    end = ended_at(job) or now
    return max(end - started_at(job), timedelta(0))


# `refresh` records a failed poll on the job as `last_error`, under this prefix.
REFRESH_ERROR_PREFIX = "refresh: "
# Past this an extrapolation says nothing (a job stuck at 1 of 50,000 would read "20d").
MAX_ETA = timedelta(days=2)


@dataclass(frozen=True)
class PollHealth:
    """How this process's polls of one job went: the moment of the last one that got an
    answer, and how many failed since. The ETA extrapolates only what was observed."""

    last_ok: datetime | None = None
    failures: int = 0

    def succeeded(self, now: datetime) -> PollHealth:
        return PollHealth(last_ok=now)

    def failed(self) -> PollHealth:
        return PollHealth(last_ok=self.last_ok, failures=self.failures + 1)


def polls_after(
    polls: dict[str, PollHealth], job_id: str, *, ok_at: datetime | None
) -> dict[str, PollHealth]:
    """`polls` after one more poll of `job_id`: answered at `ok_at`, or failed (None)."""
    health = polls.get(job_id, PollHealth())
    return {**polls, job_id: health.succeeded(ok_at) if ok_at else health.failed()}


def estimate_eta(
    job: Job, now: datetime, *, observed_at: datetime | None = None
) -> timedelta | None:
    """Time left for a running job at its average rate since it started running.

    `observed_at`: when the counts were last read from the provider; the rate is measured
    up to then and the time since is counted down, so the estimate never grows while
    nothing is heard. None when there is nothing to extrapolate from: not running, no
    request done yet, no total, or every request done (finalizing has no per-request
    progress).
    """
    if job.status != JobStatus.IN_PROGRESS:
        return None
    counts = job.request_counts
    if counts.total <= 0 or counts.done <= 0 or counts.done >= counts.total:
        return None
    start = job.timestamps.get("in_progress_at") or started_at(job)
    seen = min(observed_at, now) if observed_at is not None else now
    seconds = (seen - start).total_seconds()
    if seconds <= 0:
        return None
    rate = counts.done / seconds
    left = timedelta(seconds=(counts.total - counts.done) / rate) - (now - seen)
    return max(left, timedelta(0))


def poll_failing(job: Job, health: PollHealth | None) -> bool:
    """The provider's last answer about `job` is not current: this process's polls fail,
    or the one polling for every process (the lease holder) recorded a failed refresh."""
    if health is not None and health.failures:
        return True
    return bool(job.last_error and job.last_error.startswith(REFRESH_ERROR_PREFIX))


def eta_text(
    job: Job, now: datetime, health: PollHealth | None = None, *, short: bool = True
) -> str:
    """The ETA as the job list (`short`) and the detail show it: `-` when there is none,
    `?` (detail: `? stale: no answer for 5m`) while polls fail, `>2d` past `MAX_ETA`."""
    if job.status != JobStatus.IN_PROGRESS:
        return "-"
    if poll_failing(job, health):
        if short:
            return "?"
        last_ok = health.last_ok if health is not None else None
        since = f"no answer for {format_duration(now - last_ok)}" if last_ok else "no answer yet"
        return f"? stale: {since} (the provider is not answering)"
    observed = health.last_ok if health is not None else None
    eta = estimate_eta(job, now, observed_at=observed)
    if eta is None:
        return "-"
    if eta > MAX_ETA:
        return f">{format_duration(MAX_ETA)}"
    return format_duration(eta)


def format_duration(span: timedelta | None) -> str:
    """Compact and at most 6 characters: `45s`, `12m`, `3h05m`, `2d04h`; `-` when unknown."""
    if span is None:
        return "-"
    seconds = int(span.total_seconds())
    if seconds < 0:
        seconds = 0
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    if days < 100:
        return f"{days}d{hours:02d}h"
    return f"{days}d"


def format_age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    return f"{format_duration(now - moment)} ago"


def counts_text(counts: RequestCounts, *, short: bool = False, ascii_only: bool = False) -> str:
    """Progress in numbers, the one form the CLI and the TUI share: `done/total` (done:
    completed or failed), then the failures, `(5 failed)` (`short`: `✖5`, the failed
    status glyph); `-` before the provider has counted; `unknown` (`short`: `?`) where it
    counts nothing and the results have not been read yet. Help's legend explains it."""
    if not counts.known:
        return "?" if short else "unknown"
    if not counts.total:
        return "-"
    text = f"{counts.done}/{counts.total}"
    if counts.failed:
        failed_glyph = status_glyph(JobStatus.FAILED, ascii_only=ascii_only)
        text += f" {failed_glyph}{counts.failed}" if short else f" ({counts.failed} failed)"
    return text


def progress_text(counts: RequestCounts, *, width: int, ascii_only: bool = False) -> str:
    """`counts_text` (short) and a bar filling what is left of `width` (at least 3 cells)."""
    numbers = counts_text(counts, short=True, ascii_only=ascii_only)
    bar_width = max(width - len(numbers) - 1, 3)
    return f"{numbers} {progress_bar(counts, bar_width, ascii_only=ascii_only)}"


def progress_legend(*, ascii_only: bool = False) -> list[tuple[str, str]]:
    """(sample, meaning) rows explaining progress and ETA, for help."""
    failed = status_glyph(JobStatus.FAILED, ascii_only=ascii_only)
    return [
        ("95/100", "requests done (completed or failed) of the total"),
        (f"95/100 {failed}5", "of which 5 failed (the CLI: 95/100 (5 failed))"),
        ("?", "progress: the provider counts nothing until the results are read"),
        ("ETA ?", "the provider has not answered the last polls: no estimate"),
        (f"ETA >{format_duration(MAX_ETA)}", "longer than that at the rate seen so far"),
    ]


def progress_bar(counts: RequestCounts, width: int, *, ascii_only: bool = False) -> str:
    fraction = counts.done / counts.total if counts.total > 0 else 0.0
    fraction = min(max(fraction, 0.0), 1.0)
    if ascii_only:
        filled = round(fraction * width)
        return "#" * filled + "." * (width - filled)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < width else ""
    return ("█" * full + partial).ljust(width, "·")


# --- poll backoff ------------------------------------------------------------------------


@dataclass
class _PollState:
    next_at: float
    interval: float


@dataclass
class PollSchedule:
    """When to ask the provider about each running job next (monotonic seconds).

    A success waits the profile's interval; each failure in a row doubles the wait, up
    to `cap`. Terminal jobs are never due. `force()` makes every job due now.
    """

    cap: float = 600.0
    _states: dict[str, _PollState] = field(default_factory=dict)

    def due(self, jobs: Sequence[Job], now: float) -> list[Job]:
        ready = []
        for job in jobs:
            if job.is_terminal or job.remote_id is None:
                self._states.pop(job.id, None)
                continue
            state = self._states.get(job.id)
            if state is None or now >= state.next_at:
                ready.append(job)
        return ready

    def succeeded(self, job_id: str, now: float, interval: float) -> None:
        self._states[job_id] = _PollState(next_at=now + interval, interval=interval)

    def failed(self, job_id: str, now: float, interval: float) -> float:
        """Record a failed poll; returns the wait before the next try."""
        previous = self._states.get(job_id)
        wait = interval if previous is None else previous.interval * 2
        wait = min(max(wait, interval), self.cap)
        self._states[job_id] = _PollState(next_at=now + wait, interval=wait)
        return wait

    def next_wait(self, job_id: str) -> float | None:
        state = self._states.get(job_id)
        return state.interval if state else None

    def force(self) -> None:
        for state in self._states.values():
            state.next_at = float("-inf")


def display_model(model: str | None) -> str:
    """A model as people name it: Vertex's `publishers/google/models/gemini-2.5-flash` and
    Gemini's `models/gemini-2.5-flash` both show as `gemini-2.5-flash`."""
    if not model:
        return "-"
    _head, sep, tail = model.rpartition("models/")
    return tail if sep and tail and "/" not in tail else model
