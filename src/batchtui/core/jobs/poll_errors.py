"""Which failed polls no retry can fix, and the one line that says what to fix instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchtui.core.errors import AuthenticationError, ConfigError, ProviderError

if TYPE_CHECKING:
    from batchtui.core.config import Profile

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
