"""A failed poll: whether a retry can fix it, when to poll again, and the one line saying so."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from batchtui.core.errors import AuthenticationError, BatchtuiError, ConfigError, ProviderError

if TYPE_CHECKING:
    from batchtui.core.config import Profile
    from batchtui.core.jobview import PollSchedule
    from batchtui.core.models import Job

log = logging.getLogger("batchtui.monitor")
# Marks a message as one more retry of the same problem (one toast, not one per poll).
RETRYING_MARK = " (retrying"

# Status codes that say the key (or its rights) is wrong: asking again gets the same answer.
REFUSED_STATUSES = frozenset({401, 403})


def permanent_problem(
    error: BaseException, profile_name: str, profile: Profile | None
) -> str | None:
    """The one-line message for a poll error that a retry cannot fix, else None.

    A key variable not set or empty and a broken profile come as `ConfigError` (its
    message names the profile and the variable); a key the provider refuses (401/403)
    names both here. A profile missing from the config is one too."""
    if isinstance(error, ConfigError):
        return str(error)
    refused = isinstance(error, AuthenticationError) or (
        isinstance(error, ProviderError) and error.status_code in REFUSED_STATUSES
    )
    if refused:
        assert isinstance(error, ProviderError)
        status = f" ({error.status_code})" if error.status_code else ""
        names = " or ".join(profile.key_env_names) if profile is not None else ""
        key = f"the key in {names}" if names else "its key"
        return f"profile {profile_name!r}: the provider refused {key}{status}: {error}"
    return None


def failed_poll(
    schedule: PollSchedule,
    clock: float,
    error: BaseException,
    job: Job,
    profile: Profile | None,
    interval: float,
) -> str:
    """Schedule the next poll of `job` after `error` and say what failed, in one line: a
    problem no retry fixes waits the longest backoff and asks for the fix (`r` polls
    again); anything else is retried after the backoff, which the line gives."""
    permanent = permanent_problem(error, job.profile, profile)
    if permanent is not None:
        schedule.failed(job.id, clock, schedule.cap)
        return f"{permanent} (fix it, then press r)"
    if not isinstance(error, BatchtuiError):
        log.error("refresh of %s failed", job.id, exc_info=error)
    wait = schedule.failed(job.id, clock, interval)
    said = str(error) if isinstance(error, BatchtuiError) else f"refresh {job.id}: {error}"
    return f"{said}{RETRYING_MARK} in {wait:.0f}s)"
